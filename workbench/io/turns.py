"""Turns richer than role + content, read into the canonical form (docs/record-form.md).

Tool calls (OpenAI `tool_calls`, the legacy `function_call`, ShareGPT `function_call` turns,
Hermes `<tool_call>` text), tool results, tool schemas, content given as a list of parts, and
media lists with `<image>` placeholders. Each function takes what one input field holds and
returns canonical values, or raises RowError naming the field and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from .interface import RowError
from .problems import json_type

# A content part's type -> the placeholder that marks its place in the turn's text.
PLACEHOLDERS = {
    "image_url": "<image>", "image": "<image>",
    "input_audio": "<audio>", "audio": "<audio>",
    "video_url": "<video>", "video": "<video>",
}
PLACEHOLDER = re.compile(r"<image>|<audio>|<video>")
# A row-level media list (LLaMA-Factory) -> its placeholder and the part type a reference becomes.
MEDIA_LISTS = {"images": ("<image>", "image"), "videos": ("<video>", "video"), "audios": ("<audio>", "audio")}

_HERMES_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)
_HERMES_RESPONSE = re.compile(r"^\s*<tool_response>\s*(.*?)\s*</tool_response>\s*$", re.S)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def arguments_text(value: Any, where: str) -> str:
    """A call's arguments as JSON text: a string as given (OpenAI), an object written compactly."""
    if isinstance(value, str):
        return value
    if value is None:
        return "{}"
    if isinstance(value, dict):
        return dumps(value)
    raise RowError(f"{where} is {json_type(value)}, expected an object or a JSON string")


def one_call(call: Any, where: str, *, nested: bool) -> dict[str, Any]:
    """One call as {id, name, arguments}. OpenAI nests name/arguments under `function`
    (`nested`); ShareGPT, Hermes and the legacy function_call give them at the top."""
    if not isinstance(call, dict):
        raise RowError(f"{where} is {json_type(call)}, expected an object with a name and arguments")
    body = call
    if nested:
        body = call.get("function")
        if not isinstance(body, dict):
            raise RowError(f"{where}.function is {json_type(body)}, expected an object with name and arguments")
        where = f"{where}.function"
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RowError(f"{where}.name is {json_type(name) if not isinstance(name, str) else 'empty'}, "
                       "expected the tool's name")
    call_id = call.get("id")
    if call_id is not None and not isinstance(call_id, str):
        raise RowError(f"{where}.id is {json_type(call_id)}, expected a string")
    return {"id": call_id, "name": name, "arguments": arguments_text(body.get("arguments"), f"{where}.arguments")}


def openai_calls(value: Any, where: str) -> str:
    """An OpenAI `tool_calls` list as canonical JSON text."""
    if not isinstance(value, list) or not value:
        raise RowError(f"{where} is {json_type(value) if not isinstance(value, list) else 'an empty list'}, "
                       "expected a list of calls")
    return dumps([one_call(c, f"{where}[{i}]", nested=True) for i, c in enumerate(value)])


def text_calls(value: str, where: str) -> list[dict[str, Any]]:
    """A ShareGPT function_call value (or the JSON inside a Hermes <tool_call>): one call
    {"name", "arguments"} or a list of them, as JSON text."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RowError(f"{where} is not a JSON function call (expected {{\"name\": ..., \"arguments\": {{...}}}}): "
                       f"{value[:80]!r}") from None
    calls = parsed if isinstance(parsed, list) else [parsed]
    if not calls:
        raise RowError(f"{where} is an empty list of function calls")
    return [one_call(c, where if len(calls) == 1 else f"{where}[{i}]", nested=False) for i, c in enumerate(calls)]


def hermes_calls(text: str, where: str) -> tuple[str, list[dict[str, Any]]] | None:
    """An assistant text with Hermes <tool_call>{json}</tool_call> blocks: (the text around them,
    the calls). None when it has no such block."""
    if "<tool_call>" not in text:
        return None
    calls = []
    for i, body in enumerate(_HERMES_CALL.findall(text)):
        calls.extend(text_calls(body, f"{where} <tool_call> {i + 1}"))
    if not calls:
        return None
    return _HERMES_CALL.sub("", text).strip(), calls


def hermes_response(text: str) -> str:
    """A Hermes tool turn's text without its <tool_response> wrapper."""
    m = _HERMES_RESPONSE.match(text)
    return m.group(1) if m else text


