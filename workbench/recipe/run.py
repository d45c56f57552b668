"""The runner: apply a recipe's steps in order, with the people's standing decisions outranking
every automatic step, then split train/holdout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from .. import layout
from ..records import Decision, conform
from ..steps.base import ProgressCallback, StepContext, result_problem
from ..steps.split import assign_split
from ..store import Store
from .outcome import REMOVED_SCHEMA, RecipeOutcome, Sealed, StepReport

if TYPE_CHECKING:
    from ..plugins import Registry
    from . import Recipe


def _run_step(step: Any, records: pl.DataFrame, ctx: StepContext) -> Any:
    """Run one step and check what it returned. A crash or a malformed result stops the whole run
    with one line naming the step and the plugin it came from, before any snapshot or export is
    written; Cancelled and a step's own WorkbenchError pass through as they are."""
    from ..errors import StepFailed

    with _step_errors(step, ctx, "failed"):
        result = step.run(records, ctx)
    problem = result_problem(result, records, ctx.human, getattr(step, "adds_rows", False))
    if problem is not None:
        raise StepFailed(f"{_named(step, ctx)} returned {problem}; nothing was written")
    return result


def _origin(step: Any, ctx: StepContext) -> str:
    """Who registered the step: "built-in", the plugin's source, or "" when unknown."""
    owner = getattr(ctx.registry, "origin", None)
    return owner("step", step.name) if owner is not None else ""


def _named(step: Any, ctx: StepContext) -> str:
    """"step 'x' (built-in)" or "step 'x' from <the plugin that registered it>"."""
    origin = _origin(step, ctx)
    return f"step '{step.name}'" + (" (built-in)" if origin == "built-in" else f" from {origin}" if origin else "")


@contextmanager
def _step_errors(step: Any, ctx: StepContext, what: str) -> Iterator[None]:
    """A step's crash becomes one line naming the step and its plugin (StepFailed); Cancelled and a
    step's own WorkbenchError pass through as they are."""
    import os

    from ..errors import StepFailed, WorkbenchError
    from ..plugins import describe_error

    try:
        yield
    except WorkbenchError:
        raise
    except (Exception, SystemExit) as e:  # SystemExit too: a step must not end the program quietly
        if os.environ.get("WORKBENCH_DEBUG"):
            import traceback

            traceback.print_exception(e)
        built_in = _origin(step, ctx) == "built-in"
        hint = "; this is a bug in Workbench (WORKBENCH_DEBUG=1 shows the traceback)" if built_in else ""
        raise StepFailed(f"{_named(step, ctx)} {what}: {describe_error(e)}{hint}; nothing was written") from e


# A standing human decision about a row protects it, unless it rejects the row itself: a drop, a
# reject of the row, or a reviewer's "reject" verdict. A PII reviewer's reject is about one span
# (target = the span), so it means the row was looked at, like an accept, an edit or a keep.
_VERBS = {"keep": "kept", "accept": "accepted", "edit": "edited", "flag": "flagged", "reject": "reviewed"}


def _rejects_row(d: Decision) -> bool:
    return d.action == "drop" or (d.action == "reject" and (not d.target or d.step == "synthetic_review"))


Standing = dict[tuple[str, str, str], Decision]  # (step, record id, target) -> the standing decision


def _standing(store: Store | None) -> Standing:
    return store.decisions.standing() if store is not None else {}


def protected_rows(store: Store | None, standing: Standing | None = None) -> dict[str, str]:
    """Record id -> the first standing human decision that protects it, in words."""
    out: dict[str, str] = {}
    for d in (_standing(store) if standing is None else standing).values():
        if d.record_id not in out and not _rejects_row(d):
            out[d.record_id] = f"{_VERBS.get(d.action, d.action)} in {d.step} by {d.rater}"
    return out


def _human(standing: Standing, step: str) -> dict[tuple[str, str], Decision]:
    """One step's standing decisions, keyed as StepContext.human is: (record id, target)."""
    return {(rid, target): d for (name, rid, target), d in standing.items() if name == step}


