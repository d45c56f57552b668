"""What orjson lets through in a JSON row: keys given twice and NUL characters; and the file
line where each row of a JSON document starts.

orjson keeps the last value of a repeated key without a word and reads "\\u0000" as a character
like any other; either would reach train.jsonl unseen, so the row is quarantined with a reason
that says which key or field. The cheap tests here look at the row's text once and run the
exact check (stdlib json, several times slower) only for a row they cannot clear.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

NUL = "contains a NUL character (\\u0000)"
_CONTAINERS = (dict, list)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _at(path: str, key: str | int) -> str:
    if type(key) is int:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def nul_problem(value: Any, path: str = "") -> str | None:
    """Where the first NUL character of a parsed JSON value is, as a reason; None if it has none."""
    stack = [(path, value)]
    while stack:
        path, value = stack.pop()
        kind = type(value)
        if kind is str:
            if "\x00" in value:
                return f"{path or 'the value'} {NUL}"
        elif kind is dict:
            for key in value:
                if "\x00" in key:
                    where = f" in {path}" if path else ""
                    return f"the key {json.dumps(key)}{where} {NUL}"
            stack.extend((_at(path, k), v) for k, v in reversed(value.items()))
        elif kind is list:
            stack.extend((_at(path, i), v) for i, v in reversed(list(enumerate(value))))
    return None


def may_repeat_keys(text: bytes, value: Any) -> bool:
    """False when the JSON text of value (as orjson read it) certainly gives no key twice.

    A JSON text holds each string, keys included, between two quotes and a quote inside a
    string escaped (`\\"`), as orjson writes it. So the text has as many quotes as orjson's
    text of the value unless the value lost a key to a repeat (or the text writes a quote as
    `\\u0022`, which no writer does); whitespace and other escapes do not change the count."""
    try:
        return text.count(b'"') != orjson.dumps(value).count(b'"')
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: the exact check decides
        return True


def _objects(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, object) for every object in value, in the order they start in the text."""
    stack = [(path, value)]
    while stack:
        path, value = stack.pop()
        if type(value) is dict:
            yield path, value
            stack.extend((_at(path, k), v) for k, v in reversed(value.items()) if type(v) in _CONTAINERS)
        elif type(value) is list:
            stack.extend((_at(path, i), v) for i, v in reversed(list(enumerate(value))) if type(v) in _CONTAINERS)


def parse_keeping_repeats(text: bytes | str) -> tuple[Any, dict[int, list[str]]]:
    """The value (stdlib json) and {id(object): its repeated keys} for the objects with one."""
    repeated: dict[int, list[str]] = {}
    keep = []  # the objects named in repeated stay alive, so that no other object takes their id

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            keys = repeated[id(obj)] = []
            keep.append(obj)
            for key, _ in items:
                if key in seen and key not in keys:
                    keys.append(key)
                seen.add(key)
        return obj

    return json.loads(text, object_pairs_hook=pairs), repeated


def repeat_in(value: Any, repeated: dict[int, list[str]], path: str = "") -> str | None:
    """The first object in value that has a repeated key, as a reason."""
    for where, obj in _objects(value, path):
        keys = repeated.get(id(obj))
        if keys:
            return f"duplicate key {json.dumps(keys[0], ensure_ascii=False)}" + (f" in {where}" if where else "")
    return None


def duplicate_key(text: bytes) -> str | None:
    """The exact check: the first key given twice in one JSON text, as a reason; else None."""
    try:
        value, repeated = parse_keeping_repeats(text)
    except (ValueError, RecursionError):  # orjson read it; stdlib json may stop at huge numbers or depth
        return None
    return repeat_in(value, repeated) if repeated else None


def row_problem(text: bytes, row: Any) -> str | None:
    """Why a row that parsed is still not kept: a NUL character or a repeated key; else None."""
    if b"\\u0000" in text:
        problem = nul_problem(row)
        if problem:
            return problem
    if may_repeat_keys(text, row):
        return duplicate_key(text)
    return None


class DocumentRows:
    """The checks of row_problem for the rows of one JSON document, made on the whole text at
    once, and the file line where each row starts (worked out when first asked for).

    ``rows_key`` names the field of a {"data": [...]} wrapper that holds the rows; None when
    the document is a list of rows, or one row (``single``).
    """

    def __init__(self, text: bytes, doc: Any, rows_key: str | None, single: bool) -> None:
        self.text = text
        self.rows_key = rows_key
        self.single = single
        self.nul = b"\\u0000" in text
        self.repeats: dict[int, str] = {}  # row index -> reason
        self.repeated_rows_key = False
        self._lines: list[int] | None = None
        if may_repeat_keys(text, doc):
            self._find_repeats()

    def _find_repeats(self) -> None:
        try:
            doc, repeated = parse_keeping_repeats(self.text)
        except (ValueError, RecursionError):
            return
        if self.single:
            rows = [doc]
        else:
            if self.rows_key is not None:
                self.repeated_rows_key = self.rows_key in repeated.get(id(doc), ())
                doc = doc[self.rows_key]
            rows = doc
        for i, row in enumerate(rows):
            reason = repeat_in(row, repeated)
            if reason:
                self.repeats[i] = reason

    def problem(self, index: int, row: Any) -> str | None:
        if self.nul:
            problem = nul_problem(row)
            if problem:
                return problem
        return self.repeats.get(index)

    def line_of(self, number: int) -> int:
        """The file line (1-based) where row `number` (1-based) starts."""
        if self._lines is None:
            try:
                self._lines = self._find_lines()
            except (ValueError, IndexError, RecursionError):
                self._lines = []
        return self._lines[number - 1] if 0 < number <= len(self._lines) else number

    def _find_lines(self) -> list[int]:
        text = self.text.decode("utf-8", "replace")
        skip = _WHITESPACE.match
        decode = json.JSONDecoder().raw_decode
        pos = skip(text, 0).end()
        if self.single:
            starts = [pos]
        elif self.rows_key is None:
            starts, pos = _elements(text, pos)
        else:  # the list of the rows field (the last one, as orjson reads a repeated key)
            starts = []
            pos = skip(text, pos + 1).end()
            while text[pos] == '"':
                key, pos = decode(text, pos)
                pos = skip(text, skip(text, pos).end() + 1).end()  # past the colon
                if key == self.rows_key and text[pos] == "[":
                    starts, pos = _elements(text, pos)
                else:
                    pos = decode(text, pos)[1]
                pos = skip(text, pos).end()
                if text[pos] == ",":
                    pos = skip(text, pos + 1).end()
        lines, line, last = [], 1, 0
        for start in starts:
            line += text.count("\n", last, start)
            last = start
            lines.append(line)
        return lines



def _elements(text: str, pos: int) -> tuple[list[int], int]:
    """The start offsets of the elements of the JSON array at text[pos], and the offset after it."""
    decode = json.JSONDecoder().raw_decode
    skip = _WHITESPACE.match
    starts = []
    pos = skip(text, pos + 1).end()
    if text[pos] == "]":
        return starts, pos + 1
    while True:
        starts.append(pos)
        pos = skip(text, decode(text, pos)[1]).end()
        if text[pos] != ",":
            return starts, pos + 1
        pos = skip(text, pos + 1).end()
