"""Output formats for train/holdout files. Each is an Exporter registered through the hook.

An exporter has a `name`, a file `extension` and `write(records, path, with_meta)`, where
records carry the canonical columns (docs/record-form.md), all of one kind. It may also have
`cannot_hold(records)`: one reason per record (null where the format holds it) for the rows it
cannot write; the export lists those in removed.jsonl and writes the others. Output must be
deterministic: the same frame gives the same bytes. A file whose rows are all plain sft chat is
written exactly as before record kinds and turn extras existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import orjson
import polars as pl

from ..errors import WorkbenchError
from ..hookspecs import hookimpl
from ..records import LATER_COLUMNS, MESSAGE, ROLES, TURN_EXTRAS, conform, plain_turns
from .out_shapes import META_COLUMNS, alpaca_row, alpaca_shape, openai_row, sharegpt_row, trl_row
from .out_turns import SHAREGPT_FROM, CannotHold

__all__ = ["BUILTIN_EXPORTERS", "META_COLUMNS", "WEIGHT_FORMATS", "Exporter", "alpaca_row", "has_weights",
           "plain_rows", "weighted_rows"]

RowBuilder = Callable[[dict], dict]


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    write: Callable[[pl.DataFrame, Path, bool], None]
    description: str = ""
    # records -> a String Series, one per record: what the format cannot hold of it and which
    # format can, or null. None: the format holds every record.
    cannot_hold: Callable[[pl.DataFrame], pl.Series] | None = None


def _write_ndjson(df: pl.DataFrame, path: Path) -> None:
    # polars writes UTF-8 JSON with a stable key order (the column order) and "\n" endings.
    df.write_ndjson(path)


WEIGHT_FORMATS = frozenset({"openai", "parquet", "trl"})  # the formats that write a turn's weight


def weighted_rows(records: pl.DataFrame) -> int:
    """How many records give some turn a weight."""
    if records.height == 0:
        return 0
    return int(records.select(pl.col("messages").list.eval(
        pl.element().struct.field("weight").is_not_null().any()).list.first().sum()).item())


def has_weights(records: pl.DataFrame) -> bool:
    """Whether any turn carries a weight (written then; a file without weights is as before)."""
    return weighted_rows(records) > 0


def canonical(records: pl.DataFrame) -> pl.DataFrame:
    """records with every canonical column (a plugin's or an older frame is brought up to date)."""
    if all(c in records.columns for c in LATER_COLUMNS) and records.schema["messages"] == pl.List(MESSAGE):
        return records
    return conform(records)


def plain_rows(records: pl.DataFrame) -> pl.Series:
    """Per record: whether it is plain sft chat (roles and contents, weights at most)."""
    records = canonical(records)
    turn = pl.element().struct
    plain_turn = turn.field("role").is_in(list(ROLES))
    for name in TURN_EXTRAS:
        if name != "weight":
            plain_turn = plain_turn & turn.field(name).is_null()
    return records.select(
        (pl.col("kind") == "sft") & pl.col("tools").is_null() & pl.col("chosen").is_null()
        & pl.col("rejected").is_null() & pl.col("label").is_null()
        & pl.col("messages").list.eval(plain_turn).list.all().fill_null(True)
    ).to_series().alias("plain")


def _write_rows(records: pl.DataFrame, path: Path, with_meta: bool, build: RowBuilder, fmt: str) -> None:
    with open(path, "wb") as f:
        for row in records.iter_rows(named=True):
            try:
                out = build(row)
            except CannotHold as e:  # the export leaves such rows out first (cannot_hold)
                raise WorkbenchError(f"record {row.get('id')}: the {fmt} format cannot hold {e}") from None
            if with_meta:
                out.update({k: row.get(k) for k in META_COLUMNS})
            f.write(orjson.dumps(out) + b"\n")


def _reasons(build: RowBuilder) -> Callable[[pl.DataFrame], pl.Series]:
    def cannot_hold(records: pl.DataFrame) -> pl.Series:
        records = canonical(records)
        plain = plain_rows(records)
        reasons: list[str | None] = [None] * records.height
        if not plain.all():  # only the rows in the full form are tried, not every row
            rich = records.with_row_index("_at").filter(~plain)
            for row in rich.iter_rows(named=True):
                try:
                    build(row)
                except CannotHold as e:
                    reasons[row["_at"]] = str(e)
        return pl.Series("cannot_hold", reasons, dtype=pl.String)

    return cannot_hold


def _chat_fast_path(records: pl.DataFrame, path: Path, with_meta: bool) -> bool:
    """Plain chat without weights: {"messages": [{role, content}]} written by polars, as before."""
    if not plain_rows(records).all() or has_weights(records):
        return False
    cols = [plain_turns(), *META_COLUMNS] if with_meta else [plain_turns()]
    _write_ndjson(records.select(cols), path)
    return True


def write_openai(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    records = canonical(records)
    if not _chat_fast_path(records, path, with_meta):
        _write_rows(records, path, with_meta, openai_row, "openai")


def write_trl(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    records = canonical(records)
    if not _chat_fast_path(records, path, with_meta):
        _write_rows(records, path, with_meta, trl_row, "trl")


def write_sharegpt(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    records = canonical(records)
    if not plain_rows(records).all():
        _write_rows(records, path, with_meta, sharegpt_row, "sharegpt")
        return
    conversations = pl.col("messages").list.eval(
        pl.struct(
            pl.element().struct.field("role").replace_strict(SHAREGPT_FROM, return_dtype=pl.String).alias("from"),
            pl.element().struct.field("content").alias("value"),
        )
    ).alias("conversations")
    cols = [conversations, *META_COLUMNS] if with_meta else [conversations]
    _write_ndjson(records.select(cols), path)


def write_alpaca(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    _write_rows(canonical(records), path, with_meta, alpaca_shape, "alpaca")


def write_parquet(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    records = canonical(records)
    if plain_rows(records).all():
        turns = plain_turns() if not has_weights(records) else pl.col("messages").list.eval(pl.struct(
            *(pl.element().struct.field(f) for f in ("role", "content", "weight"))))
        cols = [turns, *META_COLUMNS] if with_meta else [turns]
    else:
        cols = [*_used_columns(records), *(META_COLUMNS if with_meta else ())]
    records.select(cols).write_parquet(path, compression="zstd", statistics=False)


def _used_columns(records: pl.DataFrame) -> list[pl.Expr | str]:
    """Every canonical column some record uses, turns with every field some turn uses."""
    lists = [c for c in ("messages", "chosen", "rejected") if c == "messages" or records[c].is_not_null().any()]
    used = [f for f in TURN_EXTRAS if any(
        records.select(pl.col(c).list.eval(pl.element().struct.field(f).is_not_null().any())
                       .list.first().fill_null(False).any()).item() for c in lists)]
    fields = ("role", "content", *used)
    cols: list[pl.Expr | str] = [pl.col(c).list.eval(pl.struct(*(pl.element().struct.field(f) for f in fields)))
                                 .alias(c) for c in lists]
    cols.insert(1, "kind")
    cols += [c for c in ("label", "tools") if records[c].is_not_null().any()]
    return cols


BUILTIN_EXPORTERS = [
    Exporter("openai", "jsonl", write_openai, "OpenAI chat: {\"messages\", \"tools\"} per line (DPO shape for "
             "preference rows)", _reasons(openai_row)),
    Exporter("sharegpt", "jsonl", write_sharegpt, "LLaMA-Factory ShareGPT: {\"conversations\": [{from, value}]} "
             "(+tools, images, chosen/rejected, kto_tag)", _reasons(sharegpt_row)),
    Exporter("alpaca", "jsonl", write_alpaca, "Alpaca: instruction/input/output (+history, system, images; "
             "chosen/rejected, kto_tag)", _reasons(alpaca_shape)),
    Exporter("trl", "jsonl", write_trl, "TRL conversational: messages, prompt/chosen/rejected or "
             "prompt/completion/label (+tools)", _reasons(trl_row)),
    Exporter("parquet", "parquet", write_parquet, "Parquet with a messages column (and every canonical column "
             "the rows use)"),
]


@hookimpl
def register_exporters(register):
    for exporter in BUILTIN_EXPORTERS:
        register(exporter)
