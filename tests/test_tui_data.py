"""The Data tab, driven by keys as a user would: table, record detail, filters, running the recipe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from workbench.services.project import Project
from workbench.tui.app import make_app
from workbench.tui.records_view import UNCATEGORIZED
from workbench.tui.summary import PipelineSummary
from workbench.tui.widgets.filter_bar import FilterBar
from workbench.tui.widgets.pipeline_panel import PipelinePanel, describe_pipeline
from workbench.tui.widgets.record_detail import RecordDetail
from workbench.tui.widgets.record_table import RecordTable
from workbench.tui.widgets.run_progress import RunProgress

SIZE = (120, 40)


def chat(*turns: str, system: str | None = None) -> list[dict[str, str]]:
    roles = ["user", "assistant"] * len(turns)
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": role, "content": text} for role, text in zip(roles, turns)]


# Nine readable rows, one exact duplicate (row 7 of row 1), one the validate step drops (two user
# turns in a row), one without a category, and one line that is not JSON (quarantined on import).
SUPPORT = [
    {"messages": chat("How do I reset my password?", "Open Settings > Account and choose Reset password."),
     "category": "account"},
    {"messages": chat("My invoice shows a double charge.", "I have refunded the second charge; it shows in 3-5 days."),
     "category": "billing"},
    {"messages": chat("Where is my parcel?", "It left our warehouse yesterday; tracking is in your email."),
     "category": "shipping"},
    {"messages": chat("Can I pay by bank transfer?", "Yes, choose Bank transfer at checkout."),
     "category": "billing"},
    {"messages": chat("Do you ship to Canada?", "Yes, in 5-8 business days."), "category": "shipping"},
    {"messages": chat("I forgot my username.", "Your username is your email address.",
                      "Thanks! And my PASSWORD?", "Use Reset password on the sign-in page.",
                      system="You are a friendly support agent."),
     "category": "account"},
    {"messages": chat("How do I reset my password?", "Open Settings > Account and choose Reset password."),
     "category": "account"},
    {"messages": [{"role": "user", "content": "Hello"}, {"role": "user", "content": "Anyone there?"},
                  {"role": "assistant", "content": "Yes, how can I help?"}], "category": "billing"},
    {"messages": chat("The app crashes when I open the camera.", "Update to version 4.2; that fixes it.")},
]


def write_support(folder: Path) -> Path:
    path = folder / "support.jsonl"
    lines = [json.dumps(row) for row in SUPPORT] + ["{this line is broken"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    path = tmp_path / "support-demo"
    Project.create(path, inputs=[write_support(tmp_path)]).close()
    return path


async def settle(pilot) -> None:
    """Wait for workers and for the messages they posted (which may start more workers)."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def table_lines(app) -> list[str]:
    table = app.screen.query_one(RecordTable)
    return [table.render_line(y).text.rstrip() for y in range(table.scrollable_content_region.height)]


def detail_text(app) -> str:
    return app.screen.query_one("#record-detail-body").content.plain


def panel_text(app) -> str:
    return app.screen.query_one(PipelinePanel).content.plain


def row_count(app) -> str:
    return str(app.screen.query_one("#row-count").content)


