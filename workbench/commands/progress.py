"""A rich progress bar on stderr for headless commands, fed by (label, done, total) callbacks."""

from __future__ import annotations


class RichProgress:
    """A rich progress bar on stderr fed by the recipe runner's (label, done, total) callback."""

    def __init__(self, console, quiet: bool) -> None:
        self.console, self.quiet = console, quiet
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if self.quiet:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=self.console, transient=False)
        self.bar.__enter__()
        return self.update

    def update(self, label: str, done: int, total: int) -> None:
        if label not in self.tasks:
            self.tasks[label] = self.bar.add_task(label, total=total or 1)
        self.bar.update(self.tasks[label], completed=done if total else 1, total=total or 1)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
