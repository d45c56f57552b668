"""The `workbench` command. With no subcommand (or just a project path) it opens the TUI.

The interface layer: one click group, one module per group of commands. Nothing else in
workbench imports this package, and only it opens the TUI.

Heavy libraries are imported inside the commands that need them, so `workbench --help` and a
headless export start fast, and `workbench export` never loads textual.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from .base import run_command
from .check import check
from .data import export, import_, init, plugins
from .decisions import decisions
from .evaluate import compare, eval_group, export_preferences, generate, report
from .gc import gc
from .pii import pii
from .train import runs, train

__all__ = ["cli", "main", "run_command"]


class DefaultToTui(click.Group):
    """`workbench PROJECT` (a path, not a command name) means `workbench tui PROJECT`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        opens_tui = args and (args[0].startswith("--rater") or not args[0].startswith("-"))
        if opens_tui and args[0] not in self.commands:
            args = ["tui", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToTui, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="workbench")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Prepare fine-tuning data and judge the result.

    Run `workbench` or `workbench PROJECT [--rater NAME]` to open the terminal UI.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui, project=None, rater=None)


@cli.command(hidden=True)
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--rater", default=None,
              help="Your name, stored with every decision (asked the first time you open a project; "
                   "default: $WORKBENCH_RATER).")
def tui(project: Path | None, rater: str | None) -> None:
    """Open the terminal UI on PROJECT (default: the current folder)."""
    from ..tui.app import run_app

    run_app(project, rater=rater)


# Importing the command modules is cheap: each loads its heavy libraries inside its commands.
for _command in (init, import_, export, plugins,  # data: projects, imports, exports, plugins
                 train, runs,  # training
                 generate, compare, eval_group, report, export_preferences,  # evaluation
                 decisions, gc, check, pii):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    return run_command(cli, argv, "workbench")
