"""The store's schema: the migrations that build it, one per version, and how a script is split.

Existing projects open unchanged: a migration, once released, is never edited; later features
append theirs.
"""

from __future__ import annotations

import sqlite3

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
    # 4: purges of the PII originals (workbench pii purge): when, by whom, with which key (its
    # id, never the key), and what they removed. The values an export's leak check still looks up
    # after a purge, as keyed hashes (steps/pii/keyed.py): kind 'scrubbed' is looked up
    # verbatim, kind 'kept' is a value a reviewer said is no personal data.
    """
    CREATE TABLE pii_purges (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,
        who        TEXT NOT NULL,
        key_id     TEXT NOT NULL,
        snapshot   TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE pii_sealed_values (
        value_hash TEXT NOT NULL,
        first_hash TEXT NOT NULL,
        lead       INTEGER NOT NULL,
        length     INTEGER NOT NULL,
        entity     TEXT NOT NULL,
        kind       TEXT NOT NULL,
        PRIMARY KEY (value_hash, kind)
    );
    CREATE INDEX pii_sealed_first ON pii_sealed_values(first_hash);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


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
