"""The Report tab, driven by keys: the verdict and tables from a small store of votes, refresh, write."""

from __future__ import annotations

from pathlib import Path

from test_eval_report import TUNED, make_eval_project, vote_all
from textual.widgets import Label, Static

from workbench.services.project import Project
from workbench.tui.app import make_app
from workbench.tui.screens.report_chart import (
    BAR_MARK_ON,
    BEYOND,
    HALF_MARK,
    INSIDE,
    SOLID,
    WinRateChart,
    bar_cells,
    chart_lines,
)

SIZE = (150, 50)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def text_of(app, selector: str) -> str:
    return lines_of(app.screen.query_one(selector, Static))


def lines_of(widget) -> str:
    """What the widget shows, line by line (also for rich tables), words joined by single spaces."""
    lines = [" ".join(widget.render_line(y).text.split()) for y in range(widget.size.height)]
    return "\n".join(line for line in lines if line)


def chart_text(app) -> list[str]:
    chart = app.screen.query_one(WinRateChart)
    return [chart.render_line(y).text.rstrip() for y in range(chart.size.height)]


async def test_report_tab_shows_the_words_first_and_the_statistics_on_s(tmp_path):
    path = make_eval_project(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await settle(pilot)
        verdict = text_of(app, "#report-verdict")
        assert verdict.startswith(f"There are too few votes yet to tell whether the tuned model ({TUNED}) is better")
        words = text_of(app, "#report-words")
        assert f"Overall {TUNED} won 3 of 4 votes that picked a side (75%)" in words
        assert "17% of votes (1 of 6): both replies unusable" in words
        assert "billing: too few votes (4 votes, 1 tie; about 2 more would settle it)" in words
        assert "6 standing votes by 1 rater" in text_of(app, "#report-summary")
        # the statistics are one key away
        assert not app.screen.query_one("#report-stats").display
        assert "s show the statistics" in str(app.screen.query_one("#report-status", Label).render())
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.query_one("#report-stats").display
        stats = text_of(app, "#report-stats-verdict")
        assert f"{TUNED} beats base in 1 of 2 categories" in stats
        assert "overall win rate 66.7% [" in stats and "below the 70% bar" in stats
        lines = chart_text(app)
        assert "50%" in lines[0] and "70%" in lines[0]
        billing = next(line for line in lines if line.startswith("billing"))
        assert "87.5% too few votes n=4" in billing and SOLID in billing  # 4 votes: no interval drawn
        shipping = next(line for line in lines if line.startswith("shipping"))
        assert "25.0%" in shipping
        table = lines_of(app.screen.query_one(".report-table", Static)).splitlines()
        assert table[0].startswith("category votes wins losses ties both bad win rate")
        assert any(line.startswith("overall 6 3 1 1 1 66.7%") for line in table)
        assert any(line.startswith("billing 4 3 0 1 0 87.5%") for line in table)
        metrics = text_of(app, "#report-metrics")
        assert "rouge_l" in metrics and TUNED in metrics
        assert "left reply won" in text_of(app, "#report-position")
        assert "no pair has votes from two raters" in text_of(app, "#report-agreement")
        await pilot.press("s")
        assert not app.screen.query_one("#report-stats").display


async def test_refresh_picks_up_new_votes_and_w_writes_the_files(tmp_path):
    path = make_eval_project(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await settle(pilot)
        assert "1 rater" in text_of(app, "#report-summary")
        other = Project.open(path)  # a second rater votes meanwhile, from another process's view
        try:
            vote_all(other.store, "bob")
        finally:
            other.close()
        await pilot.press("r")
        await settle(pilot)
        assert "12 standing votes by 2 raters" in text_of(app, "#report-summary")
        await pilot.press("s")
        await settle(pilot)
        assert "Cohen's kappa" in text_of(app, "#report-agreement")
        await pilot.press("w")
        await settle(pilot)
        status = str(app.screen.query_one("#report-status", Label).render())
        assert "report/report.md" in status and "report/report.html" in status
    md = (Path(path) / "report" / "report.md").read_text(encoding="utf-8")
    assert "12 standing votes by 2 raters" in md


async def test_showing_the_tab_again_refreshes_it(tmp_path):
    path = make_eval_project(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await settle(pilot)
        other = Project.open(path)
        try:
            vote_all(other.store, "bob")
        finally:
            other.close()
        await pilot.press("1")
        await pilot.press("8")
        await settle(pilot)
        assert "2 raters" in text_of(app, "#report-summary")


async def test_an_empty_project_says_what_to_do(tmp_path):
    from conftest import SUPPORT_ROWS, write_jsonl

    path = tmp_path / "fresh"
    Project.create(path, inputs=[write_jsonl(tmp_path / "s.jsonl", SUPPORT_ROWS)]).close()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await settle(pilot)
        assert text_of(app, "#report-verdict") == "No votes yet."
        assert "Compare tab" in text_of(app, "#report-summary")
        assert not app.screen.query(WinRateChart)


def test_bar_shows_the_interval_and_the_marks():
    # 50 cells: solid to the interval's low end (60% → 30 cells), ▓ to the estimate (80% → 40), ░ to 90% (45)
    cells = "".join(text for text, _ in bar_cells(0.8, [0.6, 0.9], 50, bar=0.7))
    assert len(cells) == 50
    assert cells[25] == HALF_MARK and cells[35] == BAR_MARK_ON  # 50% and 70% drawn across the bar
    assert cells[:25] == SOLID * 25 and cells[26:30] == SOLID * 4
    assert cells[30:35] + cells[36:40] == INSIDE * 9
    assert cells[40:45] == BEYOND * 5 and cells[45:] == " " * 5


def test_chart_lines_name_each_category():
    rows = [{"label": "overall", "rate": 0.6, "n": 20, "bootstrap": [0.4, 0.8], "wilson": [0.39, 0.78]},
            {"label": "billing", "rate": None, "n": 0, "bootstrap": None, "wilson": None}]
    lines = [line.plain for line in chart_lines(rows, 100)]
    assert lines[1].startswith("overall") and "60.0% [40%–80%] n=20" in lines[1]
    assert "no votes" in lines[2]
