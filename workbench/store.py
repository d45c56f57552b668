"""The project store: SQLite in WAL mode holding every human decision and the audit log.

Decisions are never deleted or updated: a change of mind (or an undo) is a new row, and the
newest row for a (step, record, target) wins. Each write is its own committed transaction, so a
decision survives a crash the moment the call returns.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# Each migration takes the schema from version i to i + 1. Later features append theirs.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE decisions (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        step       TEXT NOT NULL,
        record_id  TEXT NOT NULL,
        target     TEXT NOT NULL DEFAULT '',
        action     TEXT NOT NULL,
        reason     TEXT NOT NULL DEFAULT '',
        detail     TEXT NOT NULL DEFAULT '{}',
        rater      TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX decisions_key ON decisions(step, record_id, target, seq);
    CREATE TABLE audit_log (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,
        who        TEXT NOT NULL,
        event      TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE inputs (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        path        TEXT NOT NULL,
        format      TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        rows        INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE quarantine (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        input  INTEGER NOT NULL REFERENCES inputs(seq),
        file   TEXT NOT NULL,
        line   INTEGER,
        reason TEXT NOT NULL,
        raw    TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: PII findings per record and span (derived: each run of the pii step replaces them) and
    # the pseudonym map (original -> stand-in; kept, so a value keeps its stand-in across runs).
    # Neither ever goes into an export.
    """
    CREATE TABLE pii_findings (
        record_id  TEXT NOT NULL,
        turn       INTEGER NOT NULL,
        span_start INTEGER NOT NULL,
        span_end   INTEGER NOT NULL,
        entity     TEXT NOT NULL,
        score      REAL NOT NULL,
        recognizer TEXT NOT NULL,
        value      TEXT NOT NULL,
        text_hash  TEXT NOT NULL,
        found_by   TEXT NOT NULL DEFAULT 'scan',
        PRIMARY KEY (record_id, turn, span_start, span_end, entity)
    );
    CREATE INDEX pii_findings_entity ON pii_findings(entity, score);
    CREATE TABLE pii_pseudonyms (
        entity       TEXT NOT NULL,
        original_key TEXT NOT NULL,
        original     TEXT NOT NULL,
        stand_in     TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (entity, original_key)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# Actions a human may record. `revert` withdraws the earlier human decision for that key.
HUMAN_ACTIONS = ("keep", "drop", "edit", "flag", "accept", "reject", "revert")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_rater() -> str:
    env = os.environ.get("WORKBENCH_RATER") or os.environ.get("USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


@dataclass(frozen=True)
class Decision:
    """One decision about one record: by a step (automatic) or by a person (from the store)."""

    record_id: str
    action: str  # drop | edit | flag | keep | accept | reject
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    rater: str | None = None  # None for automatic decisions
    step: str = ""


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        # One connection shared by the UI thread and workers: every use goes through this lock.
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    # -- schema -------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            from .errors import WorkbenchError

            raise WorkbenchError(
                f"{self.path}: the project store has schema version {current}, newer than this "
                f"workbench understands ({SCHEMA_VERSION}); upgrade workbench"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                self._apply(MIGRATIONS[version])
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    def _apply(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.db.execute(statement)

    def transaction(self):
        return _Transaction(self.db, self.lock)

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def close(self) -> None:
        self.db.close()

    # -- decisions ----------------------------------------------------------------------------
    def decide(
        self,
        step: str,
        record_id: str,
        action: str,
        reason: str = "",
        detail: dict[str, Any] | None = None,
        target: str = "",
        rater: str | None = None,
    ) -> int:
        """Commit one human decision now; returns its sequence number."""
        return self.decide_many(
            [Decision(record_id, action, reason, detail or {}, target, rater, step)]
        )[-1]

    def decide_many(self, decisions: Iterable[Decision]) -> list[int]:
        """Commit several decisions in one transaction (all or none)."""
        seqs = []
        at = now()
        with self.transaction():
            for d in decisions:
                if d.action not in HUMAN_ACTIONS:
                    raise ValueError(f"unknown action {d.action!r}; expected one of {HUMAN_ACTIONS}")
                cur = self.db.execute(
                    "INSERT INTO decisions(step, record_id, target, action, reason, detail, rater, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (d.step, d.record_id, d.target, d.action, d.reason,
                     json.dumps(d.detail, sort_keys=True), d.rater or default_rater(), at),
                )
                seqs.append(cur.lastrowid)
        return seqs

    def decisions(self, step: str | None = None) -> dict[tuple[str, str, str], Decision]:
        """The standing human decisions: newest per (step, record, target), reverts removed."""
        sql = (
            "SELECT d.* FROM decisions d JOIN (SELECT MAX(seq) AS seq FROM decisions"
            + (" WHERE step = ?" if step else "")
            + " GROUP BY step, record_id, target) last ON d.seq = last.seq"
        )
        rows = self._read(sql, (step,) if step else ())
        out = {}
        for r in rows:
            if r["action"] == "revert":
                continue
            out[(r["step"], r["record_id"], r["target"])] = Decision(
                r["record_id"], r["action"], r["reason"], json.loads(r["detail"]),
                r["target"], r["rater"], r["step"],
            )
        return out

    def decision_history(self, record_id: str) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM decisions WHERE record_id = ? ORDER BY seq", (record_id,))

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

    # -- inputs and quarantine ----------------------------------------------------------------
    def add_input(self, path: str, fmt: str, sha256: str, rows: int,
                  quarantine: list[dict[str, Any]]) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO inputs(path, format, sha256, rows, quarantined, imported_at) VALUES (?,?,?,?,?,?)",
                (path, fmt, sha256, rows, len(quarantine), now()),
            )
            seq = cur.lastrowid
            self.db.executemany(
                "INSERT INTO quarantine(input, file, line, reason, raw) VALUES (?,?,?,?,?)",
                [(seq, q["file"], q.get("line"), q["reason"], q.get("raw", "")) for q in quarantine],
            )
        return seq

    def inputs(self) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM inputs ORDER BY seq")

    def quarantine(self) -> list[dict[str, Any]]:
        rows = self._read("SELECT file, line, reason, raw FROM quarantine ORDER BY seq")
        return [dict(r) for r in rows]

    # -- PII findings and pseudonyms ------------------------------------------------------------
    def replace_pii_findings(self, findings: Iterable[tuple]) -> int:
        """Replace every stored finding with these (one transaction).

        Each is (record_id, turn, start, end, entity, score, recognizer, value, text_hash, found_by).
        """
        rows = list(findings)
        with self.transaction():
            self.db.execute("DELETE FROM pii_findings")
            self.db.executemany(
                "INSERT OR REPLACE INTO pii_findings(record_id, turn, span_start, span_end, entity, score,"
                " recognizer, value, text_hash, found_by) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def pii_findings(self, record_id: str | None = None) -> list[sqlite3.Row]:
        """Stored findings (all, or one record's), in record, turn and offset order."""
        sql = "SELECT * FROM pii_findings"
        params: tuple = ()
        if record_id is not None:
            sql += " WHERE record_id = ?"
            params = (record_id,)
        return self._read(sql + " ORDER BY record_id, turn, span_start, span_end, entity", params)

    def pii_values(self) -> list[tuple[str, str]]:
        """Distinct (entity, original value) pairs of the stored findings."""
        return [(r[0], r[1]) for r in self._read(
            "SELECT DISTINCT entity, value FROM pii_findings ORDER BY entity, value")]

    def pseudonyms(self) -> dict[tuple[str, str], str]:
        """(entity, original key) -> stand-in, for every value ever given one."""
        return {(r["entity"], r["original_key"]): r["stand_in"]
                for r in self._read("SELECT entity, original_key, stand_in FROM pii_pseudonyms")}

    def add_pseudonyms(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Remember (entity, original key, original, stand-in); an existing key keeps its stand-in."""
        at = now()
        with self.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO pii_pseudonyms(entity, original_key, original, stand_in, created_at)"
                " VALUES (?,?,?,?,?)", [(*r, at) for r in rows])


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; nests as a no-op."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.outer:
                self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.lock.release()


