"""A new comparison from the Compare tab: generate replies and pair them, in a process of its own.

What `workbench generate` and `workbench compare --no-tui` do together, for two models (the base
and a run, or two runs), on the holdout prompts, the general ones or both. Generation loads torch
and a model, so it runs as `python -m workbench.services.compare_job FOLDER` in a session of its
own (as a training run does): the TUI never blocks on it, and a crash there cannot take the TUI
down. The job's folder (.workbench/jobs/compare-<stamp>/) holds job.json, rewritten whole at each
batch (status, replies done and to do, seconds left, pairs ready), a CANCEL file that asks the job
to stop, and job.log. Pairs are made after every batch, so the tab can show them while the job
runs; a cancelled job keeps every reply and pair made so far. Nothing here imports torch or textual.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import Cancelled, WorkbenchError
from ..files import make_dirs, private_opener
from ..layout import state_dir
from ..procs import pid_alive
from ..train.runs import RecordFolder, clock, list_runs, now

if TYPE_CHECKING:
    from ..evaluate.prompts import LeftOut
    from .project import Project

BASE = "base"
PROMPT_SETS = {"holdout": (True, False), "general": (False, True), "both": (True, True)}  # -> (holdout, general)
ACTIVE = ("starting", "running")


@dataclass
class ComparisonRequest:
    """What the new-comparison form asks for."""

    model_a: str = BASE  # "base" or "run:<id>"
    model_b: str = ""  # "run:<id>" (or "base")
    prompt_set: str = "both"  # holdout | general | both
    limit: int | None = 20  # prompts to answer (None: all)
    keep_trivial: bool | None = None  # None: workbench.toml [eval] keep_trivial
    max_new_tokens: int = 128
    batch_size: int = 4  # small batches: pairs appear sooner and a cancel loses little
    seed: int = 0

    def check(self) -> None:
        if not self.model_b or self.model_a == self.model_b:
            raise WorkbenchError("choose two different models to compare")
        if self.prompt_set not in PROMPT_SETS:
            raise WorkbenchError(f"prompt set {self.prompt_set!r}: choose holdout, general or both")
        if self.limit is not None and self.limit < 1:
            raise WorkbenchError("how many prompts: at least 1")
        if self.max_new_tokens < 1:
            raise WorkbenchError("longest reply: at least 1 token")

    @property
    def runs(self) -> list[str]:
        return [m.removeprefix("run:") for m in (self.model_a, self.model_b) if m.startswith("run:")]

    @property
    def with_base(self) -> bool:
        return BASE in (self.model_a, self.model_b)


# -- what the form offers -------------------------------------------------------------------------
@dataclass
class ModelChoice:
    value: str  # "base" or "run:<id>"
    label: str


def model_choices(project_dir: Path) -> list[ModelChoice]:
    """The base model and every finished run with a saved adapter, newest run first."""
    runs = []
    base_label = ""
    for run in reversed(list_runs(project_dir)):
        record = run.read()
        if record.get("status") != "finished" or not (run.adapter_dir / "adapter_config.json").is_file():
            continue
        base_label = base_label or (record.get("base_model") or {}).get("label") or ""
        loss = (record.get("result") or {}).get("best_holdout_loss")
        extra = f", holdout loss {loss:.3f}" if isinstance(loss, (int, float)) else ""
        runs.append(ModelChoice(f"run:{run.id}", f"run {run.id}{extra}"))
    base = ModelChoice(BASE, f"base model ({base_label})" if base_label else "base model")
    return [base, *runs]


@dataclass
class Preview:
    """The prompts a request would draw: how many, from where, and what was left out as trivial."""

    prompts: int = 0
    holdout: int = 0
    general: int = 0
    left_out: LeftOut | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.problem:
            return self.problem
        parts = [f"{self.prompts:,} prompts ({self.holdout:,} holdout, {self.general:,} general)"]
        if self.left_out is not None and self.left_out.total:
            example = next(iter(self.left_out.examples.values()))
            parts.append(f"{self.left_out.describe()} (e.g. \"{example[:40]}\")")
        return "; ".join(parts)


def preview(project: Project, request: ComparisonRequest) -> Preview:
    """The prompts `request` would answer, without loading a model or writing anything."""
    from ..evaluate.generate import Target, gather_prompts
    from ..evaluate.prompts import leave_out_trivial, select, trivial_settings
    from ..train.runs import Run

    try:
        request.check()
        targets = []
        for run_id in request.runs:
            record = Run.open(project.path, run_id).read()
            targets.append(Target(f"run:{run_id}", "adapter", "", "", export=record.get("export") or {}))
        holdout, general = PROMPT_SETS[request.prompt_set]
        prompts = gather_prompts(project, targets, general, None, None, holdout)
        keep, min_words = trivial_settings(project.config)
        kept, left_out = leave_out_trivial(sorted(prompts.values(), key=lambda p: p["prompt_id"]),
                                           keep if request.keep_trivial is None else request.keep_trivial, min_words)
        drawn = select(kept, request.limit)
    except WorkbenchError as e:
        return Preview(problem=str(e))
    n_general = sum(1 for p in drawn if p["source"] == "general")
    return Preview(len(drawn), len(drawn) - n_general, n_general, left_out)


# -- one job's folder -----------------------------------------------------------------------------
def jobs_dir(project_dir: Path) -> Path:
    return state_dir(project_dir) / "jobs"


@dataclass
class CompareJob(RecordFolder):
    RECORD: ClassVar[str] = "job.json"
    process: Any = field(default=None, repr=False)  # the Popen, in the process that started it

    @property
    def log_file(self) -> Path:
        return self.folder / "job.log"

    def status(self, record: dict[str, Any] | None = None) -> str:
        """The recorded status, or `interrupted` when the job's process is gone without saying so."""
        if self.process is not None:
            self.process.poll()  # reap it, so a finished child does not count as alive
        record = record or self.read()
        status = record.get("status", "unknown")
        if status in ACTIVE and record.get("host", socket.gethostname()) == socket.gethostname():
            if not pid_alive(record.get("pid")) and (self.process is None or self.process.poll() is not None):
                return "interrupted"
        return status


