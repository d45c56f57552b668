"""The project store: SQLite in WAL mode holding every human decision, the audit log, and what
the project imported, found and evaluated.

`Store` owns the one connection (shared by the UI thread and workers under one lock), the schema,
transactions, waiting out another process's lock, and the audit log. Each kind of data has its
own part, reached as an attribute: `store.decisions`, `store.inputs`, `store.pii`, `store.evals`,
`store.arena`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..files import PRIVATE_FILE, make_dirs, set_mode, tighten
from .arena import ArenaPairs
from .base import default_rater, now
from .decisions import Decisions
from .evals import Evals
from .inputs import Inputs
from .pii import PiiFindings
from .schema import MIGRATIONS, SCHEMA_VERSION, sql_statements


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        make_dirs(self.path.parent)
        _private_files(self.path)
        # Told once when a write has to wait for another process's lock (see _Connection); the CLI
        # prints a line, the TUI may set its own notification.
        self.on_wait: Callable[[str], None] | None = print_waiting
        self.db = sqlite3.connect(self.path, timeout=LOCK_POLL_S, isolation_level=None, check_same_thread=False,
                                  factory=_Connection)
        self.db.store = self
        self.db.row_factory = sqlite3.Row
        # One connection shared by the UI thread and workers: every use goes through this lock.
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.migrate()
        # What the store holds, one part per kind of data.
        self.decisions = Decisions(self)
        self.inputs = Inputs(self)
        self.pii = PiiFindings(self)
        self.evals = Evals(self)
        self.arena = ArenaPairs(self)

    # -- schema -------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            from ..errors import WorkbenchError

            raise WorkbenchError(
                f"{self.path}: the project store has schema version {current}, newer than this "
                f"workbench understands ({SCHEMA_VERSION}); upgrade workbench"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                self._apply(MIGRATIONS[version])
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    def _apply(self, script: str) -> None:
        for statement in sql_statements(script):
            self.db.execute(statement)

    def transaction(self):
        return _Transaction(self.db, self.lock)

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def close(self) -> None:
        self.db.close()

    def compact(self) -> None:
        """Rewrite the database file without its free pages and empty the write-ahead log, so that
        deleted rows (a purge's originals) are gone from the files, not only from the tables."""
        with self.lock:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.execute("VACUUM")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- audit log ----------------------------------------------------------------------------
    def log(self, event: str, detail: dict[str, Any] | None = None, who: str | None = None) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO audit_log(at, who, event, detail) VALUES (?,?,?,?)",
                (now(), who or default_rater(), event, json.dumps(detail or {}, sort_keys=True)),
            )

    def audit(self, event: str | None = None) -> list[sqlite3.Row]:
        if event:
            return self._read("SELECT * FROM audit_log WHERE event = ? ORDER BY seq", (event,))
        return self._read("SELECT * FROM audit_log ORDER BY seq")


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; nests as a no-op."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            if not self.db.in_transaction:
                self.outer = True
                self.db.execute("BEGIN IMMEDIATE")  # waits for another process's write (_Connection)
        except BaseException:
            # Cancelled while waiting, or interrupted just after BEGIN: leave neither the
            # transaction nor the thread lock held.
            if self.outer and self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.lock.release()
            raise
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.outer:
                self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.lock.release()


def _private_files(path: Path) -> None:
    """Make the store readable by its user only. SQLite creates a new database 0644 (less the
    umask) and gives the -wal, -shm and -journal files it creates the database file's mode, so the
    database file is created here, empty, 0600 (SQLite takes an empty file for a new database).
    A store made before that has its files tightened to 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        for suffix in ("", "-wal", "-shm", "-journal"):
            tighten(Path(f"{path}{suffix}"), PRIVATE_FILE)
        return
    os.close(fd)
    set_mode(path, PRIVATE_FILE)


# How long one attempt waits for a lock inside SQLite. Between attempts Python runs its signal
# handlers, so Ctrl-C while waiting takes effect within about this long.
LOCK_POLL_S = 1.0
LOCK_TIMEOUT_ENV = "WORKBENCH_LOCK_TIMEOUT"


def print_waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Connection(sqlite3.Connection):
    """A connection that waits out another process's lock instead of failing after a fixed
    timeout ("database is locked"). Only a statement that starts its own transaction is tried
    again (BEGIN, a read, a lone write): inside a transaction this process already holds what
    it needs, and a failed statement there is the caller's to handle."""

    store: Store

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if self.in_transaction:
            return sqlite3.Connection.execute(self, sql, parameters)
        return _patiently(self.store, lambda: sqlite3.Connection.execute(self, sql, parameters))


def _busy(error: sqlite3.OperationalError) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(error)


def _lock_timeout() -> float | None:
    value = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def _patiently(store: Store, attempt: Callable[[], Any]) -> Any:
    """attempt(), again while another process holds the lock it needs: the user is told once,
    Ctrl-C ends the wait as Cancelled, and WORKBENCH_LOCK_TIMEOUT seconds (if set) as an error."""
    project = None  # the folder holding .workbench/, worked out only when there is a wait
    waiting_since = None
    try:
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as e:
                if not _busy(e):
                    raise
            if waiting_since is None:
                waiting_since = time.monotonic()
                project = store.path.resolve().parent.parent
                if store.on_wait is not None:
                    store.on_wait(f"waiting for another workbench process writing to {project}...")
            limit = _lock_timeout()
            if limit is not None and time.monotonic() - waiting_since >= limit:
                from ..errors import WorkbenchError

                raise WorkbenchError(f"{project}: another workbench process has held the project store for "
                                     f"over {limit:g} s ({LOCK_TIMEOUT_ENV}); try again when it is done")
    except KeyboardInterrupt:
        if waiting_since is None:
            raise
        from ..errors import Cancelled

        raise Cancelled(f"stopped waiting for another workbench process writing to {project}") from None
