"""The Balance tab, driven by keys: the distribution before/after, editing targets with a live
preview of the rows that would go, deficits, and writing the targets into the recipe."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conftest import project_with_embeddings, settle
from workbench.services.project import Project
from workbench.tui.app import make_app
from workbench.tui.screens.balance_chart import BalanceChart

SIZE = (140, 42)


def chat(user: str, assistant: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def support_rows() -> list[dict]:
    rows = []
    for i in range(12):
        rows.append({"messages": chat(f"Billing question {i}: why was I charged {i + 10} dollars?", f"Refund {i}."),
                     "category": "billing"})
    for i in range(6):
        rows.append({"messages": chat(f"Where is parcel number {i}?", f"Tracking {i}."), "category": "shipping"})
    for i in range(2):
        rows.append({"messages": chat(f"Delete my data, request {i}.", f"Done {i}."), "category": "privacy"})
    rows.append({"messages": chat("Something without a label", "Answer.")})
    return rows


@pytest.fixture
def project_path(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    return project_with_embeddings(tmp_path, support_rows())


async def open_balance(pilot) -> None:
    await settle(pilot, 4)
    await pilot.press("4")
    await settle(pilot, 4)


def chart_lines(app) -> dict[str, str]:
    chart = app.screen.query_one(BalanceChart)
    return {option.id: str(option.prompt) for option in chart.options}


def status(app) -> str:
    return str(app.screen.query_one("#balance-status").content)


def preview(app) -> str:
    return str(app.screen.query_one("#balance-preview-body").content)


async def test_shows_the_distribution_of_the_rows_that_reach_balance(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_balance(pilot)
        lines = chart_lines(app)
        assert list(lines) == ["billing", "shipping", "privacy", "(unlabelled)"]
        assert "12 → 12" in lines["billing"] and "57.1% → 57.1%" in lines["billing"]
        assert "21 rows reach balance → 21 kept, 0 dropped" in status(app)
        assert "balance is not in the recipe" in status(app)
        assert isinstance(app.focused, BalanceChart)


async def test_editing_targets_redraws_and_previews_the_drops(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_balance(pilot)
        await pilot.press("m", "5", "enter")
        await settle(pilot, 4)
        lines = chart_lines(app)
        assert "12 → 5" in lines["billing"] and "−7" in lines["billing"]
        assert "6 → 5" in lines["shipping"] and "2 → 2" in lines["privacy"]
        assert "21 rows reach balance → 13 kept, 8 dropped" in status(app)
        text = preview(app)
        assert "billing: 12 rows, would drop 7 and keep 5 (diverse selection)" in text
        assert text.count("Billing question") == 7

        await pilot.press("n", "3", "enter")  # a minimum of 3: privacy has 2
        await settle(pilot, 4)
        assert "▲ 1 short of min 3" in chart_lines(app)["privacy"]
        assert "1 category is short of target" in status(app)
        await pilot.press("down", "down")  # highlight privacy
        await settle(pilot, 4)
        assert "▲ 1 rows short of its minimum of 3" in preview(app)
        assert "never invents rows" in preview(app)

        await pilot.press("up")  # shipping: its own cap
        await pilot.press("t", "4", "enter")
        await settle(pilot, 4)
        assert "6 → 4" in chart_lines(app)["shipping"] and "12 → 5" in chart_lines(app)["billing"]
        assert "would drop 2 and keep 4" in preview(app)

        await pilot.press("l")  # unlabelled rows: keep -> drop
        assert "1 → 0" in chart_lines(app)["(unlabelled)"]


async def test_writing_the_targets_puts_them_in_the_recipe_and_the_export_follows(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_balance(pilot)
        await pilot.press("m", "5", "enter", "w")
        await settle(pilot, 4)
        assert "balance is not in the recipe" not in status(app)
        shown = preview(app)
    config = tomllib.loads((project_path / "workbench.toml").read_text(encoding="utf-8"))
    balance = next(s for s in config["recipe"]["steps"] if s["name"] == "balance")
    assert balance == {"name": "balance", "max_per_category": 5}  # defaults stay implicit

    from workbench.services.headless import export_project

    result = export_project(project_path, project_path / "out")
    removed = [json.loads(line) for line in (project_path / "out" / "removed.jsonl").read_text().splitlines()]
    assert len(removed) == 8 and {r["reason"] for r in removed} == {"balance"}
    assert result.report["categories"]["billing"]["total"] == 5
    # The rows the preview listed for billing are the ones the export dropped.
    project = Project.open(project_path)
    prompts = {r["id"]: r["messages"][0]["content"] for r in project.records().iter_rows(named=True)}
    project.close()
    for r in removed:
        if prompts[r["id"]].startswith("Billing"):
            assert prompts[r["id"]] in shown


async def test_a_bad_target_is_explained_and_the_last_plan_stays(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_balance(pilot)
        await pilot.press("m", "4", "enter", "n", "9")  # min above max
        await pilot.pause()
        problem = str(app.screen.query_one("#balance-problem").content)
        assert "min_per_category (9) is above max_per_category (4)" in problem
        assert "12 → 4" in chart_lines(app)["billing"]
        await pilot.press("backspace", "3")
        await pilot.pause()
        assert str(app.screen.query_one("#balance-problem").content) == ""


async def test_esc_stops_the_computation_of_the_rows_and_f_starts_it_again(project_path: Path, monkeypatch):
    import threading

    from workbench.errors import Cancelled
    from workbench.services import balance_targets

    real = balance_targets.rows_at_balance
    started, slow = threading.Event(), [True]

    def rows_at_balance(project, progress=None, cancelled=lambda: False):
        while slow[0]:  # a long scan: reports progress until cancelled
            started.set()
            progress("pii: scanning", 0, 6063)
            if cancelled():
                raise Cancelled("cancelled")
            threading.Event().wait(0.02)
        return real(project, progress=progress, cancelled=cancelled)

    monkeypatch.setattr(balance_targets, "rows_at_balance", rows_at_balance)
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        for _ in range(100):
            await pilot.pause(0.02)
            if started.is_set() and "pii: scanning" in status(app):
                break
        assert "esc cancels" in status(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "Cancelled" in status(app) and "f computes them again" in status(app)
        slow[0] = False
        await pilot.press("f")
        await settle(pilot)
        assert "Cancelled" not in status(app) and chart_lines(app)
