"""`/` on a queue: what to look for (a record id or its first characters, a word of the text)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class FindDialog(ModalScreen[str | None]):
    """One line of text to find; enter finds the next match, escape cancels."""

    DEFAULT_CSS = """
    FindDialog { align: center middle; }
    FindDialog > Vertical { width: 70; max-width: 95%; height: auto; border: round $accent; padding: 0 1;
                            background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, help_text: str, last: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.help_text = help_text
        self.last = last
        self.placeholder = placeholder

    def compose(self):
        with Vertical():
            yield Label(self.help_text)
            yield Input(self.last, placeholder=self.placeholder, id="find-text")

    def on_mount(self) -> None:
        self.query_one("#find-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value if event.value.strip() else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