async def test_table_shows_the_rows_of_the_snapshot(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = table_lines(app)
        assert lines[0].split()[:4] == ["#", "id", "category", "origin"]
        assert "first user turn" in lines[0] and "source" in lines[0]
        assert "How do I reset my password?" in lines[1]
        assert "support.jsonl:1" in lines[1]
        assert "Where is my parcel?" in lines[3]
        assert len([line for line in lines[1:] if line.strip()]) == 9
        assert row_count(app) == "9 of 9 rows"
        assert isinstance(app.focused, RecordTable)


async def test_moving_the_cursor_shows_that_record(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "How do I reset my password?" in detail_text(app)
        await pilot.press("down", "down")
        text = detail_text(app)
        assert "Where is my parcel?" in text
        assert "It left our warehouse yesterday" in text
        assert "category shipping" in text
        await pilot.press("down", "down", "down")  # the multi-turn conversation, every turn labelled
        text = detail_text(app)
        assert text.index("system") < text.index("You are a friendly") < text.index("user")
        assert "Thanks! And my PASSWORD?" in text and "Use Reset password on the sign-in page." in text
        assert "support.jsonl:6" in text
        await pilot.press("end")
        assert "The app crashes when I open the camera." in detail_text(app)
        assert "category (none)" in detail_text(app)
        await pilot.press("home")
        assert "How do I reset my password?" in detail_text(app)


async def test_search_filters_rows_over_every_turn(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"password")
        await settle(pilot)
        # Rows 1 and 7 ask about it in the first turn; row 6 only in its second user turn.
        assert row_count(app) == "3 of 9 rows"
        lines = [line for line in table_lines(app)[1:] if line.strip()]
        assert [line.split()[0] for line in lines] == ["1", "6", "7"]
        await pilot.press("escape")
        assert isinstance(app.focused, RecordTable)
        await pilot.press("down")
        assert "Thanks! And my PASSWORD?" in detail_text(app)
        await pilot.press("slash", "ctrl+u", *"no such words")
        await settle(pilot)
        assert row_count(app) == "0 of 9 rows"
        assert "No rows match the filter." in "\n".join(table_lines(app))
        assert "No record under the cursor." in detail_text(app)


async def test_category_filter_cycles_and_combines_with_search(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(FilterBar)
        assert bar.categories == ["account", "billing", "shipping", UNCATEGORIZED]
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one(Select).value == "account"
        assert row_count(app) == "3 of 9 rows"
        await pilot.press("c")
        await settle(pilot)
        assert row_count(app) == "3 of 9 rows"
        assert all(" billing " in line for line in table_lines(app)[1:4])
        await pilot.press("c", "c")
        await settle(pilot)
        assert row_count(app) == "1 of 9 rows"  # the row without a category
        assert "The app crashes" in table_lines(app)[1]
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one(Select).value == Select.NULL
        assert row_count(app) == "9 of 9 rows"
        app.screen.query_one(Select).value = "shipping"
        await pilot.press("slash", *"canada")
        await settle(pilot)
        assert row_count(app) == "1 of 9 rows"
        assert "Do you ship to Canada?" in table_lines(app)[1]


async def test_run_recipe_updates_the_step_counts_and_the_table(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = panel_text(app)
        assert "Recipe not run yet" in before
        assert "support.jsonl" in before and "quarantined 1" in before
        await pilot.press("r")
        await settle(pilot)
        text = panel_text(app)
        assert "Last run s0002-recipe" in text
        assert "validate" in text and "9 → 8" in text and "1 roles_out_of_order" in text
        assert "exact_dedup" in text and "8 → 7" in text and "1 exact_duplicate" in text
        assert "split" in text and "train" in text and "holdout" in text
        assert row_count(app) == "7 of 7 rows"
        assert "split" in table_lines(app)[0]
        assert not app.screen.query_one(RunProgress).has_class("-running")
        assert Project.open(project_path).latest().id == "s0002-recipe"


async def test_an_export_written_elsewhere_shows_when_the_tab_is_shown_again(project_path: Path):
    from workbench.services.headless import export_project

    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert row_count(app) == "9 of 9 rows" and "Recipe not run yet" in panel_text(app)
        await pilot.press("2")  # another tab, while an export runs (from the Train tab or a terminal)
        await settle(pilot)
        export_project(project_path, project_path.parent / "out")
        await pilot.press("1")
        await settle(pilot)
        assert row_count(app) == "7 of 7 rows"  # what the export wrote, without a restart
        assert "exact_dedup" in panel_text(app) and "8 → 7" in panel_text(app)


async def test_a_recipe_problem_is_a_notification_not_a_crash(project_path: Path):
    config = project_path / "workbench.toml"
    config.write_text(config.read_text().replace('name = "exact_dedup"', 'name = "exact_dedupe"'))
    app = make_app(project_path)
    notes: list[tuple[str, dict]] = []
    app.notify = lambda message, **kw: notes.append((message, kw))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
        [(message, kw)] = notes
        assert "unknown step 'exact_dedupe'" in message
        assert kw["severity"] == "error"
        assert not app.screen.query_one(RunProgress).has_class("-running")
        assert row_count(app) == "9 of 9 rows"


SLOW_STEP = '''
import time
from dataclasses import dataclass
from typing import ClassVar

from workbench.hookspecs import hookimpl
from workbench.steps.base import Step, StepResult


@dataclass
class Slow(Step):
    name: ClassVar[str] = "slow"

    def run(self, records, ctx):
        for i in range(3000):  # about 30 s unless cancelled
            ctx.report(i, 3000)
            time.sleep(0.01)
        return StepResult(records)


@hookimpl
def register_steps(register):
    register(Slow)
'''


async def test_escape_cancels_a_running_recipe(project_path: Path):
    (project_path / "slow_step.py").write_text(SLOW_STEP)
    config = project_path / "workbench.toml"
    text = config.read_text().replace("plugins = []", 'plugins = ["slow_step.py"]')
    config.write_text(text.replace('name = "exact_dedup"', 'name = "exact_dedup"\n\n[[recipe.steps]]\nname = "slow"'))
    app = make_app(project_path)
    notes: list[tuple[str, dict]] = []
    app.notify = lambda message, **kw: notes.append((message, kw))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        progress = app.screen.query_one(RunProgress)
        for _ in range(1000):
            await pilot.pause(0.01)
            if "slow" in str(progress.query_one("#run-step").content):
                break
        assert progress.has_class("-running")
        # validate, exact_dedup, then the slow step, then the default near_dedup
        assert "slow (3/4)" in str(progress.query_one("#run-step").content)
        await pilot.press("escape")
        await settle(pilot)
        assert [kw["severity"] for _, kw in notes] == ["warning"]
        assert "cancelled" in notes[0][0]
        assert not progress.has_class("-running")
        assert [s.id for s in Project.open(project_path).snapshots()] == ["s0001-import"]


@pytest.mark.slow
async def test_a_million_rows_open_and_jump_to_the_end(tmp_path: Path):
    from workbench.tui._measure import write_big_project

    write_big_project(tmp_path / "big", 1_000_000).close()
    app = make_app(tmp_path / "big")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert row_count(app) == "1,000,000 of 1,000,000 rows"
        lines = table_lines(app)
        assert lines[1].split()[0] == "1" and "(ticket 0)" in lines[1]
        await pilot.press("end")
        lines = [line for line in table_lines(app) if line.strip()]
        assert lines[-1].split()[0] == "1000000"
        assert "(ticket 999999)" in lines[-1]
        assert "(ticket 999999)" in detail_text(app)
        await pilot.press("pageup", "up")
        assert app.screen.query_one(RecordTable).cursor == 1_000_000 - 1 - app.screen.query_one(
            RecordTable)._visible_rows - 1
        await pilot.press("home")
        assert "(ticket 0)" in detail_text(app)
        await pilot.press("pagedown")  # a whole page further, the cursor still on the top line
        page = app.screen.query_one(RecordTable)._visible_rows
        assert table_lines(app)[1].split()[0] == str(page + 1)
        assert f"(ticket {page})" in detail_text(app)


def test_long_step_names_stay_apart_from_their_counts():
    summary = PipelineSummary(last_run="s0002", steps=[
        {"name": "validate", "rows_in": 3008, "rows_out": 3008},
        {"name": "synthetic_review", "rows_in": 3008, "rows_out": 2990, "removed": {"synthetic_unreviewed": 18}}],
        split={"train": 2540, "holdout": 450})
    text = describe_pipeline(summary).plain
    assert "  synthetic_review  3,008 → 2,990" in text
    assert "  validate          3,008 → 3,008" in text
    assert "  split             train 2,540 · holdout 450" in text


async def test_enter_opens_the_record_on_the_whole_screen_at_80x24(project_path: Path):
    from workbench.tui.widgets.record_modal import RecordScreen

    app = make_app(project_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()
        record = app.screen.query_one(RecordTable).highlighted
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        body = app.screen.query_one("#record-detail-body").content.plain
        for turn in record["messages"]:
            assert turn["content"].split("\n")[0] in body  # every turn, not only the metadata
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordScreen)
