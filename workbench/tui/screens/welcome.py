"""Shown when Workbench starts outside a project: how to make one, and nothing that can crash."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class NoProjectScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit")]

    def __init__(self, where: Path, problem: str | None = None) -> None:
        super().__init__()
        self.where = where
        self.problem = problem

    def compose(self):
        yield Header()
        problem = self.problem or f"{self.where} is not a Workbench project."
        text = Content.assemble(
            ("Welcome to Workbench", "bold"), "\n\n",
            problem, "\n\n",
            "Create a project from a data file (OpenAI chat JSONL, ShareGPT, Alpaca, Dolly, CSV, Parquet):", "\n\n",
            ("    workbench init my-project --input data.jsonl", "bold $accent"), "\n\n",
            "then open it:", "\n\n",
            ("    workbench my-project", "bold $accent"), "\n\n",
            ("Press q to quit.", "dim"),
        )
        with Middle():
            with Center():
                yield Static(text, id="no-project")
        yield Footer()
