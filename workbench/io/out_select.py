"""What an export writes: the records of one kind, and of those the ones its format can hold.

Records of another kind are not written (the report counts them, `other_kinds`); records the
format cannot hold are listed in removed.jsonl (step `export`, reason `format_cannot_hold`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

from ..errors import ConfigError, WorkbenchError
from ..records import KINDS

EXPORT_STEP = "export"
CANNOT_HOLD = "format_cannot_hold"


class MixedKinds(WorkbenchError):
    """The rows to export are of several kinds and none was chosen; nothing was written."""

    exit_code = 2


@dataclass
class ExportSelection:
    """What of the kept records an export writes: one kind, and the rows its format can hold."""

    kind: str
    other_kinds: dict[str, int]  # kind -> records of it, not written
    dataset_info: bool = False
    cannot_hold: dict[str, int] = field(default_factory=dict)  # reason -> records left out


def kind_counts(records: pl.DataFrame) -> dict[str, int]:
    """Records per kind, in the order of KINDS (then any other name)."""
    if records.height == 0:
        return {}
    counts = dict(records.select(pl.col("kind").fill_null("sft")).to_series().value_counts().iter_rows())
    return {k: counts[k] for k in sorted(counts, key=lambda k: (KINDS.index(k) if k in KINDS else len(KINDS), k))}


def choose_kind(records: pl.DataFrame, kind: str | None) -> tuple[str, dict[str, int]]:
    """The kind to export (the one asked for, else the only one the records have) and how many
    records of each other kind are left unwritten. MixedKinds when several and none asked for."""
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"unknown record kind {kind!r}; an export writes one of {', '.join(KINDS)}")
    counts = kind_counts(records)
    if kind is None:
        if len(counts) > 1:
            have = ", ".join(f"{n:,} {k}" for k, n in counts.items())
            raise MixedKinds(f"the rows to export are of several kinds ({have}); an export writes one kind: "
                             "pass " + " or ".join(f"--kind {k}" for k in counts))
        kind = next(iter(counts), "sft")
    return kind, {k: n for k, n in counts.items() if k != kind}


def split_held(rows: pl.DataFrame, exporter: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the rows the exporter can write, the others with a `cannot_hold` column saying why)."""
    cannot_hold = getattr(exporter, "cannot_hold", None)
    reasons = None
    if cannot_hold is not None and rows.height:
        reasons = cannot_hold(rows.drop("split", strict=False))
        if not isinstance(reasons, pl.Series) or reasons.len() != rows.height:
            raise WorkbenchError(f"export format '{exporter.name}': cannot_hold must return one value per row "
                                 f"({rows.height:,}), got {reasons!r:.80}")
    if reasons is None:
        return rows, rows.head(0).with_columns(pl.lit(None, dtype=pl.String).alias("cannot_hold"))
    marked = rows.with_columns(reasons.cast(pl.String).alias("cannot_hold"))
    held = marked.filter(pl.col("cannot_hold").is_null()).drop("cannot_hold")
    return held, marked.filter(pl.col("cannot_hold").is_not_null())


def removed_rows(dropped: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """removed.jsonl rows for the records a format cannot hold."""
    details = [orjson.dumps({"cannot_hold": reason, "format": fmt}, option=orjson.OPT_SORT_KEYS).decode()
               for reason in dropped.get_column("cannot_hold").to_list()]
    return dropped.select(
        pl.col("id").cast(pl.String), pl.col("source_file").cast(pl.String), pl.col("source_line").cast(pl.Int64),
        pl.lit(EXPORT_STEP, dtype=pl.String).alias("step"), pl.lit(CANNOT_HOLD, dtype=pl.String).alias("reason"),
        pl.Series("detail", details, dtype=pl.String))


def cannot_hold_counts(dropped: pl.DataFrame) -> dict[str, int]:
    """How many records each reason left out, most first."""
    counts = dropped.get_column("cannot_hold").value_counts(sort=True).iter_rows() if dropped.height else ()
    return dict(sorted(counts, key=lambda kv: (-kv[1], kv[0])))
