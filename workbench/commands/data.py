"""`workbench init`, `import`, `export` and `plugins`: projects, their inputs, exports and plugins."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import WorkbenchError
from .base import err_console


def _parse_mapping(items: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"expected FIELD=COLUMN (e.g. prompt=question), got {item!r}",
                                     param_hint="--map")
        mapping[key.strip()] = value.strip()
    return mapping


def _options(fmt: str | None, mapping: tuple[str, ...]):
    from ..io import ImportOptions

    return ImportOptions(format=fmt, mapping=_parse_mapping(mapping))


def _print_import(results, console) -> None:
    from rich.markup import escape

    for r in results:
        encoding = f", read as {r.encoding}" if r.encoding != "utf-8" else ""
        console.print(f"imported [bold]{r.records.height:,}[/] rows from {escape(r.path)} ({r.format}{encoding})"
                      + (f"; [yellow]{len(r.quarantine):,} rows quarantined[/]" if r.quarantine else ""))
        for q in r.quarantine[:5]:
            where = f"{q['file']}:{q['line']}" if q.get("line") is not None else q["file"]
            console.print(f"  [yellow]quarantined[/] {escape(where)}: {escape(q['reason'])}")
        if len(r.quarantine) > 5:
            console.print(f"  ... and {len(r.quarantine) - 5:,} more (see quarantine.jsonl in an export)")


def input_format_option(command):
    """`--input-format NAME`: what is read, in every command (`--format` names what is written).
    `--format` still works here, hidden, with a note: it was this option's name."""
    command = click.option("--format", "legacy_format", default=None, hidden=True, metavar="NAME")(command)
    return click.option(
        "--input-format", "fmt", default=None, metavar="NAME",
        help="Input format when auto-detection cannot tell: openai, sharegpt, alpaca, dolly, preference, kto, "
             "prompt_completion, csv, parquet.")(command)


def _input_format(fmt: str | None, legacy: str | None) -> str | None:
    if legacy is not None:
        err_console().print(f"[yellow]note:[/] --format names the output format (in export); the input "
                            f"format is --input-format {legacy}")
        return fmt or legacy
    return fmt
map_option = click.option(
    "--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
    help="Column mapping for CSV/Parquet/JSON: prompt, response, system, category, origin, id, messages.")


@click.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--input", "inputs", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="A file to import (repeatable).")
@click.option("--name", default=None, help="Project name (default: the folder name).")
@input_format_option
@map_option
def init(project: Path, inputs: tuple[Path, ...], name: str | None, fmt: str | None,
         legacy_format: str | None, mapping: tuple[str, ...]) -> None:
    """Create a project folder and import FILEs into it."""
    from ..services.project import Project

    fmt = _input_format(fmt, legacy_format)
    p = Project.create(project, inputs, _options(fmt, mapping), name=name)
    console = err_console()
    console.print(f"created project [bold]{p.name}[/] in {project}")
    if inputs:
        imported = p.store.inputs.all()
        console.print(f"{sum(r['rows'] for r in imported):,} rows imported from {len(imported)} file(s); "
                      f"{sum(r['quarantined'] for r in imported):,} quarantined")
        from rich.markup import escape

        for q in p.quarantine()[:5]:
            console.print(f"  [yellow]quarantined[/] {escape(q['file'])}:{q['line']}: {escape(q['reason'])}")
    p.close()


@click.command("import")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Import a file again even if it was imported before.")
@input_format_option
@map_option
def import_(project: Path, files: tuple[Path, ...], force: bool, fmt: str | None,
            legacy_format: str | None, mapping: tuple[str, ...]) -> None:
    """Add FILEs to PROJECT. Nothing changes unless every file can be read."""
    from ..services.project import Project

    fmt = _input_format(fmt, legacy_format)
    p = Project.open(project)
    results = p.import_files(files, _options(fmt, mapping), force=force)
    _print_import(results, err_console())
    p.close()


@click.command()
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: PROJECT/exports/<timestamp>/). It must be new or empty, or hold "
                   "a previous workbench export, which is replaced only with --force or after a y/N question "
                   "on a terminal. Any other folder (your files, a project, one holding an input file, the "
                   "current folder) is refused and left as it is.")
