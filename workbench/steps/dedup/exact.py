"""exact_dedup: drop copies whose normalized text equals an earlier row's (case, spacing, NFKC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl

from ...records import normalized_texts
from ...records import Decision
from ..base import Step, StepContext, StepResult

TURNS = {"all": None, "user": ("user",), "user_system": ("system", "user")}


@dataclass
class ExactDedup(Step):
    name: ClassVar[str] = "exact_dedup"
    description: ClassVar[str] = "exact copies after normalizing case, whitespace and unicode (NFKC)"

    fields: Literal["all", "user", "user_system"] = "all"  # which turns must match

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        keyed = records.select("id").with_columns(
            normalized_texts(records, TURNS[self.fields]).alias("key")
        ).with_row_index("pos")
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
