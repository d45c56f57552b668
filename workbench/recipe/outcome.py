"""What a run of a recipe gives: a report per step, the removed rows, and the sealed steps of a
project whose PII originals were purged."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import ConfigError
from ..records import Decision

if TYPE_CHECKING:
    from . import Recipe


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


@dataclass(frozen=True)
class Sealed:
    """The steps a PII purge (`workbench pii purge`) ran for good over the rows it kept.

    Their originals are gone, so those rows cannot pass the steps up to pii again: they join a
    run after `steps`, with the reports, removals and flags those steps gave them, and later runs
    must keep those steps exactly as they were. Rows imported after the purge pass every step.
    A run of a recipe cut inside the sealed steps (a screen previewing a step there) sees only
    the rows imported since (`partial`).
    """

    steps: tuple[dict[str, Any], ...]  # {"name": ..., **params}, as Recipe.to_dict writes them
    ids: frozenset[str]
    reports: tuple[StepReport, ...]
    removed: pl.DataFrame
    flagged: tuple[Decision, ...] = ()
    rows_in: int = 0
    at: str = ""
    partial: bool = False

    def check(self, recipe: Recipe) -> None:
        now = recipe.to_dict()["steps"]
        names = ", ".join(s["name"] for s in self.steps)
        if len(now) < len(self.steps) and not self.partial:
            raise ConfigError(f"{recipe.source}: the steps {names} were sealed by `workbench pii purge` "
                              f"({self.at}); the recipe must start with them, and it has {len(now)} step(s)")
        for i, (was, is_) in enumerate(zip(self.steps, now), 1):
            if was != is_:
                raise ConfigError(f"{recipe.source}: step {i} was {_spec(was)} when `workbench pii purge` sealed "
                                  f"the steps {names} ({self.at}) and is {_spec(is_)} now; the originals are gone, "
                                  "so sealed steps cannot change. Put it back, or start a new project from the inputs.")

    def report(self, index: int, new: StepReport | None) -> StepReport:
        """The sealed rows' report for step `index`, with the new rows' added."""
        old = self.reports[index]
        if new is None:
            return old
        return StepReport(new.name, old.rows_in + new.rows_in, old.rows_out + new.rows_out,
                          dict(Counter(old.removed) + Counter(new.removed)), old.edited + new.edited,
                          old.flagged + new.flagged, old.human_overrides + new.human_overrides,
                          {**new.stats, "sealed": old.stats}, old.protected + new.protected)


def _spec(step: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={v!r}" for k, v in step.items() if k != "name")
    return f"{step['name']}({params})"
