"""Reading the existing dataset a dedup step compares new records against (`against = PATH`).

PATH may be an export folder (train and holdout files, JSONL or Parquet), a JSONL file of the
canonical or OpenAI chat shape (a `messages` list of {role, content} per line), or a project
snapshot / Parquet file with a `messages` column. Every existing row gets the id
workbench.records.record_id(messages), the id the same conversation has after an import. A
snapshot's preference pairs and KTO rows keep their completions and label (`chosen`, `rejected`,
`label`, `kind`), so they are compared whole, with rows of their kind; their id is a hash of
that whole text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ...errors import ConfigError
from ...records import MESSAGE, SCHEMA, canonical_column, record_id, record_text, rich_rows, with_rich_rows

SPLIT_FILES = ("train", "holdout")
_TEXT_COLUMNS = ("messages", "chosen", "rejected", "label", "kind")


def resolve_path(path: str | Path, base_dir: Any = None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def load_existing(path: str | Path, base_dir: Any = None) -> pl.DataFrame:
    """The existing rows as a frame with `id` and `messages` (and, from a snapshot, the columns of
    a richer record: chosen, rejected, label, kind), in file order."""
    p = resolve_path(path, base_dir)
    if p.is_dir():
        files = [f for name in SPLIT_FILES for f in (p / f"{name}.jsonl", p / f"{name}.parquet") if f.exists()]
        if not files:
            raise ConfigError(f"against = {str(path)!r}: the folder {p} has no train.jsonl or holdout.jsonl "
                              "(expected an export folder)")
        frames = [_read_file(f) for f in files]
        messages = pl.concat(frames, how="diagonal_relaxed")
    elif p.is_file():
        messages = _read_file(p)
    else:
        raise ConfigError(f"against = {str(path)!r}: {p} does not exist (expected an export folder, "
                          "a JSONL file or a .parquet snapshot)")
    ids = pl.Series("id", [record_id(m) for m in messages.get_column("messages").to_list()], dtype=pl.String)
    ids = with_rich_rows(ids, messages, _whole_id, rich_rows(messages))
    return messages.with_columns(ids).select("id", *[c for c in messages.columns if c != "id"])


def _whole_id(row: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(record_text(row, tagged=True).encode()).hexdigest()[:16]


def _read_file(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except Exception as e:  # polars raises several kinds for a broken file
            raise ConfigError(f"{path}: not a readable Parquet file: {e}") from None
        if "messages" not in frame.columns:
            raise ConfigError(f"{path}: has no 'messages' column (columns: {', '.join(frame.columns)})")
        try:
            return frame.select([canonical_column(frame, c, SCHEMA[c]) for c in _TEXT_COLUMNS
                                 if c == "messages" or c in frame.columns])
        except Exception:
            raise ConfigError(f"{path}: 'messages' is not a list of {{role, content}}") from None
    try:
        frame = pl.read_ndjson(path, schema={"messages": pl.List(MESSAGE)})
    except Exception:
        _find_bad_line(path)
        raise
    msgs = pl.col("messages")
    broken = frame.select(
        msgs.is_null() | msgs.list.eval(
            pl.element().struct.field("role").is_null() | pl.element().struct.field("content").is_null()
        ).list.any()
    ).to_series()
    if broken.any():
        _find_bad_line(path)
    return frame


def _find_bad_line(path: Path) -> None:
    """Raise a ConfigError naming the first line that is not a chat row."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise ConfigError(f"{path}:{number}: not valid JSON ({e})") from None
            msgs = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(msgs, list) or not all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
                for m in msgs
            ):
                raise ConfigError(f"{path}:{number}: expected a 'messages' list of {{role, content}} "
                                  "(canonical or OpenAI chat shape)")
    raise ConfigError(f"{path}: could not be read as chat JSONL")
