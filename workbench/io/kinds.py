"""The rules a record in the full form follows (docs/record-form.md), whatever shape it came in.

A record that is a plain conversation (kind sft, role + content, at most weights) goes the
fast way through rows.py; anything more comes here: its turns are checked field by field, the
order of turns is checked for its kind, and its content id covers all of it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from typing import Any

import orjson

from ..records import KINDS
from .interface import Conversation, RowError
from .problems import json_type, too_long
from .turns import PLACEHOLDER

ALL_ROLES = ("system", "user", "assistant", "tool")
TEXT_EXTRAS = ("tool_calls", "tool_call_id", "name", "parts")


def is_rich(conv: Conversation) -> bool:
    """Whether a mapped row needs the full form: another kind, tools, completions, a label, or a
    turn with more than role, content and weight."""
    if conv.kind != "sft" or conv.tools is not None or conv.chosen is not None or conv.rejected is not None:
        return True
    if conv.label is not None:
        return True
    for m in conv.messages if isinstance(conv.messages, list) else ():
        if isinstance(m, dict) and (m.get("role") == "tool" or any(m.get(k) is not None for k in TEXT_EXTRAS)):
            return True
    return False


def canonical_turns(turns: Any, limit: int, path: str, where: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The turns as canonical MESSAGE dicts, each field checked."""
    if not isinstance(turns, list):
        raise RowError(f"{path} is {json_type(turns)}, expected a list of turns")
    out = []
    for i, t in enumerate(turns):
        label = where[i] if where and i < len(where) else f"{path}[{i}]"
        if not isinstance(t, dict):
            raise RowError(f"{label} is {json_type(t)}, expected an object with role and content")
        role, content = t.get("role"), t.get("content")
        if role not in ALL_ROLES:
            shown = repr(role) if isinstance(role, str) else json_type(role)
            raise RowError(f"{label}.role is {shown}, expected one of {', '.join(ALL_ROLES)}")
        if not isinstance(content, str):
            raise RowError(f"{label}.content is {json_type(content)}, expected a string")
        if len(content) > limit:
            raise too_long(f"{label}.content", len(content), limit)
        turn: dict[str, Any] = {"role": role, "content": content}
        for key in TEXT_EXTRAS:
            value = t.get(key)
            if value is not None and not isinstance(value, str):
                raise RowError(f"{label}.{key} is {json_type(value)}, expected a string")
            if value is not None and len(value) > limit:
                raise too_long(f"{label}.{key}", len(value), limit)
            turn[key] = value
        weight = t.get("weight")
        if weight is not None and (type(weight) is not int or weight not in (0, 1)):
            raise RowError(f"{label}.weight is {weight if type(weight) in (int, float) else json_type(weight)}; "
                           "expected 0 or 1")
        if weight is not None and role != "assistant":
            raise RowError(f"{label}.weight: only assistant turns have a weight")
        turn["weight"] = weight
        _check_turn(turn, label)
        out.append(turn)
    return out


def _check_turn(turn: dict[str, Any], label: str) -> None:
    role, content = turn["role"], turn["content"]
    if turn["tool_calls"] is not None and role != "assistant":
        raise RowError(f"{label}: only assistant turns call tools, this is a {role} turn")
    if (turn["tool_call_id"] is not None or turn["name"] is not None) and role != "tool":
        raise RowError(f"{label}: tool_call_id and name belong to tool turns, this is a {role} turn")
    if role in ("user", "assistant") and not _text(content) and not (turn["tool_calls"] or turn["parts"]):
        raise RowError(f"the {role} turn ({label}) is empty or only whitespace")
    found = len(PLACEHOLDER.findall(content)) if turn["parts"] is not None or "<" in content else 0
    parts = orjson.loads(turn["parts"]) if turn["parts"] is not None else []
    if turn["parts"] is not None and found != len(parts):
        raise RowError(f"{label} has {len(parts)} media part(s) but {found} placeholder(s) in its text")
    for key in ("content", "tool_calls", "tools", "parts"):
        value = turn.get(key)
        if value and "\x00" in value:
            raise RowError(f"the {role} turn ({label}) contains a NUL character (\\u0000) in {key}")


def _text(content: str) -> str:
    return (content if content.isascii() else unicodedata.normalize("NFC", content)).strip()


def check_order(turns: Sequence[dict[str, Any]], what: str, labels: Sequence[str]) -> None:
    """A tool turn answers a call: it follows an assistant turn with tool calls, or another
    tool turn."""
    for i, turn in enumerate(turns):
        if turn["role"] != "tool":
            continue
        before = turns[i - 1] if i else None
        if before is None or not (before["role"] == "tool" or before["tool_calls"]):
            raise RowError(f"the tool turn ({labels[i]}) does not follow a tool call in the {what}")


