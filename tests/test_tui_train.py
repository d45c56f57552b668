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


async def press_n(pilot, project: Path) -> None:
    """n: the first time, the tab measures this machine's speed for the estimate, then the run starts."""
    await pilot.press("n")
    await wait_for(pilot, lambda: list_runs(project))


async def test_new_run_trains_in_its_own_process_and_shows_progress(project):
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        assert "No runs yet" in text(app, "#train-title")
        settings = text(app, "#train-settings")
        assert "tiny-llama" in settings and "3 steps" in settings and "exports/" in settings
        await press_n(pilot, project)
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
        await pilot.press("6")
        await press_n(pilot, project)
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
        await pilot.press("6")
        await press_n(pilot, project)
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


# -- the settings form and the estimate -----------------------------------------------------------------

async def test_settings_form_saves_to_workbench_toml_and_refuses_a_bad_value(project):
    import tomllib

    from textual.widgets import Input

    from workbench.tui.screens.train_form import TrainSettingsDialog

    before = (project / "workbench.toml").read_text(encoding="utf-8")
    app = make_app(project)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6", "s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TrainSettingsDialog)
        rank = dialog.query_one("#set-r", Input)
        rank.value = "0"
        await pilot.pause()
        assert "must be at least 1" in str(dialog.query_one("#problem-r", Static).render())
        await pilot.press("enter")  # refused: the dialog stays, the file is as it was
        await pilot.pause()
        assert app.screen is dialog
        assert (project / "workbench.toml").read_text(encoding="utf-8") == before
        rank.value = "8"
        dialog.query_one("#set-max_steps", Input).value = "5"
        await pilot.pause()
        assert str(dialog.query_one("#problem-r", Static).render()) == ""
        assert "5 steps" in str(dialog.query_one("#form-estimate", Static).render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, TrainSettingsDialog)
        table = tomllib.loads((project / "workbench.toml").read_text(encoding="utf-8"))["train"]
        assert table["r"] == 8 and table["max_steps"] == 5
        settings = text(app, "#train-settings")
        assert "rank 8" in settings and "5 steps" in settings  # the compact panel at 80x24
        saved = (project / "workbench.toml").read_text(encoding="utf-8")
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#set-epochs", Input).value = "7"
        await pilot.press("escape")  # closes without saving, and says so
        await pilot.pause()
        assert not isinstance(app.screen, TrainSettingsDialog)
        assert (project / "workbench.toml").read_text(encoding="utf-8") == saved
        assert any("Nothing was saved" in n.message for n in app._notifications)


async def test_n_measures_the_speed_first_and_the_run_keeps_its_estimate(project):
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        assert "time not measured yet" in text(app, "#train-settings")
        await pilot.press("n")
        await pilot.pause()
        assert "measuring this machine's speed" in text(app, "#train-settings")
        await wait_for(pilot, lambda: list_runs(project))  # the run starts once the estimate is known
        run = list_runs(project)[0]
        assert "about " in text(app, "#train-settings") and "3 steps × ~" in text(app, "#train-settings")
        assert run.read()["estimate"]["steps"] == 3 and run.read()["estimate"]["seconds"] > 0
        await wait_for(pilot, lambda: run.read().get("status") in ("finished", "failed"))
        await pilot.pause(1.5)
        assert run.read()["status"] == "finished", run.read().get("error")
        stats = text(app, "#train-stats")
        assert "estimated " in stats and ", took " in stats


async def test_a_run_over_an_hour_is_named_before_it_starts(project):
    from workbench.layout import cache_dir
    from workbench.services.project import Project
    from workbench.services.training import estimate_next_run
    from workbench.train.config import build_config
    from workbench.train.estimate import Speed, remember_speed

    opened = Project.open(project)
    try:
        est = estimate_next_run(opened)  # a slow machine: 10 minutes a pass
        remember_speed(cache_dir(project), build_config(opened.config["train"]),
                       Speed(600.0, est.seq, 2, "CPU, 1 thread"))
    finally:
        opened.close()
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        settings = text(app, "#train-settings")
        assert "Over an hour on this machine" in settings and "Set max steps to about" in settings
        await pilot.press("n")
        await pilot.pause(0.5)
        assert list_runs(project) == []  # not started: the first n says how long it would take
        assert any("Over an hour" in (n.title or "") for n in app._notifications)
