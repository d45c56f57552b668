"""balance: cut over-represented categories down to their targets, keeping the most diverse rows.

The counts come from :func:`workbench.steps.balance.distribution.plan_balance` (caps, shares, minimums,
deficits); which rows stay comes from :func:`workbench.steps.balance.sampling.diverse_subset` over the
sentence embeddings of the rows of each category that is cut (only those are embedded). Rows a
person decided on (marked "keep" here, or accepted, edited or kept in any step: ctx.protected)
always stay and count towards their category's cap; when they alone exceed it, all stay and the
stats say so (``over_cap``). Rows a review step will hold back (ctx.held_back: unaccepted
synthetic rows, wherever synthetic_review runs) are neither counted nor dropped here, so the
counts are those of the export. Categories short of their minimum or share are reported with
their deficit; nothing is ever invented to fill them.
General instruction data (a file the user names) can be mixed in at a share of the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import polars as pl

from ...embeddings.vectors import PACKAGED_MODEL
from ...errors import ConfigError
from ...records import UNLABELLED, Decision
from ..base import Step, StepContext, StepResult
from ..split import split_keys
from .distribution import BalancePlan, Targets, category_key, plan_balance


@dataclass
class Balance(Step):
    name: ClassVar[str] = "balance"
    adds_rows: ClassVar[bool] = True  # the general_file rows
    description: ClassVar[str] = ("cap over-represented categories keeping the most diverse rows; "
                                  "report categories short of their targets")

    max_per_category: int | dict[str, int] | None = None  # a number for all, or {category = n}
    min_per_category: int | dict[str, int] | None = None  # never cut below; deficits reported
    target_share: dict[str, float] = field(default_factory=dict)  # {category = share of the task rows}
    unlabelled: Literal["keep", "drop", "balance"] = "keep"  # rows without a category
    select: Literal["diverse", "random"] = "diverse"  # which rows of a cut category stay
    seed: int = 0
    general_file: str | None = None  # general instruction data to mix in (any importable file)
    general_share: float = 0.0  # share of the output made of general rows
    general_category: str | None = "general"  # category given to them (None keeps theirs)
    model: str = PACKAGED_MODEL  # sentence embeddings for `select = "diverse"`
    fields: Literal["all", "user", "user_system"] = "user"  # which turns are embedded
    batch_size: int = 32

    def targets(self) -> Targets:
        return Targets(self.max_per_category, self.min_per_category, dict(self.target_share), self.unlabelled)

    def check(self) -> None:
        self.targets().check()
        if not 0 <= self.general_share < 1:
            raise ValueError(f"general_share must be from 0 up to (not including) 1, got {self.general_share}")
        if self.general_share > 0 and not self.general_file:
            raise ValueError("general_share needs general_file: the file of general instruction data to mix in")
        if self.general_file and self.general_share == 0:
            raise ValueError("general_file is set but general_share is 0; give the share of the output, e.g. 0.1")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"batch_size must be from 1 to 4096, got {self.batch_size}")

    # -- planning (the Balance screen calls these too) ----------------------------------------
    def plan(self, records: pl.DataFrame, ctx: StepContext, general_available: int = 0) -> BalancePlan:
        records = self.counted(records, ctx)
        counts = dict(records.group_by("category").len().iter_rows())
        return plan_balance(counts, self.targets(), pinned=self._pinned_counts(records, ctx),
                            general_available=general_available, general_share=self.general_share)

    def counted(self, records: pl.DataFrame, ctx: StepContext) -> pl.DataFrame:
        """The rows that will reach the export: `records` minus those a review step holds back."""
        if not ctx.held_back:
            return records
        return records.filter(~pl.col("id").is_in(pl.Series(list(ctx.held_back), dtype=pl.String).implode()))

    def _pinned(self, ctx: StepContext) -> set[str]:
        own = {rid for (rid, target), d in ctx.human.items() if not target and d.action in ("keep", "accept")}
        return own | set(ctx.protected)

    def _pinned_counts(self, records: pl.DataFrame, ctx: StepContext) -> dict[str | None, int]:
        pinned = self._pinned(ctx)
        if not pinned:
            return {}
        rows = records.filter(pl.col("id").is_in(list(pinned)))
        return dict(rows.group_by("category").len().iter_rows())

    def dropped_rows(self, records: pl.DataFrame, plan: BalancePlan, ctx: StepContext) -> dict[str, tuple[str, str]]:
        """{record id: (reason, category)} for every row the plan drops, chosen per `select`."""
        pinned = self._pinned(ctx)
        records = self.counted(records, ctx)
        keyed = records.select("id", pl.col("category").fill_null(UNLABELLED).alias("cat"))
        keyed = keyed.with_columns(pl.Series("key", split_keys(keyed.get_column("id"), self.seed)))
        cut = {c.category: c for c in plan.categories if c.after < c.before}
        rows = {cat: group.sort("key") for (cat,), group in keyed.filter(pl.col("cat").is_in(list(cut)))
                .group_by("cat", maintain_order=True)}
        need_vectors = [cat for cat, c in cut.items()
                        if self.select == "diverse" and c.dropped_as == "balance" and c.after > 0 and cat in rows]
        vectors = self._vectors(records, [rows[cat] for cat in need_vectors], ctx)
        drops: dict[str, tuple[str, str]] = {}
        for cat, c in cut.items():
            group = rows.get(cat)
            if group is None:
                continue
            ids = group.get_column("id").to_list()
            is_pinned = np.array([rid in pinned for rid in ids], dtype=bool)
            if c.dropped_as != "balance" or c.after == 0:
                keep = np.flatnonzero(is_pinned)
            elif cat in vectors:
                from .sampling import diverse_subset

                keep = diverse_subset(vectors[cat], c.after, seed=self.seed, pinned=is_pinned)
            else:  # seeded random: the pinned rows, then the first rows in seeded order
                order = np.concatenate([np.flatnonzero(is_pinned), np.flatnonzero(~is_pinned)])
                keep = order[:max(c.after, int(is_pinned.sum()))]
            kept = np.zeros(len(ids), dtype=bool)
            kept[keep] = True
            for rid in np.asarray(ids, dtype=object)[~kept].tolist():
                drops[rid] = (c.dropped_as, cat)
        return drops

    def _vectors(self, records: pl.DataFrame, groups: list[pl.DataFrame], ctx: StepContext) -> dict[str, np.ndarray]:
        if not groups:
            return {}
        from ...embeddings.vectors import step_vectors

        wanted = pl.concat(groups)
        by_id = records.join(wanted.select("id").with_row_index("__at"), on="id").sort("__at").drop("__at")
        vectors = step_vectors(self, by_id, ctx)
        out, start = {}, 0
        for group in groups:
            out[group.get_column("cat")[0]] = vectors[start:start + group.height]
            start += group.height
        return out

    # -- general instruction data -------------------------------------------------------------
    def general_rows(self, records: pl.DataFrame, ctx: StepContext) -> pl.DataFrame:
        """The general file's rows (origin "general"), minus rows already in `records`."""
        from ...io import finalize_ids, read_input
        from ...records import conform

        path = Path(self.general_file).expanduser()
        if not path.is_absolute() and ctx.project_dir is not None:
            path = Path(ctx.project_dir) / path
        if not path.exists():
            raise ConfigError(f"balance: general_file {self.general_file!r} does not exist"
                              + (f" (looked in {path.parent})" if path.parent != Path(".") else ""))
        result = read_input(str(path), None, ctx.registry)
        rows = finalize_ids(conform(result.records)).with_columns(
            pl.lit("general").alias("origin"), pl.lit(self.general_file).alias("source_file"))
        if self.general_category is not None:
            rows = rows.with_columns(pl.lit(self.general_category).alias("category"))
        return rows.filter(~pl.col("id").is_in(records.get_column("id").implode()))

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        self.check()
        general = self.general_rows(records, ctx) if self.general_file else None
        plan = self.plan(records, ctx, general.height if general is not None else 0)
        drops = self.dropped_rows(records, plan, ctx)
        by_cat = {c.category: c for c in plan.categories}
        decisions = []
        for rid in records.get_column("id").to_list():
            if rid in drops:
                reason, cat = drops[rid]
                c = by_cat[cat]
                detail: dict[str, Any] = {"category": None if cat == UNLABELLED else cat}
                if reason == "balance":
                    detail.update({"kept": c.after, "of": c.before, "select": self.select})
                decisions.append(Decision(rid, "drop", reason, detail, step=self.name))
        kept = records.filter(~pl.col("id").is_in(list(drops))) if drops else records
        if general is not None and plan.general:
    
            order = np.argsort(split_keys(general.get_column("id"), self.seed), kind="stable")
            kept = pl.concat([kept, general[np.sort(order[:plan.general])]])
        stats = plan.to_stats()
        stats["select"] = self.select
        counted = self.counted(records, ctx)
        protected = counted.filter(pl.col("id").is_in(list(self._pinned(ctx)))).height
        if protected:
            stats["protected"] = protected  # rows kept first: a person decided on them
        if records.height > counted.height:
            stats["held_back"] = records.height - counted.height  # not counted: the review holds them
        kinds = dict(counted.group_by(pl.col("kind").fill_null("sft")).len().sort("kind").iter_rows())
        if len(kinds) > 1:  # the targets count rows, whatever their kind; an export writes one kind
            stats["kinds"] = kinds
            stats["note"] = ("rows of several kinds (" + ", ".join(f"{n:,} {k}" for k, n in kinds.items())
                             + ") were counted together per category; an export writes one kind (--kind)")
        return StepResult(kept, decisions, stats)


def category_counts(records: pl.DataFrame) -> dict[str, int]:
    """Rows per category (unlabelled under "(unlabelled)"), biggest first."""
    counts = records.group_by("category").len().iter_rows()
    return dict(sorted(((category_key(c), n) for c, n in counts), key=lambda kv: (-kv[1], kv[0])))
