"""The Balance tab's messages and the parsing of what the user types into its target inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from textual.message import Message

from ...steps.balance.distribution import DEFAULT_KEY


@dataclass
class RowsReachedBalance(Message):
    records: pl.DataFrame
    params: dict[str, Any]
    in_recipe: bool
    human: dict


@dataclass
class BalanceLoadFailed(Message):
    problem: str


@dataclass
class BalanceProgressed(Message):
    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BalanceProgressed)


@dataclass
class DropsPreviewed(Message):
    category: str
    params: dict[str, Any]
    dropped: pl.DataFrame  # the rows of `category` the step would drop


def number(text: str) -> int | None:
    text = text.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    value = int(text)  # ValueError: reported next to the input
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def share(text: str) -> float | None:
    text = text.strip().rstrip("%")
    if not text:
        return None
    value = float(text)
    return value / 100 if value > 1 else value


def per_category(table: Any, category: str | None = None) -> int | None:
    """A category's own entry (category given) or the default for all (None) of an int-or-table setting."""
    if isinstance(table, dict):
        return table.get(category if category is not None else DEFAULT_KEY)
    return table if category is None else None


def with_entry(table: Any, category: str | None, value: int | None) -> Any:
    """`table` with the default (category None) or one category's entry set; a lone default is a plain int."""
    entries = dict(table) if isinstance(table, dict) else ({DEFAULT_KEY: table} if table is not None else {})
    key = category if category is not None else DEFAULT_KEY
    if value is None:
        entries.pop(key, None)
    else:
        entries[key] = value
    if not entries:
        return None
    if set(entries) == {DEFAULT_KEY}:
        return entries[DEFAULT_KEY]
    return entries
