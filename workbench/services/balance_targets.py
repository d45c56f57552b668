"""What the Balance screen asks for: the rows that reach balance and what people decided about
them, the targets as the user edits them, the rows a set of targets would drop, and saving them.

The rows and the context are those the export's balance step sees (:mod:`.rows`): the steps
before it run first, the people's decisions for balance come along, the rows people decided on
are kept first and the rows the review step will hold back are not counted. The targets are the
step's own parameters; what the user types is read here (numbers, shares), and written into
workbench.toml only once the step accepts them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from ..layout import CONFIG
from ..records import UNLABELLED, Decision
from ..steps.balance.distribution import DEFAULT_KEY
from ..steps.balance.step import Balance
from ..steps.base import StepContext
from .rows import Progress, human_decisions, rows_before, step_context

if TYPE_CHECKING:
    from .project import Project

STEP = "balance"
BEFORE = ("synthetic_review",)  # where balance goes in a recipe that lacks it
LABEL = "Balance targets"  # what errors in the targets being edited start with
EDITABLE = ("max_per_category", "min_per_category", "target_share", "unlabelled", "select")
CHOICES = {"unlabelled": ("keep", "drop", "balance"), "select": ("diverse", "random")}  # the default first


# -- the rows and the people's decisions ---------------------------------------------------------
def rows_at_balance(project: Project, progress: Progress = None, cancelled: Callable[[], bool] = lambda: False,
                    ) -> tuple[pl.DataFrame, dict[str, Any], bool, dict[tuple[str, str], Decision]]:
    """(the rows that reach balance, its parameters in the recipe ({} when absent), whether the
    recipe has it, the people's standing balance decisions). Bad parameters in the recipe raise."""
    records, spec, _ = rows_before(project, STEP, before=BEFORE, progress=progress, cancelled=cancelled)
    params = dict(spec.params) if spec is not None else {}
    if spec is not None:
        Balance.from_params(params, CONFIG)
    return records, params, spec is not None, human_decisions(project, STEP)


def decided_rows(project: Project, records: pl.DataFrame) -> tuple[dict[str, str], frozenset[str]]:
    """What the export's balance sees besides the rows: (the rows people decided on, kept first,
    with what they decided in words; the rows the review step will hold back, not counted),
    wherever in the recipe the review step runs."""
    from ..recipe import held_back_rows, protected_rows

    recipe = project.recipe()
    registry = project.registry()
    steps = [registry.build_step(spec, recipe.source) for spec in recipe.steps]
    protected = protected_rows(project.store)
    held_back = held_back_rows(records, steps, project.store, project_dir=project.path, registry=registry)
    return protected, held_back


def plan_context(human: dict[tuple[str, str], Decision], protected: dict[str, str],
                 held_back: frozenset[str]) -> StepContext:
    """The context a plan is counted in: all it needs is what people decided."""
    return StepContext(STEP, human=human, protected=protected, held_back=held_back)


# -- planning and previewing ----------------------------------------------------------------------
def targets_step(params: dict[str, Any]) -> Balance:
    """The balance step with these targets; a WorkbenchError says what is wrong with them."""
    return Balance.from_params(params, LABEL)


def rows_dropped(project: Project, records: pl.DataFrame, category: str, params: dict[str, Any], *,
                 human: dict[tuple[str, str], Decision], protected: dict[str, str], held_back: frozenset[str],
                 progress: Progress = None, cancelled: Callable[[], bool] = lambda: False) -> pl.DataFrame:
    """The rows of `category` (UNLABELLED: the rows without one) that these targets would drop,
    chosen as the step chooses them (a diverse selection embeds the rows: cached after the first time)."""
    step = targets_step(params)
    wanted = pl.col("category").is_null() if category == UNLABELLED else pl.col("category") == category
    rows = records.filter(wanted)
    ctx = step_context(project, STEP, progress=progress, cancelled=cancelled,
                       human=human, protected=protected, held_back=held_back)
    plan = step.plan(rows, ctx)
    drops = step.dropped_rows(rows, plan, ctx)
    return rows.filter(pl.col("id").is_in(list(drops)))


# -- editing --------------------------------------------------------------------------------------
def number(text: str) -> int | None:
    text = text.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    value = int(text)  # ValueError: reported next to the input
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def share(text: str) -> float | None:
    text = text.strip().rstrip("%")
    if not text:
        return None
    value = float(text)
    return value / 100 if value > 1 else value


def per_category(table: Any, category: str | None = None) -> int | None:
    """A category's own entry (category given) or the default for all (None) of an int-or-table setting."""
    if isinstance(table, dict):
        return table.get(category if category is not None else DEFAULT_KEY)
    return table if category is None else None


def with_entry(table: Any, category: str | None, value: int | None) -> Any:
    """`table` with the default (category None) or one category's entry set; a lone default is a plain int."""
    entries = dict(table) if isinstance(table, dict) else ({DEFAULT_KEY: table} if table is not None else {})
    key = category if category is not None else DEFAULT_KEY
    if value is None:
        entries.pop(key, None)
    else:
        entries[key] = value
    if not entries:
        return None
    if set(entries) == {DEFAULT_KEY}:
        return entries[DEFAULT_KEY]
    return entries


def with_target(params: dict[str, Any], which: str, category: str | None, text: str) -> dict[str, Any]:
    """`params` with one target set from what the user typed (empty: none): `which` is "max" or
    "min" (every category), "cap" or "share" (`category`'s own; nothing changes without one).
    Targets left empty are dropped. ValueError: `text` is not a number."""
    params = dict(params)
    if which == "max":
        params["max_per_category"] = with_entry(params.get("max_per_category"), None, number(text))
    elif which == "min":
        params["min_per_category"] = with_entry(params.get("min_per_category"), None, number(text))
    elif which == "cap" and category:
        params["max_per_category"] = with_entry(params.get("max_per_category"), category, number(text))
    elif which == "share" and category:
        shares = dict(params.get("target_share") or {})
        value = share(text)
        if value is None:
            shares.pop(category, None)
        else:
            shares[category] = value
        params["target_share"] = shares
    for key in ("max_per_category", "min_per_category", "target_share"):
        if params.get(key) in (None, {}):
            params.pop(key, None)
    return params


def with_next_choice(params: dict[str, Any], key: str) -> dict[str, Any]:
    """`params` with the next choice of "unlabelled" or "select" (after the last: the first)."""
    choices = CHOICES[key]
    current = params.get(key, choices[0])
    return {**params, key: choices[(choices.index(current) + 1) % len(choices)]}


def write_targets(project: Project, params: dict[str, Any]) -> None:
    """Write the editable targets into the project's workbench.toml (adding the balance step
    where it goes when the recipe lacks it), once the step accepts them; WorkbenchError if not."""
    from .recipe_edit import set_step_params

    targets_step(params)
    set_step_params(project.path / CONFIG, STEP, {k: params.get(k) for k in EDITABLE}, before=BEFORE)
