"""The app frame: opening a project or not, the header, the tabs and the keys that switch them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import TabbedContent

from workbench.services.project import Project
from workbench.tui.app import TABS, WorkbenchApp, make_app
from workbench.tui.screens.base import ProjectTab
from workbench.tui.screens.data import DataTab
from workbench.tui.screens.welcome import NoProjectScreen
from workbench.tui.widgets.record_table import RecordTable

SIZE = (120, 40)
TAB_TITLES = ["Data", "Dedup", "PII", "Balance", "Review", "Train", "Compare", "Report"]


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    data = tmp_path / "faq.jsonl"
    rows = [{"messages": [{"role": "user", "content": f"Question {i}?"},
                          {"role": "assistant", "content": f"Answer {i}."}], "category": "faq"}
            for i in range(5)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    path = tmp_path / "faq-project"
    Project.create(path, inputs=[data]).close()
    return path


def screen_text(app) -> str:
    # The composed screen as plain text: what a user would read in the terminal.
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_opens_a_project_with_its_name_and_every_tab(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Workbench — faq-project" in text.splitlines()[0]
        for number, title in enumerate(TAB_TITLES, 1):
            assert f"{number} {title}" in text
        assert [tab.TITLE for tab in TABS] == TAB_TITLES
        assert app.screen.query_one(TabbedContent).active == "data"
        assert isinstance(app.focused, RecordTable)
        assert "5 of 5 rows" in text
        for key in ("/ Search", "c Category", "r Run recipe", "q Quit"):
            assert key in text.splitlines()[-1]


async def test_number_keys_switch_tabs(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tabs = app.screen.query_one(TabbedContent)
        await pilot.press("2")
        assert tabs.active == "dedup"
        await pilot.press("8")
        assert tabs.active == "report"
        assert "No votes yet" in screen_text(app)
        await pilot.press("9")  # no ninth tab: nothing happens
        assert tabs.active == "report"
        await pilot.press("1")
        assert tabs.active == "data"
        assert isinstance(app.focused, RecordTable)


def test_every_tab_is_a_project_tab_with_an_id_and_a_title():
    assert len({tab.TAB_ID for tab in TABS}) == len(TABS)
    assert TABS[0] is DataTab
    for tab in TABS:
        assert issubclass(tab, ProjectTab) and tab.TAB_ID and tab.TITLE


async def test_outside_a_project_shows_how_to_create_one(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(None)
    assert app.project is None
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, NoProjectScreen)
        text = screen_text(app)
        assert "is not a Workbench project" in text
        assert "workbench init my-project --input data.jsonl" in text
        await pilot.press("q")
    assert not app.is_running


async def test_a_path_that_is_not_a_project_explains_itself(tmp_path: Path):
    app = make_app(tmp_path / "nowhere")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.screen.query_one("#no-project").content.plain
        assert f"{tmp_path / 'nowhere'}: not a workbench project" in text
        assert "workbench init my-project --input data.jsonl" in text


def test_the_current_folder_opens_when_it_is_a_project(project_path: Path, monkeypatch):
    monkeypatch.chdir(project_path)
    app = make_app()
    assert isinstance(app, WorkbenchApp)
    assert app.project is not None and app.project.name == "faq-project"
    app.project.close()
