"""The canonical record: one row per training example, a polars DataFrame everywhere inside."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

ROLES = ("system", "user", "assistant", "tool")

# How reports, exports and screens name the category of rows that have none.
UNLABELLED = "(unlabelled)"

# One turn. `role` and `content` are what every step reads (content "" for a turn that only calls
# tools). The other fields are null unless the input had them, and survive every step as they
# came: `tool_calls` (JSON list of {id, name, arguments}), `tool_call_id` and `name` (a tool's
# answer: the call it answers, the tool), `weight` (0: kept as context, not trained on; null:
# the default), `parts` (JSON list of the non-text content parts, with their place among the
# text parts).
TURN_EXTRAS: dict[str, pl.DataType] = {
    "tool_calls": pl.String, "tool_call_id": pl.String, "name": pl.String, "weight": pl.Int8, "parts": pl.String,
}
MESSAGE = pl.Struct({"role": pl.String, "content": pl.String, **TURN_EXTRAS})
# The first form of a turn, as older snapshots and simple frames hold it.
PLAIN_MESSAGE = pl.Struct({"role": pl.String, "content": pl.String})

KINDS = ("sft", "preference", "kto")

SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String,
    "messages": pl.List(MESSAGE),
    "category": pl.String,
    "origin": pl.String,
    "source_file": pl.String,
    "source_line": pl.Int64,
    "meta": pl.String,
    # What kind of example a record is: sft (a conversation to imitate), preference (the
    # conversation so far in `messages`, a better and a worse completion in `chosen` and
    # `rejected`) or kto (one completion in `chosen`, judged good or bad by `label`).
    "kind": pl.String,
    "chosen": pl.List(MESSAGE),
    "rejected": pl.List(MESSAGE),
    "label": pl.Boolean,
    "tools": pl.String,  # JSON list of the tool schemas the conversation may call, null if none
}
# Columns an older snapshot or a plugin's frame may lack: filled in by conform().
LATER_COLUMNS = ("kind", "chosen", "rejected", "label", "tools")

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
        return conform(pl.DataFrame(rows, schema=SCHEMA))
    return conform(pl.DataFrame(rows, schema=SCHEMA, orient="row"))


def conform(df: pl.DataFrame) -> pl.DataFrame:
    """Return df with exactly the canonical columns, in order and with the canonical types.

    A frame in an older form (a snapshot written before record kinds and turn extras) is brought
    up to date: the later columns are added (kind "sft", the rest null) and turns get their
    extra fields, null."""
    missing = [c for c in COLUMNS if c not in df.columns and c not in LATER_COLUMNS]
    if missing:
        raise ValueError(f"records frame is missing columns: {', '.join(missing)}")
    return df.select([canonical_column(df, c, t) for c, t in SCHEMA.items()])


def canonical_column(df: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    """Column `name` of df as the canonical `dtype` (added when df lacks a later column)."""
    if name not in df.columns:
        return pl.lit("sft" if name == "kind" else None, dtype=dtype).alias(name)
    if name == "kind":
        return pl.col(name).cast(dtype).fill_null("sft")
    have = df.schema[name]
    if have == dtype:
        return pl.col(name)
    if isinstance(dtype, pl.List) and isinstance(have, pl.List) and isinstance(have.inner, pl.Struct):
        fields = {f.name for f in have.inner.fields}
        if fields != set(MESSAGE.to_schema()):  # turns of an older form: add the missing fields
            parts = [pl.element().struct.field(f) if f in fields else pl.lit(None, dtype=t).alias(f)
                     for f, t in MESSAGE.to_schema().items()]
            return pl.col(name).list.eval(pl.struct(parts)).cast(dtype).alias(name)
    return pl.col(name).cast(dtype)


def plain_turns(column: str = "messages") -> pl.Expr:
    """A list-of-turns column as role and content only: what the writers of the plain formats
    write."""
    turn = pl.element().struct
    return pl.col(column).list.eval(pl.struct(turn.field("role"), turn.field("content"))).alias(column)


# -- the text the steps see ------------------------------------------------------------------
# Dedup, PII, balance and the review screens see a record's whole text: every turn of
# `messages`, then `chosen`, then `rejected`; a turn's tool calls as `name(arguments)` after its
# content, a tool's result as its turn's content. A plain record (turns of role and content
# only) is read by vectorized expressions; only rows with more (tool calls, completions, a
# label: `rich_rows`) are read turn by turn in Python.
TEXT_COLUMNS = ("messages", "chosen", "rejected")


def parse_tool_calls(raw: str | None) -> list[dict[str, Any]] | None:
    """A turn's `tool_calls` as a list of {id, name, arguments}; None for none or a text that is
    not a JSON list of objects."""
    if not raw:
        return None
    try:
        calls = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
        return None
    return calls


def call_text(call: Mapping[str, Any]) -> str:
    """One tool call as the steps read it: `name(arguments)`."""
    args = call.get("arguments")
    if args is None:
        args = ""
    elif not isinstance(args, str):
        args = orjson.dumps(args).decode()
    return f"{call.get('name') or ''}({args})"


def turn_text(turn: Mapping[str, Any]) -> str:
    """A turn's content, then each of its tool calls as name(arguments), one a line."""
    content = turn.get("content") or ""
    raw = turn.get("tool_calls")
    if not raw:
        return content
    calls = parse_tool_calls(raw)
    pieces = [call_text(c) for c in calls] if calls is not None else [raw]
    return "\n".join([content, *pieces] if content else pieces)


