"""The record under review on the PII tab: a line about the current span, then the conversation
with every found span highlighted by its status and the current one underlined."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Static

STATUS_STYLES = {
    "pending": "bold $text on $warning 40%",
    "accepted": "$text on $success 30%",
    "added": "$text on $success 30%",
    "rejected": "strike $text-muted",
}
STATUS_MARKS = {"pending": "?", "accepted": "✓ scrub", "added": "✓ added", "rejected": "✗ keep"}
ROLE_STYLES = {"system": "bold $warning", "user": "bold $accent", "assistant": "bold $success"}


class PiiRecordView(Vertical):
    """Shows one ReviewRecord and its current ReviewSpan (or a message when there is none)."""

    def compose(self):
        yield Label("", id="pii-span")
        with VerticalScroll(id="pii-record"):
            yield Static("", id="pii-record-body")

    def show(self, rec, span, index: int) -> None:
        """The record with `span` (its `index`-th span) current."""
        if span is not None:
            self.query_one("#pii-span", Label).update(Text.assemble(
                (f" {STATUS_MARKS[span.status]} ", "reverse"), "  ", (span.entity, "bold"),
                f"  score {span.score:.2f}  by {span.recognizer}  ",
                (f"span {index + 1}/{len(rec.spans)}", "dim"), ("  " + rec.source, "dim")))
        self.query_one("#pii-record-body", Static).update(render_record(rec, span))
        self._scroll_to(rec, span)

    def show_exported(self, rec, view) -> None:
        """The record as the export will write it (`view`: services.pii_preview.ExportedView)."""
        self.query_one("#pii-span", Label).update(Text.assemble(
            (" as exported ", "reverse"), "  ", view.note, ("  e: back to the spans", "dim")))
        parts: list[str | tuple[str, str]] = [("id ", "dim"), rec.id, ("  source ", "dim"), rec.source, "\n"]
        if view.texts is None:
            parts += ["\n", ("left out of the export", "bold $warning")]
        else:
            for m, text in zip(rec.messages, view.texts):
                parts += ["\n", (m["role"], ROLE_STYLES.get(m["role"], "bold")), "\n", text, "\n"]
        self.query_one("#pii-record-body", Static).update(Content.assemble(*parts))

    def show_message(self, text: str) -> None:
        self.query_one("#pii-span", Label).update("")
        self.query_one("#pii-record-body", Static).update(Content.styled(text, "dim italic"))

    def _scroll_to(self, rec, span) -> None:
        if span is None:
            return
        # Roughly the line of the span: the turns before it plus its own lines so far.
        line = 0
        for turn, m in enumerate(rec.messages):
            if turn == span.turn:
                line += 1 + m["content"][:span.start].count("\n")
                break
            line += 3 + m["content"].count("\n")
        self.query_one("#pii-record", VerticalScroll).scroll_to(y=max(0, line - 3), animate=False)


def render_record(rec, current) -> Content:
    """The conversation with every span styled by its status; the current one underlined."""
    parts: list[str | tuple[str, str]] = [("id ", "dim"), rec.id, ("  source ", "dim"), rec.source, "\n"]
    by_turn: dict[int, list] = {}
    for s in rec.spans:
        by_turn.setdefault(s.turn, []).append(s)
    for turn, m in enumerate(rec.messages):
        parts += ["\n", (m["role"], ROLE_STYLES.get(m["role"], "bold")), "\n"]
        text = m["content"]
        pos = 0
        for s in sorted(by_turn.get(turn, []), key=lambda s: (s.start, -s.end)):
            if s.start < pos:
                continue  # overlapping spans: the first one shows
            parts.append(text[pos:s.start])
            style = STATUS_STYLES[s.status] + (" underline reverse" if s is current else "")
            parts.append((text[s.start:s.end], style))
            parts.append((f"[{s.entity}]", "dim italic"))
            pos = s.end
        parts += [text[pos:], "\n"]
    return Content.assemble(*parts)