def held_back_rows(records: pl.DataFrame, steps: list[Any], store: Store | None, *,
                   standing: Standing | None = None, **context: Any) -> frozenset[str]:
    """Ids of the rows a review step of `steps` will hold back (a step with ``held_back``)."""
    standing = _standing(store) if standing is None else standing
    out: set[str] = set()
    for step in steps:
        hold = getattr(step, "held_back", None)
        if hold is not None:
            ctx = StepContext(step=step.name, human=_human(standing, step.name), store=store, **context)
            with _step_errors(step, ctx, "failed while telling which rows it holds back"):
                out |= set(hold(records, ctx))
    return frozenset(out)


def run_recipe(
    records: pl.DataFrame,
    recipe: Recipe,
    registry: Registry,
    *,
    store: Store | None = None,
    project_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    sealed: Sealed | None = None,
    stop_after: int | None = None,
) -> RecipeOutcome:
    """Apply the recipe's steps in order, enforce human decisions, then split train/holdout.
    With `sealed`, its rows skip its steps (see Sealed). With `stop_after`, only the steps up to
    that index run, in the context of the whole recipe (the rows its review steps hold back)."""
    if sealed is not None:
        sealed.check(recipe)
    steps = [registry.build_step(spec, recipe.source) for spec in recipe.steps]  # config errors up front
    last = len(steps) if stop_after is None else min(len(steps), stop_after + 1)
    current = conform(records)
    if not current.get_column("id").is_unique().all():
        # Identical rows share a content id; decisions and duplicate_of need one id per row.
        from ..io import finalize_ids

        current = finalize_ids(current)
    rows_in = current.height
    removed_parts: list[pl.DataFrame] = []
    reports: list[StepReport] = []
    flagged: list[Decision] = []
    parked = order = None
    through = False  # the sealed rows rejoin (the recipe goes past the sealed steps)
    if sealed is not None:  # the sealed rows wait until the sealed steps are done
        order = current.select("id").with_row_index("__pos")
        is_sealed = current.get_column("id").is_in(list(sealed.ids))
        parked, current = current.filter(is_sealed), current.filter(~is_sealed)
        through = last >= len(sealed.steps)  # else only the rows imported since go on
        rows_in = current.height + (sealed.rows_in if through else 0)
        if through:
            removed_parts.append(sealed.removed)
            flagged.extend(sealed.flagged)
    cache_dir = layout.cache_dir(project_dir) if project_dir else None
    # Read once: what people decided in any step outranks every automatic step, whatever the order.
    standing = _standing(store)
    protected = protected_rows(store, standing)
    held_back = held_back_rows(current, steps, store, standing=standing, project_dir=project_dir,
                               registry=registry)
    for index, step in enumerate(steps[:last]):
        if sealed is not None and index < len(sealed.steps) and current.height == 0:
            reports.append(sealed.report(index, None))  # no new rows: the sealed rows' report
            continue
        if parked is not None and index == len(sealed.steps):
            current, parked = _rejoin(parked, current, order), None
        human = _human(standing, step.name)
        ctx = StepContext(step=step.name, human=human, project_dir=project_dir, cache_dir=cache_dir,
                          store=store, progress=progress, cancelled=cancelled, registry=registry,
                          protected=protected, held_back=held_back)
        ctx.report(0, current.height)
        result = _run_step(step, current, ctx)
        current, removed, report, step_flags = _apply(step.name, current, result, human, protected,
                                                      gate=getattr(step, "review_gate", False))
        report.stats = result.stats
        if sealed is not None and index < len(sealed.steps):
            report = sealed.report(index, report)
        reports.append(report)
        flagged.extend(step_flags)
        if removed.height:
            removed_parts.append(removed)
        ctx.report(current.height, current.height)
    if parked is not None and through:
        current = _rejoin(parked, current, order)
    split = assign_split(current, recipe.split)
    kept = current.with_columns(split.alias("split"))
    removed = pl.concat(removed_parts) if removed_parts else pl.DataFrame(schema=REMOVED_SCHEMA)
    return RecipeOutcome(kept, removed, reports, flagged, rows_in)


def _rejoin(parked: pl.DataFrame, current: pl.DataFrame, order: pl.DataFrame) -> pl.DataFrame:
    """The sealed rows back among the others, in input order."""
    both = pl.concat([parked, current])
    return conform(both.join(order, on="id", how="left").sort("__pos").drop("__pos"))


