"""Where personal data can sit in a record, and scrubbing it there.

The pii step scans a record's texts one by one, numbered in a fixed order: the content of every
turn of `messages`, then of `chosen`, then of `rejected`, then the arguments of every tool call
(in the same turn order). A plain record's texts are its turns' contents, numbered like its
turns, so a finding's `turn` is the turn's index as it always was; in a richer record it is the
number of the text, and :class:`TextPlace` says where that is ("chosen[0]",
"messages[1].tool_calls[0].arguments").

Tool-call arguments are JSON text. Spans found in them are replaced inside the JSON strings (a
value's text is escaped as JSON needs), and a number the scan found (a phone written as a JSON
number) becomes a string with the stand-in, so the arguments stay valid JSON and everything else
in them stays as it was. Arguments that are not valid JSON are scrubbed as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ...records import TEXT_COLUMNS, parse_tool_calls, record_turns
from .replace import Cut, apply

StandIn = Callable[[str, str], str]


@dataclass(frozen=True)
class TextPlace:
    """One scanned text of a record: a turn's content, or a tool call's arguments."""

    column: str  # messages | chosen | rejected
    turn: int  # the turn's index in that column
    call: int | None = None  # the tool call's index in the turn, for its arguments

    def __str__(self) -> str:
        where = f"{self.column}[{self.turn}]"
        return where if self.call is None else f"{where}.tool_calls[{self.call}].arguments"


def is_plain(row: Mapping[str, Any]) -> bool:
    """A record whose only texts are its messages' contents."""
    return not row.get("chosen") and not row.get("rejected") \
        and not any(m.get("tool_calls") for m in row.get("messages") or ())


def text_places(row: Mapping[str, Any]) -> list[tuple[TextPlace, str, str]]:
    """(place, role, text) of every text of a record, in the order that numbers them."""
    texts, arguments = [], []
    for column, i, turn in record_turns(row):
        role = turn.get("role") or ""
        texts.append((TextPlace(column, i), role, turn.get("content") or ""))
        for j, call in enumerate(parse_tool_calls(turn.get("tool_calls")) or ()):
            if isinstance(call.get("arguments"), str):
                arguments.append((TextPlace(column, i, j), role, call["arguments"]))
    return texts + arguments


def place_labels(row: Mapping[str, Any]) -> list[str]:
    """How the PII screen names each text of a record: the role, with where it is when that is
    not the plain conversation ("assistant (chosen)", "assistant: lookup arguments")."""
    out = []
    for place, role, _ in text_places(row):
        if place.call is not None:
            call = (parse_tool_calls(row[place.column][place.turn].get("tool_calls")) or [{}])[place.call]
            out.append(f"{role}: {call.get('name') or 'tool call'} arguments"
                       + ("" if place.column == "messages" else f" ({place.column})"))
        else:
            out.append(role if place.column == "messages" else f"{role} ({place.column})")
    return out


def scrub_record(row: Mapping[str, Any], spans: Mapping[int, list[tuple[int, int, str, float]]],
                 stand_in: StandIn, merge: Callable[[Any], Sequence[Cut]]) -> dict[str, list[dict] | None]:
    """The record's messages, chosen and rejected with the spans of each numbered text replaced;
    every other field of every turn stays as it was."""
    places = text_places(row)
    out: dict[str, list[dict] | None] = {c: [dict(t) for t in row[c]] if row.get(c) is not None else None
                                         for c in TEXT_COLUMNS if c in row}
    new_args: dict[tuple[str, int], dict[int, str]] = {}
    for slot, found in spans.items():
        if not found or slot >= len(places):
            continue
        place, _, text = places[slot]
        turn = out[place.column][place.turn]
        if place.call is None:
            turn["content"] = apply(text, merge(found), stand_in)
        else:
            new_args.setdefault((place.column, place.turn), {})[place.call] = scrub_json(text, merge(found), stand_in)
    for (column, i), changed in new_args.items():
        turn = out[column][i]
        calls = parse_tool_calls(turn["tool_calls"]) or []
        for j, args in changed.items():
            calls[j]["arguments"] = args
        turn["tool_calls"] = orjson.dumps(calls).decode()
    return out


# A JSON string literal, and a JSON number (outside strings). In valid JSON every double quote
# outside a string opens one, so scanning left to right finds exactly the string tokens.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)")


