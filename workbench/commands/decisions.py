"""`workbench decisions export|import`: the portable decision log on the command line."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("decisions")
def decisions() -> None:
    """Back up, audit and merge human decisions as JSONL (one decision per line)."""


@decisions.command("export")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def export_decisions(project: Path, file: Path, force: bool) -> None:
    """Write every human decision of PROJECT to FILE ('-': standard output), oldest first."""
    from ..services.decision_log import write_log
    from ..services.project import Project

    p = Project.open(project)
    try:
        n = write_log(p.store, None if str(file) == "-" else file, force=force)
    finally:
        p.close()
    if str(file) != "-":
        click.echo(f"wrote {n:,} decisions to {file}", err=True)


@decisions.command("import")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path))
def import_decisions(project: Path, file: Path) -> None:
    """Add the decisions in FILE that PROJECT does not have yet (importing twice adds nothing)."""
    from ..services.decision_log import import_log
    from ..services.project import Project

    p = Project.open(project)
    try:
        report = import_log(p.store, file, p.records().get_column("id").to_list())
        if report.added:
            p.store.log("decisions_imported", {"file": str(file), "added": report.added})
    finally:
        p.close()
    click.echo(f"{file}: {report.added:,} added, {report.already:,} already in the project"
               + (f", {len(report.skipped):,} skipped" if report.skipped else ""), err=True)
    for line, why in report.skipped:
        click.echo(f"  skipped {file}:{line}: {why}", err=True)
