"""Headless pipelines shared by the CLI and the tests: run a recipe and write an export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..errors import ConfigError, WorkbenchError
from ..export.folder import (ExportInfo, ExportResult, Protected, check_out_dir, default_export_dir, ensure_out_dir,
                             write_export)
from ..io import ImportOptions, finalize_ids, read_input
from ..plugins import load_registry, report_errors
from ..recipe import Recipe, load_recipe, run_recipe
from ..steps.base import ProgressCallback
from ..steps.pii.leak import leak_check, raise_on_leak, scrub_quarantine

if TYPE_CHECKING:
    from .project import Project

Echo = Callable[[str], None]


def export_project(project_dir: str | Path, out: str | Path | None = None, *, out_format: str = "openai",
                   with_meta: bool = False, progress: ProgressCallback | None = None,
                   cancelled: Callable[[], bool] = lambda: False, echo: Echo | None = None,
                   allow_leaks: bool = False, replace: bool = False, shared: bool | None = None,
                   kind: str | None = None, dataset_info: bool = False) -> ExportResult:
    """Run a project's recipe with its human decisions and export the result. A previous export
    at `out` is replaced only with `replace`; any other non-empty folder is refused. The export is
    readable by the user only, or by everyone when `shared` (None: the project's `[export] shared`
    setting, which the TUI's export follows). It writes the records of one `kind` (default: the
    only one they have), and with `dataset_info` LLaMA-Factory's dataset_info.json."""
    from .project import Project

    check_dataset_info(out_format, dataset_info)
    project = Project.open(project_dir)
    try:
        if shared is None:
            shared = shared_setting(project)
        protected = project_protected(project)
        if out is not None:  # before the recipe runs, so a refusal leaves no snapshot behind
            ensure_out_dir(out, protected, replace)
        registry = project.registry()
        if echo:
            report_errors(registry, echo)
        exporter = registry.exporter(out_format)
        outcome = project.run(progress=progress, cancelled=cancelled)
        info = ExportInfo(project.recipe(), project.inputs(),
                          scrub_quarantine(project.quarantine(), project.recipe(), registry, project.path),
                          project=project.name, snapshot_id=outcome.snapshot_id)
        out_dir = Path(out) if out is not None else default_export_dir(project.path)
        # With a pii step in the recipe the written files are scanned again before the report.
        check = leak_check(info.recipe, registry, store=project.store, project_dir=project.path,
                           allow_leaks=allow_leaks)
        result = write_export(outcome, out_dir, info, exporter, with_meta, check, replace=replace,
                              protected=protected, shared=shared, kind=kind, dataset_info=dataset_info)
        # `folder` lets housekeeping find an export written outside the project from any folder.
        project.store.log("exported", {"out": str(out_dir), "folder": str(out_dir.resolve()),
                                       "snapshot": outcome.snapshot_id, "format": out_format,
                                       "train": result.report["splits"]["train"],
                                       "holdout": result.report["splits"]["holdout"]})
        raise_on_leak(result)
        return result
    finally:
        project.close()


def export_files(inputs: Sequence[str | Path], out: str | Path, *, recipe_path: str | Path | None = None,
                 recipe: Recipe | None = None, options: ImportOptions | None = None,
                 out_format: str = "openai", with_meta: bool = False,
                 progress: ProgressCallback | None = None, cancelled: Callable[[], bool] = lambda: False,
                 echo: Echo | None = None, allow_leaks: bool = False, replace: bool = False,
                 shared: bool = False, kind: str | None = None, dataset_info: bool = False) -> ExportResult:
    """Stateless batch mode: files + recipe in, export folder out; no project, no human decisions.
    A previous export at `out` is replaced only with `replace`. The export is readable by the
    user only, or by everyone with `shared`; `kind` and `dataset_info` as in export_project."""
    check_dataset_info(out_format, dataset_info)
    protected = files_protected(inputs, recipe_path)
    ensure_out_dir(out, protected, replace)
    registry = load_registry()
    if echo:
        report_errors(registry, echo)
    if recipe is None:
        recipe = load_recipe(recipe_path) if recipe_path else Recipe()
    exporter = registry.exporter(out_format)
    for spec in recipe.steps:  # check the whole recipe before reading any data
        registry.build_step(spec, recipe.source)
    results = [read_input(str(path), options, registry) for path in inputs]
    if not results:
        raise WorkbenchError("no input files given")
    records = finalize_ids(pl.concat([r.records for r in results]))
    outcome = run_recipe(records, recipe, registry, progress=progress, cancelled=cancelled)
    info = ExportInfo(
        recipe,
        [{"path": r.path, "format": r.format, "sha256": r.sha256, "rows": r.records.height,
          "quarantined": len(r.quarantine)} for r in results],
        scrub_quarantine([q for r in results for q in r.quarantine], recipe, registry),
    )
    check = leak_check(recipe, registry, records=records, allow_leaks=allow_leaks)
    result = write_export(outcome, out, info, exporter, with_meta, check, replace=replace, protected=protected,
                          shared=shared, kind=kind, dataset_info=dataset_info)
    raise_on_leak(result)
    return result


def check_dataset_info(out_format: str, dataset_info: bool) -> None:
    """dataset_info.json describes LLaMA-Factory's formats only."""
    from ..io.out_dataset_info import FORMATS

    if dataset_info and out_format not in FORMATS:
        raise ConfigError(f"--dataset-info describes the files for LLaMA-Factory: it goes with --format "
                          f"{' or '.join(FORMATS)}, not {out_format}")


def shared_setting(project: Project) -> bool:
    """The project's `[export] shared` setting: whether its exports are readable by everyone
    (folders 0755, files 0644) rather than by the user only (0700, 0600, the default)."""
    section = project.config.get("export", {})
    where = f"{project.path / 'workbench.toml'} [export]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: must be a table, like [export] shared = true")
    value = section.get("shared", False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: shared must be true or false, not {value!r}")
    return value


def export_target(out: str | Path, *, project_dir: str | Path | None = None, inputs: Sequence[str | Path] = (),
                  recipe_path: str | Path | None = None) -> bool:
    """Whether `out` holds a previous export (True) or is new or empty (False), so a command can
    ask before replacing it; raises OutputRefused for a folder no export may be written into."""
    if project_dir is None:
        return check_out_dir(out, files_protected(inputs, recipe_path))
    from .project import Project

    project = Project.open(project_dir)
    try:
        return check_out_dir(out, project_protected(project))
    finally:
        project.close()


def project_protected(project: Project) -> list[Protected]:
    """The project folder and its input files (as recorded, read from here and from the project)."""
    protected: list[Protected] = [(project.path, f"the workbench project {project.path}")]
    paths = {str(row["path"]) for row in project.inputs()}
    paths |= {str(item["path"]) for item in project.config.get("inputs", [])
              if isinstance(item, dict) and "path" in item}
    for path in sorted(paths):
        protected.append((Path(path), f"the input file {path}"))
        if not Path(path).is_absolute():
            protected.append((project.path / path, f"the input file {path}"))
    return protected


def files_protected(inputs: Sequence[str | Path], recipe_path: str | Path | None = None) -> list[Protected]:
    protected: list[Protected] = [(Path(p), f"the input file {p}") for p in inputs]
    if recipe_path is not None:
        protected.append((Path(recipe_path), f"the recipe file {recipe_path}"))
    return protected
