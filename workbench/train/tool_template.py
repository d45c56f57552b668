"""Whether a base model's chat template renders tools, tool calls and tool results.

Many chat templates (SmolLM2's among them) ignore the `tools` argument and every field of a turn
but role and content: a conversation that calls tools would then be trained on with its calls
silently gone, teaching the model to answer without them. The template is asked once, with a
made-up tool, and each conversation is checked again once rendered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from .rows import Chat

PROBE_TOOL = {"type": "function", "function": {
    "name": "wb_probe_lookup", "description": "Looks up a key.",
    "parameters": {"type": "object", "properties": {"wb_probe_key": {"type": "string"}},
                   "required": ["wb_probe_key"]}}}
PROBE_USER = {"role": "user", "content": "Look it up."}
PROBE_CALL = {"role": "assistant", "content": "", "tool_calls": [{
    "id": "call_wb_probe", "type": "function",
    "function": {"name": "wb_probe_lookup", "arguments": {"wb_probe_key": "wb_probe_value"}}}]}
PROBE_RESULT = {"role": "tool", "tool_call_id": "call_wb_probe", "name": "wb_probe_lookup",
                "content": "wb_probe_result"}
PROBE_REPLY = {"role": "assistant", "content": "Found it."}


def template_tool_problems(tokenizer: Any) -> list[str]:
    """What the tokenizer's chat template fails to render: [] when it renders tool schemas, calls
    (name and arguments) and results."""

    def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
        return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)

    try:
        plain = render([PROBE_USER, PROBE_REPLY], None)
        with_tools = render([PROBE_USER, PROBE_REPLY], [PROBE_TOOL])
        no_call = render([PROBE_USER, {"role": "assistant", "content": ""}, PROBE_REPLY], [PROBE_TOOL])
        full = render([PROBE_USER, PROBE_CALL, PROBE_RESULT, PROBE_REPLY], [PROBE_TOOL])
    except Exception as e:  # templates raise their own errors, e.g. on a role they do not know
        return [f"fails on a conversation with a tool call ({type(e).__name__}: {e})"]
    problems = []
    if with_tools == plain or "wb_probe_key" not in with_tools:
        problems.append("ignores the tool schemas")
    # The argument's value is written nowhere but in the call; the name at least once more than
    # in the schemas.
    if "wb_probe_value" not in full or full.count("wb_probe_lookup") <= no_call.count("wb_probe_lookup"):
        problems.append("drops tool calls")
    if "wb_probe_result" not in full:
        problems.append("drops tool results")
    return problems


def rendered_problem(chat: Chat, text: str, replies: dict[int, str]) -> str | None:
    """What of a conversation's tool use is missing from its rendered text, or None. `replies`:
    the rendered text of each trained assistant turn, by its index, which must hold its calls."""
    for k, reply in replies.items():
        for call in chat.messages[k].get("tool_calls") or []:
            if call["function"]["name"] not in reply:
                return f"drops the tool call {call['function']['name']}"
    for m in chat.messages:
        result = m["content"].strip() if m["role"] == "tool" else ""
        # Some templates (Llama 3.1's) write a result as a JSON string: quoted and escaped.
        if result and not any(form in text for form in (result, json.dumps(result)[1:-1],
                                                         json.dumps(result, ensure_ascii=False)[1:-1])):
            return "drops a tool result"
    for tool in chat.tools or []:
        name = (tool.get("function") or {}).get("name")
        if name and name not in text:
            return f"drops the schema of the tool {name}"
    return None


def require_tool_template(tokenizer: Any, chats: Sequence[Chat], what: str) -> None:
    """Stop (ConfigError) when rows use tools and the template cannot show them."""
    using = [c for c in chats if c.uses_tools]
    if not using:
        return
    problems = template_tool_problems(tokenizer)
    if problems:
        calling = sum(1 for c in using if c.tool_calls)
        rows = (f"{calling:,} of the {len(chats):,} {what} rows call tools" if calling else
                f"{len(using):,} of the {len(chats):,} {what} rows come with tool schemas")
        raise tool_template_error(tokenizer, " and ".join(problems), rows)


def tool_template_error(tokenizer: Any, problem: str, rows: str) -> ConfigError:
    model = getattr(tokenizer, "name_or_path", None) or "the base model"
    return ConfigError(
        f"base model {model}: its chat template {problem}, and {rows}; training would silently leave tool use "
        "out. Set base_model to a model whose chat template renders tools and tool calls (for "
        "example Qwen2.5 or Qwen3 Instruct, Llama 3.1 Instruct or later, Hermes 2 Pro), or leave the rows that "
        "use tools out of the export")
