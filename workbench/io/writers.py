"""Output formats for train/holdout files. Each is an Exporter registered through the hook.

An exporter has a `name`, a file `extension` and `write(records, path, with_meta)`, where
records carry the canonical columns. Output must be deterministic: the same frame gives the
same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import orjson
import polars as pl

from ..hookspecs import hookimpl
from ..records import plain_turns

# With --with-meta: the record id, its labels, and `meta`, the input fields no importer mapped, as
# one JSON string (`{}` when none): a string keeps one column type across rows whatever the
# fields hold, so `datasets` loads the file without guessing a schema for them.
META_COLUMNS = ("id", "category", "origin", "meta")
SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt"}


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    write: Callable[[pl.DataFrame, Path, bool], None]
    description: str = ""


def _write_ndjson(df: pl.DataFrame, path: Path) -> None:
    # polars writes UTF-8 JSON with a stable key order (the column order) and "\n" endings.
    df.write_ndjson(path)


WEIGHT_FORMATS = frozenset({"openai", "parquet"})  # the formats that write a turn's weight


def weighted_rows(records: pl.DataFrame) -> int:
    """How many records give some turn a weight."""
    if records.height == 0:
        return 0
    return int(records.select(pl.col("messages").list.eval(
        pl.element().struct.field("weight").is_not_null().any()).list.first().sum()).item())


def has_weights(records: pl.DataFrame) -> bool:
    """Whether any turn carries a weight (written then; a file without weights is as before)."""
    return weighted_rows(records) > 0


def write_openai(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    if not has_weights(records):
        cols = [plain_turns(), *META_COLUMNS] if with_meta else [plain_turns()]
        _write_ndjson(records.select(cols), path)
        return
    # A weight on the turns that have one, as OpenAI's fine-tuning format writes it.
    with open(path, "wb") as f:
        for row in records.select("messages", *META_COLUMNS).iter_rows(named=True):
            out: dict[str, object] = {"messages": [
                {"role": m["role"], "content": m["content"], **({"weight": m["weight"]} if m["weight"] is not None else {})}
                for m in row["messages"]]}
            if with_meta:
                out.update({k: row[k] for k in META_COLUMNS})
            f.write(orjson.dumps(out) + b"\n")


def write_sharegpt(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    conversations = pl.col("messages").list.eval(
        pl.struct(
            pl.element().struct.field("role").replace_strict(SHAREGPT_FROM, return_dtype=pl.String).alias("from"),
            pl.element().struct.field("content").alias("value"),
        )
    ).alias("conversations")
    cols = [conversations, *META_COLUMNS] if with_meta else [conversations]
    _write_ndjson(records.select(cols), path)


def alpaca_row(messages: list[dict[str, str]]) -> dict[str, object]:
    """Alpaca with LLaMA-Factory's `history` for earlier turns and `system` when present."""
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
    turns = [m for m in messages if m["role"] != "system"]
    pairs = [(turns[i]["content"], turns[i + 1]["content"]) for i in range(0, len(turns) - 1, 2)]
    *history, (instruction, output) = pairs
    row: dict[str, object] = {"instruction": instruction, "input": "", "output": output}
    if system is not None:
        row["system"] = system
    if history:
        row["history"] = [list(p) for p in history]
    return row


def write_alpaca(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    with open(path, "wb") as f:
        for row in records.select("messages", *META_COLUMNS).iter_rows(named=True):
            out = alpaca_row(row["messages"])
            if with_meta:
                out.update({k: row[k] for k in META_COLUMNS})
            f.write(orjson.dumps(out) + b"\n")


def write_parquet(records: pl.DataFrame, path: Path, with_meta: bool) -> None:
    turns = plain_turns() if not has_weights(records) else pl.col("messages").list.eval(pl.struct(
        *(pl.element().struct.field(f) for f in ("role", "content", "weight"))))
    cols = [turns, *META_COLUMNS] if with_meta else [turns]
    records.select(cols).write_parquet(path, compression="zstd", statistics=False)


BUILTIN_EXPORTERS = [
    Exporter("openai", "jsonl", write_openai, "OpenAI chat: {\"messages\": [...]} per line"),
    Exporter("sharegpt", "jsonl", write_sharegpt, "ShareGPT: {\"conversations\": [{from, value}]}"),
    Exporter("alpaca", "jsonl", write_alpaca, "Alpaca: instruction/input/output (+history, system)"),
    Exporter("parquet", "parquet", write_parquet, "Parquet with a messages column"),
]


@hookimpl
def register_exporters(register):
    for exporter in BUILTIN_EXPORTERS:
        register(exporter)
