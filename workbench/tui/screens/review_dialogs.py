"""The Review tab's two dialogs: a reason for a rejection, and editing the assistant's turns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from ...steps.synthetic_review.verdicts import REASONS


@dataclass
class Rejection:
    reason: str
    note: str = ""


class RejectDialog(ModalScreen[Rejection | None]):
    """Number keys pick a reason and close; tab reaches the note first; escape cancels."""

    DEFAULT_CSS = """
    RejectDialog { align: center middle; }
    RejectDialog > Vertical { width: 72; height: auto; border: round $error; padding: 0 1; background: $surface; }
    RejectDialog OptionList, RejectDialog OptionList:focus { height: auto; max-height: 8; border: none; padding: 0; }
    RejectDialog Input { margin-top: 1; }
    RejectDialog .hint { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(str(i), f"pick({i - 1})", reason, show=False) for i, reason in enumerate(REASONS, 1)],
        Binding("escape", "cancel", "Cancel"),
    ]

    def compose(self):
        with Vertical():
            yield Label(Content.styled("Reject: why?", "bold"))
            yield OptionList(*[Option(f"{i}  {reason}", id=reason) for i, reason in enumerate(REASONS, 1)],
                             id="reject-reasons")
            yield Input(placeholder="note (optional): what is wrong, for the other reviewers", id="reject-note")
            yield Label("1-5 rejects for that reason · tab: a note first · esc: cancel", classes="hint")

    def on_mount(self) -> None:
        # No reason is highlighted until the reviewer picks one: a rejection records their reason.
        reasons = self.query_one(OptionList)
        reasons.highlighted = None
        reasons.focus()

    def _note(self) -> str:
        return self.query_one("#reject-note", Input).value

    def action_pick(self, index: int) -> None:
        self.dismiss(Rejection(REASONS[index], self._note()))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(Rejection(str(event.option.id), self._note()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reasons = self.query_one(OptionList)
        if reasons.highlighted is None:  # a note but no reason yet: ask for it, keep the note
            self.query_one(".hint", Label).update(Content.styled(
                "Now pick the reason: 1-5, or ↑↓ and enter (the note is kept)", "bold $warning"))
            reasons.focus()
            return
        self.dismiss(Rejection(REASONS[reasons.highlighted], event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditDialog(ModalScreen[list[dict[str, str]] | None]):
    """Every assistant turn in a text area; ctrl+s saves the whole conversation, escape cancels."""

    DEFAULT_CSS = """
    EditDialog { align: center middle; }
    EditDialog > Vertical { width: 90%; height: 90%; border: round $warning; padding: 0 1; background: $surface; }
    EditDialog VerticalScroll { height: 1fr; }
    EditDialog TextArea { height: auto; min-height: 5; max-height: 24; margin-bottom: 1; }
    EditDialog .turn-label { color: $text-muted; }
    EditDialog .hint { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save edit", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, messages: list[dict[str, str]]) -> None:
        super().__init__()
        self.messages = [{"role": m["role"], "content": m["content"]} for m in messages]
        self.editable = [i for i, m in enumerate(self.messages) if m["role"] == "assistant"]

    def compose(self):
        with Vertical():
            yield Label(Content.styled("Edit the reply", "bold"))
            with VerticalScroll():
                for n, i in enumerate(self.editable, 1):
                    question = next((m["content"] for m in reversed(self.messages[:i]) if m["role"] == "user"), "")
                    question = " ".join(question.split())
                    yield Label(Content.assemble(
                        (f"assistant turn {n} of {len(self.editable)}", "bold $success"),
                        ("  answering: " + (question[:80] + ("…" if len(question) > 80 else "")), "dim")),
                        classes="turn-label")
                    yield TextArea(self.messages[i]["content"], soft_wrap=True, id=f"turn-{i}")
            yield Label("ctrl+s saves the edit as your verdict (the original is kept) · esc cancels", classes="hint")

    def on_mount(self) -> None:
        areas = list(self.query(TextArea))
        for area in areas:
            area.move_cursor(area.document.end)  # most edits add to or fix the end of the reply
        if areas:
            areas[-1].focus()

    def action_save(self) -> None:
        edited = [dict(m) for m in self.messages]
        for i in self.editable:
            edited[i]["content"] = self.query_one(f"#turn-{i}", TextArea).text
        if edited == self.messages:
            self.notify("Nothing changed; press a to accept it as it is.", severity="warning")
            return
        self.dismiss(edited)

    def action_cancel(self) -> None:
        self.dismiss(None)
