"""Built-in importers and the interface a plugin implements to add one.

An importer reads one input shape into canonical records (workbench.records.SCHEMA) and a
quarantine of rows it could not read. Register importers through the ``register_importers``
hook, the way this module registers the built-ins::

    from workbench.hookspecs import hookimpl
    from workbench.io.importers import Conversation, JsonRowsImporter, RowError, text_field

    class QAImporter(JsonRowsImporter):
        name = "qa"
        description = "question/answer JSON: {question, answer}"
        required_keys = (("question", "answer"),)   # what auto-detection looks for

        def convert(self, row, options):
            q = text_field(row, "question", options.max_field_chars)
            a = text_field(row, "answer", options.max_field_chars)
            return Conversation(
                messages=[{"role": "user", "content": q}, {"role": "assistant", "content": a}],
                used={"question", "answer"},    # every other field goes to meta
                where=["question", "answer"],   # named in reasons ("the user turn (question) is empty")
            )

    @hookimpl
    def register_importers(register):
        register(QAImporter())

A JsonRowsImporter gets JSONL, JSON arrays, encodings, line numbers, validation (roles,
non-empty turns, ending with an assistant reply, field sizes), ids, meta and the quarantine for
free; ``convert`` raises RowError("a clear sentence") for a row it cannot map. An importer of a
different kind of file subclasses BaseImporter (or implements the Importer protocol) and
returns an ImportBatch from ``read(source, options)``, usually by feeding a RecordBuilder;
``detect(sample)`` returns how sure it is (0..1) that the file is its format, and ``binary =
True`` lets it read files that are not text (see interface.py for the details).
"""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl
from .chatjsonl import read_chat_lines
from .interface import (
    BaseImporter,
    Conversation,
    ImportBatch,
    Importer,
    RowError,
    Sample,
)
from .jsonrows import JsonRowsImporter, json_rows
from .preference import KTOImporter, PreferenceImporter
from .problems import json_type, too_long
from .rows import RecordBuilder, check_turn, label_field, text_field
from .shapes_in import completion, openai_turns, prompt_turns, sharegpt_turns, turn
from .turns import media_lists, tool_schemas
from .source import InputFile
from .tables import CsvImporter, ParquetImporter, map_row, resolve_mapping

__all__ = [
    "BUILTIN_IMPORTERS",
    "BaseImporter",
    "Conversation",
    "ImportBatch",
    "Importer",
    "InputFile",
    "JsonRowsImporter",
    "RecordBuilder",
    "RowError",
    "Sample",
    "json_rows",
    "label_field",
    "register_importers",
    "text_field",
]

_LABELS = ("category", "origin")


def _labels(row: dict[str, Any]) -> dict[str, Any]:
    return {"category": label_field(row, "category"), "origin": label_field(row, "origin")}


def _system(row: dict[str, Any], limit: int) -> tuple[list[dict[str, str]], list[str]]:
    """An optional top-level `system` field as a leading system turn."""
    system = text_field(row, "system", limit, required=False)
    if system is None or not system.strip():
        return [], []
    return [{"role": "system", "content": system}], ["system"]


def _joined(row: dict[str, Any], first: str, second: str, limit: int) -> tuple[str, str]:
    """`first`, followed by a blank line and `second` when `second` is not empty."""
    head = text_field(row, first, limit)
    tail = text_field(row, second, limit, required=False)
    if tail is not None and tail.strip():
        return f"{head}\n\n{tail}", f"{first} + {second}"
    return head, first


