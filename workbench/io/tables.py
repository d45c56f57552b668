"""CSV/TSV and Parquet: tables whose columns map onto the canonical record.

ImportOptions.mapping maps canonical keys to column names:

- ``prompt``, ``response``: the user turn and the assistant reply;
- ``context``: text appended to the prompt after a blank line (Alpaca's input, Dolly's context);
- ``system``: an optional system prompt;
- ``messages``: a column holding OpenAI messages (a JSON string, or a list in Parquet),
  used instead of prompt/response;
- ``category``, ``origin``: labels;
- ``id``: the input's own id column, kept in meta under "id" (the record id is a content hash).

Keys the mapping leaves out are found by well-known column names (case-insensitive);
every column that is not mapped is kept in meta.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from .interface import BaseImporter, Conversation, ImportBatch, RowError, Sample
from .jsoncheck import NUL, nul_problem
from .problems import json_type
from .rows import RecordBuilder, check_messages, label_field
from .shapes_in import openai_turns
from .source import InputFile

# What workbench's Parquet export writes besides messages (docs/record-form.md).
RECORD_FORM_COLUMNS = ("kind", "chosen", "rejected", "label", "tools")
FULL_FORM_FIELDS = ("tool_calls", "tool_call_id", "name", "weight", "parts")
KEYS = ("messages", "prompt", "context", "response", "system", "category", "origin", "id")

# Well-known column names for each canonical key, most specific first.
WELL_KNOWN: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "prompt": ("prompt", "instruction", "question", "query", "user", "human", "input"),
    "context": ("context", "input"),
    "response": ("response", "completion", "output", "answer", "assistant", "gpt"),
    "system": ("system", "system_prompt"),
    "category": ("category",),
    "origin": ("origin",),
    "id": ("id",),
}


def resolve_mapping(
    columns: list[str], mapping: dict[str, str], fail: Callable[[str], Exception], noun: str = "column"
) -> dict[str, str]:
    """canonical key -> column: the user's mapping first, then well-known names.

    ``fail(problem)`` makes the exception to raise: an InputError for a table's header, a
    RowError for one JSON object."""
    unknown = sorted(set(mapping) - set(KEYS))
    if unknown:
        raise fail(
            f"unknown mapping key {', '.join(repr(k) for k in unknown)}; the keys are: {', '.join(KEYS)}"
        )
    missing = [f"{key}={col!r}" for key, col in mapping.items() if col not in columns]
    if missing:
        raise fail(
            f"the mapping names {noun}s that are not there ({', '.join(missing)}); "
            f"the {noun}s are: {', '.join(columns)}"
        )
    resolved = dict(mapping)
    taken = set(mapping.values())
    by_lower = {c.strip().lower(): c for c in reversed(columns)}
    for key in KEYS:
        if key in resolved:
            continue
        for name in WELL_KNOWN[key]:
            col = by_lower.get(name)
            if col is not None and col not in taken:
                resolved[key] = col
                taken.add(col)
                break
    if "messages" in resolved and not ({"prompt", "response"} & set(mapping)):
        for key in ("prompt", "context", "response", "system"):
            resolved.pop(key, None)
    elif "messages" not in resolved and not {"prompt", "response"} <= set(resolved):
        raise fail(
            f"cannot tell which {noun}s hold the prompt and the response ({noun}s: {', '.join(columns)}); "
            "pass a mapping: --map prompt=NAME --map response=NAME (or --map messages=NAME)"
        )
    if "context" in resolved and resolved.get("prompt") == resolved["context"]:
        del resolved["context"]
    return resolved


def map_row(row: dict[str, Any], mapping: dict[str, str], limit: int, noun: str = "column") -> Conversation:
    """One table row (column -> value), or JSON object, mapped onto a conversation."""

    def text(key: str, required: bool) -> str | None:
        col = mapping.get(key)
        value = None if col is None else row.get(col)
        if value is None:
            if required:
                raise RowError(f"{noun} '{col}' ({key}) is empty")
            return None
        if not isinstance(value, str):
            raise RowError(f"{noun} '{col}' ({key}) is {json_type(value)}, expected a string")
        if len(value) > limit:
            raise RowError(
                f"{noun} '{col}' ({key}) is {len(value):,} characters long, over the limit of {limit:,} "
                "characters; raise max_field_chars in the import options if fields this long are intended"
            )
        return value

    used = set(mapping.values()) - {mapping.get("id")}
    if "messages" in mapping:
        col = mapping["messages"]
        value = row.get(col)
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as e:
                where = f"{e.msg} at character {e.pos + 1}"
                raise RowError(f"{noun} '{col}' (messages) is not valid JSON: {where}") from None
        elif value is None:
            raise RowError(f"{noun} '{col}' (messages) is empty")
        messages = full_form_turns(value)
        if messages is None:
            pairs = check_messages(value, limit, path=col)
            messages = [{"role": r, "content": c} for r, c in pairs]
        where = [f"{col}[{i}]" for i in range(len(messages))]
    else:
        messages, where = [], []
        system = text("system", False)
        if system and system.strip():
            messages.append({"role": "system", "content": system})
            where.append(mapping["system"])
        prompt = text("prompt", True)
        context = text("context", False)
        if context and context.strip():
            prompt = f"{prompt}\n\n{context}"
        messages.append({"role": "user", "content": prompt})
        where.append(mapping["prompt"])
        messages.append({"role": "assistant", "content": text("response", True)})
        where.append(mapping["response"])
    labels = {key: label_field(row, mapping[key]) if key in mapping else None for key in ("category", "origin")}
    meta = {"id": row[mapping["id"]]} if "id" in mapping else None
    return Conversation(messages=messages, used=used | {mapping.get("id")}, where=where, meta=meta, **labels)


def full_form_turns(value: Any) -> list[dict[str, Any]] | None:
    """Turns in the full form (docs/record-form.md), as workbench's Parquet export writes them
    (tool calls and parts as JSON text), or in OpenAI's (tool_calls as a list, content parts);
    None for plain {role, content} turns, which check_messages reads."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        return None
    if not any(t.get("role") == "tool" or any(t.get(k) is not None for k in FULL_FORM_FIELDS) or
               not isinstance(t.get("content"), str) for t in value):
        return None
    if all(t.get(k) is None or isinstance(t.get(k), str) for t in value for k in ("tool_calls", "parts")) and \
            all(isinstance(t.get("content"), str) for t in value):
        return [{**dict.fromkeys(FULL_FORM_FIELDS), **t} for t in value]  # the canonical form already
    return openai_turns(value, "messages", sys.maxsize)[0]


