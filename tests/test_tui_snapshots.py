"""Snapshots of what the user sees, one class per feature. Update with `pytest --snapshot-update`
after checking the new pictures (tests/__snapshots__/test_tui_snapshots/*.svg) by eye.

Everything on screen is fixed: a relative input path, a fixed project name, content-hash ids,
no clock, no notifications, no blinking cursor.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from workbench.services.project import Project
from workbench.tui.app import WorkbenchApp, make_app

SIZE = (120, 40)

ROWS = [
    ("account", "How do I reset my password?", "Open Settings > Account and choose Reset password."),
    ("billing", "My invoice shows a double charge.", "I have refunded the second charge; it shows in 3-5 days."),
    ("shipping", "Where is my parcel? The tracking page has not changed since Monday.",
     "It left our warehouse yesterday; the carrier updates tracking overnight."),
    ("billing", "Can I pay by bank transfer?", "Yes, choose Bank transfer at checkout."),
    ("shipping", "Do you ship to Canada?", "Yes, in 5-8 business days."),
    ("account", "How do I reset my password?", "Open Settings > Account and choose Reset password."),
    ("technical", "The app crashes when I open the camera.", "Update to version 4.2; that release fixes it."),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> str:
    """A project opened by a relative path, so no temporary folder reaches the screen."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_RATER", "ann")  # shown on the Compare tab
    lines = [json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
                         "category": c}) for c, q, a in ROWS]
    Path("support.jsonl").write_text("\n".join(lines) + "\n{not json\n", encoding="utf-8")
    Project.create("support-demo", inputs=["support.jsonl"]).close()
    return "support-demo"


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


class TestDataScreen:
    def test_opened(self, snap_compare, project):
        assert snap_compare(make_app(project), terminal_size=SIZE, run_before=settle)

    def test_cursor_moved_and_search_typed(self, snap_compare, project):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("down", "down", "slash", *"parcel")
            await settle(pilot)
            await pilot.press("enter")  # back to the table, the filter stays

        assert snap_compare(make_app(project), terminal_size=SIZE, run_before=run_before)

    def test_after_recipe_run(self, snap_compare, project):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(make_app(project), terminal_size=SIZE, run_before=run_before)


class TestCompareTab:
    def test_no_pairs_yet(self, snap_compare, project):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("7")

        assert snap_compare(make_app(project), terminal_size=SIZE, run_before=run_before)


class TestNoProject:
    def test_welcome(self, snap_compare):
        app = WorkbenchApp(None, where=Path("/home/expert/notes"))
        assert snap_compare(app, terminal_size=SIZE)


TAB_NAMES = ["data", "dedup", "pii", "balance", "review", "train", "compare", "report"]


class TestEveryTabAt80x24:
    """Each tab as it first shows on a small terminal: footers, panes and charts must stay usable
    (keys that do not fit are listed by `?`)."""

    @pytest.mark.parametrize("tab", range(1, 9), ids=TAB_NAMES)
    def test_tab(self, snap_compare, project, tab):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press(str(tab))
            await settle(pilot)
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(make_app(project), terminal_size=(80, 24), run_before=run_before)
