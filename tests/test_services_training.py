"""The training use-cases the Train tab and `workbench runs` share: the next run's settings and
export, a run's progress, which runs can be cancelled or resumed, one run at a time, and a run
process that dies before its run starts. No model is loaded: run processes are stand-ins."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import SUPPORT_ROWS, write_jsonl
from workbench.errors import WorkbenchError
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.services.training import (RunBoard, RunInProgress, RunProgress, can_resume, cancel_run,
                                         export_splits, has_export, next_run)
from workbench.train.runs import Run


@pytest.fixture
def project(tmp_path) -> Project:
    src = write_jsonl(tmp_path / "chats.jsonl", SUPPORT_ROWS)
    project = Project.create(tmp_path / "proj", inputs=[src])
    yield project
    project.close()


class FakeProcess:
    """What `launch` returns, as far as the board looks at it."""

    def __init__(self, code: int | None = None) -> None:
        self.code = code
        self.pid = 999_999

    def poll(self) -> int | None:
        return self.code


@pytest.fixture
def launched(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_launch(project_dir, args, run):
        calls.append(args)
        return FakeProcess()

    monkeypatch.setattr("workbench.services.training.launch", fake_launch)
    return calls


def test_next_run_names_the_newest_export_and_its_splits(project):
    before = next_run(project)
    assert before.config is not None and before.export is None and not has_export(project.path)
    assert before.problem == before.export_problem and "no export to train on yet" in before.problem
    out = export_project(project.path).out_dir
    after = next_run(project)
    assert after.problem is None and after.export == out and has_export(project.path)
    report = json.loads((out / "report.json").read_text())
    assert after.splits == {"train": report["splits"]["train"], "holdout": report["splits"]["holdout"]}
    (out / "report.json").write_text("{}")
    assert export_splits(out) is None


def test_a_bad_setting_is_the_next_runs_problem(project):
    with open(project.path / "workbench.toml", "a", encoding="utf-8") as f:
        f.write("\n[train]\nlr = 0.1\n")
    nxt = next_run(project)
    assert nxt.config is None and "workbench.toml [train]" in nxt.problem and "unknown setting 'lr'" in nxt.problem


def test_progress_sums_up_the_record_and_the_metrics():
    rows = [{"step": 0, "total": 4, "holdout_loss": 2.5},
            {"step": 1, "total": 4, "loss": 2.0},
            {"step": 2, "total": 4, "loss": 1.5, "holdout_loss": 1.75}]
    progress = RunProgress({"config": {"base_model": "tiny"}}, rows)
    assert (progress.step, progress.steps_total, progress.total) == (2, None, 4)
    assert (progress.train_loss, progress.holdout_loss) == (1.5, 1.75)
    assert progress.base_label == "" and progress.base_model == "tiny"
    done = RunProgress({"steps_total": 3, "base_model": {"label": "Tiny"}}, rows[:2])
    assert (done.step, done.total, done.holdout["step"], done.base_model) == (1, 3, 0, "Tiny")
    empty = RunProgress({})
    assert (empty.step, empty.total, empty.train_loss, empty.base_model) == (0, 0, None, None)


def test_which_runs_resume(tmp_path):
    run = Run.create(tmp_path)
    assert not can_resume(run, {"status": "cancelled"}, "cancelled")  # nothing recorded to resume with
    assert can_resume(run, {"status": "cancelled", "config": {}}, "cancelled")
    assert can_resume(run, {"status": "running", "config": {}}, "interrupted")
    assert not can_resume(run, {"status": "finished", "config": {}}, "finished")
    assert not can_resume(run, {"status": "failed", "config": {}}, "failed")  # failed with no checkpoint
    run.checkpoint_file.parent.mkdir()
    run.checkpoint_file.write_bytes(b"")
    assert can_resume(run, {"status": "failed", "config": {}}, "failed")


def test_only_a_running_run_can_be_cancelled(tmp_path):
    run = Run.create(tmp_path, pid=os.getpid())
    cancel_run(run)
    assert run.cancel_requested()
    run.clear_cancel()
    run.update(status="finished")
    with pytest.raises(WorkbenchError, match="is not running \\(finished\\)"):
        cancel_run(run)
    assert not run.cancel_requested()


def test_the_board_starts_one_run_at_a_time(project, launched):
    board = RunBoard(project)
    with pytest.raises(WorkbenchError, match="no export to train on yet"):
        board.start(requested_by="test")
    assert launched == [] and not (project.path / "runs").exists()
    export_project(project.path)
    run = board.start(requested_by="test")
    assert launched == [["--run-id", run.id]] and run.read()["requested_by"] == "test"
    run.update(pid=os.getpid())  # as the run process would: it is alive, so the run is starting
    board.refresh()
    assert board.training() == run.id and board.can_cancel(run.id) and not board.can_resume(run.id)
    with pytest.raises(RunInProgress) as refused:
        board.start(requested_by="test")
    assert refused.value.run_id == run.id and len(launched) == 1
    board.cancel(run.id)
    assert run.cancel_requested()


def test_the_board_resumes_a_cancelled_run(project, launched):
    run = Run.create(project.path, "a", status="cancelled", config={})
    run.append_metrics({"step": 1, "total": 5, "loss": 1.0})
    finished = Run.create(project.path, "b", status="finished", config={})
    board = RunBoard(project)
    board.refresh()
    with pytest.raises(WorkbenchError, match="cannot be resumed \\(finished\\)"):
        board.resume(finished.id)
    assert board.training() is None and board.can_resume(run.id) and board.progress(run.id).step == 1
    assert board.resume(run.id) == run
    assert launched == [["--resume", run.id]] and run.read()["status"] == "starting"


def test_a_run_process_that_dies_before_its_run_starts_fails_the_run(project):
    board = RunBoard(project)
    died, ended = Run.create(project.path, "died"), Run.create(project.path, "ended", status="finished")
    died.log_file.write_text("Traceback...\nImportError: no module named torch\n")
    board.processes.update({"died": FakeProcess(1), "ended": FakeProcess(0), "alive": FakeProcess(None)})
    board.refresh()
    assert set(board.processes) == {"alive"}
    record = died.read()
    assert record["status"] == "failed" and board.statuses["died"] == "failed"
    assert record["error"].startswith("the run process ended before it started (exit 1): Traceback")
    assert "no module named torch" in record["error"] and ended.read()["status"] == "finished"


def test_the_board_reads_only_new_metrics_and_starts_over_on_a_rewrite(project):
    run = Run.create(project.path, status="finished")
    run.append_metrics({"step": 1, "loss": 1.0})
    board = RunBoard(project)
    board.refresh()
    run.append_metrics({"step": 2, "loss": 0.5})
    board.refresh()
    assert [r["step"] for r in board.metrics[run.id]] == [1, 2]
    run.truncate_metrics(1)  # a resume rewrites the file
    board.refresh()
    assert [r["step"] for r in board.metrics[run.id]] == [1]
    assert isinstance(board.runs[run.id].folder, Path)
