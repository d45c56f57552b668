"""Recipes: an ordered list of steps plus a split, and the runner that applies them."""

from __future__ import annotations

import hashlib
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from .errors import ConfigError
from .records import conform
from .steps.base import ProgressCallback, StepContext
from .store import Decision, Store

DEFAULT_STEPS: list[dict[str, Any]] = [{"name": "validate"}, {"name": "exact_dedup"}, {"name": "near_dedup"}]


@dataclass(frozen=True)
class StepSpec:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SplitSpec:
    holdout: float = 0.15
    seed: int = 0
    stratify: bool = True


@dataclass(frozen=True)
class Recipe:
    steps: tuple[StepSpec, ...] = tuple(StepSpec(s["name"]) for s in DEFAULT_STEPS)
    split: SplitSpec = SplitSpec()
    source: str = field(default="recipe", compare=False)  # where it was read, for error messages

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": [{"name": s.name, **s.params} for s in self.steps],
            "split": {"holdout": self.split.holdout, "seed": self.split.seed,
                      "stratify": self.split.stratify},
        }

    @property
    def hash(self) -> str:
        return hashlib.sha256(orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()


def recipe_from_dict(data: dict[str, Any], where: str = "recipe") -> Recipe:
    """Read the recipe table (top level of a recipe file, or [recipe] in workbench.toml)."""
    unknown = set(data) - {"steps", "split"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; a recipe has 'steps' and 'split'")
    raw_steps = data.get("steps", DEFAULT_STEPS)
    if not isinstance(raw_steps, list):
        raise ConfigError(f"{where}: 'steps' must be a list of [[steps]] tables")
    steps = []
    for i, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ConfigError(f"{where}: step {i} needs a 'name' (e.g. name = \"exact_dedup\")")
        params = {k: v for k, v in raw.items() if k != "name"}
        steps.append(StepSpec(raw["name"], params))
    split_raw = data.get("split", {})
    if not isinstance(split_raw, dict):
        raise ConfigError(f"{where}: [split] must be a table")
    unknown = set(split_raw) - {"holdout", "seed", "stratify"}
    if unknown:
        raise ConfigError(f"{where}: [split] has unknown key(s) {', '.join(sorted(unknown))}; "
                          "it takes holdout, seed and stratify")
    holdout = split_raw.get("holdout", 0.15)
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0 <= holdout < 1:
        raise ConfigError(f"{where}: [split] holdout must be a fraction from 0 up to (not including) 1, got {holdout!r}")
    seed = split_raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"{where}: [split] seed must be a whole number, got {seed!r}")
    stratify = split_raw.get("stratify", True)
    if not isinstance(stratify, bool):
        raise ConfigError(f"{where}: [split] stratify must be true or false, got {stratify!r}")
    return Recipe(tuple(steps), SplitSpec(float(holdout), seed, stratify), source=where)


def load_recipe(path: str | Path) -> Recipe:
    path = Path(path)
    data = read_toml(path, "recipe file")
    if "recipe" in data and "steps" not in data:  # a workbench.toml given as a recipe
        data = data["recipe"]
    return recipe_from_dict(data, str(path))


def read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    """A TOML file as a dict; a missing, unreadable, non-UTF-8 or malformed one is a ConfigError
    naming the file and the place."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the {what}: {e.strerror or e}") from None
    # Windows editors often save UTF-8 with a byte-order mark; it is not part of the text.
    skip = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: {_not_utf8(raw, e.start + skip)}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None


def _not_utf8(raw: bytes, at: int) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 text (as some Windows tools save it); save it as UTF-8"
    line = raw.count(b"\n", 0, at) + 1
    column = at - (raw.rfind(b"\n", 0, at) + 1) + 1
    return (f"not UTF-8 text: byte 0x{raw[at]:02x} at line {line}, column {column} (byte offset {at}); "
            "save the file as UTF-8")


def _run_step(step: Any, records: pl.DataFrame, ctx: StepContext) -> Any:
    """Run one step and check what it returned. A crash or a malformed result stops the whole run
    with one line naming the step and the plugin it came from, before any snapshot or export is
    written; Cancelled and a step's own WorkbenchError pass through as they are."""
    import os

    from .errors import StepFailed, WorkbenchError
    from .plugins import describe_error

    owner = getattr(ctx.registry, "origin", None)
    origin = owner("step", step.name) if owner is not None else ""
    named = f"step '{step.name}'" + (" (built-in)" if origin == "built-in" else f" from {origin}" if origin else "")
    try:
        result = step.run(records, ctx)
    except WorkbenchError:
        raise
    except (Exception, SystemExit) as e:  # SystemExit too: a step must not end the program quietly
        if os.environ.get("WORKBENCH_DEBUG"):
            import traceback

            traceback.print_exception(e)
        hint = "; this is a bug in Workbench (WORKBENCH_DEBUG=1 shows the traceback)" if origin == "built-in" else ""
        raise StepFailed(f"{named} failed: {describe_error(e)}{hint}; nothing was written") from e
    problem = _result_problem(result, records, ctx.human, getattr(step, "adds_rows", False))
    if problem is not None:
        raise StepFailed(f"{named} returned {problem}; nothing was written")
    return result


def _result_problem(result: Any, given: pl.DataFrame, human: dict, adds_rows: bool = False) -> str | None:
    """What is wrong with a step's result, in words, or None when the runner can use it."""
    import json

    from .records import SCHEMA
    from .steps.base import StepResult

    if not isinstance(result, StepResult):
        return f"a {type(result).__name__}, not a StepResult"
    kept = result.kept
    if not isinstance(kept, pl.DataFrame):
        return f"kept records that are a {type(kept).__name__}, not a polars DataFrame"
    missing = [c for c in SCHEMA if c not in kept.columns]
    if missing:
        return f"kept records missing column(s) {', '.join(missing)}"
    for column, dtype in SCHEMA.items():
        if kept.schema[column] != dtype:
            try:
                kept.select(pl.col(column).cast(dtype))
            except Exception:
                return f"kept records whose column '{column}' is {kept.schema[column]}, not {dtype}"
    if not isinstance(result.decisions, list) or not all(isinstance(d, Decision) for d in result.decisions):
        return "decisions that are not a list of Decision"
    try:
        json.dumps(result.stats, sort_keys=True)
        orjson.dumps([d.detail for d in result.decisions], option=orjson.OPT_SORT_KEYS)
        decided = pl.Series([d.record_id for d in result.decisions], dtype=pl.String)
    except (TypeError, ValueError, OverflowError) as e:  # the snapshot and export could not be written
        return f"stats or decision details that cannot be saved ({type(e).__name__}: {e})"
    ids = given.get_column("id").implode()
    kept_ids = kept.get_column("id")
    if kept_ids.is_duplicated().any():
        return "kept records with the same id more than once"
    checks = [("decisions about", decided)]
    if not adds_rows:
        checks.insert(0, ("kept records with", kept_ids))
    for what, found in checks:
        strangers = found.filter(~found.is_in(ids))
        if strangers.len():
            return f"{what} {strangers.len():,} record id(s) it was not given (e.g. {strangers[0]!r})"
    explained = pl.concat([kept_ids, pl.Series([d.record_id for d in result.decisions if d.action == "drop"],
                                               dtype=pl.String),
                           pl.Series([rid for (rid, target) in human if not target], dtype=pl.String)])
    lost = given.get_column("id").filter(~given.get_column("id").is_in(explained.implode()))
    if lost.len():
        return (f"a result that dropped {lost.len():,} row(s) without a decision (e.g. {lost[0]!r}); every "
                "dropped row needs a drop Decision with a reason")
    return None


@dataclass
class StepReport:
    name: str
    rows_in: int
    rows_out: int
    removed: dict[str, int]
    edited: int = 0
    flagged: int = 0
    human_overrides: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    protected: int = 0  # automatic drops vetoed: the rows had a person's decision in another step

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows_in": self.rows_in, "rows_out": self.rows_out,
                "removed": dict(sorted(self.removed.items())), "edited": self.edited,
                "flagged": self.flagged, "human_overrides": self.human_overrides,
                "protected": self.protected, "stats": self.stats}


