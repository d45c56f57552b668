"""The expert's whole loop from the app alone, as a pilot drives it: open the demo project, decide
a dedup cluster, accept a PII span, accept a synthetic row, set the training up in the form and
export, train a few steps, generate and pair from the Compare tab, vote, and read the verdict.
No command line is used after the project exists (the demo builder stands for `make demo`,
on a smaller sample of the same data and with a tiny model the form is pointed at)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Input

from workbench.services.demo import DEMO_INPUTS, build_demo
from workbench.store import Store
from workbench.tui.app import make_app

pytestmark = pytest.mark.slow
SIZE = (160, 48)


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def standing(path: Path, step: str) -> dict:
    store = Store(path / ".workbench" / "workbench.db")
    try:
        return store.decisions.standing(step)
    finally:
        store.close()


def votes(path: Path) -> list[dict]:
    store = Store(path / ".workbench" / "workbench.db")
    try:
        return store.arena.votes(rater="carla")
    finally:
        store.close()


async def settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_for(pilot, done, what: str, seconds: float = 600) -> None:
    """Let the app run until done() (a job in another process: training, generation)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        await pilot.pause(0.5)


async def test_the_whole_loop_from_the_app_alone(tmp_path: Path, monkeypatch):
    pytest.importorskip("torch")
    from test_eval_generate import make_lively_model

    from workbench.train.runs import list_runs
    from workbench.tui.screens.compare import CompareTab
    from workbench.tui.screens.compare_form import NewComparisonDialog
    from workbench.tui.screens.train_form import TrainSettingsDialog

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_RATER", "carla")
    sample = tmp_path / "support_sample.jsonl"  # the demo's data, its first 400 chats
    with open(DEMO_INPUTS[0], encoding="utf-8") as f:
        sample.write_text("".join(line for _, line in zip(range(400), f)), encoding="utf-8")
    model = make_lively_model(tmp_path / "models")
    path = tmp_path / "demo"
    build_demo(path, inputs=[sample]).close()

    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        # 2 Dedup: decide a cluster (t switches to the next method while one has none)
        await pilot.press("2")
        await settle(pilot)
        for _ in range(3):
            if " 0 clusters" not in screen_text(app):
                break
            await pilot.press("t")
            await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "✓ accepted" in screen_text(app)  # the cluster list says what became of it
        assert any(standing(path, step) for step in ("exact_dedup", "near_dedup", "semantic_dedup"))

        # 3 PII: accept the span the tab opens on
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert any(d.action == "accept" for d in standing(path, "pii").values())

        # 5 Review: accept the synthetic row shown
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert any(d.action == "accept" for d in standing(path, "synthetic_review").values())

        # 6 Train: the settings form, then export and train from the tab
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, TrainSettingsDialog)
        form.query_one("#set-base_model", Input).value = str(model)
        form.query_one("#set-max_steps", Input).value = "2"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, TrainSettingsDialog)
        await pilot.press("e")  # export the data as decided
        await wait_for(pilot, lambda: any((path / "exports").glob("*/report.json")), "the export")
        await settle(pilot)
        await pilot.press("n")  # measures this machine's speed, then trains in its own process
        await wait_for(pilot, lambda: any(r.status() == "finished" for r in list_runs(path)), "the training run")
        await settle(pilot)

        # 7 Compare: a new comparison from the form, pairs appear, votes are cast
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewComparisonDialog)
        field = form.query_one("#compare-form-limit", Input)
        field.focus()
        field.value = "4"
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        tab = app.screen.query_one(CompareTab)
        await wait_for(pilot, lambda: tab.pair is not None, "the first pair")
        await wait_for(pilot, lambda: not tab.query_one("#compare-job").active, "the comparison job")
        await settle(pilot)
        for key in ("a", "b", "a", "a"):
            if tab.pair is None:
                break
            await pilot.press(key)
            await settle(pilot)
        assert votes(path)

        # 8 Report: the verdict in words
        await pilot.press("8")
        await settle(pilot)
        text = screen_text(app)
        assert "categor" in text and ("too few votes" in text or "better" in text or "worse" in text)
