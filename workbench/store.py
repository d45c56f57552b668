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
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .records import Decision

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
    # 3: evaluation. Prompts to answer, the models that answered, their replies, blind A/B pairs
    # and the votes on them. Votes are never updated or deleted: the newest per (pair, rater)
    # counts. (No semicolons inside comments here: the script is split on them.)
    """
    CREATE TABLE eval_prompts (
        prompt_id  TEXT PRIMARY KEY,
        source     TEXT NOT NULL,
        category   TEXT,
        messages   TEXT NOT NULL,
        reference  TEXT,
        origin     TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    );
    CREATE TABLE eval_models (
        model      TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE generations (
        prompt_id  TEXT NOT NULL,
        model      TEXT NOT NULL,
        settings   TEXT NOT NULL,
        reply      TEXT NOT NULL,
        new_tokens INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        PRIMARY KEY (prompt_id, model, settings)
    );
    CREATE TABLE pairs (
        pair_id    INTEGER PRIMARY KEY AUTOINCREMENT,
        comparison TEXT NOT NULL,
        prompt_id  TEXT NOT NULL,
        model_a    TEXT NOT NULL,
        model_b    TEXT NOT NULL,
        reply_a    TEXT NOT NULL,
        reply_b    TEXT NOT NULL,
        "left"     TEXT NOT NULL,
        seed       INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (comparison, prompt_id, model_a, model_b)
    );
    CREATE TABLE votes (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        pair_id    INTEGER NOT NULL REFERENCES pairs(pair_id),
        rater      TEXT NOT NULL,
        choice     TEXT NOT NULL,
        winner     TEXT NOT NULL,
        reason     TEXT NOT NULL DEFAULT '',
        source     TEXT NOT NULL DEFAULT 'ui',
        created_at TEXT NOT NULL
    );
    CREATE INDEX votes_pair ON votes(pair_id, rater, seq);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# Actions a human may record. `revert` withdraws the earlier human decision for that key.
HUMAN_ACTIONS = ("keep", "drop", "edit", "flag", "accept", "reject", "revert")


def sql_statements(script: str) -> list[str]:
    """The statements of a migration script, split where SQLite says a statement is complete (a
    semicolon in a comment or a string does not end one; within one transaction, unlike
    executescript)."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        out.append(pending.strip())
    return out


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


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
        for statement in sql_statements(script):
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
                # A decision brought in from a decision log keeps the time it was made.
                cur = self.db.execute(
                    "INSERT INTO decisions(step, record_id, target, action, reason, detail, rater, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (d.step, d.record_id, d.target, d.action, d.reason,
                     json.dumps(d.detail, sort_keys=True), d.rater or default_rater(), d.at or at),
                )
                seqs.append(cur.lastrowid)
        return seqs

    def decisions(self, step: str | None = None) -> dict[tuple[str, str, str], Decision]:
        """The standing human decisions: newest per (step, record, target), reverts removed.

        Newest by the time a person decided, then by the order of writing: a decision merged in
        from another expert's log stands only where it was made later than the local one.
        """
        sql = (
            "SELECT * FROM (SELECT d.*, ROW_NUMBER() OVER (PARTITION BY step, record_id, target"
            " ORDER BY created_at DESC, seq DESC) AS newest FROM decisions d"
            + (" WHERE step = ?" if step else "")
            + ") WHERE newest = 1 ORDER BY seq"
        )
        rows = self._read(sql, (step,) if step else ())
        return {(r["step"], r["record_id"], r["target"]): _decision(r) for r in rows if r["action"] != "revert"}

    def decision_history(self, record_id: str) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM decisions WHERE record_id = ? ORDER BY seq", (record_id,))

    def decision_log(self) -> list[Decision]:
        """Every human decision ever written, reverts included, in the order they were written."""
        return [_decision(r) for r in self._read("SELECT * FROM decisions ORDER BY seq")]

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

    # -- evaluation: prompts, models, generations ----------------------------------------------
    def add_eval_prompts(self, prompts: Iterable[dict[str, Any]]) -> int:
        """Add prompts (prompt_id, source, category, messages, reference, origin); a known id keeps
        its first text, so replies stored for it still answer what is stored. Returns how many are new."""
        at = now()
        new = 0
        with self.transaction():
            for p in prompts:
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO eval_prompts(prompt_id, source, category, messages, reference, origin,"
                    " created_at) VALUES (?,?,?,?,?,?,?)",
                    (p["prompt_id"], p["source"], p.get("category"), json.dumps(p["messages"], ensure_ascii=False),
                     p.get("reference"), json.dumps(p.get("origin") or {}, sort_keys=True), at))
                new += cur.rowcount
        return new

    def eval_prompts(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM eval_prompts" + (" WHERE source = ?" if source else "") + " ORDER BY prompt_id"
        return [_prompt_row(r) for r in self._read(sql, (source,) if source else ())]

    def eval_prompt(self, prompt_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT * FROM eval_prompts WHERE prompt_id = ?", (prompt_id,))
        return _prompt_row(rows[0]) if rows else None

    def add_eval_model(self, model: str, kind: str, detail: dict[str, Any] | None = None,
                       replace: bool = True) -> None:
        """Record a model that answers prompts; replace=False keeps an existing row as it is."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self.transaction():
            self.db.execute(f"{verb} INTO eval_models(model, kind, detail) VALUES (?,?,?)",
                            (model, kind, json.dumps(detail or {}, sort_keys=True)))

    def eval_models(self) -> dict[str, dict[str, Any]]:
        """model -> {"kind", "detail"}."""
        return {r["model"]: {"kind": r["kind"], "detail": json.loads(r["detail"])}
                for r in self._read("SELECT * FROM eval_models ORDER BY model")}

    def add_generations(self, rows: Iterable[tuple[str, str, str, str, int]]) -> int:
        """Commit replies (prompt_id, model, settings, reply, new_tokens); a stored one is kept."""
        at = now()
        with self.transaction():
            cur = self.db.executemany(
                "INSERT OR IGNORE INTO generations(prompt_id, model, settings, reply, new_tokens, created_at)"
                " VALUES (?,?,?,?,?,?)", [(*r, at) for r in rows])
        return cur.rowcount

    def generations(self, model: str | None = None, settings: str | None = None) -> list[dict[str, Any]]:
        """Stored replies, oldest first, optionally for one model and/or one settings string."""
        where, params = [], []
        if model is not None:
            where.append("model = ?")
            params.append(model)
        if settings is not None:
            where.append("settings = ?")
            params.append(settings)
        sql = "SELECT rowid, * FROM generations" + (" WHERE " + " AND ".join(where) if where else "")
        return [dict(r) for r in self._read(sql + " ORDER BY created_at, rowid", tuple(params))]

    def generated_prompt_ids(self, model: str, settings: str) -> set[str]:
        return {r[0] for r in self._read("SELECT prompt_id FROM generations WHERE model = ? AND settings = ?",
                                         (model, settings))}

    # -- evaluation: pairs and votes ----------------------------------------------------------
    def add_pairs(self, pairs: Iterable[dict[str, Any]]) -> int:
        """Add blind pairs (comparison, prompt_id, model_a, model_b, reply_a, reply_b, left, seed);
        an existing (comparison, prompt, models) is kept as it is. Returns how many are new."""
        at = now()
        new = 0
        with self.transaction():
            for p in pairs:
                cur = self.db.execute(
                    'INSERT OR IGNORE INTO pairs(comparison, prompt_id, model_a, model_b, reply_a, reply_b, "left",'
                    " seed, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (p["comparison"], p["prompt_id"], p["model_a"], p["model_b"], p["reply_a"], p["reply_b"],
                     p["left"], int(p["seed"]), at))
                new += cur.rowcount
        return new

    def pair_id(self, comparison: str, prompt_id: str, model_a: str, model_b: str) -> int | None:
        rows = self._read("SELECT pair_id FROM pairs WHERE comparison = ? AND prompt_id = ? AND model_a = ?"
                          " AND model_b = ?", (comparison, prompt_id, model_a, model_b))
        return rows[0][0] if rows else None

    def pair(self, pair_id: int) -> dict[str, Any] | None:
        rows = self._read('SELECT * FROM pairs WHERE pair_id = ?', (int(pair_id),))
        return dict(rows[0]) if rows else None

    def pairs(self, comparison: str | None = None, texts: bool = True) -> list[dict[str, Any]]:
        """Pairs with their prompt's category, messages and reference, in pair order; with
        texts=False without the replies, messages and reference (quick on a large study)."""
        columns = ("p.*, e.category, e.messages, e.reference, e.source AS prompt_source" if texts else
                   "p.pair_id, p.comparison, p.prompt_id, p.model_a, p.model_b, p.left, p.seed, e.category")
        sql = (f"SELECT {columns} FROM pairs p LEFT JOIN eval_prompts e ON e.prompt_id = p.prompt_id"
               + (" WHERE p.comparison = ?" if comparison is not None else "") + " ORDER BY p.pair_id")
        rows = self._read(sql, (comparison,) if comparison is not None else ())
        out = []
        for r in rows:
            d = dict(r)
            if texts:
                d["messages"] = json.loads(d["messages"]) if d["messages"] else []
            out.append(d)
        return out

    def comparisons(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT comparison FROM pairs ORDER BY comparison")]

    def add_vote(self, pair_id: int, rater: str, choice: str, winner: str, reason: str = "",
                 source: str = "ui") -> int:
        """Commit one vote now; returns its sequence number."""
        return self.add_votes([(pair_id, rater, choice, winner, reason, source)])[-1]

    def add_votes(self, votes: Iterable[tuple]) -> list[int]:
        """Commit (pair_id, rater, choice, winner, reason, source) rows in one transaction; a
        seventh item is the time the vote was cast (a vote brought in from a decision log)."""
        at = now()
        seqs = []
        with self.transaction():
            for v in votes:
                cur = self.db.execute(
                    "INSERT INTO votes(pair_id, rater, choice, winner, reason, source, created_at)"
                    " VALUES (?,?,?,?,?,?,?)", (*v[:6], v[6] if len(v) > 6 else at))
                seqs.append(cur.lastrowid)
        return seqs

    def votes(self, comparison: str | None = None, rater: str | None = None,
              newest: bool = True) -> list[dict[str, Any]]:
        """Votes joined with their pair; newest=True keeps only the newest per (pair, rater)."""
        where, params = [], []
        if comparison is not None:
            where.append("p.comparison = ?")
            params.append(comparison)
        if rater is not None:
            where.append("v.rater = ?")
            params.append(rater)
        if newest:
            # Newest by the time it was cast, as for decisions: a vote merged in from another
            # copy of the project stands only where it was cast later.
            where.append("v.seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY pair_id,"
                         " rater ORDER BY created_at DESC, seq DESC) AS newest FROM votes) WHERE newest = 1)")
        sql = ('SELECT v.*, p.comparison, p.prompt_id, p.model_a, p.model_b, p.reply_a, p.reply_b, p."left",'
               " p.seed, e.category, e.reference FROM votes v JOIN pairs p ON p.pair_id = v.pair_id"
               " LEFT JOIN eval_prompts e ON e.prompt_id = p.prompt_id"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY v.seq")
        return [dict(r) for r in self._read(sql, tuple(params))]


def _decision(r: sqlite3.Row) -> Decision:
    return Decision(r["record_id"], r["action"], r["reason"], json.loads(r["detail"]), r["target"],
                    r["rater"], r["step"], r["created_at"])


def _prompt_row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["messages"] = json.loads(d["messages"])
    d["origin"] = json.loads(d["origin"]) if d["origin"] else {}
    return d


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
                from .errors import WorkbenchError

                raise WorkbenchError(f"{project}: another workbench process has held the project store for "
                                     f"over {limit:g} s ({LOCK_TIMEOUT_ENV}); try again when it is done")
    except KeyboardInterrupt:
        if waiting_since is None:
            raise
        from .errors import Cancelled

        raise Cancelled(f"stopped waiting for another workbench process writing to {project}") from None
