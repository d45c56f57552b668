"""The full record under the table cursor: every turn, labelled by role, and where it came from.

Beyond role and content a turn shows its tool calls (name and arguments), a tool result's tool
and call id, a weight of 0, and the reference of each content part whose placeholder (<image>,
<audio>, <video>) sits in the text. A preference record shows its prompt, then the chosen and the
rejected completion; a KTO record its prompt, the completion and the label.
"""

from __future__ import annotations

import json
from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

# A record can hold a whole book in one turn; drawing (and wrapping) all of it on every cursor
# move would make the table stutter. The rest is one `workbench export` away.
MAX_TURN_CHARS = 20_000
# A part's reference can be a whole image as a data: URL.
MAX_REFERENCE_CHARS = 120

ROLE_STYLES = {"system": "bold $warning", "user": "bold $accent", "assistant": "bold $success",
               "tool": "bold $secondary"}
PLACEHOLDERS = {"image_url": "<image>", "image": "<image>", "input_audio": "<audio>", "audio": "<audio>",
                "video_url": "<video>", "video": "<video>"}

Parts = list[str | tuple[str, str]]


def describe_record(record: dict[str, Any]) -> Content:
    """The record as styled text: a header line, the turns (and completions), then meta."""
    parts: Parts = []
    kind = record.get("kind") or "sft"
    facts: Parts = [("id ", "dim"), record["id"]]
    for name in ("category", "origin", "split"):
        value = record.get(name)
        if name in record:
            facts += [(f"  {name} ", "dim"), value if value is not None else "(none)"]
    if kind != "sft":
        facts += [("  kind ", "dim"), (kind, "bold")]
    parts += [*facts, "\n"]
    line = record.get("source_line")
    source = str(record.get("source_file") or "")
    parts += [("source ", "dim"), f"{source}:{line}" if line is not None else source, "\n"]
    tools = tool_names(record.get("tools"))
    if tools:
        parts += [("tools ", "dim"), ", ".join(tools), "\n"]
    parts += describe_turns(record.get("messages"))
    if kind == "preference":
        parts += section("chosen", "bold $success") + describe_turns(record.get("chosen"))
        parts += section("rejected", "bold $error") + describe_turns(record.get("rejected"))
    elif kind == "kto":
        label = record.get("label")
        parts += section("completion", "bold") + describe_turns(record.get("chosen"))
        verdict = {True: ("desirable", "bold $success"), False: ("undesirable", "bold $error")}.get(
            label, ("(none)", "dim"))
        parts += ["\n", ("label ", "dim"), verdict, "\n"]
    meta = record.get("meta")
    if meta and meta != "{}":
        try:
            meta = json.dumps(json.loads(meta), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        parts += ["\n", ("meta", "bold"), "\n", meta]
    return Content.assemble(*parts)


def section(title: str, style: str) -> Parts:
    return ["\n", (f"── {title} ──", style), "\n"]


def describe_turns(messages: list[dict[str, Any]] | None) -> Parts:
    parts: Parts = []
    for message in messages or []:
        role = message.get("role") or "?"
        parts += ["\n", (role, ROLE_STYLES.get(role, "bold"))]
        if role == "tool" and (message.get("name") or message.get("tool_call_id")):
            call_id = message.get("tool_call_id")
            answered = [x for x in (message.get("name"), f"call {call_id}" if call_id else None) if x]
            parts += [("  result of ", "dim"), ", ".join(answered)]
        if message.get("weight") == 0:
            parts.append(("  weight 0: context, not trained on", "dim italic"))
        parts.append("\n")
        content = message.get("content") or ""
        if content:
            parts += [*_capped(content), "\n"]
        for call in _json_list(message.get("tool_calls")):
            parts += describe_call(call)
        for part in _json_list(message.get("parts")):
            parts += describe_part(part)
    return parts


def describe_call(call: Any) -> Parts:
    """One tool call as `→ name(arguments)`, with its id when it has one."""
    if not isinstance(call, dict):
        return [("→ ", "dim"), *_capped(str(call)), "\n"]
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    out: Parts = [("→ ", "bold $success"), (str(function.get("name")), "bold"), "(", *_capped(arguments), ")"]
    if call.get("id"):
        out.append((f"  id {call['id']}", "dim"))
    return out + ["\n"]


def describe_part(part: Any) -> Parts:
    """A content part as its placeholder and where it points (a file, a URL, inline data)."""
    if not isinstance(part, dict):
        return [("part ", "dim"), str(part)[:MAX_REFERENCE_CHARS], "\n"]
    kind = str(part.get("type"))
    value = part.get(kind)
    if isinstance(value, dict):  # {"url": ...} or {"data": ..., "format": ...}
        if "url" in value:
            value = value["url"]
        elif "data" in value:
            value = f"inline {value.get('format') or 'data'}, {len(str(value['data'])):,} characters"
    reference = str(value) if value is not None else "(no reference)"
    if len(reference) > MAX_REFERENCE_CHARS:
        reference = reference[:MAX_REFERENCE_CHARS] + f" … ({len(reference):,} characters)"
    return [(PLACEHOLDERS.get(kind, f"<{kind}>"), "bold $accent"), " ", (kind, "dim"), " ", reference, "\n"]


def tool_names(tools: Any) -> list[str]:
    names = []
    for tool in _json_list(tools):
        schema = tool.get("function", tool) if isinstance(tool, dict) else {}
        names.append(str(schema.get("name")) if isinstance(schema, dict) else "?")
    return names


def _capped(text: str) -> Parts:
    if len(text) > MAX_TURN_CHARS:
        hidden = len(text) - MAX_TURN_CHARS
        return [text[:MAX_TURN_CHARS], (f" … ({hidden:,} more characters)", "dim italic")]
    return [text]


def _json_list(value: Any) -> list[Any]:
    """A JSON-text list (as the record holds tool calls, parts and tools), or a list, as a list."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return list(value) if isinstance(value, list) else []


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
