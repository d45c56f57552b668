"""The train/holdout split: stratified by category, stable by record id and seed.

It lives with the steps because balance orders rows by the same seeded key, and the recipe
runner applies it after the last step.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import polars as pl


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a fixed, well-spread 64-bit mix (stable across versions and machines)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def split_keys(ids: pl.Series, seed: int) -> np.ndarray:
    """A seeded, uniform 64-bit key per record id, vectorized.

    Record ids are 16 hex digits of a content hash, plus "-n" for the n-th identical copy, so
    the digits themselves are the entropy; ids of another shape fall back to a hash of the text.
    """
    parts = pl.DataFrame({"id": ids}).select(
        pl.col("id").str.slice(0, 16).str.to_integer(base=16, strict=False, dtype=pl.UInt64).alias("digits"),
        pl.col("id").str.extract(r"-(\d+)$").cast(pl.UInt64).fill_null(1).alias("copy"),
        pl.col("id").str.contains(r"^[0-9a-f]{16}(-\d+)?$").alias("ours"),
    )
    digits = parts.get_column("digits").fill_null(0).to_numpy().astype(np.uint64)
    if not parts.get_column("ours").all():
        other = ~parts.get_column("ours").to_numpy()
        digits[other] = [int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "big")
                         for i in ids.filter(pl.Series(other)).to_list()]
    copy = parts.get_column("copy").to_numpy().astype(np.uint64)
    seed_mix = _mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return _mix64(digits ^ seed_mix ^ _mix64(copy * np.uint64(0x9E3779B97F4A7C15)))


def assign_split(records: pl.DataFrame, spec: Any) -> pl.Series:
    """train/holdout per row: stratified by category, stable by record id and seed (`spec` is the
    recipe's SplitSpec: holdout, seed, stratify).

    Within each category the rows are ordered by a seeded hash of their id and the first
    round(n * holdout) go to holdout, so a row's side does not depend on input order and
    changes only when its category's size changes enough to move the cut.
    """
    if records.height == 0:
        return pl.Series("split", [], dtype=pl.String)
    keyed = records.select(
        pl.col("id"),
        (pl.col("category").fill_null("") if spec.stratify else pl.lit("")).alias("__group"),
    ).with_row_index("__pos")
    keyed = keyed.with_columns(pl.Series("__key", split_keys(keyed.get_column("id"), spec.seed)))
    keyed = keyed.with_columns(
        pl.col("__key").rank("ordinal").over("__group").alias("__rank"),
        pl.len().over("__group").alias("__n"),
    )
    # Python's round() with half-to-even would vary between groups of equal size; floor(x + 0.5).
    cut = (pl.col("__n") * spec.holdout + 0.5).floor()
    return keyed.sort("__pos").select(
        pl.when(pl.col("__rank") <= cut).then(pl.lit("holdout")).otherwise(pl.lit("train")).alias("split")
    ).to_series()
