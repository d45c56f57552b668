"""The step protocol: a named, typed, pure transformation of records that explains every drop."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import polars as pl

from ..errors import Cancelled, ConfigError
from ..records import Decision
from ..store import Store

ProgressCallback = Callable[[str, int, int], None]  # (label, done, total)


class StepRegistry(Protocol):
    """What a step may use of the plugin registry (`workbench.plugins.Registry` is the one; it lives
    above the steps, which it loads)."""

    steps: dict[str, type]
    pii_recognizers: list[Any]
    categorizers: dict[str, Any]

    def build_step(self, spec: Any, where: str = "recipe") -> Any: ...

    def origin(self, kind: str, name: str) -> str: ...


@dataclass
class StepContext:
    """What a step may see besides its records: human decisions, folders, progress, cancel."""

    step: str
    human: dict[tuple[str, str], Decision] = field(default_factory=dict)  # (record_id, target)
    project_dir: Path | None = None
    cache_dir: Path | None = None
    store: Store | None = None
    progress: ProgressCallback | None = None
    cancelled: Callable[[], bool] = lambda: False
    registry: StepRegistry | None = None
    # Rows a person accepted, edited or kept in any step -> what they decided, in words. The runner
    # vetoes an automatic drop of these; steps that choose between rows (which duplicate survives,
    # which rows a cap keeps) should choose these first.
    protected: dict[str, str] = field(default_factory=dict)
    # Rows a review step of the recipe (synthetic_review) will hold back, wherever it runs: they
    # will not be exported, so counting steps such as balance leave them out of their counts.
    held_back: frozenset[str] = frozenset()

    def human_for(self, record_id: str, target: str = "") -> Decision | None:
        return self.human.get((record_id, target))

    def report(self, done: int, total: int, label: str | None = None) -> None:
        """Report progress and stop here if the user cancelled."""
        if self.cancelled():
            raise Cancelled(f"{self.step}: cancelled")
        if self.progress is not None:
            self.progress(label or self.step, done, total)


@dataclass
class StepResult:
    """The records a step keeps (possibly edited) and its automatic decisions (drops with reasons)."""

    kept: pl.DataFrame
    decisions: list[Decision] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


class Step:
    """Base class for steps. Subclasses are dataclasses whose fields are the step's parameters.

    ``run`` must not modify its input; it returns the kept rows and a Decision for each dropped,
    edited or flagged row. Human decisions from ``ctx.human`` win over automatic ones; the
    recipe runner enforces plain keep/drop overrides for every step, so a step only needs to
    read them when they change its own logic (e.g. which duplicate survives).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    # A step may keep, edit or drop the rows it is given; one that brings in rows of its own
    # (balance mixing in general instruction data) says so, or the runner refuses its result.
    adds_rows: ClassVar[bool] = False

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def from_params(cls, params: dict[str, Any], where: str = "recipe") -> "Step":
        """Build the step from recipe parameters, with a clear error for unknown or mistyped ones."""
        if not dataclasses.is_dataclass(cls):
            return cls(**params)  # type: ignore[call-arg]
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(params) - set(fields))
        if unknown:
            raise ConfigError(
                f"{where}: step '{cls.name}' has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters are: {', '.join(sorted(fields)) or '(none)'}"
            )
        hints = typing.get_type_hints(cls)
        values = {k: _coerce(v, hints.get(k, Any), f"{where}: step '{cls.name}' parameter '{k}'")
                  for k, v in params.items()}
        try:
            step = cls(**values)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: step '{cls.name}': {e}") from None
        check = getattr(step, "check", None)
        if check is not None:
            try:
                check()
            except ValueError as e:
                raise ConfigError(f"{where}: step '{cls.name}': {e}") from None
        return step

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Accept TOML values for a typed parameter; int for float is fine, anything else must match."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where} should be {_describe(hint)}, got {value!r}")
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        raise ConfigError(f"{where} should be one of {', '.join(map(repr, typing.get_args(hint)))}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} should be a list, got {value!r}")
        (inner,) = typing.get_args(hint)[:1] or (Any,)
        return [_coerce(v, inner, where) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} should be a table, got {value!r}")
        return dict(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is bool and not isinstance(value, bool):
        raise ConfigError(f"{where} should be true or false, got {value!r}")
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where} should be a whole number, got {value!r}")
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ConfigError(f"{where} should be {_describe(hint)}, got {value!r}")
    return value


def _describe(hint: Any) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    if hint in names:
        return names[hint]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [_describe(a) for a in typing.get_args(hint) if a is not type(None)]
        return " or ".join(options) + (" (or left out)" if type(None) in typing.get_args(hint) else "")
    if typing.get_origin(hint) in (list, tuple):
        return "a list"
    return str(hint).replace("typing.", "")


def result_problem(result: Any, given: pl.DataFrame, human: dict, adds_rows: bool = False) -> str | None:
    """What is wrong with a step's result, in words, or None when the runner can use it."""
    import json

    import orjson

    from ..records import LATER_COLUMNS, SCHEMA, canonical_column

    if not isinstance(result, StepResult):
        return f"a {type(result).__name__}, not a StepResult"
    kept = result.kept
    if not isinstance(kept, pl.DataFrame):
        return f"kept records that are a {type(kept).__name__}, not a polars DataFrame"
    missing = [c for c in SCHEMA if c not in kept.columns and c not in LATER_COLUMNS]
    if missing:
        return f"kept records missing column(s) {', '.join(missing)}"
    for column, dtype in SCHEMA.items():
        if column in kept.columns and kept.schema[column] != dtype:
            try:  # as the runner will take it (turns of the first form gain their extra fields)
                kept.select(canonical_column(kept, column, dtype))
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