def record_turns(row: Mapping[str, Any]) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """(column, index, turn) for every turn of messages, then chosen, then rejected."""
    for column in TEXT_COLUMNS:
        for i, turn in enumerate(row.get(column) or ()):
            yield column, i, turn


def record_text(row: Mapping[str, Any], roles: Sequence[str] | None = None, tagged: bool = False) -> str:
    """A record's whole text, one turn a line (`roles`: only turns of those roles).

    `tagged` puts each turn's role before it ("user: ...", "chosen assistant: ...") and, for the
    whole record, its label last: the form exact duplicates are compared in."""
    lines = []
    for column, _, turn in record_turns(row):
        role = turn.get("role") or ""
        if roles is not None and role not in roles:
            continue
        text = turn_text(turn)
        if tagged:
            text = f"{role}: {text}" if column == "messages" else f"{column} {role}: {text}"
        lines.append(text)
    if tagged and roles is None and row.get("label") is not None:
        lines.append(f"label: {str(row['label']).lower()}")
    return "\n".join(lines)


def _has_field(dtype: pl.DataType, name: str) -> bool:
    return isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct) \
        and any(f.name == name for f in dtype.inner.fields)


def rich_rows(df: pl.DataFrame) -> pl.Series | None:
    """Which rows hold text beyond their turns' contents (tool calls, chosen or rejected turns, a
    label), as a boolean mask; None when no row does (the fast path of every text view)."""
    masks = [df.get_column(c).is_not_null() for c in ("chosen", "rejected", "label")
             if c in df.columns and df.get_column(c).null_count() < df.height]
    if "messages" in df.columns and _has_field(df.schema["messages"], "tool_calls"):
        calls = df.get_column("messages").explode().struct.field("tool_calls")
        if calls.null_count() < calls.len():
            masks.append(df.select(pl.col("messages").list.eval(
                pl.element().struct.field("tool_calls").is_not_null()).list.any().fill_null(False)).to_series())
    if not masks:
        return None
    mask = masks[0]
    for m in masks[1:]:
        mask = mask | m
    return mask if mask.any() else None


def with_rich_rows(values: pl.Series, df: pl.DataFrame, value: Callable[[dict[str, Any]], Any],
                   mask: pl.Series | None = None) -> pl.Series:
    """`values` (one per row of df, from the fast path) with the rich rows' values replaced by
    value(row), row a dict of the text columns and label (`mask`: rich_rows(df) if known)."""
    mask = rich_rows(df) if mask is None else mask
    if mask is None:
        return values
    columns = [c for c in (*TEXT_COLUMNS, "label") if c in df.columns]
    rows = df.select(columns).filter(mask).iter_rows(named=True)
    patch = pl.Series([value(row) for row in rows], dtype=values.dtype)
    return values.clone().scatter(mask.arg_true(), patch)


def _role_filtered(roles: Sequence[str] | None) -> pl.Expr:
    msgs = pl.col("messages")
    if roles is not None:
        msgs = msgs.list.eval(pl.element().filter(pl.element().struct.field("role").is_in(list(roles))))
    return msgs


def conversation_text(df: pl.DataFrame, roles: Sequence[str] | None = None) -> pl.Series:
    """One string per record: its whole text (see record_text), optionally only some roles'
    turns, one turn a line."""
    text = df.select(
        _role_filtered(roles).list.eval(pl.element().struct.field("content")).list.join("\n").alias("text")
    ).to_series()
    return with_rich_rows(text, df, lambda row: record_text(row, roles))


def text_lengths(df: pl.DataFrame) -> pl.Series:
    """Characters of each record's text: the turns' contents (and, in rich rows, tool calls)."""
    lengths = df.select(
        pl.col("messages").list.eval(pl.element().struct.field("content").str.len_chars()).list.sum()
        .fill_null(0).cast(pl.Int64)
    ).to_series()
    return with_rich_rows(lengths, df, lambda row: sum(len(turn_text(t)) for _, _, t in record_turns(row)))


# Whitespace runs that need rewriting: a non-space whitespace character, or a space followed by
# more whitespace. Single spaces do not match, which makes the replace about 4x faster than \s+.
_WHITESPACE_RUNS = r"(?:[^\S ]\s*| \s+)"


def normalized_texts(df: pl.DataFrame, roles: Sequence[str] | None = None) -> pl.Series:
    """normalize_text of each record's role-tagged turns, vectorized: NFKC, lower case, one space.

    Rich rows are tagged as record_text(tagged=True) writes them, so a preference pair differs
    from another in any of its turns, and a KTO row from another in its label.
    NFKC is the identity on ASCII, and polars' normalize is the slow part, so only rows with
    non-ASCII characters go through it. Lower-casing uses full Unicode case mapping; it differs
    from str.casefold() only for a handful of characters, of which German sharp s is mapped here.
    """
    joined = _role_filtered(roles).list.eval(
        pl.concat_str(
            [pl.element().struct.field("role"), pl.lit(": "), pl.element().struct.field("content")]
        )
    ).list.join("\n")
    text = df.select(joined.alias("text"))
    mask = rich_rows(df)
    if mask is not None:
        text = pl.DataFrame({"text": with_rich_rows(text.to_series(), df,
                                                    lambda row: record_text(row, roles, tagged=True), mask)})
    text = text.with_row_index("pos")
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
