"""Which rows a dedup method may call copies of each other: rows of one kind (docs/record-form.md).

An sft example and a preference pair are different examples whatever their text, and so are
two KTO rows that judge the same completion differently: every method (clusters.py) and
exact_dedup look for duplicates within a group only.
"""

from __future__ import annotations

import polars as pl

# The columns that make a record's text (records.record_text), with the KTO label.
TEXT_FIELDS = ("messages", "chosen", "rejected", "label")


def kind_groups(records: pl.DataFrame) -> pl.Series | None:
    """The group of each row within which duplicates are looked for: its kind, and for a KTO row
    its label too (an sft example and a preference pair are never copies of each other, nor two
    KTO rows that judge the same completion differently). None when every row is sft."""
    if "kind" not in records.columns:
        return None
    kind = pl.col("kind").fill_null("sft")
    label = pl.col("label").cast(pl.String).fill_null("?") if "label" in records.columns else pl.lit("?")
    groups = records.select(
        pl.when(kind == "kto").then(pl.concat_str([kind, pl.lit(":"), label])).otherwise(kind).alias("group")
    ).to_series()
    return None if (groups == "sft").all() else groups


def text_columns(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    """frame's text columns in the types of `like`'s (null where frame lacks one)."""
    return frame.select([pl.col(c).cast(like.schema[c]) if c in frame.columns else
                         pl.lit(None, dtype=like.schema[c]).alias(c) for c in like.columns])
