"""The Train tab, driven by keys: start a run (a separate process), watch its progress and loss
curve, see it listed; closing the app does not stop a run; cancel and resume from the tab."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar, Static

from test_train import make_project, tiny_model  # noqa: F401 (a fixture shared with test_train)
from workbench.procs import pid_alive
from workbench.train.runs import list_runs
from workbench.tui.app import make_app
from workbench.tui.screens.train import LossCurve

pytest.importorskip("torch")
SIZE = (130, 40)
# The run is a real process (python, torch, transformers, a tiny model): seconds, more on a busy
# machine. These bounds only keep a broken run from hanging the suite.
WAIT_S = 180


@pytest.fixture
def project(tmp_path, tiny_model) -> Path:
    return make_project(tmp_path, tiny_model, settings={"max_steps": 3, "eval_every": 1})


async def wait_for(pilot, condition, timeout: float = WAIT_S) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "gave up waiting"
        await pilot.pause(0.25)


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_new_run_trains_in_its_own_process_and_shows_progress(project):
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        assert "No runs yet" in text(app, "#train-title")
        settings = text(app, "#train-settings")
        assert "tiny-llama" in settings and "3 steps" in settings and "exports/" in settings
        await pilot.press("n")
        await pilot.pause()
        runs = list_runs(project)
        assert len(runs) == 1
        run = runs[0]
        assert app.screen.query_one("TrainTab").processes[run.id].pid != os.getpid()  # a separate process
        await wait_for(pilot, lambda: run.read().get("status") in ("finished", "failed"))
        await pilot.pause(1.5)  # one more poll of the tab
        assert run.read()["status"] == "finished", run.read().get("error")
        title = text(app, "#train-title")
        assert run.id in title and "finished" in title and "LoRA fp32" in title and "CPU" in title
        bar = app.screen.query_one("#train-bar", ProgressBar)
        assert (bar.progress, bar.total) == (3, 3)
        assert "step 3/3" in str(app.screen.query_one("#train-eta").render())
        curve = app.screen.query_one(LossCurve)
        assert [x for x, _ in curve.train] == [1, 2, 3] and [x for x, _ in curve.holdout] == [0, 1, 2, 3]
        assert "holdout loss" in str(curve.render())
        table = app.screen.query_one("#train-runs", DataTable)
        row = [str(cell) for cell in table.get_row(run.id)]
        assert row[1] == "finished" and row[2] == "3/3" and row[5] == "LoRA fp32"


async def test_closing_the_app_does_not_stop_the_run(project):
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6", "n")
        await pilot.pause()
        run = list_runs(project)[0]
        pid = run.owner_pid()
        await pilot.press("q")
    await asyncio.sleep(0.5)
    try:
        # The app is gone and the run's process lives on, in a session of its own (so neither the
        # app's exit nor a hang-up of its terminal reaches it).
        assert pid_alive(pid)
        assert os.getsid(pid) == pid != os.getsid(0)
    finally:
        os.kill(pid, signal.SIGKILL)  # the rest of this run is not this test's business


@pytest.mark.slow
async def test_cancel_then_resume_from_the_tab(tmp_path, tiny_model):
    # Many steps, so that the cancel lands while it runs.
    project = make_project(tmp_path, tiny_model, settings={"max_steps": 200, "eval_every": 50, "save_every": 1000,
                                                       "early_stopping_patience": 0})
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6", "n")
        await pilot.pause()
        run = list_runs(project)[0]
        await wait_for(pilot, lambda: any(r.get("step", 0) >= 2 for r in run.metrics())
                       or run.read().get("status") == "failed")
        await pilot.pause(1.2)
        await pilot.press("c")
        await wait_for(pilot, lambda: run.read().get("status") in ("cancelled", "failed", "finished"))
        assert run.read()["status"] == "cancelled", run.read().get("error")
        stopped_at = run.metrics()[-1]["step"]
        assert 2 <= stopped_at < 200 and run.checkpoint_file.exists()
        await pilot.pause(1.2)
        assert "Press r to resume" in text(app, "#train-stats")
        await pilot.press("r")
        await wait_for(pilot, lambda: run.read().get("status") in ("finished", "failed"), timeout=WAIT_S * 2)
        assert run.read()["status"] == "finished", run.read().get("error")
    steps = [r["step"] for r in run.metrics() if r.get("loss") is not None]
    assert steps == list(range(1, 201))  # every step once: the resume went on from the checkpoint
    assert json.loads(run.record_file.read_text())["result"]["step"] == 200
