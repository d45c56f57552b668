"""What every part of the store shares: the clock, the default rater, and `Part`, the base of the
classes that each hold one kind of data (decisions, inputs, PII findings, evaluation, arena)."""

from __future__ import annotations

import getpass
import os
import sqlite3
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import Store


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# Who is rating in this process, once the person said so (the TUI asks on opening a project);
# None: $WORKBENCH_RATER, else the login name (the headless commands).
_session_rater: str | None = None


def use_rater(name: str | None) -> None:
    """Every decision stored from now on in this process carries `name` (None: back to the default)."""
    global _session_rater
    _session_rater = name or None


def default_rater() -> str:
    if _session_rater:
        return _session_rater
    env = os.environ.get("WORKBENCH_RATER") or os.environ.get("USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


class Part:
    """One kind of data in the project store. It owns no connection of its own: reads and writes
    go through the store's connection, under its lock, in its transactions."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.db

    def _transaction(self):
        return self._store.transaction()

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        return self._store._read(sql, params)
