"""The canonical record: one row per training example, a polars DataFrame everywhere inside."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

ROLES = ("system", "user", "assistant")

# How reports, exports and screens name the category of rows that have none.
UNLABELLED = "(unlabelled)"

MESSAGE = pl.Struct({"role": pl.String, "content": pl.String})

SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String,
    "messages": pl.List(MESSAGE),
    "category": pl.String,
    "origin": pl.String,
    "source_file": pl.String,
    "source_line": pl.Int64,
    "meta": pl.String,
}

COLUMNS = tuple(SCHEMA)


def normalize_text(text: str) -> str:
    """The form two texts share when they differ only in case, spacing or unicode presentation."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def record_id(messages: Sequence[dict[str, str]]) -> str:
    """A short stable content id: the same conversation gets the same id on every import.

    Only whitespace at the ends and unicode presentation are normalized, so that a human
    decision about one wording never silently attaches to a different wording.
    """
    canon = [
        [m["role"], unicodedata.normalize("NFC", m["content"]).strip()] for m in messages
    ]
    return hashlib.sha256(orjson.dumps(canon)).hexdigest()[:16]


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def make_frame(rows: Iterable[dict[str, Any]] | Iterable[tuple]) -> pl.DataFrame:
    """Build a records frame from dicts (or tuples in COLUMNS order) with the canonical schema."""
    rows = list(rows)
    if not rows:
        return empty_frame()
    if isinstance(rows[0], dict):
        return pl.DataFrame(rows, schema=SCHEMA)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def conform(df: pl.DataFrame) -> pl.DataFrame:
    """Return df with exactly the canonical columns, in order and with the canonical types."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"records frame is missing columns: {', '.join(missing)}")
    return df.select([pl.col(c).cast(t) for c, t in SCHEMA.items()])


def conversation_text(df: pl.DataFrame, roles: Sequence[str] | None = None) -> pl.Series:
    """One string per record: the turns (optionally only some roles) joined by newlines."""
    msgs = pl.col("messages")
    if roles is not None:
        msgs = msgs.list.eval(pl.element().filter(pl.element().struct.field("role").is_in(list(roles))))
    return df.select(
        msgs.list.eval(pl.element().struct.field("content")).list.join("\n").alias("text")
    ).to_series()


# Whitespace runs that need rewriting: a non-space whitespace character, or a space followed by
# more whitespace. Single spaces do not match, which makes the replace about 4x faster than \s+.
_WHITESPACE_RUNS = r"(?:[^\S ]\s*| \s+)"


def normalized_texts(df: pl.DataFrame, roles: Sequence[str] | None = None) -> pl.Series:
    """normalize_text of each record's role-tagged turns, vectorized: NFKC, lower case, one space.

    NFKC is the identity on ASCII, and polars' normalize is the slow part, so only rows with
    non-ASCII characters go through it. Lower-casing uses full Unicode case mapping; it differs
    from str.casefold() only for a handful of characters, of which German sharp s is mapped here.
    """
    msgs = pl.col("messages")
    if roles is not None:
        msgs = msgs.list.eval(pl.element().filter(pl.element().struct.field("role").is_in(list(roles))))
    joined = msgs.list.eval(
        pl.concat_str(
            [pl.element().struct.field("role"), pl.lit(": "), pl.element().struct.field("content")]
        )
    ).list.join("\n")
    text = df.select(joined.alias("text")).with_row_index("pos")
    wide = pl.col("text").str.len_bytes() != pl.col("text").str.len_chars()
    non_ascii = text.filter(wide)
    if non_ascii.height:
        non_ascii = non_ascii.with_columns(
            pl.col("text").str.normalize("NFKC").str.replace_all("ß", "ss", literal=True)
        )
        text = pl.concat([text.filter(~wide), non_ascii]).sort("pos")
    return text.select(
        pl.col("text").str.to_lowercase().str.replace_all(_WHITESPACE_RUNS, " ").str.strip_chars()
    ).to_series()


@dataclass(frozen=True)
class Decision:
    """One decision about one record: by a step (automatic) or by a person (from the store)."""

    record_id: str
    action: str  # drop | edit | flag | keep | accept | reject
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    rater: str | None = None  # None for automatic decisions
    step: str = ""
    at: str = ""  # when a person decided (UTC, ISO 8601 to the second); "" until stored
