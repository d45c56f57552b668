"""The Review screen's second queue: the rows whose category the categorize step left for a person.

Those are the rows it could not label with confidence and the rows whose label conflicts with a
near-identical prompt, as the step flags them when it runs on the rows that reach it (see
:mod:`.rows`). A person's choice is a committed decision (step "categorize", action "edit",
detail {"category": ...}) that the next recipe run applies; a "revert" withdraws it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ..records import Decision
from .rows import Progress, human_decisions, rows_before, step_context

if TYPE_CHECKING:
    from .project import Project

STEP = "categorize"
BEFORE = ("balance", "synthetic_review")  # where categorize goes in a recipe that lacks it


@dataclass(frozen=True)
class LabelQueue:
    rows: pl.DataFrame  # flagged rows, input order
    flags: dict[str, Decision]  # record id -> the step's flag
    categories: list[str]  # the categories the step's output uses, sorted
    others: dict[str, dict]  # conflicting row id -> that row
    # The category a person already chose for a flagged row (None: no category), by record id.
    chosen: dict[str, str | None] = field(default_factory=dict)


def label_queue(project: Project, progress: Progress = None,
                cancelled: Callable[[], bool] = lambda: False) -> LabelQueue:
    """Run the categorize step (as the recipe has it, else with its defaults) on the rows that
    reach it, with the people's decisions for it, and collect the rows it flags for a person."""
    from ..recipe import StepSpec

    rows, spec, recipe = rows_before(project, STEP, before=BEFORE, progress=progress, cancelled=cancelled)
    step = project.registry().build_step(spec or StepSpec(STEP), recipe.source)
    human = human_decisions(project, STEP)
    ctx = step_context(project, STEP, progress=progress, cancelled=cancelled, human=human)
    result = step.run(rows, ctx)
    flags = {d.record_id: d for d in result.decisions if d.action == "flag"}
    flagged = rows.filter(pl.col("id").is_in(list(flags)))
    partners = {d.detail["conflicts_with"] for d in flags.values() if d.reason == "label_conflict"}
    others = {r["id"]: r for r in rows.filter(pl.col("id").is_in(list(partners))).iter_rows(named=True)}
    categories = sorted({c for c in result.kept.get_column("category").to_list() if c is not None})
    chosen = {d.record_id: d.detail.get("category") for d in human.values()
              if d.action == "edit" and d.record_id in flags and "category" in d.detail}
    return LabelQueue(flagged, flags, categories, others, chosen)


def suggestion(flag: Decision) -> str | None:
    """The category a flag suggests: the unsure guess, or the label of the conflicting row."""
    if flag.reason == "low_confidence":
        return flag.detail.get("suggested")
    return flag.detail.get("other_category")


def decide_label(store: Any, record_id: str, category: str | None, rater: str) -> None:
    """Commit a person's category for the row (None: no category)."""
    store.decisions.decide(STEP, record_id, "edit", detail={"category": category}, rater=rater)


def withdraw_label(store: Any, record_id: str, rater: str) -> None:
    """Withdraw the category a person chose for the row."""
    store.decisions.decide(STEP, record_id, "revert", rater=rater)
