"""The rows as they reach a step of the project's recipe, and the context to run that step on them.

A screen that previews a step (Balance, the Dedup clusters, the category suggestions, a PII scan)
must see exactly what the step will see in an export: the steps before it run first, without a
snapshot, with the reviewers' decisions applied, and the step gets the project's store, cache,
plugins and the people's standing decisions for it. This module is the one place that is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from ..recipe import Recipe, StepSpec, run_recipe
from ..records import Decision, empty_frame
from ..steps.base import StepContext

if TYPE_CHECKING:
    from .project import Project

Progress = Callable[[str, int, int], None] | None


def human_decisions(project: Project, step: str) -> dict[tuple[str, str], Decision]:
    """The people's standing decisions for `step`, as a step's context holds them."""
    return {(d.record_id, d.target): d for d in project.store.decisions.standing(step).values()}


def step_context(project: Project, step: str, progress: Progress = None,
                 cancelled: Callable[[], bool] = lambda: False, **extra: Any) -> StepContext:
    """The context `step` gets when a screen runs it on its own: this project's folder, cache, store
    and plugins. `extra` sets the other fields (`human`, `protected`, `held_back`)."""
    return StepContext(step, project_dir=project.path, cache_dir=project.cache_dir, store=project.store,
                       progress=progress, cancelled=cancelled, registry=project.registry(), **extra)


def prefix_before(specs: Sequence[StepSpec], step: str, before: Sequence[str] = ()) -> tuple[list[StepSpec], StepSpec | None]:
    """(the steps that run before `step`, its spec or None). A recipe without the step is cut where
    it would go: before the first step named in `before`, else after the last step."""
    names = [s.name for s in specs]
    if step in names:
        at = names.index(step)
        return list(specs[:at]), specs[at]
    later = [names.index(n) for n in before if n in names]
    return list(specs[:min(later) if later else len(specs)]), None


def rows_before(project: Project, step: str, before: Sequence[str] = (), progress: Progress = None,
                cancelled: Callable[[], bool] = lambda: False,
                absent: Callable[[Sequence[StepSpec]], list[StepSpec]] | None = None,
                ) -> tuple[pl.DataFrame, StepSpec | None, Recipe]:
    """(records reaching `step`, its spec in the recipe or None, the recipe).

    Where the recipe has no such step, `absent(specs)` (when given) names the steps to run first;
    otherwise the recipe is cut as :func:`prefix_before` says.
    """
    recipe = project.recipe()
    prefix, spec = prefix_before(recipe.steps, step, before)
    if spec is None and absent is not None:
        prefix = absent(recipe.steps)
    records = project.records()
    if records.height == 0:
        return empty_frame(), spec, recipe
    # After a PII purge, a step the purge sealed sees only the rows imported since.
    sealed = project.sealed(partial=True)
    if not prefix:
        if sealed is not None:
            records = records.filter(~pl.col("id").is_in(list(sealed.ids)))
        return records, spec, recipe
    outcome = run_recipe(records, Recipe(tuple(prefix), recipe.split, source=recipe.source), project.registry(),
                         store=project.store, project_dir=project.path, progress=progress, cancelled=cancelled,
                         sealed=sealed)
    return outcome.kept.drop("split"), spec, recipe
