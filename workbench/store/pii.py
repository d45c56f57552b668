"""PII findings per record and span (derived: each run of the pii step replaces them) and the
pseudonym map (original -> stand-in; kept, so a value keeps its stand-in across runs). Neither
ever goes into an export."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable

from .base import Part, default_rater, now


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

    def pseudonym_originals(self) -> list[str]:
        """The original values the pseudonym map still holds (none after a purge)."""
        return [r[0] for r in self._read("SELECT original FROM pii_pseudonyms WHERE original != ''")]

    def add_pseudonyms(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Remember (entity, original key, original, stand-in); an existing key keeps its stand-in."""
        at = now()
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO pii_pseudonyms(entity, original_key, original, stand_in, created_at)"
                " VALUES (?,?,?,?,?)", [(*r, at) for r in rows])

    # -- after a purge (workbench pii purge; steps/pii/keyed.py) ---------------------------------
    def purges(self) -> list[dict]:
        """Every purge, oldest first: at, who, key_id, snapshot and what it removed (detail)."""
        return [{**dict(r), "detail": json.loads(r["detail"])}
                for r in self._read("SELECT * FROM pii_purges ORDER BY seq")]

    def key_id(self) -> str | None:
        """The id of the key the originals were purged with (None: never purged)."""
        rows = self._read("SELECT key_id FROM pii_purges ORDER BY seq DESC LIMIT 1")
        return rows[0][0] if rows else None

    def sealed_values(self) -> list[tuple]:
        """(value hash, first-word hash, offset, length, entity, kind) of the purged values."""
        return [tuple(r) for r in self._read(
            "SELECT value_hash, first_hash, lead, length, entity, kind FROM pii_sealed_values"
            " ORDER BY kind, value_hash")]

    def record_purge(self, *, key_id: str, snapshot: str, sealed: Iterable[tuple],
                     key_of: Callable[[str], str], quarantine: list[tuple[int, str, str]],
                     detail: dict) -> None:
        """In one transaction: drop every finding (their originals), give every pseudonym a keyed
        key and no original, add the sealed values, write the quarantine rows' scrubbed raw text and
        reason ((seq, raw, reason)), and record the purge."""
        with self._transaction():
            self._db.execute("DELETE FROM pii_findings")
            rows = self._db.execute("SELECT entity, original_key, stand_in, created_at FROM pii_pseudonyms").fetchall()
            keyed = self.key_id() is not None  # an earlier purge keyed them already
            self._db.execute("DELETE FROM pii_pseudonyms")
            self._db.executemany(
                "INSERT OR IGNORE INTO pii_pseudonyms(entity, original_key, original, stand_in, created_at)"
                " VALUES (?,?,'',?,?)",
                [(r[0], r[1] if keyed else key_of(r[1]), r[2], r[3]) for r in rows])
            self._db.executemany(
                "INSERT OR IGNORE INTO pii_sealed_values(value_hash, first_hash, lead, length, entity, kind)"
                " VALUES (?,?,?,?,?,?)", list(sealed))
            self._db.executemany("UPDATE quarantine SET raw = ?, reason = ? WHERE seq = ?",
                                 [(raw, reason, seq) for seq, raw, reason in quarantine])
            self._db.execute("INSERT INTO pii_purges(at, who, key_id, snapshot, detail) VALUES (?,?,?,?,?)",
                             (now(), default_rater(), key_id, snapshot, json.dumps(detail, sort_keys=True)))
