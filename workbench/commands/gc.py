"""`workbench gc PROJECT`: show and remove recipe snapshots nothing uses and what killed exports left.

Only click is imported at module level; the plan lives in workbench.services.housekeeping.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("project", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only report what would be kept and removed.")
@click.option("--keep", "keep_newest", default=3, show_default=True, type=click.IntRange(min=1),
              help="Recipe snapshots kept even when nothing uses them, newest first.")
def gc(project: Path, dry_run: bool, keep_newest: int) -> None:
    """Remove recipe snapshots that no export, run or comparison uses (the newest and every
    import snapshot stay), and the hidden folders of exports that were killed."""
    from ..services import housekeeping
    from ..services.project import Project

    p = Project.open(project)
    try:
        plan = housekeeping.plan(p, keep_newest)
        for item in plan.keep:
            click.echo(f"keep    {item.label:<28} {housekeeping.human_size(item.size):>9}  {item.why}")
        for item in plan.remove:
            verb = "would remove" if dry_run else "remove"
            click.echo(f"{verb:<7} {item.label:<28} {housekeeping.human_size(item.size):>9}  {item.why}")
        if not plan.remove:
            click.echo("nothing to remove")
            return
        size = sum(item.size for item in plan.remove)
        if not dry_run:
            size = housekeeping.apply(plan)
        snapshots, leftovers = plan.count("snapshot"), plan.count("leftover")
        what = (f"{snapshots} snapshot{'s' if snapshots != 1 else ''} and "
                f"{leftovers} leftover{'s' if leftovers != 1 else ''}")
        if dry_run:
            click.echo(f"would remove {what}, {housekeeping.human_size(size)}; run without --dry-run to remove them")
        else:
            click.echo(f"removed {what}, {housekeeping.human_size(size)} freed")
    finally:
        p.close()
