"""The Review screen's work list: which synthetic rows to show, in what order, and how far along.

The rows are the project's imported rows whose origin needs review, minus those the last recipe
run removed in another step (a duplicate need not be reviewed) unless a reviewer has judged them:
work done stays counted, and the screen says which step dropped such a row and why. They keep
input order, so "resume" is simply the first row this reviewer has not judged yet. Verdicts live
in the store (see :mod:`.verdicts`); the queue keeps a copy that the screen updates after each commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..agreement import Agreement, agreement
from ..errors import WorkbenchError
from ..records import Decision
from ..steps.synthetic_review.signals import SignalScorer, Signals, nearest_reference, scored_turns
from ..steps.synthetic_review.verdicts import STEP, Outcome, combine, store_verdicts, undo_verdict, verdict_decision

if TYPE_CHECKING:
    from .project import Project

SHOW = ("to review", "all", "judged by me", "disputed")


def position_after(listed: list[int], index: int, show: str, pos: int) -> int:
    """Where a list of row indices (`listed`, at `pos`) stands after a verdict on row `index`: at
    the next row after it (the judged one may have left a 'to review' list); past the end, at the
    top of a 'to review' list (the rows skipped are still to do), else at the last row."""
    later = [i for i, row in enumerate(listed) if row > index]
    if later:
        return later[0]
    if listed:
        return 0 if show == "to review" else len(listed) - 1
    return pos


@dataclass(frozen=True)
class ReviewSettings:
    """The synthetic_review step's settings in the project's recipe (defaults when it has none)."""

    origins: tuple[str, ...] = ("synthetic",)
    min_verdicts: int = 1
    rule: str = "majority"
    unreviewed: str = "hold"
    in_recipe: bool = False


def review_settings(project: Project) -> ReviewSettings:
    try:
        recipe = project.recipe()
        spec = next((s for s in recipe.steps if s.name == STEP), None)
        if spec is None:
            return ReviewSettings()
        step = project.registry().build_step(spec, recipe.source)
    except WorkbenchError:
        return ReviewSettings()
    return ReviewSettings(tuple(step.origins), step.min_verdicts, step.rule, step.unreviewed, True)


def removed_elsewhere(project: Project) -> dict[str, dict[str, Any]]:
    """{record id: its removed row} for rows the last recipe run removed in another step."""
    runs = [s for s in project.snapshots() if s.manifest.get("step") == "recipe"]
    removed = runs[-1].removed() if runs else None
    if removed is None or not removed.height:
        return {}
    return {r["id"]: r for r in removed.filter(pl.col("step") != STEP).iter_rows(named=True)}


def rows_to_review(project: Project, origins: tuple[str, ...],
                   judged: frozenset[str] | set[str] = frozenset()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows needing review, human reference rows) from the project's latest import.

    Rows the last recipe run removed in a step other than synthetic_review are left out of both,
    except the `judged` ones (rows with a verdict), which stay in the rows to review.
    """
    records = project.records()
    gone = [rid for rid in removed_elsewhere(project) if rid not in judged]
    if gone:
        records = records.filter(~pl.col("id").is_in(pl.Series(gone, dtype=pl.String).implode()))
    wanted = pl.col("origin").is_in(list(origins))
    return records.filter(wanted), records.filter(~wanted & (pl.col("origin") != "general"))


def describe_removal(removed: dict[str, Any]) -> str:
    """One line for a reviewed row the last run dropped anyway: the step, the reason, the decision."""
    detail = removed.get("detail") or "{}"
    detail = json.loads(detail) if isinstance(detail, str) else detail
    line = f"dropped by {removed['step']} ({removed['reason']})"
    if detail.get("because"):
        line += f" because {detail['because']}"
    elif detail.get("rater"):
        line += f" by {detail['rater']}"
    return line


