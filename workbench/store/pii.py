"""PII findings per record and span (derived: each run of the pii step replaces them) and the
pseudonym map (original -> stand-in; kept, so a value keeps its stand-in across runs). Neither
ever goes into an export."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from .base import Part, now


class PiiFindings(Part):
    """`store.pii`: the findings of the last PII scan, and the stand-ins given so far."""

    def replace_findings(self, findings: Iterable[tuple]) -> int:
        """Replace every stored finding with these (one transaction).

        Each is (record_id, turn, start, end, entity, score, recognizer, value, text_hash, found_by).
        """
        rows = list(findings)
        with self._transaction():
            self._db.execute("DELETE FROM pii_findings")
            self._db.executemany(
                "INSERT OR REPLACE INTO pii_findings(record_id, turn, span_start, span_end, entity, score,"
                " recognizer, value, text_hash, found_by) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def findings(self, record_id: str | None = None) -> list[sqlite3.Row]:
        """Stored findings (all, or one record's), in record, turn and offset order."""
        sql = "SELECT * FROM pii_findings"
        params: tuple = ()
        if record_id is not None:
            sql += " WHERE record_id = ?"
            params = (record_id,)
        return self._read(sql + " ORDER BY record_id, turn, span_start, span_end, entity", params)

    def values(self) -> list[tuple[str, str]]:
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
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO pii_pseudonyms(entity, original_key, original, stand_in, created_at)"
                " VALUES (?,?,?,?,?)", [(*r, at) for r in rows])