def scrub_json(raw: str, cuts: Sequence[Cut], stand_in: StandIn) -> str:
    """The JSON text `raw` with the cuts (offsets into raw) replaced inside its strings and numbers,
    still valid JSON; text that is not JSON is scrubbed as text."""
    if not cuts:
        return raw
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return apply(raw, cuts, stand_in)
    tokens: list[tuple[int, int, bool]] = []  # (start, end, is_string) of every string and number
    pos = 0
    for m in _STRING.finditer(raw):
        tokens += [(pos + n.start(), pos + n.end(), False) for n in _NUMBER.finditer(raw[pos:m.start()])]
        tokens.append((m.start(), m.end(), True))
        pos = m.end()
    tokens += [(pos + n.start(), pos + n.end(), False) for n in _NUMBER.finditer(raw[pos:])]
    parts, done = [], 0
    for start, end, is_string in tokens:
        inner_start, inner_end = (start + 1, end - 1) if is_string else (start, end)
        local = [Cut(max(c.start, inner_start) - inner_start, min(c.end, inner_end) - inner_start, c.entity)
                 for c in cuts if c.start < inner_end and inner_start < c.end]
        if not local:
            continue
        inner = raw[inner_start:inner_end]
        if is_string:
            value = _replace_escaped(inner, local, stand_in)
        else:
            value = apply(inner, [Cut(0, len(inner), local[0].entity)], stand_in)
        parts += [raw[done:start], orjson.dumps(value).decode()]
        done = end
    out = "".join(parts) + raw[done:]
    try:
        orjson.loads(out)
    except orjson.JSONDecodeError:  # not expected; never hand back broken JSON
        return raw if not parts else orjson.dumps(_scrub_values(orjson.loads(raw), cuts, raw, stand_in)).decode()
    return out


def _replace_escaped(inner: str, cuts: Sequence[Cut], stand_in: StandIn) -> str:
    """The decoded value of a JSON string's inside, with the cuts (offsets into the escaped text)
    replaced; a cut that begins or ends inside an escape sequence takes the whole sequence."""
    pieces: list[tuple[int, int, str]] = []  # (raw start, raw end, decoded text)
    pos = 0
    for m in _ESCAPE.finditer(inner):
        if m.start() > pos:
            pieces.append((pos, m.start(), inner[pos:m.start()]))
        pieces.append((m.start(), m.end(), orjson.loads(f'"{m.group()}"') if m.group()[1] != "u"
                       else chr(int(m.group()[2:], 16))))
        pos = m.end()
    if pos < len(inner):
        pieces.append((pos, len(inner), inner[pos:]))
    decoded: list[str] = []
    mapping: dict[int, int] = {}  # each raw offset's decoded offset
    length = 0
    for start, end, text in pieces:
        if end - start == len(text):  # plain text: offsets map one to one
            for k in range(end - start):
                mapping[start + k] = length + k
        else:  # an escape: its inside maps to its start
            for k in range(start, end):
                mapping[k] = length
        decoded.append(text)
        length += len(text)
    mapping[len(inner)] = length

    def end_of(raw_end: int) -> int:  # a cut ending inside an escape takes all of it
        for start, end, text in pieces:
            if start < raw_end < end and end - start != len(text):
                return mapping[start] + len(text)
        return mapping[raw_end]

    value = "".join(decoded)
    local = [Cut(mapping[c.start], end_of(c.end), c.entity) for c in cuts]
    # Escaped surrogate pairs decode to two halves here; the JSON dump joins them again.
    return apply(value, [c for c in local if c.end > c.start], stand_in).encode("utf-16", "surrogatepass").decode("utf-16")


def _scrub_values(value: Any, cuts: Sequence[Cut], raw: str, stand_in: StandIn) -> Any:
    """value with every found text replaced wherever it is a string (the fallback)."""
    found = [(raw[c.start:c.end], c.entity) for c in cuts]
    if isinstance(value, str):
        for text, entity in found:
            if text:
                value = value.replace(text, stand_in(entity, text))
        return value
    if isinstance(value, list):
        return [_scrub_values(v, cuts, raw, stand_in) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_values(v, cuts, raw, stand_in) for k, v in value.items()}
    return value