REMOVED_SCHEMA = {
    "id": pl.String, "source_file": pl.String, "source_line": pl.Int64,
    "step": pl.String, "reason": pl.String, "detail": pl.String,
}


@dataclass
class RecipeOutcome:
    kept: pl.DataFrame  # curated records with a `split` column ("train" / "holdout")
    removed: pl.DataFrame  # REMOVED_SCHEMA, in step order then input order
    steps: list[StepReport]
    flagged: list[Decision]
    rows_in: int
    snapshot_id: str | None = None  # set when a project saved the result


# A standing human decision about a row protects it, unless it rejects the row itself: a drop, a
# reject of the row, or a reviewer's "reject" verdict. A PII reviewer's reject is about one span
# (target = the span), so it means the row was looked at, like an accept, an edit or a keep.
_VERBS = {"keep": "kept", "accept": "accepted", "edit": "edited", "flag": "flagged", "reject": "reviewed"}


def _rejects_row(d: Decision) -> bool:
    return d.action == "drop" or (d.action == "reject" and (not d.target or d.step == "synthetic_review"))


def protected_rows(store: Store | None) -> dict[str, str]:
    """Record id -> the first standing human decision that protects it, in words."""
    out: dict[str, str] = {}
    if store is None:
        return out
    for d in store.decisions().values():
        if d.record_id not in out and not _rejects_row(d):
            out[d.record_id] = f"{_VERBS.get(d.action, d.action)} in {d.step} by {d.rater}"
    return out


def _human(store: Store | None, step: str) -> dict[tuple[str, str], Decision]:
    if store is None:
        return {}
    return {(d.record_id, d.target): d for d in store.decisions(step).values()}


