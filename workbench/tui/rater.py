""""Who is rating?": asked the first time a person opens a project, before any tab can record a
decision, so that every decision carries a name a person gave (never silently the login name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label

from ..services.raters import MAX_NAME, clean_name


class RaterScreen(Screen):
    """Asks for the reviewer's name; `answered(name)` gets the cleaned name on enter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "answer", "Start rating", show=True)]

    def __init__(self, project_name: str, suggested: str, answered: Callable[[str], None]) -> None:
        super().__init__()
        self.project_name = project_name
        self.suggested = suggested
        self.answered = answered

    def compose(self):
        yield Header()
        with Center():
            with Vertical(id="rater-box"):
                yield Label(Text("Who is rating?", style="bold"), id="rater-title")
                yield Label(Text(f"Every decision you make in {self.project_name} carries your name, so that "
                                 "the work of several reviewers can be told apart and compared. You are "
                                 "asked once; this project remembers it for your login."), id="rater-why")
                yield Input(self.suggested, placeholder="your name, e.g. Ana Dias", max_length=MAX_NAME,
                            id="rater-name")
                yield Label("", id="rater-problem")
                yield Label("enter: start rating · ctrl+q: quit", id="rater-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rater-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_answer()

    def action_answer(self) -> None:
        name = clean_name(self.query_one("#rater-name", Input).value)
        if name is None:
            self.query_one("#rater-problem", Label).update(
                Text("Type your name first: decisions are not recorded without one.", style="bold red"))
            return
        self.answered(name)
