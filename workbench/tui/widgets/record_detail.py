"""The full record under the table cursor: every turn, labelled by role, and where it came from."""

from __future__ import annotations

import json
from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

# A record can hold a whole book in one turn; drawing (and wrapping) all of it on every cursor
# move would make the table stutter. The rest is one `workbench export` away.
MAX_TURN_CHARS = 20_000

ROLE_STYLES = {"system": "bold $warning", "user": "bold $accent", "assistant": "bold $success"}


def describe_record(record: dict[str, Any]) -> Content:
    """The record as styled text: a header line, the turns, then meta."""
    parts: list[str | tuple[str, str]] = []
    facts = [("id ", "dim"), record["id"]]
    for name in ("category", "origin", "split"):
        value = record.get(name)
        if name in record:
            facts += [(f"  {name} ", "dim"), value if value is not None else "(none)"]
    parts += [*facts, "\n"]
    line = record.get("source_line")
    source = str(record.get("source_file") or "")
    parts += [("source ", "dim"), f"{source}:{line}" if line is not None else source, "\n"]
    for message in record.get("messages") or []:
        role = message.get("role") or "?"
        content = message.get("content") or ""
        parts += ["\n", (role, ROLE_STYLES.get(role, "bold")), "\n"]
        if len(content) > MAX_TURN_CHARS:
            hidden = len(content) - MAX_TURN_CHARS
            parts += [content[:MAX_TURN_CHARS], (f" … ({hidden:,} more characters)", "dim italic")]
        else:
            parts.append(content)
        parts.append("\n")
    meta = record.get("meta")
    if meta and meta != "{}":
        try:
            meta = json.dumps(json.loads(meta), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        parts += ["\n", ("meta", "bold"), "\n", meta]
    return Content.assemble(*parts)


class RecordDetail(VerticalScroll, can_focus=True):
    """Scrollable view of one record; `show(None)` when there is nothing under the cursor."""

    def compose(self):
        yield Static("", id="record-detail-body")

    def show(self, record: dict[str, Any] | None) -> None:
        body = self.query_one("#record-detail-body", Static)
        if record is None:
            body.update(Content.styled("No record under the cursor.", "dim italic"))
        else:
            body.update(describe_record(record))
        self.scroll_home(animate=False)
