"""Reading the existing dataset a dedup step compares new records against (`against = PATH`).

PATH may be an export folder (train and holdout files, JSONL or Parquet), a JSONL file of the
canonical or OpenAI chat shape (a `messages` list of {role, content} per line), or a project
snapshot / Parquet file with a `messages` column. Every existing row gets the id
workbench.records.record_id(messages), the id the same conversation has after an import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ...errors import ConfigError
from ...records import MESSAGE, canonical_column, record_id

SPLIT_FILES = ("train", "holdout")


def resolve_path(path: str | Path, base_dir: Any = None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def load_existing(path: str | Path, base_dir: Any = None) -> pl.DataFrame:
    """The existing rows as a frame with `id` and `messages`, in file order."""
    p = resolve_path(path, base_dir)
    if p.is_dir():
        files = [f for name in SPLIT_FILES for f in (p / f"{name}.jsonl", p / f"{name}.parquet") if f.exists()]
        if not files:
            raise ConfigError(f"against = {str(path)!r}: the folder {p} has no train.jsonl or holdout.jsonl "
                              "(expected an export folder)")
        frames = [_read_file(f) for f in files]
        messages = pl.concat(frames) if frames else pl.DataFrame(schema={"messages": pl.List(MESSAGE)})
    elif p.is_file():
        messages = _read_file(p)
    else:
        raise ConfigError(f"against = {str(path)!r}: {p} does not exist (expected an export folder, "
                          "a JSONL file or a .parquet snapshot)")
    ids = [record_id(m) for m in messages.get_column("messages").to_list()]
    return messages.with_columns(pl.Series("id", ids, dtype=pl.String)).select("id", "messages")


def _read_file(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except Exception as e:  # polars raises several kinds for a broken file
            raise ConfigError(f"{path}: not a readable Parquet file: {e}") from None
        if "messages" not in frame.columns:
            raise ConfigError(f"{path}: has no 'messages' column (columns: {', '.join(frame.columns)})")
        try:
            return frame.select(canonical_column(frame, "messages", pl.List(MESSAGE)))
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
