"""Reading JSON objects out of JSONL files, JSON arrays and {"data": [...]} wrappers.

Each object comes with its number: the line of a JSONL file, the element of a JSON document
(a quarantined element is reported at the file line where it starts, see RecordBuilder).
Anything that is not an object, or that has a key twice or a NUL character, is quarantined
with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from .interface import BaseImporter, Conversation, ImportBatch, RowError, Sample
from .jsoncheck import DocumentRows, row_problem
from .rows import RecordBuilder, json_type
from .source import InputFile, array_lines, unwrap_document

_WHITESPACE = b" \t\r\n\x0b\x0c"


def line_problem(line: bytes, error: orjson.JSONDecodeError) -> str:
    """Why a line did not parse, in words: bad UTF-8 (where) or the JSON error (where)."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        column = len(line[: e.start].decode("utf-8")) + 1
        return f"not valid UTF-8 (byte 0x{line[e.start]:02x} at column {column}); save the file as UTF-8"
    column = len(line[: error.pos].decode("utf-8", "replace")) + 1
    hint = " (is the line cut short?)" if column >= len(line.rstrip(_WHITESPACE).decode("utf-8", "replace")) else ""
    return f"malformed JSON: {error.msg} at column {column}{hint}"


def reject_line(builder: RecordBuilder, number: int, line: bytes, error: orjson.JSONDecodeError) -> None:
    """Quarantine a line that did not parse; blank lines are not rows and are skipped."""
    if line.strip(_WHITESPACE):
        builder.reject(number, line_problem(line, error), line)


def object_line(builder: RecordBuilder, number: int, line: bytes) -> dict[str, Any] | None:
    """One JSONL line as a JSON object, or None after quarantining it (not JSON, not an
    object, a key twice, a NUL character)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        reject_line(builder, number, line, e)
        return None
    if type(obj) is not dict:
        builder.reject(number, f"the line is {json_type(obj)}, expected a JSON object", line)
        return None
    problem = row_problem(line, obj)
    if problem:
        builder.reject(number, problem, line)
        return None
    return obj


def json_rows(source: InputFile, builder: RecordBuilder) -> Iterator[tuple[int, dict[str, Any], Any]]:
    """(line or element number, object, raw) for every JSON object; quarantines the rest."""
    if source.json_layout() == "lines":
        with source.lines() as lines:
            for number, line in enumerate(lines, 1):
                obj = object_line(builder, number, line)
                if obj is not None:
                    yield number, obj, line
        return
    try:
        doc = source.document()
    except orjson.JSONDecodeError as e:
        yield from _array_line_rows(source, builder, e)
        return
    rows = unwrap_document(doc)
    single = type(doc) is not list and len(rows) == 1 and rows[0] is doc  # the document is one row
    rows_key = next(k for k, v in doc.items() if v is rows) if type(doc) is dict and not single else None
    checks = DocumentRows(source.document_text(), doc, rows_key, single)
    if checks.repeated_rows_key:
        raise source.error(
            f"the JSON document has the field {rows_key!r} more than once, so the rows of all but the "
            "last would be lost; keep one list of rows"
        )
    builder.element_lines = checks.line_of
    for number, element in enumerate(rows, 1):
        if type(element) is not dict:
            builder.reject(number, f"element {number} is {json_type(element)}, expected a JSON object", element)
            continue
        problem = checks.problem(number - 1, element)
        if problem:
            builder.reject(number, problem, element)
            continue
        yield number, element, element


def _array_line_rows(
    source: InputFile, builder: RecordBuilder, error: orjson.JSONDecodeError
) -> Iterator[tuple[int, dict[str, Any], Any]]:
    """A JSON array that does not parse as a whole: if it has one element per line, keep the
    good elements and quarantine the broken ones; otherwise the whole file fails."""
    parsed = 0
    starts: dict[int, int] = {}
    builder.element_lines = lambda number: starts.get(number, number)
    with source.lines() as lines:
        for number, line, body in array_lines(lines):
            starts[number] = line
            try:
                obj = orjson.loads(body)
            except orjson.JSONDecodeError as e:
                builder.reject(number, line_problem(body, e), body)
                continue
            if type(obj) is not dict:
                builder.reject(number, f"element {number} is {json_type(obj)}, expected a JSON object", body)
                continue
            problem = row_problem(body, obj)
            if problem:
                builder.reject(number, problem, body)
                continue
            parsed += 1
            yield number, obj, body
    if parsed == 0:
        raise source.error(f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")


class JsonRowsImporter(BaseImporter):
    """Base for importers of JSON objects, one object per row.

    Set ``required_keys`` (alternatives: a row is recognised when it has every key of one of
    the tuples) and implement ``convert``. JSONL, JSON arrays and {"data": [...]} all work.
    """

    required_keys: tuple[tuple[str, ...], ...] = ()
    # Whether convert() honours ImportOptions.mapping; if not, a mapping is refused, not ignored.
    accepts_mapping = False

    def matches(self, row: dict[str, Any]) -> bool:
        return any(all(k in row for k in keys) for keys in self.required_keys)

    def detect(self, sample: Sample) -> float:
        if not sample.looks_like_json:
            return 0.0
        rows = sample.rows
        if not rows:
            return 0.0
        return sum(1 for row in rows if self.matches(row)) / len(rows)

    def convert(self, row: dict[str, Any], options: Any) -> Conversation:
        """Map one JSON object onto a conversation; raise RowError(reason) when it cannot be."""
        raise NotImplementedError

    def refuse_mapping(self, source: InputFile, options: Any) -> None:
        if options.mapping and not self.accepts_mapping:
            raise source.error(
                f"a field mapping (--map) does not apply to the {self.name} format; "
                "it applies to CSV, TSV, Parquet and to JSON read as prompt_completion"
            )

    def read(self, source: InputFile, options: Any) -> ImportBatch:
        self.refuse_mapping(source, options)
        builder = RecordBuilder(source.name, options)
        for number, row, raw in json_rows(source, builder):
            self.take(builder, number, row, raw, options)
        return builder.batch()

    def take(self, builder: RecordBuilder, number: int, row: dict[str, Any], raw: Any, options: Any) -> None:
        """One parsed row: into the records, or into the quarantine with the reason."""
        try:
            conv = self.convert(row, options)
        except RowError as e:
            builder.reject(number, str(e), raw)
            return
        builder.add(number, conv, row, raw)

    def take_line(self, builder: RecordBuilder, number: int, line: bytes, options: Any) -> None:
        """One JSONL line: parsed, then as take(); blank lines are skipped."""
        row = object_line(builder, number, line)
        if row is not None:
            self.take(builder, number, row, line, options)
