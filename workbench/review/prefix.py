"""The rows as they reach a step of the project's recipe: the steps before it, run without a snapshot.

The Balance screen previews the balance step on exactly what the step will see in an export
(after validate, dedup, PII, categorize, ...), with the reviewers' decisions applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from ..recipe import Recipe, StepSpec, run_recipe
from ..records import empty_frame


def rows_before(project, step: str, before: tuple[str, ...] = (),
                progress: Callable[[str, int, int], None] | None = None,
                cancelled: Callable[[], bool] = lambda: False) -> tuple[pl.DataFrame, StepSpec | None, Any]:
    """(records reaching `step`, its spec in the recipe or None, the recipe).

    A recipe without the step is cut where it would go: before the first step named in `before`,
    else after the last step.
    """
    recipe = project.recipe()
    specs = list(recipe.steps)
    names = [s.name for s in specs]
    if step in names:
        at = names.index(step)
        spec = specs[at]
    else:
        later = [names.index(n) for n in before if n in names]
        at = min(later) if later else len(specs)
        spec = None
    records = project.records()
    if records.height == 0:
        return empty_frame(), spec, recipe
    prefix = Recipe(tuple(specs[:at]), recipe.split, source=recipe.source)
    outcome = run_recipe(records, prefix, project.registry(), store=project.store, project_dir=project.path,
                         progress=progress, cancelled=cancelled)
    return outcome.kept.drop("split"), spec, recipe
