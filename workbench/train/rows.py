"""Export rows as conversations to train on, in the form chat templates take.

An export row comes in one of the shapes of docs/record-form.md: openai (`messages`, tool calls
as `{"id", "type": "function", "function": {"name", "arguments"}}`, `tools`), sharegpt
(`conversations` with `function_call` / `observation` turns, `tools` as JSON text), alpaca, or
parquet (canonical columns: `tool_calls`, `parts` and `tools` as JSON text). Each becomes a
:class:`Chat`: OpenAI-style messages and the tool schemas, which is what transformers'
`apply_chat_template(messages, tools=...)` expects. A call's `arguments` are handed to the template
as an object: most templates (Qwen2.5, Llama 3.1, Hermes) apply `tojson` to them, which would
write JSON text as a quoted string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "function_call": "call", "observation": "tool", "tool": "tool"}
MEDIA_LISTS = ("images", "videos", "audios")  # LLaMA-Factory's row-level file lists
TRAINER_FOR = {"preference": "DPOTrainer", "kto": "KTOTrainer"}
KIND_SHAPES = {"preference": "a prompt with a chosen and a rejected completion",
               "kto": "a prompt with one completion labelled desirable or not"}


@dataclass
class Chat:
    """One conversation: messages as a chat template takes them, and the tools it may call."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    media: int = 0  # non-text content parts (images, audio, video): not trainable here

    @property
    def tool_calls(self) -> int:
        return sum(len(m.get("tool_calls") or []) for m in self.messages)

    @property
    def uses_tools(self) -> bool:
        return bool(self.tools) or any(m.get("tool_calls") or m["role"] == "tool" for m in self.messages)


def as_chat(conversation: Chat | list[dict[str, Any]]) -> Chat:
    return conversation if isinstance(conversation, Chat) else Chat(list(conversation))


def row_kind(row: dict[str, Any]) -> str:
    """sft, preference or kto: what an export row is, from its `kind` column or its shape."""
    kind = row.get("kind")
    if kind in TRAINER_FOR:
        return kind
    if row.get("preferred_output") is not None or (row.get("chosen") is not None and row.get("rejected") is not None):
        return "preference"
    if row.get("kto_tag") is not None or (row.get("label") is not None and row.get("completion") is not None):
        return "kto"
    return "sft"


def not_sft_message(path: Any, kind: str) -> str:
    """Why an export of preference pairs or KTO examples is not trained by `workbench train`."""
    return (f"{path}: {kind} rows ({KIND_SHAPES[kind]}); workbench train trains SFT on conversations. Train on "
            f"this file with TRL's {TRAINER_FOR[kind]} (load it with datasets.load_dataset(\"json\", "
            f"data_files=\"{path}\")), or export the project's sft rows (workbench export --kind sft) to train here")


def to_chat(row: dict[str, Any]) -> Chat:
    """One export row (openai, sharegpt, alpaca or parquet shape) as a Chat; no messages if it is none."""
    tools = _tools(row.get("tools"))
    media = sum(len(row[key]) for key in MEDIA_LISTS if isinstance(row.get(key), list))
    if isinstance(row.get("messages"), list):
        chat = Chat([], tools, media)
        for m in row["messages"]:
            if isinstance(m, dict):
                chat.messages.append(_openai_message(m, chat))
        return chat
    if isinstance(row.get("conversations"), list):
        chat = Chat([], tools, media)
        for m in row["conversations"]:
            if isinstance(m, dict):
                chat.messages.append(_sharegpt_message(m))
        return chat
    if "instruction" in row and "output" in row:
        messages = [{"role": "system", "content": str(row["system"])}] if row.get("system") else []
        for prompt, reply in row.get("history") or []:
            messages += [{"role": "user", "content": str(prompt)}, {"role": "assistant", "content": str(reply)}]
        prompt = str(row["instruction"]) + (f"\n\n{row['input']}" if row.get("input") else "")
        return Chat(messages + [{"role": "user", "content": prompt},
                                {"role": "assistant", "content": str(row["output"])}], None, media)
    return Chat([])


