"""`workbench pii purge PROJECT`: remove the original personal values once the review is done.

Only click is imported at module level; the work is in workbench.services.pii_purge.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import LeakFound, WorkbenchError
from .base import err_console


@click.group()
def pii() -> None:
    """Personal data in a project: purge the originals once the review is done."""


@pii.command()
@click.argument("project", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask; needed where there is no terminal to ask on.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def purge(project: Path, yes: bool, quiet: bool) -> None:
    """Remove the original values the pii step found from the store, the snapshots and the cache.

    The steps up to pii are sealed: their result (scrubbed) becomes the project's input, and they
    cannot change any more. What later runs need is kept as keyed hashes, with the key outside the
    project ($WORKBENCH_PII_KEY, else pii.key in the user's workbench config folder): the same
    value keeps its stand-in in rows imported later, and exports keep their leak check. An export
    after the purge is byte-identical to one before. This cannot be undone.
    """
    from ..services import pii_purge
    from ..services.housekeeping import human_size
    from ..services.project import Project
    from .progress import RichProgress

    console = err_console()
    p = Project.open(project)
    try:
        at = pii_purge.sealed_steps(p.recipe())
        names = ", ".join(s.name for s in p.recipe().steps[:at + 1])
        n = pii_purge.what_it_removes(p)
        question = (f"Purge the originals in {p.path}? This removes {n['findings']:,} findings "
                    f"({n['values']:,} values) and {n['pseudonyms']:,} pseudonym originals from the store, "
                    f"{n['imports']:,} import and {n['recipe_runs']:,} recipe snapshot(s) and the cache, and "
                    f"seals the steps {names}. It cannot be undone.")
        if not yes:
            try:
                terminal = sys.stdin is not None and sys.stdin.isatty()
            except (AttributeError, ValueError):
                terminal = False
            if not terminal:
                raise WorkbenchError(f"{question} Pass --yes to purge without a terminal to ask on.")
            if not click.confirm(question, default=False):
                raise WorkbenchError("nothing was purged")
        with RichProgress(console, quiet) as progress:
            r = pii_purge.purge(p, progress=progress)
    finally:
        p.close()
    out = click.echo
    out(f"purged {project}: sealed the steps {', '.join(r.steps)} over {r.rows:,} rows (snapshot {r.snapshot})")
    out(f"  store: {r.findings:,} findings with {r.values:,} distinct values removed; {r.pseudonyms:,} "
        "pseudonym(s) now kept under a keyed hash")
    if r.quarantine_scrubbed:
        out(f"  quarantine: personal data removed from the raw text of {r.quarantine_scrubbed:,} row(s)")
    out(f"  snapshots: {len(r.snapshots_removed):,} removed ({human_size(r.snapshot_bytes)}): "
        f"{', '.join(r.snapshots_removed) or 'none'}")
    out(f"  cache: {r.cache_files:,} file(s) removed ({human_size(r.cache_bytes)})")
    out(f"  key: {r.key_path} (id {r.key_id}{', created now' if r.key_created else ''}); later runs and "
        "exports of this project need it: keep it, outside the project")
    out(f"  searched {r.files_searched:,} file(s) under {project} for the {r.values:,} values")
    if not r.found:
        out("  none of them is in any file under the project")
    for f in r.found:
        what = {"workbench": "workbench's own state", "export": "an export", "yours": "not written by workbench; "
                "left as it is"}[f.owner]
        out(f"  still found in {f.path}: {f.scrubbed:,} value(s) the pii step scrubbed, {f.left:,} it left in "
            f"the text ({what})")
    if not r.clean:
        raise LeakFound("some of workbench's own files still hold values the pii step scrubbed (listed above)")