class OpenAIImporter(JsonRowsImporter):
    name = "openai"
    description = ("OpenAI chat JSON/JSONL: messages = [{role, content, tool_calls}, ...] (+ tools); "
                   "OpenAI DPO: input, preferred_output, non_preferred_output")
    required_keys = (("messages",), ("input", "preferred_output", "non_preferred_output"))
    used = frozenset({"messages", "tools", "functions", *_LABELS})

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        if "messages" not in row and "preferred_output" in row:
            return self._preference(row, limit)
        if "messages" not in row:
            raise RowError("field 'messages' is missing")
        turns, extras = openai_turns(row["messages"], "messages", limit)
        return Conversation(
            messages=turns,
            used=self.used | media_lists(row, turns),
            where=[f"messages[{i}]" for i in range(len(turns))],
            meta={"message_fields": extras} if any(extras) else None,
            tools=_tools(row),
            **_labels(row),
        )

    def _preference(self, row: dict[str, Any], limit: int) -> Conversation:
        """OpenAI's preference fine-tuning shape."""
        given = row.get("input")
        if not isinstance(given, dict):
            raise RowError(f"field 'input' is {json_type(given)}, expected an object with messages")
        turns, extras = openai_turns(given.get("messages"), "input.messages", limit)
        return Conversation(
            messages=turns, kind="preference",
            chosen=completion(row["preferred_output"], "preferred_output", limit),
            rejected=completion(row["non_preferred_output"], "non_preferred_output", limit),
            used={"input", "preferred_output", "non_preferred_output", *_LABELS},
            where=[f"input.messages[{i}]" for i in range(len(turns))],
            meta={**({"message_fields": extras} if any(extras) else {}),
                  **{f"input.{k}": v for k, v in given.items() if k not in ("messages", "tools")}} or None,
            tools=_tools(given, "input.tools"),
            **_labels(row),
        )

    def read(self, source: InputFile, options: Any) -> ImportBatch:
        self.refuse_mapping(source, options)
        if source.json_layout() != "lines":
            return super().read(source, options)
        builder = RecordBuilder(source.name, options)
        sha256 = read_chat_lines(self, source, options, builder)
        return builder.batch(sha256)


def _tools(row: dict[str, Any], where: str = "field 'tools'") -> str | None:
    """A row's tool schemas (`tools`, or the legacy `functions`) as canonical JSON text."""
    if row.get("tools") is not None:
        return tool_schemas(row["tools"], where)
    if row.get("functions") is not None:
        return tool_schemas(row["functions"], "field 'functions'")
    return None


class ShareGPTImporter(JsonRowsImporter):
    name = "sharegpt"
    description = ("ShareGPT JSON/JSONL: conversations = [{from, value}, ...] (+ function_call/observation, "
                   "tools, images; chosen/rejected or kto_tag as LLaMA-Factory writes them)")
    required_keys = (("conversations",),)

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        if "conversations" not in row:
            raise RowError("field 'conversations' is missing")
        messages, where = _system(row, limit)
        messages = [turn("system", m["content"]) for m in messages]
        turns, turn_where, extras = sharegpt_turns(row["conversations"], "conversations", limit, check_turn)
        messages += turns
        where += turn_where
        used = {"conversations", "system", "tools", "chosen", "rejected", "kto_tag", *_LABELS}
        used |= media_lists(row, messages)
        kind, chosen, rejected, label = _ranked(row, messages, limit)
        return Conversation(
            messages=messages, kind=kind, chosen=chosen, rejected=rejected, label=label,
            used=used,
            where=where,
            meta={"message_fields": extras} if any(extras) else None,
            tools=_tools(row),
            **_labels(row),
        )


def _ranked(row: dict[str, Any], messages: list[dict[str, Any]], limit: int) -> tuple[str, Any, Any, Any]:
    """LLaMA-Factory's preference (`chosen`/`rejected` after the prompt) and KTO (`kto_tag` on the
    whole conversation) rows: (kind, chosen, rejected, label); ("sft", None, None, None) otherwise.
    `messages` loses its completion for kto."""
    if "chosen" in row or "rejected" in row:
        for key in ("chosen", "rejected"):
            if row.get(key) is None:
                raise RowError(f"field '{key}' is missing" if key not in row else f"field '{key}' is null")
        return ("preference", completion(row["chosen"], "chosen", limit, check_turn),
                completion(row["rejected"], "rejected", limit, check_turn), None)
    if row.get("kto_tag") is not None:
        tag = row["kto_tag"]
        if type(tag) is not bool:
            raise RowError(f"field 'kto_tag' is {json_type(tag)}, expected true or false")
        if not messages or messages[-1]["role"] != "assistant":
            raise RowError("a kto_tag row must end with the assistant reply it judges")
        return "kto", [messages.pop()], None, tag
    return "sft", None, None, None