def check_conversation(turns: Sequence[dict[str, Any]], labels: Sequence[str]) -> None:
    """sft: a user turn, an assistant turn, and it ends with the assistant."""
    if not turns:
        raise RowError("the conversation has no messages")
    roles = [t["role"] for t in turns]
    if "user" not in roles:
        raise RowError("the conversation has no user turn")
    if "assistant" not in roles:
        raise RowError("the conversation has no assistant turn, so there is nothing to train on")
    if roles[-1] != "assistant":
        raise RowError(f"the conversation ends with a {roles[-1]} turn; it must end with an assistant reply")
    check_order(turns, "conversation", labels)


def check_prompt(turns: Sequence[dict[str, Any]], labels: Sequence[str]) -> None:
    """preference and kto: a prompt with a user turn that ends where a reply is due."""
    if not turns:
        raise RowError("the prompt is empty")
    roles = [t["role"] for t in turns]
    if "user" not in roles:
        raise RowError("the prompt has no user turn")
    if roles[-1] not in ("user", "tool"):
        raise RowError(f"the prompt ends with a {roles[-1]} turn; it must end with the user (or a tool result) "
                       "so that a completion follows")
    check_order(turns, "prompt", labels)


def check_completion(turns: Sequence[dict[str, Any]], what: str, labels: Sequence[str]) -> None:
    """A completion: assistant turns (and tool results between calls), ending with the assistant."""
    if not turns:
        raise RowError(f"the {what} completion is empty")
    for turn, label in zip(turns, labels):
        if turn["role"] not in ("assistant", "tool"):
            raise RowError(f"{label} is a {turn['role']} turn; a completion holds assistant (and tool) turns")
    if turns[-1]["role"] != "assistant":
        raise RowError(f"the {what} completion ends with a tool turn; it must end with an assistant reply")
    check_order(turns, f"{what} completion", labels)


def check_record(conv: Conversation, limit: int) -> dict[str, Any]:
    """The checked canonical fields of a row in the full form: kind, messages, chosen, rejected,
    label, tools."""
    kind = conv.kind
    if kind not in KINDS:
        raise RowError(f"record kind {kind!r} is not one of {', '.join(KINDS)}")
    where = [w for w in conv.where] if conv.where else None
    messages = canonical_turns(conv.messages, limit, "messages", where)
    labels = [where[i] if where and i < len(where) else f"messages[{i}]" for i in range(len(messages))]
    chosen = rejected = None
    label = conv.label
    if kind == "sft":
        check_conversation(messages, labels)
        if conv.chosen is not None or conv.rejected is not None or label is not None:
            raise RowError("an sft record has no chosen, rejected or label; give the kind preference or kto")
    else:
        check_prompt(messages, labels)
        chosen = _completion(conv.chosen, limit, "chosen" if kind == "preference" else "completion")
        if kind == "preference":
            rejected = _completion(conv.rejected, limit, "rejected")
            if label is not None:
                raise RowError("a preference record has no label")
        else:
            if conv.rejected is not None:
                raise RowError("a kto record has one completion and a label, not a rejected completion")
            if type(label) is not bool:
                raise RowError(f"the label is {json_type(label)}, expected true (desirable) or false (undesirable)")
    if conv.tools is not None and not isinstance(conv.tools, str):
        raise RowError(f"tools is {json_type(conv.tools)}, expected JSON text")
    if conv.tools is not None and "\x00" in conv.tools:
        raise RowError("field 'tools' contains a NUL character (\\u0000)")
    return {"kind": kind, "messages": messages, "chosen": chosen, "rejected": rejected, "label": label,
            "tools": conv.tools}


def _completion(turns: Any, limit: int, what: str) -> list[dict[str, Any]]:
    if turns is None:
        raise RowError(f"the {what} completion is missing")
    checked = canonical_turns(turns, limit, what)
    check_completion(checked, what, [f"{what}[{i}]" for i in range(len(checked))])
    return checked


def rich_id(record: dict[str, Any]) -> str:
    """The content id of a record in the full form: every field that carries meaning (weights
    excepted, as for plain records), so two pairs that differ only in the rejected reply differ."""

    def turns(ts: list[dict[str, Any]] | None) -> list[list[Any]] | None:
        if ts is None:
            return None
        return [[t["role"], _text(t["content"]), t["tool_calls"], t["tool_call_id"], t["name"], t["parts"]]
                for t in ts]

    canon = [record["kind"], turns(record["messages"]), turns(record["chosen"]), turns(record["rejected"]),
             record["label"], record["tools"]]
    return hashlib.sha256(orjson.dumps(canon)).hexdigest()[:16]
