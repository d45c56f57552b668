"""One input turn (OpenAI, ShareGPT) or completion (TRL, LLaMA-Factory) as canonical turns.

What a turn holds that the canonical form has no field for (an OpenAI user's `name`, a
`refusal`) is returned separately, so that it goes to the record's meta instead of being lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .interface import RowError
from .problems import json_type, too_long
from .turns import content_parts, dumps, hermes_calls, hermes_response, one_call, openai_calls, text_calls

OPENAI_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
                "tool": "tool", "function": "tool"}
OPENAI_MAPPED = frozenset({"role", "content", "tool_calls", "function_call", "weight"})
SHAREGPT_ROLES = {
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant", "bard": "assistant", "model": "assistant",
    "system": "system",
    "function_call": "call",  # an assistant turn that calls tools (glaive, LLaMA-Factory)
    "observation": "tool", "tool": "tool", "function_response": "tool", "ipython": "tool",
}
SHAREGPT_NAMES = "human, gpt, system, function_call, observation, tool"


def turn(role: str, content: str, **extras: Any) -> dict[str, Any]:
    return {"role": role, "content": content, "tool_calls": extras.get("tool_calls"),
            "tool_call_id": extras.get("tool_call_id"), "name": extras.get("name"),
            "weight": extras.get("weight"), "parts": extras.get("parts")}


def openai_turn(m: Any, where: str, limit: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An OpenAI message: (canonical turn, the fields it has that no canonical field holds)."""
    if not isinstance(m, dict):
        raise RowError(f"{where} is {json_type(m)}, expected an object with role and content")
    if "role" not in m:
        raise RowError(f"{where} has no 'role' field")
    role = m["role"]
    if not isinstance(role, str):
        raise RowError(f"{where}.role is {json_type(role)}, expected a string")
    canonical = OPENAI_ROLES.get(role)
    if canonical is None:
        raise RowError(f"{where}.role is {role!r}, expected one of system, user, assistant, tool")
    calls = None
    if m.get("tool_calls") not in (None, []):
        calls = openai_calls(m["tool_calls"], f"{where}.tool_calls")
    elif m.get("function_call") is not None:  # the legacy single call
        calls = dumps([one_call(m["function_call"], f"{where}.function_call", nested=False)])
    if calls is not None and canonical != "assistant":
        raise RowError(f"{where}: only assistant turns call tools, this is a {role} turn")
    if "content" not in m and calls is None:
        raise RowError(f"{where} has no 'content' field")
    content, parts = m.get("content"), None
    if content is None:
        if calls is None:
            raise RowError(f"{where}.content is null, expected a string")
        content = ""
    elif isinstance(content, list):
        content, parts = content_parts(content, f"{where}.content")
    elif not isinstance(content, str):
        raise RowError(f"{where}.content is {json_type(content)}, expected a string")
    if len(content) > limit:
        raise too_long(f"{where}.content", len(content), limit)
    out = turn(canonical, content, tool_calls=calls, parts=parts)
    mapped = set(OPENAI_MAPPED)
    if canonical == "tool":
        for key in ("tool_call_id", "name"):
            value = m.get(key)
            if value is not None and not isinstance(value, str):
                raise RowError(f"{where}.{key} is {json_type(value)}, expected a string")
            out[key] = value
            mapped.add(key)
    if "weight" in m:
        out["weight"] = m["weight"]  # checked with the record (0 or 1, assistant turns only)
    return out, {k: v for k, v in m.items() if k not in mapped}


def openai_turns(value: Any, path: str, limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An OpenAI list of messages: (canonical turns, each turn's unmapped fields)."""
    if not isinstance(value, list):
        raise RowError(f"field '{path}' is {json_type(value)}, expected a list of {{role, content}} objects")
    turns, rest = [], []
    for i, m in enumerate(value):
        t, other = openai_turn(m, f"{path}[{i}]", limit)
        turns.append(t)
        rest.append(other)
    return turns, rest


def sharegpt_turns(value: Any, path: str, limit: int,
                   check: Callable[..., tuple[str, str]]) -> tuple[list[dict[str, Any]], list[str], list[dict]]:
    """ShareGPT turns ({from, value}): (canonical turns, where each came from, unmapped fields).

    A `function_call` turn is an assistant turn with tool calls (merged into the assistant turn
    just before it, when that one has text and no calls); `observation` and `tool` turns are tool
    results; a gpt turn with Hermes <tool_call> blocks calls tools too."""
    if not isinstance(value, list):
        raise RowError(f"field '{path}' is {json_type(value)}, expected a list of {{from, value}} objects")
    turns: list[dict[str, Any]] = []
    where: list[str] = []
    rest: list[dict] = []
    for i, item in enumerate(value):
        at = f"{path}[{i}]"
        role, text = check(item, at, "from", "value", lambda s: SHAREGPT_ROLES.get(s.strip().lower()),
                           SHAREGPT_NAMES)
        if len(text) > limit:
            raise too_long(f"{at}.value", len(text), limit)
        rest.append({k: v for k, v in item.items() if k not in ("from", "value")})
        if role == "call":
            calls = text_calls(text, f"{at}.value")
            last = turns[-1] if turns else None
            if last is not None and last["role"] == "assistant" and last["tool_calls"] is None:
                last["tool_calls"] = dumps(calls)
                where[-1] = f"{where[-1]} + {at}"
                continue
            turns.append(turn("assistant", "", tool_calls=dumps(calls)))
        elif role == "tool":
            turns.append(turn("tool", hermes_response(text)))
        elif role == "assistant" and (found := hermes_calls(text, f"{at}.value")) is not None:
            turns.append(turn("assistant", found[0], tool_calls=dumps(found[1])))
        else:
            turns.append(turn(role, text))
        where.append(f"{at}.value")
    return turns, where, rest


def completion(value: Any, path: str, limit: int, check: Callable[..., tuple[str, str]] | None = None
               ) -> list[dict[str, Any]]:
    """A completion given as text (one assistant turn), a list of OpenAI messages, one message,
    or (with `check`) ShareGPT turns {from, value}."""
    if isinstance(value, str):
        if len(value) > limit:
            raise too_long(f"field '{path}'", len(value), limit)
        return [turn("assistant", value)]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise RowError(f"field '{path}' is {json_type(value)}, expected text or a list of turns")
    if check is not None and value and isinstance(value[0], dict) and "from" in value[0]:
        return sharegpt_turns(value, path, limit, check)[0]
    return openai_turns(value, path, limit)[0]


def prompt_turns(value: Any, path: str, limit: int) -> list[dict[str, Any]]:
    """A prompt given as text (one user turn) or as a list of OpenAI messages."""
    if isinstance(value, str):
        if len(value) > limit:
            raise too_long(f"field '{path}'", len(value), limit)
        return [turn("user", value)]
    return openai_turns(value, path, limit)[0]


def common_prefix(chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> int:
    """How many leading turns two whole conversations share (TRL's implicit prompt)."""
    n = 0
    for a, b in zip(chosen, rejected):
        if a != b:
            break
        n += 1
    while n and chosen[n - 1]["role"] == "assistant":  # the prompt ends where a reply is due
        n -= 1
    return n
