"""Evaluation: the prompts to answer, the models that answer them, and their replies."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from .base import Part, now


class Evals(Part):
    """`store.evals`: evaluation prompts, models and generations (replies)."""

    # -- prompts ------------------------------------------------------------------------------
    def add_prompts(self, prompts: Iterable[dict[str, Any]]) -> int:
        """Add prompts (prompt_id, source, category, messages, reference, origin); a known id keeps
        its first text, so replies stored for it still answer what is stored. Returns how many are new."""
        at = now()
        new = 0
        with self._transaction():
            for p in prompts:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO eval_prompts(prompt_id, source, category, messages, reference, origin,"
                    " created_at) VALUES (?,?,?,?,?,?,?)",
                    (p["prompt_id"], p["source"], p.get("category"), json.dumps(p["messages"], ensure_ascii=False),
                     p.get("reference"), json.dumps(p.get("origin") or {}, sort_keys=True), at))
                new += cur.rowcount
        return new

    def prompts(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM eval_prompts" + (" WHERE source = ?" if source else "") + " ORDER BY prompt_id"
        return [_prompt_row(r) for r in self._read(sql, (source,) if source else ())]

    def prompt(self, prompt_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT * FROM eval_prompts WHERE prompt_id = ?", (prompt_id,))
        return _prompt_row(rows[0]) if rows else None

    # -- models -------------------------------------------------------------------------------
    def add_model(self, model: str, kind: str, detail: dict[str, Any] | None = None,
                  replace: bool = True) -> None:
        """Record a model that answers prompts; replace=False keeps an existing row as it is."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self._transaction():
            self._db.execute(f"{verb} INTO eval_models(model, kind, detail) VALUES (?,?,?)",
                             (model, kind, json.dumps(detail or {}, sort_keys=True)))

    def models(self) -> dict[str, dict[str, Any]]:
        """model -> {"kind", "detail"}."""
        return {r["model"]: {"kind": r["kind"], "detail": json.loads(r["detail"])}
                for r in self._read("SELECT * FROM eval_models ORDER BY model")}

    # -- generations --------------------------------------------------------------------------
    def add_generations(self, rows: Iterable[tuple[str, str, str, str, int]]) -> int:
        """Commit replies (prompt_id, model, settings, reply, new_tokens); a stored one is kept."""
        at = now()
        with self._transaction():
            cur = self._db.executemany(
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


def _prompt_row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["messages"] = json.loads(d["messages"])
    d["origin"] = json.loads(d["origin"]) if d["origin"] else {}
    return d
