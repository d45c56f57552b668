"""One exported row per canonical record, for each format and record kind (docs/record-form.md,
"Output shapes"). A builder raises CannotHold for a row its format has no place for.

TRL (`trl`): conversational rows, {"messages"} for sft, {"prompt", "chosen", "rejected"} for
preference, {"prompt", "completion", "label"} for kto, with "tools" (the OpenAI-form schemas as
a list) where the row has some. A tool call is written as transformers chat templates read it,
{"id", "type": "function", "function": {"name", "arguments"}}, with `arguments` as an object
(the canonical JSON text parsed; left as text only when it is not a JSON object). That is the
form TRL's trainers and `supports_tool_calling` pass to `apply_chat_template`, and the common
templates write it with `arguments | tojson` (Qwen2.5, Llama 3.1, Hermes): a JSON string there
would be rendered quoted a second time ("{\"city\": ...}"), and the model trained to answer so.
Objects whose keys differ from row to row load with `datasets` (>= 4.7) as its Json() type,
unchanged. TRL also reads "tools" as JSON text; the list is what its documentation shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .out_turns import (CallIds, CannotHold, Media, bare_tools, chat_turns, dumps, has_tool_calls, json_list,
                        records_turns, sharegpt_turns)

# With --with-meta: the record id, its labels, and `meta`, the input fields no importer mapped, as
# one JSON string (`{}` when none): a string keeps one column type across rows whatever the
# fields hold, so `datasets` loads the file without guessing a schema for them.
META_COLUMNS = ("id", "category", "origin", "meta")


def _kind(row: dict[str, Any]) -> str:
    return row.get("kind") or "sft"


# -- openai ----------------------------------------------------------------------------------------

def openai_row(row: dict[str, Any]) -> dict[str, Any]:
    """OpenAI chat fine-tuning ({"messages", "tools"}), or its DPO shape for a preference row."""
    kind = _kind(row)
    if kind == "kto":
        raise CannotHold("a kto row (one completion judged good or bad): OpenAI's fine-tuning formats have no "
                         "place for the judgement; --format trl, sharegpt or alpaca can hold it")
    ids = CallIds(row)
    tools = json_list(row.get("tools"))
    messages = chat_turns(row["messages"], ids, "openai")
    if kind == "preference":
        prompt: dict[str, Any] = {"messages": messages}
        if tools:
            prompt["tools"] = tools
        chosen, rejected = _both(row, ids, "openai")
        return {"input": prompt, "preferred_output": chosen, "non_preferred_output": rejected}
    out: dict[str, Any] = {"messages": messages}
    if tools:
        out["tools"] = tools
    return out


def _both(row: dict[str, Any], ids: CallIds, style: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Both completions answer the same prompt: each starts from the calls the prompt left open.
    waiting = ids.fork()
    chosen = chat_turns(row.get("chosen"), ids, style)
    ids.pending = waiting
    return chosen, chat_turns(row.get("rejected"), ids, style)


# -- trl -------------------------------------------------------------------------------------------

def trl_row(row: dict[str, Any]) -> dict[str, Any]:
    """TRL's conversational shape for the row's kind (see the module docstring)."""
    kind = _kind(row)
    ids = CallIds(row)
    prompt = chat_turns(row["messages"], ids, "trl")
    if kind == "preference":
        chosen, rejected = _both(row, ids, "trl")
        out: dict[str, Any] = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    elif kind == "kto":
        out = {"prompt": prompt, "completion": chat_turns(row.get("chosen"), ids, "trl"), "label": row.get("label")}
    else:
        out = {"messages": prompt}
    tools = json_list(row.get("tools"))
    if tools:
        out["tools"] = tools
    return out


def trl_preference_row(prompt: Sequence[dict[str, Any]], chosen: Sequence[dict[str, Any]],
                       rejected: Sequence[dict[str, Any]], tools: str | None = None) -> dict[str, Any]:
    """A preference pair as TRL's DPO trainer reads it: the row `--format trl` writes for a
    preference record (turns need only role and content)."""
    return trl_row({"kind": "preference", "messages": list(prompt), "chosen": list(chosen),
                    "rejected": list(rejected), "tools": tools})


# -- sharegpt --------------------------------------------------------------------------------------

def _one_reply(turns: list[dict[str, str]], fmt: str) -> Any:
    if len(turns) != 1 or turns[0].get("from", "assistant") not in ("gpt", "function_call", "assistant"):
        raise CannotHold(f"a chosen or rejected completion of {len(turns)} turns (a call, its result and the answer, "
                         f"or a reply that is not the assistant's): a {fmt} preference pair holds one assistant "
                         "reply each; --format openai or trl can hold it")
    return turns[0]


def sharegpt_row(row: dict[str, Any]) -> dict[str, Any]:
    """LLaMA-Factory's sharegpt: conversations, and chosen/rejected or kto_tag by kind; tools as
    JSON text of the bare schemas; media references in images/videos/audios."""
    kind = _kind(row)
    media = Media()
    if kind == "preference":
        out: dict[str, Any] = {"conversations": sharegpt_turns(row["messages"], media),
                               "chosen": _one_reply(sharegpt_turns(row.get("chosen"), media), "sharegpt"),
                               "rejected": _one_reply(sharegpt_turns(row.get("rejected"), media), "sharegpt")}
    elif kind == "kto":
        out = {"conversations": sharegpt_turns([*row["messages"], *(row.get("chosen") or ())], media),
               "kto_tag": row.get("label")}
    else:
        out = {"conversations": sharegpt_turns(row["messages"], media)}
    tools = bare_tools(row.get("tools"))
    if tools:
        out["tools"] = dumps(tools)
    out.update(media.columns())
    return out


# -- alpaca ----------------------------------------------------------------------------------------

def alpaca_row(messages: list[dict[str, str]]) -> dict[str, object]:
    """Alpaca with LLaMA-Factory's `history` for earlier turns and `system` when present."""
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
    turns = [m for m in messages if m["role"] != "system"]
    pairs = [(turns[i]["content"], turns[i + 1]["content"]) for i in range(0, len(turns) - 1, 2)]
    *history, (instruction, output) = pairs
    row: dict[str, object] = {"instruction": instruction, "input": "", "output": output}
    if system is not None:
        row["system"] = system
    if history:
        row["history"] = [list(p) for p in history]
    return row