@click.option("--force", is_flag=True, help="Replace the previous workbench export in --out without asking.")
@click.option("--format", "out_format", default="openai", show_default=True,
              help="Train/holdout format: openai, sharegpt, alpaca, trl, parquet (or a plugin's). Rows a format "
                   "cannot hold (e.g. tool calls in alpaca) are listed in removed.jsonl with the reason.")
@click.option("--kind", type=click.Choice(["sft", "preference", "kto"]), default=None,
              help="The kind of record to write (an export writes one). Default: the only kind the rows have; "
                   "rows of several kinds need --kind.")
@click.option("--dataset-info", is_flag=True,
              help="Also write LLaMA-Factory's dataset_info.json for train and holdout (with --format sharegpt "
                   "or alpaca).")
@click.option("--with-meta", is_flag=True, help="Add id, category, origin and meta (the input fields no importer mapped, as a JSON "
              "string) to each row.")
@click.option("--input", "inputs", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="Stateless mode: export these files with --recipe, no project needed.")
@click.option("--recipe", "recipe_path", type=click.Path(path_type=Path), default=None,
              help="Recipe TOML (stateless mode; default: validate, exact_dedup, near_dedup).")
@click.option("--input-format", "fmt", default=None, metavar="NAME", help="Input format for --input files.")
@map_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--allow-leaks", is_flag=True,
              help="Exit 0 even when the PII leak check finds scrubbed values in the export (without it the "
                   "export is kept for inspection but exits 3, and `workbench train` skips it).")
@click.option("--shared/--private", default=None,
              help="--shared: make the export readable by everyone on this machine (folders 0755, files 0644), "
                   "e.g. to hand it to a training cluster. --private: readable by you only (0700, 0600). "
                   "Default: the project's [export] shared setting in workbench.toml, else private.")