def with_record_form(conv: Conversation, row: dict[str, Any]) -> Conversation:
    """A row of workbench's own Parquet export: its kind, completions, label and tools."""
    conv.kind = row.get("kind") or "sft"
    conv.chosen, conv.rejected, conv.label, conv.tools = (row.get(k) for k in ("chosen", "rejected", "label", "tools"))
    conv.used = set(conv.used) | set(RECORD_FORM_COLUMNS)
    return conv


def nul_cell(row: dict[str, Any]) -> str | None:
    """The first cell of a table row with a NUL character, as a reason; None when none has one."""
    for col, value in row.items():
        if type(value) is str:
            if "\x00" in value:
                return f"column '{col}' {NUL}"
        elif type(value) in (list, dict):
            problem = nul_problem(value, col)
            if problem:
                return f"column '{col}': {problem}"
    return None


class CsvImporter(BaseImporter):
    name = "csv"
    description = "CSV/TSV with a header row; columns mapped by name or by the mapping option"
    extensions = (".csv", ".tsv")

    def detect(self, sample: Sample) -> float:
        if sample.extension in self.extensions:
            return 1.0
        if sample.looks_like_json or b"\x00" in sample.head:
            return 0.0
        header = sample.head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
        names = {n.strip().strip('"') for n in header.replace("\t", ",").split(",")}
        known = {n for names_ in WELL_KNOWN.values() for n in names_}
        return 0.6 if len(names & known) >= 2 else 0.0

    def read(self, source: InputFile, options: Any) -> ImportBatch:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        builder = RecordBuilder(source.name, options)
        first = source.head.split(b"\n", 1)[0].decode("utf-8", "replace")
        delimiter = "\t" if source.extension == ".tsv" else ","
        counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
        if counts[delimiter] == 0 and max(counts.values()) > 0:
            delimiter = max(counts, key=counts.__getitem__)
        with source.lines() as raw_lines:
            lines = _TrackedLines(raw_lines)
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise source.error("the file has no header row") from None
            except csv.Error as e:
                raise source.error(f"the header row is not valid CSV: {e}") from None
            header = [h.strip() for h in header]
            dupes = sorted({h for h in header if header.count(h) > 1})
            if dupes:
                raise source.error(f"the header names a column more than once: {', '.join(dupes)}")
            mapping = resolve_mapping(header, options.mapping, source.error)
            while True:
                start = reader.line_num + 1
                lines.start_row()
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    builder.reject(start, f"not valid CSV: {e}", lines.row_text())
                    continue
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # a blank line is not a row
                raw = lines.row_text()
                if lines.bad is not None:
                    line, problem = lines.bad
                    builder.reject(start, problem if line == start else f"line {line}: {problem}", raw)
                    continue
                if len(fields) != len(header):
                    builder.reject(
                        start,
                        f"the row has {len(fields)} fields but the header has {len(header)} columns "
                        "(an unquoted delimiter or newline?)",
                        raw,
                    )
                    continue
                row = {h: (v if v != "" else None) for h, v in zip(header, fields, strict=True)}
                try:
                    conv = map_row(row, mapping, builder.limit)
                except RowError as e:
                    builder.reject(start, str(e), raw)
                    continue
                problem = nul_cell(row)
                if problem:
                    builder.reject(start, problem, raw)
                    continue
                builder.add(start, conv, dict(zip(header, fields, strict=True)), raw)
        return builder.batch()