class _InstructionImporter(JsonRowsImporter):
    """Rows of an instruction, an optional context field and a reply field: one exchange each."""

    context_field = ""
    reply_field = ""

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        messages, where = _system(row, limit)
        history, history_where = _history(row, limit)
        user, user_from = _joined(row, "instruction", self.context_field, limit)
        messages = [*messages, *history, {"role": "user", "content": user}]
        where = [*where, *history_where, user_from]
        used = {"instruction", self.context_field, self.reply_field, "system", "history", "chosen", "rejected",
                "kto_tag", *_LABELS}
        if "chosen" not in row and "rejected" not in row:
            messages.append({"role": "assistant", "content": text_field(row, self.reply_field, limit)})
            where.append(self.reply_field)
        used |= media_lists(row, messages)  # an <image>'s reference becomes its turn's parts
        kind, chosen, rejected, label = _ranked(row, messages, limit)
        return Conversation(messages=messages, kind=kind, chosen=chosen, rejected=rejected, label=label,
                            used=used, where=where, **_labels(row))


def _history(row: dict[str, Any], limit: int) -> tuple[list[dict[str, str]], list[str]]:
    """LLaMA-Factory's `history`: earlier [instruction, response] pairs, as turns before the last."""
    value = row.get("history")
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise RowError(f"field 'history' is {json_type(value)}, expected a list of [instruction, response] pairs")
    turns, where = [], []
    for i, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise RowError(f"history[{i}] is not a pair of strings [instruction, response]")
        for role, text, j in (("user", pair[0], 0), ("assistant", pair[1], 1)):
            if len(text) > limit:
                raise too_long(f"history[{i}][{j}]", len(text), limit)
            turns.append({"role": role, "content": text})
            where.append(f"history[{i}][{j}]")
    return turns, where


class AlpacaImporter(_InstructionImporter):
    name = "alpaca"
    description = ("Alpaca JSON/JSONL: instruction, input (optional), output (+ history, system, images; "
                   "chosen/rejected or kto_tag as LLaMA-Factory writes them)")
    required_keys = (("instruction", "output"), ("instruction", "chosen", "rejected"))
    context_field, reply_field = "input", "output"


class DollyImporter(_InstructionImporter):
    name = "dolly"
    description = "Dolly JSON/JSONL: instruction, context (optional), response, category"
    required_keys = (("instruction", "response"),)
    context_field, reply_field = "context", "response"


class PromptCompletionImporter(JsonRowsImporter):
    """prompt/completion rows; with a mapping (--map prompt=question ...), any JSON objects."""

    name = "prompt_completion"
    description = "prompt/completion JSON/JSONL: prompt, completion (or response); other fields with --map"
    required_keys = (("prompt", "completion"), ("prompt", "response"))
    accepts_mapping = True

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        if options.mapping:
            mapping = resolve_mapping(list(row), options.mapping, RowError, noun="field")
            return map_row(row, mapping, limit, noun="field")
        messages, where = _system(row, limit)
        reply_key = "completion" if "completion" in row else "response"
        if isinstance(row.get("prompt"), list) or isinstance(row.get(reply_key), list):
            # TRL's conversational prompt-completion: lists of messages
            prompt = prompt_turns(row.get("prompt"), "prompt", limit)
            reply = completion(row.get(reply_key), reply_key, limit)
            turns = [turn("system", m["content"]) for m in messages] + prompt + reply
            return Conversation(messages=turns, used={"prompt", reply_key, "system", "tools", *_LABELS},
                                where=[*where, *(f"prompt[{i}]" for i in range(len(prompt))),
                                       *(f"{reply_key}[{i}]" for i in range(len(reply)))],
                                tools=_tools(row), **_labels(row))
        prompt = text_field(row, "prompt", limit)
        reply = text_field(row, reply_key, limit)
        return Conversation(
            messages=[*messages, {"role": "user", "content": prompt}, {"role": "assistant", "content": reply}],
            used={"prompt", reply_key, "system", *_LABELS},
            where=[*where, "prompt", reply_key],
            **_labels(row),
        )


BUILTIN_IMPORTERS: tuple[Importer, ...] = (
    OpenAIImporter(),
    ShareGPTImporter(),
    AlpacaImporter(),
    DollyImporter(),
    KTOImporter(),
    PreferenceImporter(),
    PromptCompletionImporter(),
    CsvImporter(),
    ParquetImporter(),
)


@hookimpl
def register_importers(register):
    for imp in BUILTIN_IMPORTERS:
        register(imp)
