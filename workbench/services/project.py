"""A project folder: workbench.toml, the store, snapshots, and the runs of its recipe."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import tomli_w

from ..errors import ConfigError, InputError, WorkbenchError
from ..files import PRIVATE_DIR, PRIVATE_FILE, make_dirs, set_mode, tighten, write_atomically
from ..io import ImportOptions, ImportResult, finalize_ids, read_input
from ..layout import CONFIG, cache_dir, snapshots_dir, state_dir, store_path
from ..recipe import REMOVED_SCHEMA, Recipe, RecipeOutcome, Sealed, StepReport, recipe_from_dict, run_recipe
from ..records import Decision, conform, empty_frame
from ..steps.base import ProgressCallback
from ..store import Store

if TYPE_CHECKING:
    from ..plugins import Registry



def _config_text(name: str) -> str:
    return f"""# Workbench project. Edit freely; `workbench export` reads this file.
name = {json.dumps(name)}
# Extra plugins for this project: importable module names or .py files relative to this folder.
plugins = []

# The recipe: ordered curation steps, then the train/holdout split.
[recipe]

[[recipe.steps]]
name = "validate"

[[recipe.steps]]
name = "exact_dedup"

[[recipe.steps]]
name = "near_dedup"
threshold = 0.8    # Jaccard of word 5-grams; review the clusters in the Dedup tab
policy = "longest" # which copy survives when no reviewer chose: longest, first, human_first

# More steps, in their usual order: semantic_dedup (sentence embeddings), pii (find and scrub
# personal data; export then runs a leak check), categorize, balance, synthetic_review, and the
# steps of installed plugins (`workbench plugins` lists them). The README has their parameters.

[recipe.split]
holdout = 0.15   # share of each category held out, never trained on
seed = 0
stratify = true