class _TrackedLines:
    """Decoded lines for the csv module, remembering the current row's raw text and the
    first line of it that is not valid UTF-8."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._number = 0
        self.parts: list[str] = []
        self.bad: tuple[int, str] | None = None

    def start_row(self) -> None:
        self.parts = []
        self.bad = None

    def row_text(self) -> str:
        return "".join(self.parts)[:1000]

    def __iter__(self) -> _TrackedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._number += 1
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            column = len(line[: e.start].decode("utf-8")) + 1
            if self.bad is None:
                self.bad = (
                    self._number,
                    f"not valid UTF-8 (byte 0x{line[e.start]:02x} at column {column}); save the file as UTF-8",
                )
            text = line.decode("utf-8", "replace")
        if len(self.parts) < 8:
            self.parts.append(text)
        return text


class ParquetImporter(BaseImporter):
    name = "parquet"
    description = "Parquet; columns mapped by name or by the mapping option"
    extensions = (".parquet", ".pq")
    binary = True

    def detect(self, sample: Sample) -> float:
        if sample.extension in self.extensions or sample.source.is_parquet:
            return 1.0
        return 0.0

    def read(self, source: InputFile, options: Any) -> ImportBatch:
        import polars as pl

        try:
            df = pl.read_parquet(source.path)
        except Exception as e:  # polars raises several kinds for a damaged file
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise source.error(f"not a readable Parquet file ({first}); is it complete and really Parquet?") from None
        builder = RecordBuilder(source.name, options)
        mapping = resolve_mapping(df.columns, options.mapping, source.error)
        for number, row in enumerate(df.iter_rows(named=True), 1):
            try:
                conv = map_row(row, mapping, builder.limit)
            except RowError as e:
                builder.reject(number, str(e), row)
                continue
            problem = nul_cell(row)
            if problem:
                builder.reject(number, problem, row)
                continue
            if "kind" in df.columns:
                conv = with_record_form(conv, row)
            builder.add(number, conv, row, row)
        return builder.batch()
