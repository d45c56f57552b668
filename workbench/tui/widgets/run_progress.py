"""One line shown while the recipe runs: the current step and a progress bar with ETA."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, ProgressBar


class RunProgress(Horizontal):
    """Hidden until `start`; `advance` follows the recipe's progress callback."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.steps: list[str] = []

    def compose(self):
        yield Label("", id="run-step")
        yield ProgressBar(total=None, show_eta=True, id="run-bar")
        yield Label("esc cancels", id="run-hint")

    def start(self, steps: list[str]) -> None:
        self.steps = steps
        self.query_one("#run-step", Label).update("starting the recipe…")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.add_class("-running")

    def advance(self, label: str, done: int, total: int) -> None:
        where = f" ({self.steps.index(label) + 1}/{len(self.steps)})" if label in self.steps else ""
        self.query_one("#run-step", Label).update(Content(f"{label}{where}"))
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def waiting(self, text: str) -> None:
        self.query_one("#run-step", Label).update(Content(text))
        self.query_one(ProgressBar).update(total=None)

    def stop(self) -> None:
        self.remove_class("-running")
