"""Evaluation by blind A/B comparison: the pairs shown and the votes cast on them. Votes are never
updated or deleted: the newest per (pair, rater) counts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .base import Part, now


class ArenaPairs(Part):
    """`store.arena`: blind pairs of replies and the votes on them."""

    # -- pairs --------------------------------------------------------------------------------
    def add_pairs(self, pairs: Iterable[dict[str, Any]]) -> int:
        """Add blind pairs (comparison, prompt_id, model_a, model_b, reply_a, reply_b, left, seed);
        an existing (comparison, prompt, models) is kept as it is. Returns how many are new."""
        at = now()
        new = 0
        with self._transaction():
            for p in pairs:
                cur = self._db.execute(
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

    # -- votes --------------------------------------------------------------------------------
    def add_vote(self, pair_id: int, rater: str, choice: str, winner: str, reason: str = "",
                 source: str = "ui") -> int:
        """Commit one vote now; returns its sequence number."""
        return self.add_votes([(pair_id, rater, choice, winner, reason, source)])[-1]

    def add_votes(self, votes: Iterable[tuple]) -> list[int]:
        """Commit (pair_id, rater, choice, winner, reason, source) rows in one transaction; a
        seventh item is the time the vote was cast (a vote brought in from a decision log)."""
        at = now()
        seqs = []
        with self._transaction():
            for v in votes:
                cur = self._db.execute(
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
