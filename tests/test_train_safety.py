"""`workbench train` trains only on an export that is still what its report.json says, records the
hashes of the files it read, and a run killed at any point resumes (issue 11, cases 6 and 10)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_train import make_project, tiny_model  # noqa: F401 (a fixture shared with test_train)
from workbench.commands.train import main as train_main
from workbench.errors import WorkbenchError
from workbench.services.headless import export_project
from workbench.services.train_run import TrainRequest, train
from workbench.train.data import latest_export
from workbench.train.runs import Run, list_runs

pytest.importorskip("torch")
APPENDED = {"messages": [{"role": "user", "content": "My card is 4111 1111 1111 1111, charge it."},
                         {"role": "assistant", "content": "Charged 4111 1111 1111 1111."}]}
# A run killed by the tests below never reaches a checkpoint: the first one would be at step 1000.
NO_CHECKPOINT = {"max_steps": 2, "save_every": 1000, "eval_every": 1}


@pytest.fixture
def project(tmp_path, tiny_model) -> Path:  # noqa: F811
    return make_project(tmp_path, tiny_model, settings=NO_CHECKPOINT)


def newest(project: Path) -> Path:
    return max((project / "exports").iterdir())


def one_line(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines


# -- case 6: the export must match its report ------------------------------------------------------

def test_a_row_appended_to_train_jsonl_is_refused_naming_the_file(project, capsys):
    export = newest(project)
    with open(export / "train.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(APPENDED) + "\n")
    assert train_main([str(project), "--data", str(export), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert f"{export / 'train.jsonl'}:" in err and "report.json" in err and "Traceback" not in err
    assert not any(run.adapter_dir.exists() for run in list_runs(project))  # nothing was trained


@pytest.mark.parametrize("tamper, named", [
    (lambda e: (e / "holdout.jsonl").unlink(), "holdout.jsonl"),
    (lambda e: (e / "quarantine.jsonl").write_text('{"file": "a.jsonl", "line": 1, "reason": "x", "raw": ""}\n'),
     "quarantine.jsonl"),
    (lambda e: (e / "extra.jsonl").write_text(json.dumps(APPENDED) + "\n", encoding="utf-8"), "extra.jsonl"),
    (lambda e: (e / "train.parquet").write_bytes(b"PAR1"), "train.parquet"),
    (lambda e: (e / "report.json").unlink(), "report.json"),
])
def test_a_missing_changed_or_extra_file_is_refused(project, capsys, tamper, named):
    export = newest(project)
    tamper(export)
    assert train_main([str(project), "--data", str(export), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert str(export / named) in err and "Traceback" not in err


def test_an_export_that_failed_its_leak_check_is_refused(project, capsys):
    export = newest(project)
    report = json.loads((export / "report.json").read_text())
    report["leak_check"] = {"leaked": True, "allowed": False}
    (export / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert train_main([str(project), "--data", str(export), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert str(export / "report.json") in err and "leak check" in err


def test_the_newest_pick_skips_bad_exports_and_says_why(project, capsys):
    good = newest(project)
    tampered = export_project(project, project / "exports" / "zz-tampered").out_dir
    leaked = export_project(project, project / "exports" / "zzz-leaked").out_dir
    with open(tampered / "train.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(APPENDED) + "\n")
    report = json.loads((leaked / "report.json").read_text())
    (leaked / "report.json").write_text(json.dumps({**report, "leak_check": {"leaked": True, "allowed": False}}))

    skipped: list[str] = []
    assert latest_export(project, skipped) == good
    assert len(skipped) == 2
    assert train_main([str(project), "--max-steps", "1", "-q"]) == 0
    err = one_line(capsys.readouterr().err)
    assert "skipped exports/zz-tampered" in err and "train.jsonl" in err
    assert "skipped exports/zzz-leaked" in err and "leak check" in err
    assert list_runs(project)[-1].read()["export"]["folder"] == str(good)


def test_nothing_left_to_train_on_says_what_was_skipped(project):
    export = newest(project)
    (export / "holdout.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"no export to train on .*1 skipped.*holdout.jsonl") as refused:
        latest_export(project)
    assert refused.value.exit_code == 2


def test_the_run_records_the_hashes_of_the_files_it_read(project):
    export = newest(project)
    run = train(TrainRequest(project, {"max_steps": 1}))
    recorded = run.read()["export"]
    on_disk = {name: hashlib.sha256((export / name).read_bytes()).hexdigest()
               for name in ("train.jsonl", "holdout.jsonl")}
    assert recorded["files"] == on_disk
    assert recorded["report_sha256"] == hashlib.sha256((export / "report.json").read_bytes()).hexdigest()
    assert recorded["train_rows"] == sum(1 for line in (export / "train.jsonl").read_text().splitlines() if line)


# -- case 10: resume from any point ----------------------------------------------------------------

def steps(run: Run) -> list[int]:
    return [json.loads(line)["step"] for line in run.metrics_file.read_text().splitlines()]


def test_resume_of_a_run_that_had_no_settings_yet_starts_from_step_0(project):
    run = Run.create(project, pid=2**22 + 7)  # a process that is gone, before it wrote anything else
    assert run.status() == "interrupted"
    train(TrainRequest(project, {}, resume=run.id))
    record = run.read()
    assert record["status"] == "finished" and steps(run) == [0, 1, 2]
    assert record["export"]["folder"] == str(newest(project))


def test_a_resume_refuses_an_export_changed_since_the_run_started(project, capsys):
    run = train(TrainRequest(project, {"max_steps": 1}))
    export = Path(run.read()["export"]["folder"])
    with open(export / "train.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(APPENDED) + "\n")
    run.update(status="cancelled")
    assert train_main([str(project), "--resume", run.id, "-q"]) == 2
    assert str(export / "train.jsonl") in one_line(capsys.readouterr().err)


KILL_STEPS = ["--max-steps", "6"]  # room between the first metrics row and the end of the run


def _start(project: Path) -> tuple[subprocess.Popen, Path]:
    before = set((project / "runs").iterdir()) if (project / "runs").exists() else set()
    proc = subprocess.Popen([sys.executable, "-m", "workbench.commands", "train", str(project), "-q",
                             *KILL_STEPS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def new_run():
        if not (project / "runs").exists():
            return None
        return next((p for p in set((project / "runs").iterdir()) - before if not p.name.startswith(".")), None)

    return proc, _wait(new_run, proc)


def _wait(found, proc: subprocess.Popen):
    deadline = time.monotonic() + 120  # a bound for a broken start, not a speed limit
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        assert proc.poll() is None, "train exited before the moment to kill it"
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("gave up waiting")


def _record(folder: Path) -> dict:
    try:
        return json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return {}


# When to kill: as soon as the run folder appears, a little later, once the record says running
# (settings and export written), and once the first metrics row (step 0) is out.
KILL_AT = {
    "folder": lambda folder: True,
    "0.5s": lambda folder: time.sleep(0.5) or True,
    "running": lambda folder: _record(folder).get("status") == "running",
    "step 0": lambda folder: (folder / "metrics.jsonl").exists() and (folder / "metrics.jsonl").stat().st_size > 0,
}


@pytest.mark.parametrize("moment", list(KILL_AT))
def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(project, moment):
    proc, folder = _start(project)
    _wait(lambda: KILL_AT[moment](folder), proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    run = Run(folder)
    assert not run.checkpoint_file.exists() and run.read().get("status") != "finished"

    resumed = subprocess.run([sys.executable, "-m", "workbench.commands", "train", str(project), "-q",
                              "--resume", run.id, *KILL_STEPS], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    record = run.read()
    assert record["status"] == "finished" and record["error"] is None
    assert steps(run) == [0, 1, 2, 3, 4, 5, 6]  # from step 0, each step once
    assert record["export"]["folder"] == str(newest(project))