@dataclass
class ReviewQueue:
    rows: pl.DataFrame  # rows to review, input order
    reference: pl.DataFrame  # human rows, for the signals
    rater: str
    settings: ReviewSettings = field(default_factory=ReviewSettings)
    verdicts: dict[str, dict[str, Decision]] = field(default_factory=dict)
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)  # judged rows the last run dropped elsewhere

    def __post_init__(self) -> None:
        self.ids: list[str] = self.rows.get_column("id").to_list()
        self.position = {rid: i for i, rid in enumerate(self.ids)}
        self.categories: list[str | None] = self.rows.get_column("category").to_list()
        # Signals are measured when a row is first shown (or filtered on), so the first example
        # shows at once however many rows there are; compute_signals() fills in the rest.
        # The rows under review give the sentences many replies of a category share (templated
        # filler); load() runs in the tab's worker thread, so this costs the screen nothing.
        self.scorer = SignalScorer(self.reference, synthetic=self.rows)
        self._signals: list[Signals | None] = [None] * len(self.ids)
        self._nearest: tuple[list[str | None], list[float | None]] | None = None

    @classmethod
    def load(cls, project: Project, rater: str) -> ReviewQueue:
        settings = review_settings(project)
        verdicts = store_verdicts(project.store)
        rows, reference = rows_to_review(project, settings.origins, set(verdicts))
        ids = set(rows.get_column("id").to_list())
        removed = {rid: r for rid, r in removed_elsewhere(project).items() if rid in ids}
        return cls(rows, reference, rater, settings, verdicts, removed)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, index: int) -> dict[str, Any]:
        return self.rows.row(index, named=True)

    def signal(self, index: int) -> Signals:
        s = self._signals[index]
        if s is None:
            row = self.rows.row(index, named=True)
            s = self.scorer.score(scored_turns(row), self.categories[index], row.get("rejected"))
            if self._nearest is not None:
                s.nearest_id, s.nearest_similarity = self._nearest[0][index], self._nearest[1][index]
            self._signals[index] = s
        return s

    def compute_signals(self, cancelled=lambda: False) -> bool:
        """Measure every row's signals (for the signal filter); False when cancelled midway."""
        for i in range(len(self.ids)):
            if cancelled():
                return False
            self.signal(i)
        return True

    # -- verdicts -----------------------------------------------------------------------------
    def mine(self, index: int) -> Decision | None:
        return self.verdicts.get(self.ids[index], {}).get(self.rater)

    def others(self, index: int) -> dict[str, Decision]:
        return {r: d for r, d in self.verdicts.get(self.ids[index], {}).items() if r != self.rater}

    def outcome(self, index: int) -> Outcome:
        return combine(self.verdicts.get(self.ids[index], {}), self.settings.min_verdicts, self.settings.rule)

    def noted(self, index: int, decision: Decision | None) -> None:
        """Record in the copy what was just committed to the store (None: withdrawn)."""
        by_rater = self.verdicts.setdefault(self.ids[index], {})
        if decision is None:
            by_rater.pop(self.rater, None)
        else:
            by_rater[self.rater] = decision

    def edited(self, index: int) -> list[dict[str, str]] | None:
        """The messages as this reviewer edited them, or None when their verdict is not an edit."""
        mine = self.mine(index)
        return mine.detail.get("messages") if mine is not None and mine.action == "edit" else None

    def judge(self, store: Any, index: int, action: str, **kwargs: Any) -> Decision:
        """Commit this reviewer's verdict on row `index` (one transaction), then note it here.
        ValueError (nothing stored): not a valid verdict, e.g. an edit that leaves no reply."""
        decision = verdict_decision(self.ids[index], self.rater, action, **kwargs)
        store.decisions.decide_many([decision])
        self.noted(index, decision)
        return decision

    def withdraw(self, store: Any, record_id: str) -> int:
        """Withdraw this reviewer's verdict on the row, in the store and here; returns its index."""
        undo_verdict(store, record_id, self.rater)
        index = self.position[record_id]
        self.noted(index, None)
        return index

    def to_undo(self, index: int | None, show: str, history: list[str]) -> str | None:
        """The row whose verdict an undo withdraws: the row on screen (`index`) when this reviewer
        judged it and the list shows judged rows, else the latest of `history` (the rows judged in
        this session, taken off it) that still has their verdict; None when there is none."""
        if index is not None and self.mine(index) is not None and show != "to review":
            return self.ids[index]
        while history:
            candidate = history.pop()
            if self.mine(self.position[candidate]) is not None:
                return candidate
        return None

    def fate(self, index: int) -> str | None:
        """Why the last recipe run dropped this judged row in another step, or None when it did not."""
        removed = self.removed.get(self.ids[index])
        return describe_removal(removed) if removed is not None else None

    def needs_me(self, index: int) -> bool:
        """Not judged by this reviewer, and still short of the verdicts it needs."""
        return self.mine(index) is None and not self.outcome(index).complete

    # -- filters and progress -----------------------------------------------------------------
    def matching(self, category: str | None = None, signal: str | None = None,
                 show: str = "to review") -> list[int]:
        """Indices of the rows that pass the filters, in queue order."""
        out = []
        for i in range(len(self.ids)):
            if category is not None and self.categories[i] != category:
                continue
            if signal is not None and signal not in self.signal(i).flagged:
                continue
            if show == "to review" and not self.needs_me(i):
                continue
            if show == "judged by me" and self.mine(i) is None:
                continue
            if show == "disputed" and self.outcome(i).status != "disputed":
                continue
            out.append(i)
        return out

    def find(self, query: str, listed: list[int], pos: int) -> int | None:
        """The position in `listed` after `pos` (wrapping around) of the first row whose id starts
        with `query` or whose text holds it, ignoring case; None when none does."""
        q = query.strip().casefold()
        for step in range(1, len(listed) + 1):
            at = (pos + step) % len(listed)
            row = self.row(listed[at])
            if str(row["id"]).casefold().startswith(q) or any(
                    q in (m.get("content") or "").casefold() for m in row.get("messages") or []):
                return at
        return None

    def progress(self) -> dict[str, int]:
        mine = sum(1 for i in range(len(self.ids)) if self.mine(i) is not None)
        complete = sum(1 for i in range(len(self.ids)) if self.outcome(i).complete)
        return {"total": len(self.ids), "mine": mine, "complete": complete}

    def agreement(self) -> Agreement:
        return agreement({rid: {r: d.action for r, d in by.items()}
                          for rid, by in self.verdicts.items() if rid in self.position})

    def category_names(self) -> list[str]:
        return sorted({c for c in self.categories if c is not None})

    # -- nearest human example ----------------------------------------------------------------
    def set_nearest(self, vectors: np.ndarray, reference_vectors: np.ndarray) -> None:
        """Fill in each row's most similar human example from the rows' embeddings."""
        best, sims = nearest_reference(vectors, reference_vectors)
        ref_ids = self.reference.get_column("id").to_list()
        ids = [ref_ids[b] if b >= 0 else None for b in best.tolist()]
        similarity = [round(float(v), 3) if b >= 0 else None for b, v in zip(best.tolist(), sims.tolist())]
        self._nearest = (ids, similarity)
        for i, s in enumerate(self._signals):
            if s is not None:
                s.nearest_id, s.nearest_similarity = ids[i], similarity[i]

    def prompt_vectors(self, project: Project, report=lambda done, total: None) -> tuple[np.ndarray, np.ndarray]:
        """(the rows' prompt embeddings, the human reference rows'), for :meth:`set_nearest`; cached
        in the project after the first time. `report(done, total)` may raise to stop."""
        from ..embeddings.vectors import record_vectors

        both = self.rows.vstack(self.reference.select(self.rows.columns))
        vectors = record_vectors(both, cache_dir=project.cache_dir, project_dir=project.path, step="review",
                                 report=report)
        return vectors[:len(self)], vectors[len(self):]

    def reference_row(self, record_id: str) -> dict[str, Any] | None:
        hit = self.reference.filter(pl.col("id") == record_id)
        return hit.row(0, named=True) if hit.height else None