def to_messages(row: dict[str, Any]) -> list[dict[str, Any]]:
    """One export row as chat messages (see to_chat)."""
    return to_chat(row).messages


def chat_problem(messages: list[dict[str, Any]]) -> str | None:
    """Why a conversation cannot be trained on, or None."""
    if not messages:
        return "not a chat row"
    if messages[-1]["role"] != "assistant":
        return "does not end with an assistant turn"
    if any(m["role"] not in ("system", "user", "assistant", "tool") for m in messages):
        return "unknown role"
    if messages[0]["role"] == "assistant":
        return "starts with an assistant turn"
    for before, m in zip(messages, messages[1:]):
        if m["role"] == "tool" and not (before["role"] == "tool" or before.get("tool_calls")):
            return "a tool result without a tool call before it"
    if all(m.get("weight") == 0 for m in messages if m["role"] == "assistant"):
        return "every assistant turn has weight 0"
    return None


# -- one turn -----------------------------------------------------------------------------------------

def _openai_message(m: dict[str, Any], chat: Chat) -> dict[str, Any]:
    role = str(m.get("role"))
    text, media = _content(m.get("content"))
    if m.get("parts"):  # parquet: the parts sit in the text as placeholders
        media += len(_json(m["parts"]) or [])
    chat.media += media
    out: dict[str, Any] = {"role": role, "content": text}
    calls = _json(m.get("tool_calls"))
    if calls:
        out["tool_calls"] = [_call(c) for c in calls if isinstance(c, dict)]
    for key in ("tool_call_id", "name"):
        if role == "tool" and m.get(key) is not None:
            out[key] = str(m[key])
    if m.get("weight") is not None:  # 0: context only, not trained on; templates ignore the key
        out["weight"] = m["weight"]
    return out


def _sharegpt_message(m: dict[str, Any]) -> dict[str, Any]:
    role = SHAREGPT_ROLES.get(str(m.get("from")), str(m.get("from")))
    value = str(m.get("value") or "")
    if role == "call":  # LLaMA-Factory: {"name", "arguments"} or a list of them, as JSON text
        calls = _json(value)
        calls = calls if isinstance(calls, list) else [calls]
        if not all(isinstance(c, dict) and c.get("name") for c in calls):
            return {"role": "function_call", "content": value}  # not a call: chat_problem says so
        return {"role": "assistant", "content": "", "tool_calls": [_call(c) for c in calls]}
    return {"role": role, "content": value}


def _call(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call in OpenAI's form ({"id", "type", "function": {"name", "arguments"}}), from that
    form or the canonical one ({"id", "name", "arguments"}), with the arguments as an object."""
    function = call["function"] if isinstance(call.get("function"), dict) else call
    arguments = function.get("arguments")
    parsed = _json(arguments)
    out: dict[str, Any] = {"type": "function", "function": {
        "name": str(function.get("name")), "arguments": parsed if isinstance(parsed, dict) else arguments}}
    if call.get("id") is not None:
        out["id"] = str(call["id"])
    return out


def _content(content: Any) -> tuple[str, int]:
    """A turn's text and its number of non-text parts. Adjacent text parts are joined with a
    newline, as the importer splits them."""
    if content is None:
        return "", 0
    if not isinstance(content, list):
        return str(content), 0
    texts: list[str] = []
    media = 0
    adjacent = False
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(("\n" if adjacent else "") + str(part.get("text") or ""))
            adjacent = True
        else:  # image_url, input_audio, ...: a placeholder in the canonical text
            media += 1
            adjacent = False
    return "".join(texts), media


def _tools(value: Any) -> list[dict[str, Any]] | None:
    """Tool schemas in OpenAI's form; a bare {"name", "description", "parameters"} is wrapped."""
    value = _json(value)
    if not isinstance(value, list):
        return None
    tools = [t if "function" in t else {"type": "function", "function": t} for t in value if isinstance(t, dict)]
    return tools or None


def _json(value: Any) -> Any:
    """JSON text parsed (anything else as it is); None for text that is not JSON."""
    if not isinstance(value, (str, bytes)):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
