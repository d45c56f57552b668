"""categorize: give unlabelled rows a category when the guess is confident; send the rest to review.

- Reviewers' relabels come first: a decision (step "categorize", action "edit", detail
  {"category": ...}) sets a row's category, labelled or not.
- Unlabelled rows get a guess from the method (k-NN or nearest centroid over sentence
  embeddings of the labelled rows, or a plugin's categorizer). At or above ``min_confidence``
  the row is labelled (an "edit" decision with the confidence); below, it stays unlabelled and is
  flagged ``low_confidence`` with the suggestion, for a reviewer to decide.
- Label conflicts: labelled rows whose prompts are near-identical (cosine >= conflict_threshold)
  but whose categories differ are flagged ``label_conflict``. Rows a reviewer relabelled are not
  flagged again.

Nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import polars as pl

from ...embeddings.vectors import PACKAGED_MODEL
from ...errors import ConfigError
from ...records import Decision
from ..base import Step, StepContext, StepResult
from .categorizers import BUILTIN_METHODS, centroid_guesses, knn_guesses, label_conflicts


@dataclass
class Categorize(Step):
    name: ClassVar[str] = "categorize"
    description: ClassVar[str] = "label unlabelled rows by k-NN over embeddings when confident; flag the rest and label conflicts"

    method: str = "knn"  # "knn", "centroid", or a categorizer a plugin registered (e.g. "keywords")
    min_confidence: float = 0.6  # below this a guess is only a suggestion for review
    k: int = 10  # neighbours that vote (knn)
    conflict_threshold: float | None = 0.95  # cosine of prompts that counts as near-identical; None: no check
    options: dict[str, Any] = field(default_factory=dict)  # passed to a plugin categorizer
    model: str = PACKAGED_MODEL
    fields: Literal["all", "user", "user_system"] = "user"  # which turns are embedded
    batch_size: int = 32

    def check(self) -> None:
        if not 0 <= self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be from 0 to 1, got {self.min_confidence}")
        if not 1 <= self.k <= 1000:
            raise ValueError(f"k must be from 1 to 1000, got {self.k}")
        if self.conflict_threshold is not None and not 0 < self.conflict_threshold <= 1:
            raise ValueError(f"conflict_threshold must be above 0 and at most 1, got {self.conflict_threshold}")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"batch_size must be from 1 to 4096, got {self.batch_size}")
        if self.options and self.method in BUILTIN_METHODS:
            raise ValueError(f"options are for a plugin's categorizer; the built-in method {self.method!r} takes none")

    def categorizer(self, ctx: StepContext) -> Any:
        """The plugin categorizer named by `method` (built-in methods return None)."""
        if self.method in BUILTIN_METHODS:
            return None
        registered = getattr(ctx.registry, "categorizers", {}) or {}
        factory = registered.get(self.method)
        if factory is None:
            known = ", ".join([*BUILTIN_METHODS, *sorted(registered)])
            raise ConfigError(f"categorize: unknown method {self.method!r}; available: {known} "
                              "(plugins add more through register_categorizers)")
        try:
            return factory(dict(self.options), ctx.project_dir)
        except (ValueError, OSError) as e:
            raise ConfigError(f"categorize: method {self.method!r}: {e}") from None

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        self.check()
        categorizer = self.categorizer(ctx)
        decisions: dict[str, list[Decision]] = {}
        records, relabelled = self._relabel(records, ctx, decisions)
        has_label = records.get_column("category").is_not_null().to_numpy()
        stats: dict[str, Any] = {"method": self.method, "min_confidence": self.min_confidence,
                                 "labelled": int(has_label.sum()), "unlabelled": int((~has_label).sum()),
                                 "relabelled": len(relabelled)}
        # Built-in methods learn from the labelled rows: with none there is nothing to embed.
        needs_all = categorizer is None and not has_label.all() and has_label.any()
        needs_labelled = self.conflict_threshold is not None and has_label.sum() > 1
        vectors = None
        if needs_all:
            from ...embeddings.vectors import step_vectors

            vectors = step_vectors(self, records, ctx)
        elif needs_labelled:
            from ...embeddings.vectors import step_vectors

            labelled_vectors = step_vectors(self, records.filter(pl.Series(has_label)), ctx)
            vectors = _scatter(labelled_vectors, has_label)

        ids = records.get_column("id").to_list()
        categories = records.get_column("category").to_list()
        if not has_label.all():
            guesses = self._guess(records, has_label, vectors, categorizer, ctx)
            auto: dict[str, int] = {}
            low = 0
            for row, (category, confidence) in zip(np.flatnonzero(~has_label).tolist(), guesses):
                confidence = round(float(confidence), 4)
                if category is not None and confidence >= self.min_confidence:
                    categories[row] = category
                    auto[category] = auto.get(category, 0) + 1
                    decisions.setdefault(ids[row], []).append(Decision(
                        ids[row], "edit", "auto_category",
                        {"category": category, "confidence": confidence, "method": self.method}, step=self.name))
                else:
                    low += 1
                    decisions.setdefault(ids[row], []).append(Decision(
                        ids[row], "flag", "low_confidence",
                        {"suggested": category, "confidence": confidence, "needed": self.min_confidence,
                         "method": self.method}, step=self.name))
            stats.update({"auto_labelled": sum(auto.values()), "low_confidence": low,
                          "auto_by_category": dict(sorted(auto.items()))})
        if needs_labelled and vectors is not None:
            rows = np.flatnonzero(has_label)
            found = label_conflicts(vectors[rows], [categories[r] for r in rows], self.conflict_threshold,
                                    report=lambda done, total: ctx.report(done, total, f"{self.name}: conflicts"))
            flagged = 0
            for local, (other, similarity, count) in sorted(found.items()):
                row, partner = int(rows[local]), int(rows[other])
                if ids[row] in relabelled:
                    continue
                flagged += 1
                decisions.setdefault(ids[row], []).append(Decision(
                    ids[row], "flag", "label_conflict",
                    {"category": categories[row], "conflicts_with": ids[partner],
                     "other_category": categories[partner], "similarity": round(similarity, 4),
                     "conflicts": count}, step=self.name))
            stats["conflicts"] = flagged
        kept = records.with_columns(pl.Series("category", categories, dtype=pl.String))
        ordered = [d for rid in ids for d in decisions.get(rid, [])]
        return StepResult(kept, ordered, stats)

    def _relabel(self, records: pl.DataFrame, ctx: StepContext,
                 decisions: dict[str, list[Decision]]) -> tuple[pl.DataFrame, set[str]]:
        edits = {rid: d for (rid, target), d in ctx.human.items()
                 if not target and d.action == "edit" and "category" in d.detail}
        if not edits:
            return records, set()
        current = dict(records.select("id", "category").iter_rows())
        changed: dict[str, str | None] = {}
        for rid, d in edits.items():
            if rid not in current:
                continue
            new = d.detail["category"]
            new = None if new in (None, "") else str(new)
            changed[rid] = new
            if new != current[rid]:
                decisions.setdefault(rid, []).append(Decision(
                    rid, "edit", "relabelled", {"category": new, "was": current[rid], "rater": d.rater},
                    step=self.name))
        if not changed:
            return records, set()
        mapping = pl.DataFrame({"id": list(changed), "__new": list(changed.values())},
                               schema={"id": pl.String, "__new": pl.String})
        out = records.join(mapping.with_columns(pl.lit(True).alias("__hit")), on="id", how="left")
        out = out.with_columns(
            pl.when(pl.col("__hit")).then(pl.col("__new")).otherwise(pl.col("category")).alias("category")
        ).drop("__new", "__hit")
        return out, set(changed)

    def _guess(self, records: pl.DataFrame, has_label: np.ndarray, vectors: np.ndarray | None,
               categorizer: Any, ctx: StepContext) -> list[tuple[str | None, float]]:
        labels = records.filter(pl.Series(has_label)).get_column("category").to_list()
        if categorizer is not None:
            guesses = list(categorizer.categorize(records.filter(pl.Series(~has_label)),
                                                  records.filter(pl.Series(has_label)), ctx))
            if len(guesses) != int((~has_label).sum()):
                raise ConfigError(f"categorize: the {self.method!r} categorizer returned {len(guesses)} guesses "
                                  f"for {int((~has_label).sum())} rows")
            return guesses
        if vectors is None:
            return [(None, 0.0)] * int((~has_label).sum())
        if self.method == "centroid":
            return centroid_guesses(vectors[~has_label], vectors[has_label], labels)
        return knn_guesses(vectors[~has_label], vectors[has_label], labels, self.k)


def _scatter(part: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.zeros((len(mask), part.shape[1] if part.ndim == 2 else 0), dtype=np.float32)
    out[mask] = part
    return out
