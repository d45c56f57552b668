"""Recipes: an ordered list of steps plus a split (here), what a run gives (outcome.py), and the
runner that applies them (run.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError
from ..toml_file import read_toml

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


from .outcome import REMOVED_SCHEMA, RecipeOutcome, Sealed, StepReport  # noqa: E402
from .run import held_back_rows, protected_rows, run_recipe  # noqa: E402

__all__ = ["DEFAULT_STEPS", "REMOVED_SCHEMA", "Recipe", "RecipeOutcome", "Sealed", "SplitSpec", "StepReport",
           "StepSpec", "held_back_rows", "load_recipe", "protected_rows", "recipe_from_dict", "run_recipe"]
