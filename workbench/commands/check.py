"""`workbench check EXPORT_DIR`: is an export still what its report.json says, and free of the
personal data its pii step scrubbed? The checks themselves are in workbench.export.verify."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("export_dir", type=click.Path(path_type=Path))
@click.option("--project", "project_dir", type=click.Path(path_type=Path), default=None, metavar="PATH",
              help="The project the export came from, when it is not a folder above EXPORT_DIR "
                   "(the leak check looks up the personal values recorded there).")
def check(export_dir: Path, project_dir: Path | None) -> None:
    """Re-run the hash check and the leak check on an export.

    Exit 0 when clean, 3 when the leak check finds personal data, 2 when a file differs from
    report.json (changed, missing or added) or EXPORT_DIR is not an export.
    """
    from rich.console import Console
    from rich.markup import escape

    from ..errors import LeakFound
    from ..export.verify import ExportTampered
    from ..services.check import verify_export

    result = verify_export(export_dir, project_dir)
    out = Console(highlight=False)
    report = result.report
    made = ", ".join(x for x in (f"project {report['project']}" if report.get("project") else "stateless",
                                 report.get("created_at")) if x)
    out.print(f"export {escape(str(export_dir))} ({escape(made)})")
    width = max(len(s.name) for s in result.files)
    for s in result.files:
        rows = f"{s.expected_rows:,} row{'s' * (s.expected_rows != 1)}" if s.ok and s.expected_rows is not None else ""
        style = "green" if s.ok else "red"
        detail = rows if s.ok else s.problem()
        out.print(f"  [{style}]{s.state:<10}[/] {escape(s.name):<{width}}  {escape(detail)}")
    if result.leak is None:
        out.print("leak check: not run (the recipe had no pii step)")
    else:
        _print_leak(out, result, width)
    # The verdict as an error, so the CLI's one exit path gives its code (2 tampered, 3 leak).
    if result.tampered:
        bad = [s.name for s in result.files if not s.ok]
        raise ExportTampered(str(export_dir), f"{len(bad)} file(s) differ from report.json ({', '.join(bad)}); "
                                              "nothing trained on them can be traced to the recipe: export again")
    if result.leaked:
        raise LeakFound(f"leak check failed for {export_dir}; review the PII findings and export again")


def _print_leak(out, result, width: int) -> None:
    from rich.markup import escape

    leak = result.leak
    out.print(f"leak check of {', '.join(leak['files'])} against {escape(result.leak_source)}:")
    for name, tally in result.leak_by_file.items():
        spans = ", ".join(f"{entity} {n:,}" for entity, n in tally["still_found"].items())
        parts = ([f"{tally['originals']:,} recorded value(s) verbatim"] if tally["originals"] else []) + \
                ([f"spans still found: {spans}"] if spans else [])
        out.print(f"  [red]{'leak':<10}[/] {escape(name):<{width}}  {escape('; '.join(parts))}")
    if not leak["leaked"]:
        out.print(f"leak check passed: none of the {leak['originals_checked']:,} recorded values and no span of a "
                  "scrubbed type found")
        return
    where = ", ".join(f"{p['file']}:{p['line']} {p['entity']}" for p in leak["places"][:10])
    kept = " (the export was kept with --allow-leaks)" if (result.report.get("leak_check") or {}).get("allowed") \
        else ""
    out.print(f"[red]leak check failed[/]{kept}: {leak['originals_found']:,} recorded value(s) verbatim and "
              f"{sum(leak['still_found'].values()):,} span(s) of scrubbed types still found; first at "
              f"{escape(where)} (values are never printed)")