def held_back_rows(records: pl.DataFrame, steps: list[Any], store: Store | None, **context: Any) -> frozenset[str]:
    """Ids of the rows a review step of `steps` will hold back (a step with ``held_back``)."""
    out: set[str] = set()
    for step in steps:
        hold = getattr(step, "held_back", None)
        if hold is not None:
            ctx = StepContext(step=step.name, human=_human(store, step.name), store=store, **context)
            try:
                out |= set(hold(records, ctx))
            except Exception as e:  # a plugin's review step must not end the run with a traceback
                from .errors import StepFailed, WorkbenchError
                from .plugins import describe_error

                if isinstance(e, WorkbenchError):
                    raise
                raise StepFailed(f"step '{step.name}' failed while telling which rows it holds back: "
                                 f"{describe_error(e)}; nothing was written") from e
    return frozenset(out)


def run_recipe(
    records: pl.DataFrame,
    recipe: Recipe,
    registry: Any,
    *,
    store: Store | None = None,
    project_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> RecipeOutcome:
    """Apply the recipe's steps in order, enforce human decisions, then split train/holdout."""
    steps = [registry.build_step(spec, recipe.source) for spec in recipe.steps]  # config errors up front
    current = conform(records)
    if not current.get_column("id").is_unique().all():
        # Identical rows share a content id; decisions and duplicate_of need one id per row.
        from .io import finalize_ids

        current = finalize_ids(current)
    rows_in = current.height
    removed_parts: list[pl.DataFrame] = []
    reports: list[StepReport] = []
    flagged: list[Decision] = []
    cache_dir = project_dir / ".workbench" / "cache" if project_dir else None
    # Read once: what people decided in any step outranks every automatic step, whatever the order.
    protected = protected_rows(store)
    held_back = held_back_rows(current, steps, store, project_dir=project_dir, registry=registry)
    for index, step in enumerate(steps):
        human = _human(store, step.name)
        ctx = StepContext(step=step.name, human=human, project_dir=project_dir, cache_dir=cache_dir,
                          store=store, progress=progress, cancelled=cancelled, registry=registry,
                          protected=protected, held_back=held_back)
        ctx.report(0, current.height)
        result = _run_step(step, current, ctx)
        current, removed, report, step_flags = _apply(step.name, current, result, human, protected,
                                                      gate=getattr(step, "review_gate", False))
        report.stats = result.stats
        reports.append(report)
        flagged.extend(step_flags)
        if removed.height:
            removed_parts.append(removed)
        ctx.report(current.height, current.height)
    split = assign_split(current, recipe.split)
    kept = current.with_columns(split.alias("split"))
    removed = pl.concat(removed_parts) if removed_parts else pl.DataFrame(schema=REMOVED_SCHEMA)
    return RecipeOutcome(kept, removed, reports, flagged, rows_in)


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


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a fixed, well-spread 64-bit mix (stable across versions and machines)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def split_keys(ids: pl.Series, seed: int) -> np.ndarray:
    """A seeded, uniform 64-bit key per record id, vectorized.

    Record ids are 16 hex digits of a content hash, plus "-n" for the n-th identical copy, so
    the digits themselves are the entropy; ids of another shape fall back to a hash of the text.
    """
    parts = pl.DataFrame({"id": ids}).select(
        pl.col("id").str.slice(0, 16).str.to_integer(base=16, strict=False, dtype=pl.UInt64).alias("digits"),
        pl.col("id").str.extract(r"-(\d+)$").cast(pl.UInt64).fill_null(1).alias("copy"),
        pl.col("id").str.contains(r"^[0-9a-f]{16}(-\d+)?$").alias("ours"),
    )
    digits = parts.get_column("digits").fill_null(0).to_numpy().astype(np.uint64)
    if not parts.get_column("ours").all():
        other = ~parts.get_column("ours").to_numpy()
        digits[other] = [int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "big")
                         for i in ids.filter(pl.Series(other)).to_list()]
    copy = parts.get_column("copy").to_numpy().astype(np.uint64)
    seed_mix = _mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return _mix64(digits ^ seed_mix ^ _mix64(copy * np.uint64(0x9E3779B97F4A7C15)))


def assign_split(records: pl.DataFrame, spec: SplitSpec) -> pl.Series:
    """train/holdout per row: stratified by category, stable by record id and seed.

    Within each category the rows are ordered by a seeded hash of their id and the first
    round(n * holdout) go to holdout, so a row's side does not depend on input order and
    changes only when its category's size changes enough to move the cut.
    """
    if records.height == 0:
        return pl.Series("split", [], dtype=pl.String)
    keyed = records.select(
        pl.col("id"),
        (pl.col("category").fill_null("") if spec.stratify else pl.lit("")).alias("__group"),
    ).with_row_index("__pos")
    keyed = keyed.with_columns(pl.Series("__key", split_keys(keyed.get_column("id"), spec.seed)))
    keyed = keyed.with_columns(
        pl.col("__key").rank("ordinal").over("__group").alias("__rank"),
        pl.len().over("__group").alias("__n"),
    )
    # Python's round() with half-to-even would vary between groups of equal size; floor(x + 0.5).
    cut = (pl.col("__n") * spec.holdout + 0.5).floor()
    return keyed.sort("__pos").select(
        pl.when(pl.col("__rank") <= cut).then(pl.lit("holdout")).otherwise(pl.lit("train")).alias("split")
    ).to_series()
