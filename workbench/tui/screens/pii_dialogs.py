"""Dialogs of the PII tab: mark a missed span, accept many spans at once."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

COMMON_ENTITIES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "CREDIT_CARD",
                   "IBAN_CODE", "US_SSN", "IP_ADDRESS", "LOCATION", "ORGANIZATION", "DATE_TIME"]


class MarkSpanDialog(ModalScreen[tuple[str, str] | None]):
    """The text the scan missed (pre-filled with the mouse selection) and its entity type."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, text: str, entities: list[str]) -> None:
        super().__init__()
        self.text = text
        self.entities = list(dict.fromkeys([*COMMON_ENTITIES, *entities]))

    def compose(self):
        with Vertical(id="pii-dialog", classes="pii-dialog"):
            yield Label("Mark a missed span: type the exact text as it appears in this record "
                        "(every occurrence is marked).", classes="pii-dialog-help")
            yield Input(self.text, placeholder="e.g. Ana Dias", id="pii-mark-text")
            yield Select([(e, e) for e in self.entities], value="PERSON", allow_blank=False, id="pii-mark-entity")
            with Horizontal(classes="pii-dialog-buttons"):
                yield Button("Mark", variant="primary", id="pii-mark-ok")
                yield Button("Cancel", id="pii-mark-cancel")

    def on_mount(self) -> None:
        self.query_one("#pii-mark-text", Input).focus()

    def _done(self) -> None:
        text = self.query_one("#pii-mark-text", Input).value
        entity = self.query_one("#pii-mark-entity", Select).value
        self.dismiss((text, str(entity)) if text.strip() else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "pii-mark-ok":
            self._done()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class BulkAcceptDialog(ModalScreen[tuple[str | None, float] | None]):
    """Accept every pending span of one entity type (or all) scored at least a minimum."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, pending: dict[str, int], entity: str | None) -> None:
        super().__init__()
        self.pending = pending
        self.entity = entity if entity in pending else None

    def compose(self):
        options = [(f"every type ({sum(self.pending.values()):,} pending)", "*")]
        options += [(f"{e} ({n:,} pending)", e) for e, n in self.pending.items()]
        with Vertical(id="pii-dialog", classes="pii-dialog"):
            yield Label("Accept pending spans in bulk: those of this type scored at least the minimum.",
                        classes="pii-dialog-help")
            yield Select(options, value=self.entity or "*", allow_blank=False, id="pii-bulk-entity")
            yield Input("0.85", placeholder="minimum score, 0 to 1", id="pii-bulk-score")
            with Horizontal(classes="pii-dialog-buttons"):
                yield Button("Accept", variant="primary", id="pii-bulk-ok")
                yield Button("Cancel", id="pii-bulk-cancel")

    def on_mount(self) -> None:
        self.query_one("#pii-bulk-score", Input).focus()

    def _done(self) -> None:
        raw = self.query_one("#pii-bulk-score", Input).value.strip()
        try:
            score = float(raw)
        except ValueError:
            score = -1.0
        if not 0 <= score <= 1:
            self.notify(f"The minimum score is a number from 0 to 1, not {raw!r}.", severity="error",
                        markup=False)
            return
        entity = self.query_one("#pii-bulk-entity", Select).value
        self.dismiss((None if entity == "*" else str(entity), score))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "pii-bulk-ok":
            self._done()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
