"""Run records: PROJECT/runs/<id>/ with run.json, metrics.jsonl, train.log, checkpoint, adapter.

Like the rest of the project, run folders are readable by the user only (folders 0700, files 0600).

run.json is rewritten whole (to a temporary name, then renamed) at each change of status, so a
reader never sees half a record. metrics.jsonl only grows, one JSON row per step. A cancel is a
file named CANCEL that the run process looks for between steps, so any process (the TUI, a
second terminal) can ask for one. Nothing here imports torch or textual.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from ..errors import WorkbenchError
from ..files import make_dirs, private_opener, write_atomically
from ..procs import pid_alive

RUNS = "runs"
ACTIVE = ("starting", "running")
RESUMABLE_STATUSES = ("cancelled", "interrupted", "failed")


def clock(seconds: float | None) -> str:
    """Elapsed or remaining time as the CLI and the Train tab show it: 4:05, 1:02:09, --:--."""
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def runs_dir(project_dir: Path) -> Path:
    return Path(project_dir) / RUNS


def new_run_id(project_dir: Path) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    root = runs_dir(project_dir)
    run_id, n = stamp, 2
    while (root / run_id).exists():
        run_id = f"{stamp}-{n}"
        n += 1
    return run_id


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@dataclass
class RecordFolder:
    """A folder a job of its own process works in: its JSON record (rewritten whole at each
    change), its log and a CANCEL file any process may write. Training runs and the Compare
    tab's generation jobs are such folders."""

    folder: Path
    RECORD: ClassVar[str] = "record.json"

    @property
    def record_file(self) -> Path:
        return self.folder / self.RECORD

    @property
    def cancel_file(self) -> Path:
        return self.folder / "CANCEL"

    def unreadable(self) -> dict[str, Any]:
        """The record of a folder whose record cannot be read (yet)."""
        return {"status": "unknown"}

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self.unreadable()

    def write(self, record: dict[str, Any]) -> None:
        _atomic_json(self.record_file, record)

    def update(self, **fields: Any) -> dict[str, Any]:
        record = self.read()
        record.update(fields)
        self.write(record)
        return record

    def request_cancel(self) -> None:
        with open(self.cancel_file, "w", encoding="utf-8", opener=private_opener) as f:
            f.write(now() + "\n")

    def cancel_requested(self) -> bool:
        return self.cancel_file.exists()


@dataclass
class Run(RecordFolder):
    """One training run's folder."""

    RECORD: ClassVar[str] = "run.json"

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def metrics_file(self) -> Path:
        return self.folder / "metrics.jsonl"

    @property
    def log_file(self) -> Path:
        return self.folder / "train.log"

    @property
    def checkpoint_file(self) -> Path:
        return self.folder / "checkpoint" / "state.pt"

    @property
    def adapter_dir(self) -> Path:
        return self.folder / "adapter"

    # -- the record ---------------------------------------------------------------------------
    @classmethod
    def create(cls, project_dir: Path, run_id: str | None = None, **fields: Any) -> "Run":
        root = runs_dir(project_dir)
        make_dirs(root)
        run_id = run_id or new_run_id(project_dir)
        if "/" in run_id or run_id.startswith("."):
            raise WorkbenchError(f"{run_id!r} is not a valid run id")
        folder = root / run_id
        record = {"id": run_id, "status": "starting", "created_at": now(), **fields}
        if not folder.exists():
            # The folder appears with its record in it: a run killed at any moment can be resumed.
            tmp = root / f".{run_id}.tmp-{os.getpid()}"
            make_dirs(tmp)
            _atomic_json(tmp / "run.json", record)
            try:
                os.rename(tmp, folder)
            except OSError:  # made by another process meanwhile: that one is the run
                shutil.rmtree(tmp, ignore_errors=True)
        run = cls(folder)
        if not run.record_file.exists():
            run.write(record)
        return run

    @classmethod
    def open(cls, project_dir: Path, run_id: str) -> "Run":
        run = cls(runs_dir(project_dir) / run_id)
        if not run.record_file.exists():
            known = ", ".join(r.id for r in list_runs(project_dir)[-5:]) or "none yet"
            raise WorkbenchError(f"{project_dir}: no run {run_id!r} (recent runs: {known})")
        return run

    def unreadable(self) -> dict[str, Any]:
        return {"id": self.id, "status": "unknown"}

    def owner_pid(self, record: dict[str, Any] | None = None) -> int | None:
        """The process training this run (or starting to): its own pid, or the launcher's record of it."""
        record = record or self.read()
        return record.get("pid") or _launcher_pid(self.folder)

    def status(self, record: dict[str, Any] | None = None) -> str:
        """The recorded status, or `interrupted` when the process that owned the run is gone."""
        record = record or self.read()
        status = record.get("status", "unknown")
        if status in ACTIVE:
            pid = self.owner_pid(record)
            same_host = record.get("host", socket.gethostname()) == socket.gethostname()
            if same_host and pid and not pid_alive(pid):
                return "interrupted"
        return status

    # -- cancel -------------------------------------------------------------------------------
    def clear_cancel(self) -> None:
        self.cancel_file.unlink(missing_ok=True)

    # -- metrics ------------------------------------------------------------------------------
    def append_metrics(self, row: dict[str, Any]) -> None:
        with open(self.metrics_file, "a", encoding="utf-8", newline="\n", opener=private_opener) as f:
            f.write(json.dumps(row) + "\n")
            f.flush()

    def metrics(self) -> list[dict[str, Any]]:
        return MetricsTail(self.metrics_file).read_new()

    def truncate_metrics(self, after_step: int) -> None:
        """Drop rows past `after_step` (steps a crash lost; a resume trains them again)."""
        if not self.metrics_file.exists():
            return
        rows = [r for r in self.metrics() if r.get("step", 0) <= after_step]
        write_atomically(self.metrics_file, "".join(json.dumps(r) + "\n" for r in rows))


def _launcher_pid(folder: Path) -> int | None:
    try:
        return int((folder / "launcher.pid").read_text().strip())
    except (OSError, ValueError):
        return None


class MetricsTail:
    """Reads the rows appended to a metrics.jsonl since the last call (a half-written last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.inode: int | None = None
        self.was_reset = False  # the last read started over: the file was rewritten

    def read_new(self) -> list[dict[str, Any]]:
        self.was_reset = False
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        if self.inode is not None and (st.st_ino != self.inode or st.st_size < self.offset):
            self.offset = 0  # rewritten by a resume: read it again from the start
            self.was_reset = True
        self.inode = st.st_ino
        if st.st_size == self.offset:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        rows = []
        for line in data[:end].splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
        return rows


def list_runs(project_dir: Path) -> list[Run]:
    root = runs_dir(project_dir)
    if not root.is_dir():
        return []
    return sorted((Run(p) for p in root.iterdir() if not p.name.startswith(".") and (p / "run.json").is_file()),
                  key=lambda r: r.id)


def launch(project_dir: Path, args: list[str], run: Run) -> Any:
    """Start `python -m workbench.commands train PROJECT ARGS` in its own session, detached from this one.

    Its output goes to the run's train.log. Closing the terminal or the TUI that started it
    does not stop it. The command is named, not imported: training code never imports the
    commands, and the child gets the same `workbench train` a user would type.
    """
    import subprocess

    log = open(run.log_file, "ab", opener=private_opener)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.commands", "train", str(project_dir), "--quiet", *args],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"},  # a log file, not a terminal
        )
    finally:
        log.close()
    with open(run.folder / "launcher.pid", "w", encoding="utf-8", opener=private_opener) as f:
        f.write(f"{proc.pid}\n")
    return proc