def _apply(name: str, before: pl.DataFrame, result, human: dict, protected: dict[str, str] | None = None,
           gate: bool = False) -> tuple:
    """Merge a step's result with the standing human decisions: this step's keep/drop, and the
    rows people decided on in any step, which an automatic drop may not remove (a veto)."""
    protected = protected or {}
    auto_drops = {d.record_id: d for d in result.decisions if d.action == "drop"}
    human_keep = {rid for (rid, target), d in human.items() if not target and d.action in ("keep", "accept")}
    human_drop = {rid: d for (rid, target), d in human.items() if not target and d.action in ("drop", "reject")}
    drops: dict[str, Decision] = {}
    overrides = 0
    vetoed: list[str] = []
    for rid, d in auto_drops.items():
        if rid in human_keep:
            overrides += 1
            continue
        if rid in protected and rid not in human_drop and not gate:
            because = _chosen_by_reviewer(d, human)
            if because is None:
                vetoed.append(rid)
                continue
            # A reviewer's own choice in this step drops a row decided on elsewhere: say both.
            d = Decision(rid, "drop", d.reason, {**d.detail, "protected": protected[rid], "because": because},
                         step=d.step or name)
        drops[rid] = d
    before_ids = set(before.get_column("id").to_list())
    vetoed = [rid for rid in vetoed if rid in before_ids]
    for rid, d in human_drop.items():
        if rid in before_ids and rid not in drops:
            overrides += 1
            detail = dict(d.detail)
            detail["rater"] = d.rater
            if rid in protected:
                detail["protected"] = protected[rid]
                detail["because"] = f"{d.rater} dropped it in {name}"
            drops[rid] = Decision(rid, "drop", d.reason or "rejected by reviewer", detail, step=name)

    kept_ids = set(result.kept.get_column("id").to_list())
    restored = [rid for rid in [*human_keep, *vetoed] if rid not in kept_ids]
    kept = result.kept
    if restored:
        kept = pl.concat([kept, before.filter(pl.col("id").is_in(restored))])
    if drops:
        kept = kept.filter(~pl.col("id").is_in(list(drops)))
    # Keep input order whatever the step did, so exports do not depend on a step's internals.
    order = before.select("id").with_row_index("__pos")
    kept = conform(kept.join(order, on="id", how="left").sort("__pos").drop("__pos"))
    missing = before.filter(~pl.col("id").is_in(kept.get_column("id").implode())
                            & ~pl.col("id").is_in(list(drops)))
    if missing.height:
        raise RuntimeError(
            f"step '{name}' dropped {missing.height} row(s) without a decision; every drop needs a reason"
        )

    removed = before.filter(pl.col("id").is_in(list(drops))).select("id", "source_file", "source_line")
    removed = removed.with_columns(
        pl.lit(name).alias("step"),
        pl.col("id").replace_strict({k: v.reason for k, v in drops.items()}, return_dtype=pl.String).alias("reason"),
        pl.col("id").replace_strict(
            {k: orjson.dumps(v.detail, option=orjson.OPT_SORT_KEYS).decode() for k, v in drops.items()},
            return_dtype=pl.String,
        ).alias("detail"),
    ) if drops else pl.DataFrame(schema=REMOVED_SCHEMA)
    counts = Counter(d.reason for d in drops.values())
    edited = sum(1 for d in result.decisions if d.action == "edit")
    flags = [d for d in result.decisions if d.action == "flag"]
    report = StepReport(name, before.height, kept.height, dict(counts), edited, len(flags), overrides,
                        protected=len(vetoed))
    return kept, removed, report, flags


def _chosen_by_reviewer(drop: Decision, human: dict) -> str | None:
    """Why an automatic drop follows a reviewer's choice in this step (they kept the copy it
    duplicates), or None when it is the step's own doing."""
    survivor = drop.detail.get("duplicate_of")
    keep = human.get((survivor, "")) if isinstance(survivor, str) else None
    if keep is None or keep.action not in ("keep", "accept"):
        return None
    return f"{keep.rater} kept another copy ({survivor}) in {drop.step or 'this step'}"
