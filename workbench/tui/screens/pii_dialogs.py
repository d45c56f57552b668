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


def bulk_preview(scores: dict[str, list[float]], entity: str | None, minimum: float) -> tuple[int, str]:
    """How many pending spans a bulk accept would take, and the sentence that says so (naming the
    best score left out when none would be taken)."""
    chosen = [x for e, xs in scores.items() if entity is None or e == entity for x in xs]
    what = entity or "every type"
    n = sum(1 for x in chosen if x >= minimum)
    if n:
        return n, f"Will accept {n:,} of {len(chosen):,} pending {what} span(s) scored {minimum:.2f} or more."
    if not chosen:
        return 0, f"No {what} span is pending."
    return 0, (f"Nothing matches: no pending {what} span scores {minimum:.2f} or more "
               f"(the highest scores {max(chosen):.2f}); lower the minimum to take them.")


class BulkAcceptDialog(ModalScreen[tuple[str | None, float] | None]):
    """Accept every pending span of one entity type (or all) scored at least a minimum, with a
    preview of how many that is; nothing is accepted or cancelled without a sentence saying so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scores: dict[str, list[float]], entity: str | None) -> None:
        super().__init__()
        self.scores = scores
        self.entity = entity if entity in scores else None

    def compose(self):
        total = sum(len(xs) for xs in self.scores.values())
        options = [(f"every type ({total:,} pending)", "*")]
        options += [(f"{e} ({len(xs):,} pending)", e) for e, xs in self.scores.items()]
        with Vertical(id="pii-dialog", classes="pii-dialog"):
            yield Label("Accept pending spans in bulk: those of this type scored at least the minimum.",
                        classes="pii-dialog-help")
            yield Select(options, value=self.entity or "*", allow_blank=False, id="pii-bulk-entity")
            yield Input("0.85", placeholder="minimum score, 0 to 1", id="pii-bulk-score")
            yield Label("", id="pii-bulk-preview", classes="pii-dialog-help")
            with Horizontal(classes="pii-dialog-buttons"):
                yield Button("Accept", variant="primary", id="pii-bulk-ok")
                yield Button("Cancel", id="pii-bulk-cancel")

    def on_mount(self) -> None:
        self.query_one("#pii-bulk-score", Input).focus()
        self._preview()

    def _choice(self) -> tuple[str | None, float | None]:
        raw = self.query_one("#pii-bulk-score", Input).value.strip()
        try:
            score = float(raw)
        except ValueError:
            score = None
        if score is not None and not 0 <= score <= 1:
            score = None
        entity = self.query_one("#pii-bulk-entity", Select).value
        return (None if entity == "*" else str(entity)), score

    def _preview(self) -> int:
        entity, score = self._choice()
        label = self.query_one("#pii-bulk-preview", Label)
        if score is None:
            label.update("The minimum score is a number from 0 to 1.")
            return 0
        n, sentence = bulk_preview(self.scores, entity, score)
        label.update(sentence)
        return n

    def on_input_changed(self, event: Input.Changed) -> None:
        self._preview()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._preview()

    def _done(self) -> None:
        entity, score = self._choice()
        if score is None:
            raw = self.query_one("#pii-bulk-score", Input).value.strip()
            self.notify(f"The minimum score is a number from 0 to 1, not {raw!r}.", severity="error",
                        markup=False)
            return
        n, sentence = bulk_preview(self.scores, entity, score)
        if n == 0:  # stays open: the reviewer lowers the minimum or cancels
            self.notify(sentence, severity="warning", markup=False)
            return
        self.dismiss((entity, score))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "pii-bulk-ok":
            self._done()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.notify("Bulk accept cancelled: nothing was accepted.", markup=False)
        self.dismiss(None)