def tool_schemas(value: Any, where: str = "field 'tools'") -> str | None:
    """The `tools` of a row (a list, or JSON text of a list, as glaive writes it) in OpenAI's
    form; None when there are none."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise RowError(f"{where} is not JSON text of a list of tool schemas: {value[:80]!r}") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise RowError(f"{where} is {json_type(value)}, expected a list of tool schemas")
    if not value:
        return None
    tools = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict):
            raise RowError(f"{where}[{i}] is {json_type(tool)}, expected a tool schema object")
        if tool.get("type") == "function" and isinstance(tool.get("function"), dict):
            body = tool["function"]
        elif "name" in tool:
            body, tool = tool, {"type": "function", "function": tool}  # bare (glaive, LLaMA-Factory)
        else:
            raise RowError(f"{where}[{i}] has no name; expected {{\"name\", \"description\", \"parameters\"}} "
                           "or {\"type\": \"function\", \"function\": {...}}")
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            raise RowError(f"{where}[{i}].name is not a tool name")
        tools.append(tool)
    return dumps(tools)


def content_parts(value: list[Any], where: str) -> tuple[str, str | None]:
    """Content given as a list of parts: (the text with a placeholder per non-text part, the
    non-text parts as JSON text or None)."""
    pieces: list[str] = []
    media: list[Any] = []
    after_text = False
    for i, part in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(part, dict):
            raise RowError(f"{at} is {json_type(part)}, expected a content part object")
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise RowError(f"{at}.text is {json_type(text)}, expected a string")
            if PLACEHOLDER.search(text):
                raise RowError(f"{at}.text holds {PLACEHOLDER.search(text).group(0)}, which marks a media part "
                               "here; it cannot be told from the turn's real parts")
            pieces.append(("\n" if after_text else "") + text)
            after_text = True
        elif kind in PLACEHOLDERS:
            pieces.append(PLACEHOLDERS[kind])
            media.append(part)
            after_text = False
        else:
            raise RowError(f"{at}.type is {kind!r}; the content part types read are text, "
                           f"{', '.join(PLACEHOLDERS)}")
    return "".join(pieces), (dumps(media) if media else None)


def media_lists(row: dict[str, Any], turns: Sequence[dict[str, Any]]) -> set[str]:
    """Give each `<image>` (`<video>`, `<audio>`) placeholder in the turns its reference from the
    row's `images` (`videos`, `audios`) list, in order, as the turn's parts. The lists' names are
    returned (mapped, so not kept in meta); a count that does not match is a row problem."""
    used: set[str] = set()
    lists = {}
    for key, (token, kind) in MEDIA_LISTS.items():
        refs = row.get(key)
        if refs is None or refs == []:
            if key in row:
                used.add(key)
            continue
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise RowError(f"field '{key}' is {json_type(refs)}, expected a list of file names or URLs")
        lists[token] = (kind, list(refs), key)
        used.add(key)
    if not lists:
        return used
    counts = {token: 0 for token in lists}
    for turn in turns:
        found = PLACEHOLDER.findall(turn["content"])
        if not found:
            continue
        if turn.get("parts") is not None:
            raise RowError("a turn has both content parts and a row-level media list")
        parts = []
        for token in found:
            if token not in lists:
                raise RowError(f"a turn holds {token} but the row has no {_list_of(token)} list")
            kind, refs, key = lists[token]
            if counts[token] >= len(refs):
                raise RowError(f"the turns hold more {token} placeholders than field '{key}' has entries "
                               f"({len(refs)})")
            parts.append({"type": kind, kind: refs[counts[token]]})
            counts[token] += 1
        turn["parts"] = dumps(parts)
    for token, (_, refs, key) in lists.items():
        if counts[token] != len(refs):
            raise RowError(f"field '{key}' has {len(refs)} entries but the turns hold {counts[token]} {token} "
                           f"placeholder(s); each entry needs its placeholder")
    return used


def _list_of(token: str) -> str:
    return next(key for key, (t, _) in MEDIA_LISTS.items() if t == token)