# Inputs are added below by `workbench init --input` and `workbench import`.
"""


def is_project(path: str | Path) -> bool:
    return (Path(path) / CONFIG).is_file()


@dataclass
class Snapshot:
    id: str
    manifest: dict[str, Any]
    path: Path

    def records(self) -> pl.DataFrame:
        return pl.read_parquet(self.path)

    def scan(self) -> pl.LazyFrame:
        """A lazy view, for reading the first rows or a few columns of a large snapshot."""
        return pl.scan_parquet(self.path)

    @property
    def rows(self) -> int:
        return int(self.manifest["counts"]["rows"])

    def removed(self) -> pl.DataFrame | None:
        p = self.path.with_suffix(".removed.parquet")
        return pl.read_parquet(p) if p.exists() else None


class Project:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.state = state_dir(self.path)
        self.snapshots_dir = snapshots_dir(self.path)
        self.cache_dir = cache_dir(self.path)
        # .workbench/ is workbench's own: readable by the user only, also in a project made before
        # workbench made it so (the store in it holds personal data). The project folder around it
        # and what the user keeps there are theirs and keep their modes.
        make_dirs(self.state)
        tighten(self.state, PRIVATE_DIR)
        self.store = Store(store_path(self.path))
        self._registry = None

    # -- creation and opening -----------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, inputs: Sequence[str | Path] = (), options: ImportOptions | None = None,
               name: str | None = None) -> "Project":
        path = Path(path)
        if is_project(path):
            raise WorkbenchError(f"{path}: already a workbench project ({CONFIG} exists)")
        if path.exists() and not path.is_dir():
            raise WorkbenchError(f"{path}: exists and is not a folder")
        # Read the inputs before creating anything, so a bad file leaves no half project behind.
        # Installed plugins' importers apply; project plugins cannot exist before the project.
        from ..plugins import load_registry

        results = _read_all(inputs, options, load_registry() if inputs else None)
        # Private to the user: the project folder (when init makes it) and the folders and files
        # workbench makes in it, 0700 and 0600 (see files.py). Folders above it are made as
        # `mkdir -p` would: they are the user's, and the project folder closes what is inside.
        path.parent.mkdir(parents=True, exist_ok=True)
        make_dirs(path)
        make_dirs(snapshots_dir(path))
        make_dirs(cache_dir(path))
        write_atomically(path / CONFIG, _config_text(name or path.resolve().name))
        project = cls(path)
        project.store.log("project_created", {"name": name or path.resolve().name})
        if results:
            project._add_inputs(results, options)
        return project

    @classmethod
    def open(cls, path: str | Path) -> "Project":
        path = Path(path)
        if not is_project(path):
            raise WorkbenchError(
                f"{path}: not a workbench project (no {CONFIG}); create one with `workbench init {path}`"
            )
        project = cls(path)
        project.config  # fail early on a broken workbench.toml
        return project

    def close(self) -> None:
        self.store.close()

    # -- configuration ------------------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        from ..toml_file import read_toml  # the same rules (UTF-8, where a bad byte is) as a recipe file

        return read_toml(self.path / CONFIG, CONFIG)

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.path.resolve().name)

    def recipe(self) -> Recipe:
        return recipe_from_dict(self.config.get("recipe", {}), f"{self.path / CONFIG} [recipe]")

    def registry(self) -> Registry:
        if self._registry is None:
            from ..plugins import load_registry

            plugins = self.config.get("plugins", [])
            if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
                raise ConfigError(f"{self.path / CONFIG}: plugins must be a list of strings")
            self._registry = load_registry(plugins, self.path)
        return self._registry

    # -- inputs -------------------------------------------------------------------------------
    def import_files(self, inputs: Sequence[str | Path], options: ImportOptions | None = None,
                     force: bool = False) -> list[ImportResult]:
        """Read every file first; only when all can be read do they join the project."""
        results = _read_all(inputs, options, self.registry())
        if not force:
            known = {row["sha256"]: row["path"] for row in self.store.inputs.all()}
            for r in results:
                if r.sha256 in known:
                    raise WorkbenchError(
                        f"{r.path}: this file was already imported (as {known[r.sha256]}); "
                        "pass --force to import it again"
                    )
        self._add_inputs(results, options)
        return results

    def _add_inputs(self, results: list[ImportResult], options: ImportOptions | None) -> None:
        base = self.records()
        combined = finalize_ids(pl.concat([base] + [conform(r.records) for r in results]))
        parent = self.latest_import()
        snap = self.write_snapshot(
            combined, step="import", parent=parent.id if parent else None,
            params={"inputs": [r.path for r in results]},
            counts={"rows": combined.height, "added": sum(r.records.height for r in results),
                    "quarantined": sum(len(r.quarantine) for r in results)},
        )
        for r in results:
            self.store.inputs.add(r.path, r.format, r.sha256, r.records.height, r.quarantine)
        lines = []
        for r in results:
            entry: dict[str, Any] = {"path": r.path, "format": r.format}
            if options and options.mapping:
                entry["mapping"] = dict(options.mapping)
            lines.append("\n[[inputs]]\n" + tomli_w.dumps(entry))
        with open(self.path / CONFIG, "a", encoding="utf-8") as f:
            f.write("".join(lines))
        self.store.log("inputs_imported", {"snapshot": snap.id, "files": [r.path for r in results],
                                           "rows": [r.records.height for r in results],
                                           "quarantined": [len(r.quarantine) for r in results]})

    def inputs(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.inputs.all()]

    def quarantine(self) -> list[dict[str, Any]]:
        return self.store.inputs.quarantine()

    # -- snapshots ----------------------------------------------------------------------------
    def snapshots(self) -> list[Snapshot]:
        out = []
        for manifest_path in sorted(self.snapshots_dir.glob("s*.json")):
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            out.append(Snapshot(manifest["id"], manifest, manifest_path.with_suffix(".parquet")))
        return out

    def latest_import(self) -> Snapshot | None:
        """The newest snapshot of the recipe's input: an import, or the rows a PII purge sealed."""
        imports = [s for s in self.snapshots() if s.manifest["step"] in ("import", "sealed")]
        return imports[-1] if imports else None

    def sealed(self, partial: bool = False) -> Sealed | None:
        """The steps and rows the last `workbench pii purge` sealed (None: never purged)."""
        seals = [s for s in self.snapshots() if s.manifest["step"] == "sealed"]
        if not seals:
            return None
        snap, seal = seals[-1], seals[-1].manifest["seal"]
        ids = frozenset(snap.scan().select("id").collect().get_column("id").to_list())
        removed = snap.removed()
        return Sealed(tuple(seal["steps"]), ids, tuple(StepReport(**r) for r in json.loads(seal["reports"])),
                      removed if removed is not None else pl.DataFrame(schema=REMOVED_SCHEMA),
                      tuple(Decision(**d) for d in seal["flagged"]), int(seal["rows_in"]),
                      snap.manifest["created_at"], partial)

    def latest(self) -> Snapshot | None:
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    def records(self) -> pl.DataFrame:
        """Every imported record (the input of the recipe)."""
        snap = self.latest_import()
        return snap.records() if snap else empty_frame()

    def write_snapshot(self, df: pl.DataFrame, step: str, parent: str | None, params: dict[str, Any],
                        counts: dict[str, Any], removed: pl.DataFrame | None = None,
                        extra: dict[str, Any] | None = None) -> Snapshot:
        make_dirs(self.snapshots_dir)
        existing = [int(m.group(1)) for p in self.snapshots_dir.glob("s*.json")
                    if (m := re.match(r"s(\d+)-", p.name))]
        sid = f"s{(max(existing) + 1 if existing else 1):04d}-{step}"
        path = self.snapshots_dir / f"{sid}.parquet"
        _atomic_parquet(df, path)
        if removed is not None:
            _atomic_parquet(removed, path.with_suffix(".removed.parquet"))
        manifest = {"id": sid, "parent": parent, "step": step, "params": params, "counts": counts,
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    **(extra or {})}
        # The manifest is written last: a snapshot without one does not exist.
        write_atomically(self.snapshots_dir / f"{sid}.json", json.dumps(manifest, indent=2, sort_keys=True))
        return Snapshot(sid, manifest, path)

    # -- running the recipe -------------------------------------------------------------------
    def run(self, progress: ProgressCallback | None = None,
            cancelled: Callable[[], bool] = lambda: False, recipe: Recipe | None = None) -> RecipeOutcome:
        recipe = recipe or self.recipe()
        records = self.records()
        if records.height == 0:
            raise WorkbenchError(f"{self.path}: the project has no records yet; add some with "
                                 f"`workbench import {self.path} FILE`")
        outcome = run_recipe(records, recipe, self.registry(), store=self.store, project_dir=self.path,
                             progress=progress, cancelled=cancelled, sealed=self.sealed())
        parent = self.latest_import()
        snap = self.write_snapshot(
            outcome.kept, step="recipe", parent=parent.id if parent else None, params=recipe.to_dict(),
            counts={"rows": outcome.kept.height, "rows_in": outcome.rows_in,
                    "rows_out": outcome.kept.height, "removed": outcome.removed.height,
                    "train": int((outcome.kept.get_column("split") == "train").sum()),
                    "holdout": int((outcome.kept.get_column("split") == "holdout").sum())},
            removed=outcome.removed, extra={"steps": [s.to_dict() for s in outcome.steps],
                                            "recipe_hash": recipe.hash},
        )
        self.store.log("recipe_run", {"snapshot": snap.id, "rows_in": outcome.rows_in,
                                      "rows_out": outcome.kept.height})
        from .housekeeping import prune_snapshots  # every run adds a snapshot; old unused ones go

        prune_snapshots(self)
        outcome.snapshot_id = snap.id
        return outcome


def _read_all(inputs: Sequence[str | Path], options: ImportOptions | None, registry=None) -> list[ImportResult]:
    results = []
    for item in inputs:
        result = read_input(str(item), options, registry)
        results.append(result)
    return results


def _atomic_parquet(df: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.write_parquet(tmp, compression="zstd", statistics=False)
    set_mode(tmp, PRIVATE_FILE)  # in the 0700 snapshots folder while it is written
    os.replace(tmp, path)


__all__ = ["Project", "Snapshot", "is_project", "InputError"]