def _reply_text(turns: Sequence[dict[str, Any]] | None) -> str:
    turns = list(turns or ())
    _one_reply([{"from": t["role"]} for t in turns], "alpaca")
    return turns[0]["content"]


def alpaca_shape(row: dict[str, Any]) -> dict[str, Any]:
    """Alpaca by kind: instruction/input/output, instruction/input/chosen/rejected, or
    instruction/input/output/kto_tag (+system, history, tools, images/videos/audios)."""
    kind = _kind(row)
    turns = list(records_turns(row))
    if has_tool_calls(turns):
        raise CannotHold("tool calls: alpaca has no place for them; --format openai, trl or sharegpt can hold them")
    media = Media()
    for turn in turns:
        media.add(turn)
    messages = list(row["messages"])
    head: dict[str, Any] = {}
    if kind == "preference":
        head = {"chosen": _reply_text(row.get("chosen")), "rejected": _reply_text(row.get("rejected"))}
        messages.append({"role": "assistant", "content": head["chosen"]})
    elif kind == "kto":
        messages.append({"role": "assistant", "content": _reply_text(row.get("chosen"))})
    try:
        base = alpaca_row(messages)
    except (ValueError, IndexError):
        raise CannotHold("a conversation without a user turn and a reply: alpaca holds instruction and output "
                         "pairs; --format openai or trl can hold it") from None
    if kind == "preference":
        base.pop("output")
    out = {"instruction": base.pop("instruction"), "input": base.pop("input")}
    out.update(head or {"output": base.pop("output")})
    if kind == "kto":
        out["kto_tag"] = row.get("label")
    out.update(base)
    tools = bare_tools(row.get("tools"))
    if tools:
        out["tools"] = dumps(tools)
    out.update(media.columns())
    return out
