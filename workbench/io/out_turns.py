"""Canonical turns (docs/record-form.md) in the shapes the export formats write them.

A canonical turn holds its tool calls and its media parts as JSON text; the functions here read
them back and write them the way each format holds them, or raise CannotHold naming what the
format has no place for and which format has. Everything is a pure function of the record, so an
export stays byte-identical for the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

PLACEHOLDER = re.compile(r"<image>|<audio>|<video>")
# A canonical part's type -> the media kind it is (LLaMA-Factory's images / videos / audios lists).
PART_KIND = {"image_url": "image", "image": "image", "input_audio": "audio", "audio": "audio",
             "video_url": "video", "video": "video"}
SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt", "tool": "observation"}


class CannotHold(ValueError):
    """A row a format has no place for; the message says what, and which format can hold it."""


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def json_list(text: str | None) -> list[Any]:
    """A canonical JSON-list field (tool_calls, parts, tools) as a list; [] when null."""
    if not text:
        return []
    value = orjson.loads(text)
    return value if isinstance(value, list) else [value]


def arguments_object(text: Any) -> Any:
    """A call's arguments as an object when its JSON text is one; else the text as it came."""
    if not isinstance(text, str):
        return text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return value if isinstance(value, dict) else text


def bare_tools(tools: str | None) -> list[dict[str, Any]]:
    """The tool schemas without OpenAI's {"type": "function", "function": ...} wrapper."""
    return [t["function"] if t.get("type") == "function" and isinstance(t.get("function"), dict) else t
            for t in json_list(tools)]


def turn_parts(turn: dict[str, Any]) -> list[dict[str, Any]]:
    return json_list(turn.get("parts"))


def part_reference(part: dict[str, Any]) -> str | None:
    """The file name or URL a media part points at (None for audio given as data)."""
    kind = part.get("type")
    value = part.get(kind)
    if kind in ("image_url", "video_url"):
        return value.get("url") if isinstance(value, dict) else value
    if kind in ("image", "video", "audio") and isinstance(value, str):
        return value
    return None


def split_content(content: str, parts: Sequence[dict[str, Any]]) -> list[tuple[str, Any]]:
    """A turn's text cut at its placeholders: ("text", str) and ("part", part) in order."""
    pieces = PLACEHOLDER.split(content)
    if len(pieces) - 1 != len(parts):
        raise CannotHold(f"a turn with {len(parts)} media part(s) but {len(pieces) - 1} placeholder(s) in its "
                         "text: its parts cannot be put back in place; fix the row and export again")
    out: list[tuple[str, Any]] = []
    for i, text in enumerate(pieces):
        if text:
            out.append(("text", text))
        if i < len(parts):
            out.append(("part", parts[i]))
    return out


