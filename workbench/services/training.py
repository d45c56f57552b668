"""Training runs as the Train tab and `workbench runs` see them, and the run processes the tab starts.

A run the tab starts is `python -m workbench.commands train PROJECT --run-id ID` in a session of
its own (:func:`workbench.train.runs.launch`): closing Workbench does not stop it. Whoever shows
runs only reads what they write (run.json, metrics.jsonl) and asks one to stop through its CANCEL
file, so runs started from the command line show just the same. The training itself is
:mod:`.train_run`. Nothing here imports torch or textual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import WorkbenchError
from ..layout import cache_dir
from ..train.config import TrainConfig, build_config
from ..train.data import latest_export, load_export
from ..train.estimate import (Estimate, cached_speed, calibration_length, estimate, measure_speed, remember_speed,
                              row_tokens)
from ..train.runs import ACTIVE, RESUMABLE_STATUSES, MetricsTail, Run, launch, list_runs, now, runs_dir

if TYPE_CHECKING:
    from .project import Project

TOML_WHERE = "workbench.toml [train]"


# -- the next run -----------------------------------------------------------------------------------
@dataclass
class NextRun:
    """What a new run would train with: its settings and the newest export, or why it cannot start."""

    config: TrainConfig | None = None
    settings_problem: str | None = None  # workbench.toml [train] does not make a valid config
    export: Path | None = None  # the newest export that can be trained on
    export_problem: str | None = None  # there is none (yet)
    splits: dict[str, int] | None = None  # the export's train and holdout row counts, when its report says

    @property
    def problem(self) -> str | None:
        return self.settings_problem or self.export_problem


def next_run(project: Project) -> NextRun:
    """The settings of workbench.toml [train] and the export a new run would take."""
    try:
        config = build_config(project.config.get("train", {}), toml_where=TOML_WHERE)
    except WorkbenchError as e:
        return NextRun(settings_problem=str(e))
    try:
        export = latest_export(project.path)
    except WorkbenchError as e:
        return NextRun(config, export_problem=str(e))
    return NextRun(config, export=export, splits=export_splits(export))


def has_export(project_dir: Path) -> bool:
    """Whether the project has an export a run can train on."""
    try:
        latest_export(Path(project_dir))
    except WorkbenchError:
        return False
    return True


def export_splits(folder: Path) -> dict[str, int] | None:
    """The train and holdout row counts an export's report.json gives, or None when it gives none."""
    try:
        splits = json.loads((folder / "report.json").read_text(encoding="utf-8"))["splits"]
        return {"train": int(splits["train"]), "holdout": int(splits["holdout"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- how long the next run will take ---------------------------------------------------------------
_LENGTHS: dict[tuple[str, float], list[int]] = {}  # an export's rows' token counts, by folder and report time


def export_lengths(folder: Path) -> list[int]:
    """The estimated token count of each train row of an export (read once per export)."""
    key = (str(folder), (folder / "report.json").stat().st_mtime)
    if key not in _LENGTHS:
        _LENGTHS[key] = [row_tokens(chat.messages) for chat in load_export(folder).train]
    return _LENGTHS[key]


def estimate_next_run(project: Project, nxt: NextRun | None = None,
                      values: dict[str, Any] | None = None) -> Estimate | None:
    """Steps, tokens and (once this machine's speed is measured) time of the next run, or of a run
    with `values` in place of workbench.toml's; None without an export or with bad settings."""
    nxt = nxt or next_run(project)
    if nxt.problem or nxt.config is None or nxt.export is None:
        return None
    config = nxt.config
    if values:
        try:
            config = build_config({**(project.config.get("train") or {}), **values}, toml_where=TOML_WHERE)
        except WorkbenchError:
            return None
    try:
        lengths = export_lengths(nxt.export)
    except (WorkbenchError, OSError):
        return None
    holdout = (nxt.splits or {}).get("holdout", 0)
    seq = calibration_length(lengths, config)
    return estimate(config, lengths, holdout, cached_speed(cache_dir(project.path), config, seq))


def measure_next_run(project: Project, cancelled=lambda: False) -> Estimate | None:
    """Measure this machine's speed for the next run's model and settings (a few passes in a child
    process, cached in the project), then estimate the run."""
    nxt = next_run(project)
    est = estimate_next_run(project, nxt)
    if est is None or nxt.config is None:
        raise WorkbenchError(nxt.problem or "no export to estimate a run on")
    speed = measure_speed(nxt.config, est.seq, project.path, cancelled)
    remember_speed(cache_dir(project.path), nxt.config, speed)
    return estimate_next_run(project, nxt)


# -- one run's progress -----------------------------------------------------------------------------
@dataclass
class RunProgress:
    """A run's record and metrics rows, summed up: where it is and its latest losses."""

    record: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last(self) -> dict[str, Any]:
        return self.rows[-1] if self.rows else {}

    @property
    def step(self) -> int:
        return self.last.get("step", 0)

    @property
    def steps_total(self) -> int | None:
        """The steps the run will take, as its record says once the data is read."""
        return self.record.get("steps_total")

    @property
    def total(self) -> int:
        """The record's steps_total, or the metrics' before the record has it (0: not known yet)."""
        return self.steps_total or self.last.get("total") or 0

    @property
    def train(self) -> dict[str, Any] | None:
        """The newest row with a train loss."""
        return next((r for r in reversed(self.rows) if r.get("loss") is not None), None)

    @property
    def holdout(self) -> dict[str, Any] | None:
        """The newest row with a holdout loss."""
        return next((r for r in reversed(self.rows) if r.get("holdout_loss") is not None), None)

    @property
    def train_loss(self) -> float | None:
        return self.train["loss"] if self.train else None

    @property
    def holdout_loss(self) -> float | None:
        return self.holdout["holdout_loss"] if self.holdout else None

    @property
    def base_label(self) -> str:
        """The base model as it was resolved ("" before the run resolved it)."""
        return (self.record.get("base_model") or {}).get("label") or ""

    @property
    def base_model(self) -> str | None:
        """The base model as resolved, else as configured (None before the run recorded either)."""
        return self.base_label or (self.record.get("config") or {}).get("base_model") or None


def can_resume(run: Run, record: dict[str, Any], status: str) -> bool:
    """A cancelled, interrupted or failed run resumes when its record holds its settings and it has
    a checkpoint, or it did not fail (then it starts over in its folder)."""
    return status in RESUMABLE_STATUSES and "config" in record and (
        run.checkpoint_file.exists() or record.get("status") != "failed")


def cancel_run(run: Run, status: str | None = None) -> None:
    """Ask a starting or running run to stop (it saves a checkpoint first)."""
    status = status or run.status()
    if status not in ACTIVE:
        raise WorkbenchError(f"run {run.id} is not running ({status})")
    run.request_cancel()


class RunInProgress(WorkbenchError):
    """Another run is training: two would share the same cores (or GPU) and each take twice as long."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id} is still training; wait for it or cancel it first")


# -- every run of a project -------------------------------------------------------------------------
class RunBoard:
    """Every run of a project as last read (record, status, metrics), and the run processes started
    from here. :meth:`refresh` reads again; only metrics rows written since the last read are read."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.runs: dict[str, Run] = {}  # oldest first
        self.records: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, str] = {}
        self.metrics: dict[str, list[dict[str, Any]]] = {}
        self.processes: dict[str, Any] = {}  # runs started here: reaped as they end
        self._tails: dict[str, MetricsTail] = {}

    def refresh(self) -> None:
        self.reap()
        self.runs = {run.id: run for run in list_runs(self.project.path)}
        for run_id, run in self.runs.items():
            rec = run.read()
            self.records[run_id] = rec
            self.statuses[run_id] = run.status(rec)
            tail = self._tails.setdefault(run_id, MetricsTail(run.metrics_file))
            new = tail.read_new()  # nothing to read (one stat) unless the run wrote a row
            if new or tail.was_reset or run_id not in self.metrics:
                self.metrics[run_id] = new if tail.was_reset else self.metrics.get(run_id, []) + new

    def reap(self) -> None:
        """Wait for the processes started here that have ended; one that died before its run started failed."""
        for run_id, proc in list(self.processes.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.processes[run_id]
            run = Run(runs_dir(self.project.path) / run_id)
            if code != 0 and run.read().get("status") == "starting":
                log = run.log_file.read_text(encoding="utf-8", errors="replace") if run.log_file.exists() else ""
                run.update(status="failed", ended_at=now(),
                           error=f"the run process ended before it started (exit {code}): {log[-300:].strip()}")

    def progress(self, run_id: str) -> RunProgress:
        return RunProgress(self.records.get(run_id) or {}, self.metrics.get(run_id, []))

    def training(self) -> str | None:
        """The (newest) run that is starting or running, if any."""
        active = [run_id for run_id, status in self.statuses.items() if status in ACTIVE]
        return active[-1] if active else None

    def can_cancel(self, run_id: str) -> bool:
        return self.statuses.get(run_id, "") in ACTIVE

    def can_resume(self, run_id: str) -> bool:
        return run_id in self.runs and can_resume(self.runs[run_id], self.records.get(run_id) or {},
                                                  self.statuses.get(run_id, ""))

    def start(self, requested_by: str, estimate: Estimate | None = None) -> Run:
        """A new run on the next run's settings and export, in a process of its own; its record keeps
        the estimate it was started on."""
        if (active := self.training()) is not None:
            raise RunInProgress(active)
        problem = next_run(self.project).problem
        if problem:
            raise WorkbenchError(problem)
        extra = {"estimate": estimate.to_dict()} if estimate is not None else {}
        run = Run.create(self.project.path, requested_by=requested_by, **extra)
        self.processes[run.id] = launch(self.project.path, ["--run-id", run.id], run)
        return run

    def resume(self, run_id: str) -> Run:
        """Continue a run from its last checkpoint, in a process of its own."""
        if (active := self.training()) is not None:
            raise RunInProgress(active)
        if not self.can_resume(run_id):
            raise WorkbenchError(f"run {run_id} cannot be resumed ({self.statuses.get(run_id, 'unknown')})")
        run = self.runs[run_id]
        run.update(status="starting", pid=None, error=None)
        self.processes[run.id] = launch(self.project.path, ["--resume", run.id], run)
        return run

    def cancel(self, run_id: str) -> None:
        cancel_run(self.runs[run_id], self.statuses.get(run_id))


__all__ = ["Estimate", "NextRun", "RunBoard", "RunInProgress", "RunProgress", "can_resume", "cancel_run",
           "estimate_next_run", "export_lengths", "export_splits", "has_export", "measure_next_run", "next_run"]
