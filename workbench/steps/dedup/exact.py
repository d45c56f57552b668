"""exact_dedup: drop copies whose normalized text equals an earlier row's (case, spacing, NFKC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import polars as pl

from ...records import Decision, normalized_texts
from ..base import StepContext, StepResult
from .base import PairwiseDedup
from .clusters import Corpus, SimilarPairs
from .kinds import kind_groups

TURNS = {"all": None, "user": ("user",), "user_system": ("system", "user")}


@dataclass
class ExactDedup(PairwiseDedup):
    """Copies whose role-tagged turns are the same after NFKC, case folding and one space.

    A preference pair is compared with its completions (two pairs that differ only in the
    rejected reply are two examples), a KTO row with its label, and rows only with rows of
    their own kind.

    A dedup method like near_dedup for the Dedup tab (``similar_pairs`` pairs every copy with the
    first copy of its text, similarity 1.0), but with a ``run`` of its own: one pass of group-by
    over the normalized texts, which is what a million rows need, and the report it has always
    written (``detail`` without ``cluster``, stats ``groups``). Both keep the same copies: the
    reviewer's "keep"s, else the first copy a person accepted or edited elsewhere, else the first.
    """

    name: ClassVar[str] = "exact_dedup"
    description: ClassVar[str] = "exact copies after normalizing case, whitespace and unicode (NFKC)"
    reason: ClassVar[str] = "exact_duplicate"
    identical_only: ClassVar[bool] = True
    policy = "first"  # not a parameter: the first copy survives, as in run()

    fields: Literal["all", "user", "user_system"] = "all"  # which turns must match

    def similar_pairs(self, corpus: Corpus, ctx: StepContext) -> SimilarPairs:
        """Each copy paired with the first copy of the same normalized text, similarity 1.0."""
        if corpus.columns is None and corpus.messages is None:
            raise ValueError(f"{self.name} compares role-tagged turns: build the corpus with its messages")
        columns = corpus.columns if corpus.columns is not None else pl.DataFrame({"messages": corpus.messages})
        keys = normalized_texts(columns, TURNS[self.fields])
        if corpus.groups is not None:  # copies only within one kind (clusters.kind_groups)
            keys = pl.Series(corpus.groups.astype(str)) + "\x1f" + keys
        rows = pl.DataFrame({"key": keys}).with_row_index("row").with_columns(
            pl.col("row").min().over("key").alias("first"))
        copies = rows.filter((pl.col("row") != pl.col("first")) & (pl.col("first") < corpus.n_new))
        first = rows.get_column("first").to_numpy().astype(np.int64)
        ctx.report(1, 1, f"{self.name}: normalizing")

        def measure(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return (first[a] == first[b]).astype(np.float64)

        return SimilarPairs(copies.get_column("first").to_numpy().astype(np.int64),
                            copies.get_column("row").to_numpy().astype(np.int64),
                            np.ones(copies.height), measure,
                            {"groups": copies.get_column("first").n_unique()})

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        keys = normalized_texts(records, TURNS[self.fields])
        groups = kind_groups(records)
        if groups is not None:  # an sft row and a preference pair are never copies of each other
            keys = groups + "\x1f" + keys
        keyed = records.select("id").with_columns(keys.alias("key")).with_row_index("pos")
        # A reviewer's "keep" makes that copy the survivor; otherwise the first one seen survives.
        chosen = [rid for (rid, target), d in ctx.human.items() if not target and d.action == "keep"]
        # Else a copy a person accepted or edited in another step (ctx.protected) survives.
        keyed = keyed.with_columns(pl.col("id").is_in(chosen).alias("chosen"),
                                   pl.col("id").is_in(list(ctx.protected)).alias("protected"))
        groups = keyed.filter(pl.len().over("key") > 1)
        if groups.height == 0:
            return StepResult(records, [], {"groups": 0})
        survivor = (
            groups.sort(["chosen", "protected", "pos"], descending=[True, True, False])
            .group_by("key", maintain_order=True)
            .agg(pl.col("id").first().alias("survivor"))
        )
        dupes = groups.join(survivor, on="key").filter(
            (pl.col("id") != pl.col("survivor")) & ~pl.col("chosen")
        ).sort("pos")
        decisions = [
            Decision(rid, "drop", "exact_duplicate", {"duplicate_of": keep, "similarity": 1.0}, step=self.name)
            for rid, keep in dupes.select("id", "survivor").iter_rows()
        ]
        kept = records.filter(~pl.col("id").is_in(dupes.get_column("id").implode()))
        return StepResult(kept, decisions, {"groups": survivor.height})
