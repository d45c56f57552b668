"""One record on the whole screen: what the Data tab's record pane shows, with room to read it on
a small terminal. esc (or enter) goes back to the table."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from .record_detail import RecordDetail


class RecordScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RecordScreen { align: center middle; }
    RecordScreen > Vertical { width: 100%; height: 100%; border: round $primary; background: $surface; }
    RecordScreen RecordDetail { height: 1fr; padding: 0 1; }
    RecordScreen .hint { color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Back to the table"),
    ]

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__()
        self.record = record

    def compose(self):
        with Vertical():
            yield RecordDetail(id="record-screen-detail")
            yield Label("↑↓ pgup pgdn scroll · esc or enter: back to the table", classes="hint")

    def on_mount(self) -> None:
        detail = self.query_one(RecordDetail)
        detail.show(self.record)
        detail.focus()

    def action_close(self) -> None:
        self.dismiss(None)