def export(project: Path | None, out: Path | None, force: bool, out_format: str, kind: str | None,
           dataset_info: bool, with_meta: bool, inputs: tuple[Path, ...], recipe_path: Path | None, fmt: str | None,
           mapping: tuple[str, ...], quiet: bool, allow_leaks: bool, shared: bool | None) -> None:
    """Run the recipe headless and write train/holdout files, removed rows, report and data card."""
    from ..export.folder import OutputRefused
    from ..services.headless import export_files, export_project, export_target

    if dataset_info and out_format not in ("sharegpt", "alpaca"):
        raise click.UsageError(f"--dataset-info goes with --format sharegpt or alpaca (LLaMA-Factory's), "
                               f"not {out_format}")
    if inputs:
        if project is not None:
            raise click.UsageError("give either a PROJECT or --input files, not both")
        if out is None:
            raise click.UsageError("--out DIR is required with --input")
    elif recipe_path is not None:
        raise click.UsageError("--recipe goes with --input; a project's recipe is in its workbench.toml")
    replace = False
    # Asked before the progress bar starts, and before any work, so a refusal changes nothing.
    if out is not None and export_target(out, project_dir=None if inputs else (project or Path(".")),
                                         inputs=inputs, recipe_path=recipe_path):
        try:
            terminal = sys.stdin is not None and sys.stdin.isatty()
        except (AttributeError, ValueError):  # a closed or replaced stdin
            terminal = False
        if not force and not terminal:
            raise OutputRefused(f"{out}: holds a previous workbench export; pass --force to replace it")
        if not force and not click.confirm(f"Replace the previous workbench export in {out}?", default=False):
            raise OutputRefused(f"{out}: the previous workbench export was kept; nothing was written")
        replace = True
    console = err_console()
    from .progress import RichProgress

    def warn(message: str) -> None:  # plugin warnings are plain text: a "[...]" in one is not markup
        console.print(message, style="yellow", markup=False, highlight=False, soft_wrap=True)

    try:
        with RichProgress(console, quiet) as progress:
            if inputs:
                result = export_files(inputs, out, recipe_path=recipe_path, options=_options(fmt, mapping),
                                      out_format=out_format, with_meta=with_meta, progress=progress,
                                      echo=warn, allow_leaks=allow_leaks, replace=replace, shared=bool(shared),
                                      kind=kind, dataset_info=dataset_info)
            else:
                result = export_project(project or Path("."), out, out_format=out_format, with_meta=with_meta,
                                        progress=progress, echo=warn, allow_leaks=allow_leaks,
                                        replace=replace, shared=shared, kind=kind, dataset_info=dataset_info)
    except OSError as e:  # a full disk or a folder that turned read-only: a message, not a traceback
        raise WorkbenchError(f"{out or 'the export'}: the export could not be written: {e}") from None
    r = result.report
    console.print(
        f"exported [bold]{r['splits']['train']:,}[/] train and [bold]{r['splits']['holdout']:,}[/] holdout rows "
        f"to {result.out_dir}; {r['removed']['total']:,} removed, {r['quarantined']:,} quarantined"
    )
    left_out = sum((r["removed"].get("cannot_hold") or {}).values())
    if left_out:
        console.print(f"[yellow]{left_out:,} rows the {r['format']} format cannot hold were left out (listed in "
                      "removed.jsonl, reason format_cannot_hold, with the format that can hold them)[/]")
    for other, n in (r.get("other_kinds") or {}).items():
        console.print(f"note: {n:,} {other} rows not written: this export writes {r['kind']} rows; "
                      f"--kind {other} exports them", markup=False, highlight=False, soft_wrap=True)
    weights = r.get("turn_weights")
    if weights and not weights["written"]:
        console.print(f"[yellow]{weights['rows']:,} rows weight their turns, which the {r['format']} format cannot "
                      "hold: those turns will be trained on; --format openai or parquet keeps them[/]")
    leaks = r.get("leak_check")
    if leaks is not None:
        if leaks["leaked"]:
            console.print(f"[yellow]leak check: {leaks['originals_found']:,} recorded value(s) and "
                          f"{sum(leaks['still_found'].values()):,} span(s) still found; kept because of --allow-leaks[/]")
        else:
            console.print(f"leak check: none of {leaks['originals_checked']:,} scrubbed values and no span of "
                          "a scrubbed type found in train, holdout or quarantine")
    closed = _closed_above(result.out_dir)
    if closed is not None:
        console.print(f"note: the export is shared, but {closed} is open to its owner only, so nobody else can "
                      "reach it there; copy it, or export with --out to a folder others can open",
                      style="yellow", markup=False, highlight=False, soft_wrap=True)


def _closed_above(out_dir: Path) -> Path | None:
    """For a shared export (readable by others): the nearest folder above it that others cannot
    pass through (a project folder is private), or None."""
    import stat

    try:
        if not out_dir.stat().st_mode & stat.S_IROTH:
            return None  # a private export
        for parent in out_dir.resolve().parents:
            if not parent.stat().st_mode & stat.S_IXOTH:
                return parent
    except OSError:
        pass
    return None


@click.command()
def plugins() -> None:
    """List loaded plugins with their versions and where they came from, and those not loaded."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..plugins import load_registry, report_errors
    from ..services.project import Project, is_project

    if is_project("."):
        project = Project.open(".")
        try:
            registry = project.registry()
        finally:
            project.close()
    else:
        registry = load_registry()
    table = Table("plugin", "version", "from", "provides")
    for info in registry.plugins:
        table.add_row(Text(info.name), Text(info.version), Text(info.source),
                      Text(", ".join(h.removeprefix("register_") for h in info.hooks)))
    for err in registry.errors:  # refused or broken: a row of its own, so it cannot go unnoticed
        table.add_row(Text(err.name), Text("-"), Text(err.source),
                      Text.assemble(("not loaded: ", "bold red"), err.message))
    console = Console(highlight=False)
    console.print(table)
    console.print("steps: " + ", ".join(sorted(registry.steps)), markup=False)
    console.print("importers: " + ", ".join(sorted(registry.importers)), markup=False)
    console.print("export formats: " + ", ".join(sorted(registry.exporters)), markup=False)
    report_errors(registry, lambda m: err_console().print(m, style="yellow", markup=False, soft_wrap=True))
