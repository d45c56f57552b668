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
from .rows import RecordBuilder, check_messages, check_turn, json_type, label_field, text_field
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
    description = "OpenAI chat JSON/JSONL: messages = [{role, content}, ...]"
    required_keys = (("messages",),)
    used = frozenset({"messages", *_LABELS})

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        if "messages" not in row:
            raise RowError("field 'messages' is missing")
        pairs = check_messages(row["messages"], options.max_field_chars)
        # A turn's weight goes with the turn (RecordBuilder checks it); other fields into meta.
        extras = [{k: v for k, v in m.items() if k not in ("role", "content", "weight")} for m in row["messages"]]
        return Conversation(
            messages=[{"role": r, "content": c, **({"weight": m["weight"]} if "weight" in m else {})}
                      for (r, c), m in zip(pairs, row["messages"])],
            used=self.used,
            where=[f"messages[{i}]" for i in range(len(pairs))],
            meta={"message_fields": extras} if any(extras) else None,
            **_labels(row),
        )

    def read(self, source: InputFile, options: Any) -> ImportBatch:
        self.refuse_mapping(source, options)
        if source.json_layout() != "lines":
            return super().read(source, options)
        builder = RecordBuilder(source.name, options)
        sha256 = read_chat_lines(self, source, options, builder)
        return builder.batch(sha256)


SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "system": "system",
}


class ShareGPTImporter(JsonRowsImporter):
    name = "sharegpt"
    description = "ShareGPT JSON/JSONL: conversations = [{from, value}, ...]"
    required_keys = (("conversations",),)

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        if "conversations" not in row:
            raise RowError("field 'conversations' is missing")
        turns = row["conversations"]
        if not isinstance(turns, list):
            raise RowError(f"field 'conversations' is {json_type(turns)}, expected a list of {{from, value}} objects")
        messages, where = _system(row, limit)
        extras = []
        for i, turn in enumerate(turns):
            at = f"conversations[{i}]"
            role, value = check_turn(turn, at, "from", "value", lambda s: SHAREGPT_ROLES.get(s.strip().lower()),
                                     ", ".join(SHAREGPT_ROLES))
            messages.append({"role": role, "content": value})
            where.append(f"{at}.value")
            extras.append({k: v for k, v in turn.items() if k not in ("from", "value")})
        return Conversation(
            messages=messages,
            used={"conversations", "system", *_LABELS},
            where=where,
            meta={"message_fields": extras} if any(extras) else None,
            **_labels(row),
        )


class _InstructionImporter(JsonRowsImporter):
    """Rows of an instruction, an optional context field and a reply field: one exchange each."""

    context_field = ""
    reply_field = ""

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        limit = options.max_field_chars
        messages, where = _system(row, limit)
        user, user_from = _joined(row, "instruction", self.context_field, limit)
        reply = text_field(row, self.reply_field, limit)
        return Conversation(
            messages=[*messages, {"role": "user", "content": user}, {"role": "assistant", "content": reply}],
            used={"instruction", self.context_field, self.reply_field, "system", *_LABELS},
            where=[*where, user_from, self.reply_field],
            **_labels(row),
        )


class AlpacaImporter(_InstructionImporter):
    name = "alpaca"
    description = "Alpaca JSON/JSONL: instruction, input (optional), output"
    required_keys = (("instruction", "output"),)
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
        prompt = text_field(row, "prompt", limit)
        reply_key = "completion" if "completion" in row else "response"
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
    PromptCompletionImporter(),
    CsvImporter(),
    ParquetImporter(),
)


@hookimpl
def register_importers(register):
    for imp in BUILTIN_IMPORTERS:
        register(imp)
