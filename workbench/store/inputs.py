"""The input files imported into a project, and the rows quarantined from them."""

from __future__ import annotations

import sqlite3
from typing import Any

from .base import Part, now


class Inputs(Part):
    """`store.inputs`: one row per imported file, and its quarantined rows."""

    def add(self, path: str, fmt: str, sha256: str, rows: int,
            quarantine: list[dict[str, Any]]) -> int:
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO inputs(path, format, sha256, rows, quarantined, imported_at) VALUES (?,?,?,?,?,?)",
                (path, fmt, sha256, rows, len(quarantine), now()),
            )
            seq = cur.lastrowid
            self._db.executemany(
                "INSERT INTO quarantine(input, file, line, reason, raw) VALUES (?,?,?,?,?)",
                [(seq, q["file"], q.get("line"), q["reason"], q.get("raw", "")) for q in quarantine],
            )
        return seq

    def all(self) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM inputs ORDER BY seq")

    def quarantine(self) -> list[dict[str, Any]]:
        rows = self._read("SELECT file, line, reason, raw FROM quarantine ORDER BY seq")
        return [dict(r) for r in rows]

    def quarantine_rows(self) -> list[tuple[int, str, str]]:
        """(seq, raw, reason) of every quarantined row, for a purge to scrub them in place."""
        return [(r[0], r[1], r[2]) for r in self._read("SELECT seq, raw, reason FROM quarantine ORDER BY seq")]