def records_turns(row: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every turn of a record: messages, then chosen, then rejected."""
    for column in ("messages", "chosen", "rejected"):
        yield from row.get(column) or ()


class CallIds:
    """The ids of a record's calls: the id a call came with, else call_0, call_1, ... in order
    (skipping ids the record already uses); a tool turn without tool_call_id answers the next
    call of the latest calling turn that no tool turn answered yet."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.taken = {c.get("id") for t in records_turns(row) for c in json_list(t.get("tool_calls"))} - {None}
        self.n = 0
        self.pending: list[str] = []

    def _next(self) -> str:
        while f"call_{self.n}" in self.taken:
            self.n += 1
        self.n += 1
        return f"call_{self.n - 1}"

    def calls(self, calls: Sequence[dict[str, Any]]) -> list[str]:
        ids = [c.get("id") or self._next() for c in calls]
        self.pending = list(ids)
        return ids

    def answer(self, tool_call_id: str | None) -> str | None:
        if tool_call_id is not None:
            if tool_call_id in self.pending:
                self.pending.remove(tool_call_id)
            return tool_call_id
        return self.pending.pop(0) if self.pending else None

    def fork(self) -> list[str]:
        """The calls waiting for an answer, to start each completion of a pair from."""
        return list(self.pending)


# -- openai and trl --------------------------------------------------------------------------------

def _openai_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "image":
        return {"type": "image_url", "image_url": {"url": part.get("image")}}
    if kind in ("image_url", "input_audio"):
        return part
    raise CannotHold(f"a {PART_KIND.get(kind, kind)} file reference ({kind} part): OpenAI chat content holds images "
                     "and input_audio data only; --format sharegpt, alpaca or trl can hold it")


def chat_turn(turn: dict[str, Any], ids: CallIds, style: str) -> dict[str, Any]:
    """One turn as OpenAI chat writes it (`style` "openai") or as TRL and transformers chat
    templates read it ("trl": arguments as an object, "" kept on a call-only turn, media parts
    as they came)."""
    calls = json_list(turn.get("tool_calls"))
    parts = turn_parts(turn)
    content: Any = turn.get("content")
    if calls and content == "" and style == "openai":
        content = None
    elif parts:
        # trl keeps each part as it came: LLaMA-Factory's {"type": "image", "image": REF} is
        # already transformers' content block, and an OpenAI part is not rewritten into another.
        convert = _openai_part if style == "openai" else (lambda part: part)
        content = [{"type": "text", "text": v} if k == "text" else convert(v)
                   for k, v in split_content(content or "", parts)]
    out: dict[str, Any] = {"role": turn["role"], "content": content}
    if calls:
        out["tool_calls"] = [
            {"id": call_id, "type": "function",
             "function": {"name": c.get("name"),
                          "arguments": c.get("arguments") if style == "openai" else arguments_object(c.get("arguments"))}}
            for c, call_id in zip(calls, ids.calls(calls))]
    call_id = ids.answer(turn.get("tool_call_id")) if turn["role"] == "tool" else turn.get("tool_call_id")
    if call_id is not None:
        out["tool_call_id"] = call_id
    if turn.get("name") is not None:
        out["name"] = turn["name"]
    if turn.get("weight") is not None:
        out["weight"] = turn["weight"]
    return out


def chat_turns(turns: Sequence[dict[str, Any]] | None, ids: CallIds, style: str) -> list[dict[str, Any]]:
    return [chat_turn(t, ids, style) for t in turns or ()]


# -- sharegpt and alpaca ---------------------------------------------------------------------------

class Media:
    """The media references of a row, in the order of their placeholders (LLaMA-Factory's
    images / videos / audios lists)."""

    def __init__(self) -> None:
        self.lists: dict[str, list[str]] = {"images": [], "videos": [], "audios": []}

    def add(self, turn: dict[str, Any]) -> None:
        for part in turn_parts(turn):
            ref = part_reference(part)
            if ref is None:
                raise CannotHold(f"audio given as data ({part.get('type')} part), not as a file name or URL: "
                                 "LLaMA-Factory reads audio files; --format openai or trl can hold it")
            self.lists[PART_KIND[part["type"]] + "s"].append(ref)

    def columns(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.lists.items() if v}


def call_text(calls: Sequence[dict[str, Any]]) -> str:
    """LLaMA-Factory's function_call value: {"name", "arguments"} (a list for several calls)."""
    bodies = [{"name": c.get("name"), "arguments": arguments_object(c.get("arguments"))} for c in calls]
    return dumps(bodies[0] if len(bodies) == 1 else bodies)


def sharegpt_turns(turns: Sequence[dict[str, Any]] | None, media: Media) -> list[dict[str, str]]:
    """Turns as LLaMA-Factory's sharegpt conversations: a call-only turn becomes a function_call
    turn, a tool turn an observation."""
    out: list[dict[str, str]] = []
    for turn in turns or ():
        media.add(turn)
        calls = json_list(turn.get("tool_calls"))
        if turn["role"] == "tool":  # one observation per result, answers to parallel calls too
            out.append({"from": "observation", "value": turn["content"]})
        elif calls:
            if turn["content"].strip():
                raise CannotHold("an assistant turn with text and tool calls at once: a sharegpt function_call "
                                 "turn holds the calls only; --format openai or trl can hold it")
            out.append({"from": "function_call", "value": call_text(calls)})
        else:
            out.append({"from": SHAREGPT_FROM.get(turn["role"], turn["role"]), "value": turn["content"]})
    return out


def has_tool_calls(turns: Iterable[dict[str, Any]]) -> bool:
    return any(t["role"] == "tool" or t.get("tool_calls") for t in turns)
