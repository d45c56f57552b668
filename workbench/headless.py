"""Headless pipelines shared by the CLI and the tests: run a recipe and write an export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from .errors import WorkbenchError
from .export import ExportInfo, ExportResult, default_export_dir, write_export
from .io import ImportOptions, finalize_ids, read_input
from .pii.leak import leak_check, raise_on_leak, scrub_quarantine
from .plugins import load_registry, report_errors
from .recipe import Recipe, load_recipe, run_recipe
from .steps.base import ProgressCallback

Echo = Callable[[str], None]


def export_project(project_dir: str | Path, out: str | Path | None = None, *, out_format: str = "openai",
                   with_meta: bool = False, progress: ProgressCallback | None = None,
                   cancelled: Callable[[], bool] = lambda: False, echo: Echo | None = None,
                   allow_leaks: bool = False) -> ExportResult:
    """Run a project's recipe with its human decisions and export the result."""
    from .project import Project

    project = Project.open(project_dir)
    try:
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
        result = write_export(outcome, out_dir, info, exporter, with_meta, check)
        project.store.log("exported", {"out": str(out_dir), "format": out_format,
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
                 echo: Echo | None = None, allow_leaks: bool = False) -> ExportResult:
    """Stateless batch mode: files + recipe in, export folder out; no project, no human decisions."""
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
    result = write_export(outcome, out, info, exporter, with_meta, check)
    raise_on_leak(result)
    return result
