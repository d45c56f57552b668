"""`workbench train` and `workbench runs`. Importing this module is cheap: torch loads in the command.

Every training setting is also a flag of the same name (`max_steps` -> `--max-steps`), generated
from TrainConfig so the two never drift apart; a flag given on the command line wins over
workbench.toml [train].
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..errors import Cancelled
from ..train.config import CHOICES, HELP, SETTINGS
from ..train.runs import clock
from .base import run_command

_CLICK_TYPES = {"int": click.INT, "float": click.FLOAT, "str": click.STRING, "list[str]": click.STRING}


def _setting_options(func):
    for name in reversed(list(SETTINGS)):
        flag = "--" + name.replace("_", "-")
        kind = SETTINGS[name].type
        if kind == "bool":
            option = click.option(f"{flag}/--no-{flag[2:]}", name, default=None, help=HELP.get(name))
        else:
            metavar = {"int": "N", "float": "X", "list[str]": "A,B"}.get(kind, "TEXT")
            if name in CHOICES:
                metavar = "|".join(CHOICES[name])
            elif name == "base_model":
                metavar = "PATH"
            option = click.option(flag, name, type=_CLICK_TYPES[kind], default=None, metavar=metavar,
                                  help=HELP.get(name))
        func = option(func)
    return func


def _console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class _TrainProgress:
    """A rich progress bar fed by the run's metrics rows."""

    def __init__(self, console, quiet: bool) -> None:
        self.console, self.quiet = console, quiet
        self.bar = None
        self.task = None
        self.holdout: float | None = None

    def __enter__(self):
        if not self.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[info]}"), console=self.console)
            self.bar.__enter__()
        return self

    def echo(self, message: str) -> None:
        from rich.markup import escape

        (self.bar.console if self.bar else self.console).print(escape(message))

    def row(self, row: dict[str, Any]) -> None:
        if row.get("holdout_loss") is not None:
            self.holdout = row["holdout_loss"]
        if self.bar is None:
            return
        parts = []
        if row.get("loss") is not None:
            parts.append(f"loss {row['loss']:.3f}")
        if self.holdout is not None:
            parts.append(f"holdout {self.holdout:.3f}")
        if row.get("tokens_per_s"):
            parts.append(f"{row['tokens_per_s']:,.0f} tok/s")
        parts.append(f"{clock(row.get('elapsed'))} elapsed, {clock(row.get('remaining'))} left")
        if self.task is None:
            self.task = self.bar.add_task("train", total=row["total"], info="")
        self.bar.update(self.task, completed=row["step"], total=row["total"], info=" · ".join(parts))

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@click.command()
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), default=None, metavar="EXPORT_DIR",
              help="Train on this export (default: the newest under PROJECT/exports/).")
@click.option("--resume", metavar="RUN_ID", default=None,
              help="Continue a cancelled or interrupted run from its last checkpoint.")
@click.option("--run-id", default=None, hidden=True, help="Use a run folder made beforehand (the TUI does).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_setting_options
def train(project: Path | None, data: Path | None, resume: str | None, run_id: str | None, quiet: bool,
          **settings: Any) -> None:
    """Fine-tune a LoRA adapter (QLoRA on CUDA) on PROJECT's newest export.

    Loss is computed on the assistant turns of train.jsonl only; holdout.jsonl is never trained
    on and gives the holdout loss. Settings come from workbench.toml [train]; flags override them.
    """
    from ..services.train_run import TrainRequest
    from ..services.train_run import train as run_training

    if resume and run_id:
        raise click.UsageError("give either --resume or --run-id, not both")
    console = _console()
    request = TrainRequest(project or Path("."), settings, data=data, run_id=run_id, resume=resume)
    try:
        with _TrainProgress(console, quiet) as progress:
            run = run_training(request, on_row=progress.row, echo=progress.echo)
    except Cancelled as e:
        # Not an error: the run stopped where it was asked to, with a checkpoint to resume from.
        from rich.markup import escape

        console.print(f"[yellow]cancelled:[/] {escape(str(e))}")
        sys.exit(Cancelled.exit_code)
    result = run.read().get("result") or {}
    summary = [f"run [bold]{run.id}[/] finished after {result.get('step')} steps"]
    if result.get("holdout_loss") is not None:
        summary.append(f"holdout loss {result['holdout_loss']:.3f} (best {result['best_holdout_loss']:.3f} "
                       f"at step {result['best_step']})")
    if result.get("stopped_early"):
        summary.append("stopped early")
    console.print("; ".join(summary))
    console.print(f"adapter: {result.get('adapter')}" + (f"\nmerged model: {result['merged']}"
                                                         if result.get("merged") else ""))


@click.command()
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--cancel", "cancel_id", metavar="RUN_ID", default=None, help="Ask a running run to stop.")
def runs(project: Path | None, cancel_id: str | None) -> None:
    """List PROJECT's training runs with their status and losses."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from ..services.project import Project
    from ..services.training import RunProgress, cancel_run
    from ..train.runs import Run, list_runs

    project_dir = Project.open(project or Path(".")).path  # a clear error when it is not a project
    if cancel_id:
        cancel_run(Run.open(project_dir, cancel_id))
        _console().print(f"asked run {cancel_id} to stop; it saves a checkpoint first")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("run", "status", "step", "loss", "holdout"):
        table.add_column(name, no_wrap=True, justify="right" if name in ("step", "loss", "holdout") else "left")
    table.add_column("how")
    for run in list_runs(project_dir):
        rec = run.read()
        progress = RunProgress(rec, run.metrics())
        how = ", ".join(x for x in (rec.get("mode"), rec.get("device"), progress.base_label) if x)
        table.add_row(run.id, run.status(rec), f"{progress.step}/{rec.get('steps_total', '?')}",
                      f"{progress.train_loss:.3f}" if progress.train_loss is not None else "",
                      f"{progress.holdout_loss:.3f}" if progress.holdout_loss is not None else "",
                      "; ".join(x for x in (how, rec.get("error")) if x))
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    """The train command on its own, with the CLI's error handling."""
    return run_command(train, argv, "workbench train")
