"""TRL's preference and KTO shapes: prompt + chosen + rejected, prompt + completion + label.

Each comes plain (text) or conversational (lists of messages); a plain prompt becomes one user
turn and a plain completion one assistant turn. A preference row without a prompt holds two
whole conversations (TRL's implicit prompt): the turns they share are the prompt.
"""

from __future__ import annotations

from typing import Any

from .interface import Conversation, RowError
from .jsonrows import JsonRowsImporter
from .problems import json_type
from .rows import label_field
from .shapes_in import common_prefix, completion, openai_turns, prompt_turns
from .turns import tool_schemas

_LABELS = ("category", "origin")


def _labels(row: dict[str, Any]) -> dict[str, Any]:
    return {"category": label_field(row, "category"), "origin": label_field(row, "origin")}


class PreferenceImporter(JsonRowsImporter):
    name = "preference"
    description = "preference JSON/JSONL (TRL DPO): prompt, chosen, rejected (text or messages; prompt optional)"
    required_keys = (("prompt", "chosen", "rejected"), ("chosen", "rejected"))

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        for key in ("chosen", "rejected"):
            if row.get(key) is None:
                raise RowError(f"field '{key}' is missing" if key not in row else f"field '{key}' is null")
        if row.get("prompt") is None:
            if not (isinstance(row["chosen"], list) and isinstance(row["rejected"], list)):
                raise RowError("field 'prompt' is missing; without one, chosen and rejected must be whole "
                               "conversations (lists of messages) that share their prompt")
            chosen = openai_turns(row["chosen"], "chosen", limit)[0]
            rejected = openai_turns(row["rejected"], "rejected", limit)[0]
            n = common_prefix(chosen, rejected)
            if n == 0:
                raise RowError("chosen and rejected share no prompt turns; give the prompt in field 'prompt'")
            prompt, chosen, rejected = chosen[:n], chosen[n:], rejected[n:]
            where = [f"chosen[{i}]" for i in range(n)]
        else:
            prompt = prompt_turns(row["prompt"], "prompt", limit)
            chosen = completion(row["chosen"], "chosen", limit)
            rejected = completion(row["rejected"], "rejected", limit)
            where = ["prompt"] if isinstance(row["prompt"], str) else [f"prompt[{i}]" for i in range(len(prompt))]
        return Conversation(messages=prompt, kind="preference", chosen=chosen, rejected=rejected,
                            used={"prompt", "chosen", "rejected", "tools", *_LABELS}, where=where,
                            tools=tool_schemas(row.get("tools")), **_labels(row))


class KTOImporter(JsonRowsImporter):
    name = "kto"
    description = "KTO JSON/JSONL (TRL unpaired preference): prompt, completion, label (true/false)"
    required_keys = (("prompt", "completion", "label"),)

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        for key in ("prompt", "completion", "label"):
            if key not in row:
                raise RowError(f"field '{key}' is missing")
        label = row["label"]
        if type(label) is not bool:
            raise RowError(f"field 'label' is {json_type(label)}, expected true (desirable) or false (undesirable)")
        prompt = prompt_turns(row["prompt"], "prompt", limit)
        where = ["prompt"] if isinstance(row["prompt"], str) else [f"prompt[{i}]" for i in range(len(prompt))]
        return Conversation(messages=prompt, kind="kto", chosen=completion(row["completion"], "completion", limit),
                            label=label, used={"prompt", "completion", "label", "tools", *_LABELS}, where=where,
                            tools=tool_schemas(row.get("tools")), **_labels(row))
