"""Human decisions: never deleted or updated. A change of mind (or an undo) is a new row, and the
newest row for a (step, record, target) wins. Each write is its own committed transaction, so a
decision survives a crash the moment the call returns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from ..records import Decision
from .base import Part, default_rater, now

# Actions a human may record. `revert` withdraws the earlier human decision for that key.
HUMAN_ACTIONS = ("keep", "drop", "edit", "flag", "accept", "reject", "revert")


class Decisions(Part):
    """`store.decisions`: the human decisions, standing and in full."""

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
        with self._transaction():
            for d in decisions:
                if d.action not in HUMAN_ACTIONS:
                    raise ValueError(f"unknown action {d.action!r}; expected one of {HUMAN_ACTIONS}")
                # A decision brought in from a decision log keeps the time it was made.
                cur = self._db.execute(
                    "INSERT INTO decisions(step, record_id, target, action, reason, detail, rater, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (d.step, d.record_id, d.target, d.action, d.reason,
                     json.dumps(d.detail, sort_keys=True), d.rater or default_rater(), d.at or at),
                )
                seqs.append(cur.lastrowid)
        return seqs

    def standing(self, step: str | None = None) -> dict[tuple[str, str, str], Decision]:
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

    def history(self, record_id: str) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM decisions WHERE record_id = ? ORDER BY seq", (record_id,))

    def log(self) -> list[Decision]:
        """Every human decision ever written, reverts included, in the order they were written."""
        return [_decision(r) for r in self._read("SELECT * FROM decisions ORDER BY seq")]


def _decision(r: sqlite3.Row) -> Decision:
    return Decision(r["record_id"], r["action"], r["reason"], json.loads(r["detail"]), r["target"],
                    r["rater"], r["step"], r["created_at"])