def latest_job(project_dir: Path) -> CompareJob | None:
    root = jobs_dir(project_dir)
    if not root.is_dir():
        return None
    folders = sorted(p for p in root.iterdir() if p.name.startswith("compare-") and (p / "job.json").is_file())
    return CompareJob(folders[-1]) if folders else None


def start(project_dir: Path, request: ComparisonRequest, rater: str = "") -> CompareJob:
    """Start a comparison in a process of its own; refused while another one runs."""
    import subprocess

    request.check()
    running = latest_job(project_dir)
    if running is not None and running.status() in ACTIVE:
        raise WorkbenchError("a comparison is still being generated; wait for it or cancel it (esc) first")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    job = CompareJob(make_dirs(jobs_dir(project_dir) / f"compare-{stamp}"))
    job.update(status="starting", request=asdict(request), requested_by=rater, created_at=now(),
               host=socket.gethostname(), done=0, total=0, pairs=0, phase="starting")
    log = open(job.log_file, "ab", opener=private_opener)
    try:
        job.process = subprocess.Popen(
            [sys.executable, "-m", "workbench.services.compare_job", str(Path(project_dir).resolve()), str(job.folder)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"})
    finally:
        log.close()
    job.update(pid=job.process.pid)
    return job


def describe(record: dict[str, Any], status: str) -> str:
    """One line for the tab: "12 of 40 replies, about 3 min left · 5 pairs ready"."""
    done, total, pairs = record.get("done", 0), record.get("total", 0), record.get("pairs", 0)
    ready = f"{pairs:,} pair{'s' if pairs != 1 else ''} ready"
    if status in ACTIVE:
        if not total:
            return f"{record.get('phase') or 'starting'}…"
        left = record.get("remaining_s")
        when = f", {_minutes(left)} left" if left is not None else ""
        return f"{done:,} of {total:,} replies{when} · {ready} · {record.get('phase') or ''}".rstrip(" ·")
    if status == "finished":
        made = f"{done:,} new replies" if done else "every reply was stored already"
        return f"finished: {made}, {ready}" + (f"; {record['left_out']}" if record.get("left_out") else "")
    if status == "cancelled":
        return f"cancelled: {done:,} of {total:,} replies kept, {ready}"
    if status == "interrupted":
        return f"stopped unexpectedly: {done:,} of {total:,} replies kept, {ready}"
    return f"failed: {record.get('error') or 'see job.log'}"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return "about 1 min" if seconds > 30 else "under a minute"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min"
    return f"about {clock(seconds)}"


# -- the job process ------------------------------------------------------------------------------
class _Meter:
    """Replies done and to do over every model, and the seconds left, from this job's pace."""

    def __init__(self, job: CompareJob, models: int, max_new_tokens: int, batch_size: int, planned: int = 0) -> None:
        self.job, self.models, self.max_new, self.batch = job, models, max_new_tokens, batch_size
        self.planned = planned  # replies the drawn prompts call for, before generation knows better
        self.per_model: dict[str, tuple[int, int]] = {}  # model -> (replies done, replies to make), all rounds
        self.before: dict[str, int] = {}  # model -> replies made in earlier rounds
        self.this_round: set[str] = set()
        self.last_round = False
        self.started = time.monotonic()
        self.answering = 0.0  # seconds spent answering (model loads left out)
        self.since: float | None = None
        self.partial = 0.0  # replies of the batch in flight, counted by its tokens
        self.written = 0.0

    def next_round(self, last: bool) -> None:
        self.before = {model: done for model, (done, _) in self.per_model.items()}
        self.this_round, self.last_round = set(), last

    def prompts(self, model: str, done: int, total: int) -> None:
        if done == 0:
            self.since = time.monotonic()
        before = self.before.get(model, 0)
        self.per_model[model] = (before + done, before + total)
        self.this_round.add(model)
        self.partial = 0.0
        self.write(force=True)

    def token(self, model: str, n: int, most: int) -> None:
        if self.job.cancel_requested():
            raise Cancelled("cancelled")
        done, total = self.per_model.get(model, (0, 0))
        self.partial = min(self.batch, total - done) * n / max(most, 1)
        self.write()

    def totals(self) -> tuple[int, int]:
        done = sum(d for d, _ in self.per_model.values())
        if self.last_round and len(self.this_round) == self.models:  # generation knows what it will make
            return done, sum(t for _, t in self.per_model.values())
        return done, max(self.planned, done)

    def write(self, force: bool = False, **fields: Any) -> None:
        moment = time.monotonic()
        if not force and moment - self.written < 1.0:
            return
        self.written = moment
        done, total = self.totals()
        answering = self.answering + (moment - self.since if self.since is not None else 0.0)
        progress = done + self.partial
        remaining = answering / progress * (total - progress) if progress > 0 and total else None
        self.job.update(**{"done": done, "total": total, "remaining_s": remaining, **fields})


def run_job(project_dir: Path, folder: Path) -> int:
    """The job process: generate, pair after every batch, and end with a final status."""
    from ..evaluate.arena import comparison_name, make_pairs
    from ..evaluate.generate import GenerationSettings, generate
    from .project import Project

    job = CompareJob(Path(folder))
    request = ComparisonRequest(**job.read()["request"])
    settings = GenerationSettings(max_new_tokens=request.max_new_tokens, batch_size=request.batch_size)
    project = Project.open(project_dir)
    drawn = preview(project, request)
    meter = _Meter(job, 2, request.max_new_tokens, request.batch_size, planned=2 * drawn.prompts)
    a, b = request.model_a, request.model_b
    name = comparison_name(a, b)

    def pair() -> int:
        """Pair what both models have answered; the pairs in the set."""
        try:
            make_pairs(project.store, a, b, comparison=name, seed=request.seed, settings=settings.key())
        except WorkbenchError:
            pass  # the two models have no prompt in common yet
        return len(project.store.arena.pairs(name, texts=False))

    def progress(model: str, done: int, total: int) -> None:
        if done == 0 and meter.since is not None:
            meter.answering += time.monotonic() - meter.since
        meter.prompts(model, done, total)
        pairs = pair()
        which = "model A" if model == a else "model B"
        phase = f"answering with {which}" if done < total else f"{which} answered this round"
        meter.write(force=True, pairs=pairs, phase=phase)

    job.update(status="running", pid=os.getpid(), started_at=now(), phase="reading the prompts")
    holdout, general = PROMPT_SETS[request.prompt_set]
    # A first round of one batch per model, so the first pairs are ready within minutes; the cut
    # of the prompts is stable, so the second round answers the rest of the same prompts.
    rounds: list[int | None] = [request.limit]
    if request.limit is None or request.limit > request.batch_size:
        rounds.insert(0, request.batch_size)
    try:
        for i, limit in enumerate(rounds):
            meter.next_round(last=i == len(rounds) - 1)
            summary = generate(project, request.runs, request.with_base, general=general, holdout=holdout,
                               limit=limit, settings=settings, progress=progress, on_token=meter.token,
                               should_stop=job.cancel_requested, keep_trivial=request.keep_trivial,
                               echo=lambda m: print(m, flush=True))
        left_out = summary.left_out.describe()
        done = meter.totals()[0]
        meter.write(force=True, status="finished", pairs=pair(), phase=None, ended_at=now(), left_out=left_out,
                    remaining_s=0, total=done)
        return 0
    except Cancelled:
        meter.write(force=True, status="cancelled", pairs=pair(), phase=None, ended_at=now(), remaining_s=None)
        return 0
    except WorkbenchError as e:
        meter.write(force=True, status="failed", error=str(e), pairs=pair(), phase=None, ended_at=now())
        return 1
    except BaseException as e:  # noqa: BLE001 - the record must say how the job ended
        meter.write(force=True, status="failed", error=f"{type(e).__name__}: {e}", pairs=pair(), phase=None,
                    ended_at=now())
        raise
    finally:
        project.close()


__all__ = ["ComparisonRequest", "CompareJob", "ModelChoice", "Preview", "describe", "latest_job", "model_choices",
           "preview", "run_job", "start"]

if __name__ == "__main__":
    sys.exit(run_job(Path(sys.argv[1]), Path(sys.argv[2])))
