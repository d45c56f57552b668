"""Turning mapped rows into canonical records: validation, content ids, meta, the quarantine.

Every importer feeds a RecordBuilder; it checks each conversation the same way, so a row that
one format accepts is never rejected by another, and the same content gets the same id whatever
shape it came in.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Collection, Sequence
from typing import Any

import orjson
import polars as pl

from ..records import SCHEMA, conform, empty_frame
from ._chatlines import Columns, to_frame
from .interface import Conversation, ImportBatch, RowError
from .jsoncheck import nul_problem
from .kinds import check_record, is_rich, rich_id
from .problems import json_type, too_long

ROLES = ("system", "user", "assistant")
RAW_CHARS = 200
_META_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def raw_text(raw: Any) -> str:
    """The first RAW_CHARS characters of a raw line (bytes), text, or parsed row."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        text = bytes(raw[: RAW_CHARS * 4]).decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        text = raw[: RAW_CHARS * 4]
    else:
        try:
            text = orjson.dumps(raw, default=str, option=orjson.OPT_NON_STR_KEYS)[: RAW_CHARS * 4].decode(
                "utf-8", errors="replace"
            )
        except (TypeError, orjson.JSONEncodeError):
            text = repr(raw)[: RAW_CHARS * 4]
    return text.rstrip("\r\n")[:RAW_CHARS]


def text_field(row: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str | None:
    """row[key] as a string, or a RowError naming the field and the type found."""
    if key not in row or row[key] is None:
        if required:
            if key not in row:
                raise RowError(f"field '{key}' is missing")
            raise RowError(f"field '{key}' is null, expected a string")
        return None
    value = row[key]
    if not isinstance(value, str):
        raise RowError(f"field '{key}' is {json_type(value)}, expected a string")
    if len(value) > limit:
        raise too_long(f"field '{key}'", len(value), limit)
    return value


def label_field(row: dict[str, Any], key: str) -> str | None:
    """An optional label such as category or origin: a string, or None when missing/null/empty."""
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"field '{key}' is {json_type(value)}, expected a string")
    return value.strip() or None


def check_turn(turn: Any, where: str, role_key: str, text_key: str,
               role_of: Callable[[str], str | None], expected: str) -> tuple[str, str]:
    """One turn of a conversation list: (role, text), or a RowError naming what is wrong with it.

    `role_of` maps the input's speaker name to a role (None: unknown; `expected` lists the known ones).
    """
    if not isinstance(turn, dict):
        raise RowError(f"{where} is {json_type(turn)}, expected an object with {role_key} and {text_key}")
    for key in (role_key, text_key):
        if key not in turn:
            raise RowError(f"{where} has no '{key}' field")
    speaker, text = turn[role_key], turn[text_key]
    if not isinstance(speaker, str):
        raise RowError(f"{where}.{role_key} is {json_type(speaker)}, expected a string")
    role = role_of(speaker)
    if role is None:
        raise RowError(f"{where}.{role_key} is {speaker!r}, expected one of {expected}")
    if not isinstance(text, str):
        raise RowError(f"{where}.{text_key} is {json_type(text)}, expected a string")
    return role, text


def check_messages(messages: Any, limit: int, path: str = "messages") -> list[tuple[str, str]]:
    """Validate an OpenAI-style list of {role, content}; return (role, content) pairs."""
    if not isinstance(messages, list):
        raise RowError(f"field '{path}' is {json_type(messages)}, expected a list of {{role, content}} objects")
    pairs = []
    for i, m in enumerate(messages):
        where = f"{path}[{i}]"
        role, content = check_turn(m, where, "role", "content", lambda r: r if r in ROLES else None,
                                   "system, user, assistant")
        if len(content) > limit:
            raise too_long(f"{where}.content", len(content), limit)
        pairs.append((role, content))
    return pairs


def check_turns(pairs: Sequence[tuple[str, str]], limit: int, where: Sequence[str] | None = None) -> None:
    """The rules every conversation follows, whatever shape it came in."""
    if not pairs:
        raise RowError("the conversation has no messages")
    has_user = has_assistant = False
    for i, (role, content) in enumerate(pairs):
        label = where[i] if where and i < len(where) else f"turn {i + 1}"
        if len(content) > limit:
            raise too_long(f"the {role} turn ({label})", len(content), limit)
        if role == "user":
            has_user = True
        elif role == "assistant":
            has_assistant = True
        else:
            continue
        if not (content if content.isascii() else unicodedata.normalize("NFC", content)).strip():
            raise RowError(f"the {role} turn ({label}) is empty or only whitespace")
    if not has_user:
        raise RowError("the conversation has no user turn")
    if not has_assistant:
        raise RowError("the conversation has no assistant turn, so there is nothing to train on")
    if pairs[-1][0] != "assistant":
        raise RowError(f"the conversation ends with a {pairs[-1][0]} turn; it must end with an assistant reply")


def content_id(pairs: Sequence[tuple[str, str]]) -> str:
    """records.record_id over (role, content) pairs, without building the dicts."""
    nfc = unicodedata.normalize
    canon = [[r, (c if c.isascii() else nfc("NFC", c)).strip()] for r, c in pairs]
    return hashlib.sha256(orjson.dumps(canon)).hexdigest()[:16]


def meta_json(
    row: dict[str, Any] | None, used: Collection[str], limit: int, extra: dict[str, Any] | None = None
) -> str:
    """Every field of the row that was not mapped, as compact JSON with sorted keys."""
    if not row and not extra:
        return "{}"
    rest = {k: v for k, v in row.items() if k not in used} if row else {}
    if extra:
        rest.update(extra)
    if not rest:
        return "{}"
    for k, v in rest.items():
        if isinstance(v, str) and len(v) > limit:
            raise too_long(f"field '{k}'", len(v), limit)
    return orjson.dumps(rest, option=_META_OPTIONS, default=str).decode()


class RecordBuilder(Columns):
    """Collects records column by column (fast) and quarantine rows for one file.

    The column lists are public so that a format's fast path can append to them directly; it
    must append to every column for each record it accepts (see _chatlines.scan). A fast path
    that adds rows out of file order sets ``unordered``; the frame is then sorted by line.
    """

    def __init__(self, file: str, options: Any) -> None:
        super().__init__()
        self.file = file
        self.limit: int = options.max_field_chars
        self.default_origin: str = options.default_origin
        self.quarantine: list[dict[str, Any]] = []
        self.parts: list[pl.DataFrame] = []  # records read elsewhere (worker processes), in order
        self.rich: list[dict[str, Any]] = []  # records in the full form, as whole rows
        self.unordered = False
        self.weights: dict[int, list[int | None]] = {}  # record index -> its turns' weights, where given
        # Rows of a JSON document are numbered by element (a record's source_line); a rejected
        # one is reported at the file line where it starts, which this gives (see json_rows).
        self.element_lines: Callable[[int], int] | None = None

    def reject(self, line: int | None, reason: str, raw: Any) -> None:
        if self.element_lines is not None and line is not None:
            if not reason.startswith(f"element {line} "):
                reason = f"element {line}: {reason}"  # a one-line array has all its rows on line 1
            line = self.element_lines(line)
        self.quarantine.append({"file": self.file, "line": line, "reason": reason, "raw": raw_text(raw)})

    def add(self, line: int, conv: Conversation, row: dict[str, Any] | None, raw: Any) -> bool:
        """Validate a mapped row and keep it, or quarantine it with the reason. True if kept."""
        if is_rich(conv):
            return self._add_rich(line, conv, row, raw)
        try:
            pairs = check_messages(conv.messages, self.limit, path="messages")
            check_turns(pairs, self.limit, conv.where)
            category = _label(conv.category, "category")
            origin = _label(conv.origin, "origin") or self.default_origin
            meta = meta_json(row, conv.used, self.limit, conv.meta)
            _check_nul(pairs, conv.where, category, origin, meta)
            weights = turn_weights(conv.messages, conv.where)
        except RowError as e:
            self.reject(line, str(e), raw)
            return False
        self.keep(line, pairs, category, origin, meta, weights)
        return True

    def _add_rich(self, line: int, conv: Conversation, row: dict[str, Any] | None, raw: Any) -> bool:
        """A row in the full form (tool calls, parts, another kind): kept as a whole row."""
        try:
            record = check_record(conv, self.limit)
            category = _label(conv.category, "category")
            origin = _label(conv.origin, "origin") or self.default_origin
            meta = meta_json(row, conv.used, self.limit, conv.meta)
            _check_nul([], None, category, origin, meta)
        except RowError as e:
            self.reject(line, str(e), raw)
            return False
        self.rich.append({"id": rich_id(record), "category": category, "origin": origin, "source_file": self.file,
                          "source_line": line, "meta": meta, **record})
        return True

    def keep(self, line: int, pairs: Sequence[tuple[str, str]], category: str | None, origin: str, meta: str,
             weights: list[int | None] | None = None) -> None:
        """Append one already validated record."""
        if weights is not None:
            self.weights[len(self.ids)] = weights
        self.ids.append(content_id(pairs))
        for role, content in pairs:
            self.roles.append(role)
            self.contents.append(content)
        self.ends.append(len(self.roles))
        self.numbers.append(line)
        self.categories.append(category)
        self.origins.append(origin)
        self.metas.append(meta)

    def __len__(self) -> int:
        return len(self.ids) + sum(part.height for part in self.parts) + len(self.rich)

    def frame(self) -> pl.DataFrame:
        own = to_frame(self, self.file, self._flat_weights()) if self.ids else None
        frames = [conform(f) for f in [own, *self.parts] if f is not None]  # with the later columns
        if self.rich:
            frames.append(pl.DataFrame(self.rich, schema=SCHEMA))
        if not frames:
            return empty_frame()
        df = pl.concat(frames, how="vertical", rechunk=False) if len(frames) > 1 else frames[0]
        mixed = self.rich and len(frames) > 1
        return df.sort("source_line", maintain_order=True) if self.unordered or mixed else df

    def _flat_weights(self) -> list[int | None] | None:
        """One weight (or None) per turn of the flat lists, when any record gave one."""
        if not self.weights:
            return None
        flat: list[int | None] = [None] * len(self.roles)
        for index, weights in self.weights.items():
            start = self.ends[index]
            flat[start:start + len(weights)] = weights
        return flat

    def batch(self, sha256: str | None = None) -> ImportBatch:
        quarantine = self.quarantine
        if self.unordered:
            quarantine = sorted(quarantine, key=lambda q: (q["line"] is None, q["line"] or 0))
        return ImportBatch(records=self.frame(), quarantine=quarantine, sha256=sha256)


def turn_weights(messages: Sequence[Any], where: Sequence[str] | None) -> list[int | None] | None:
    """Each turn's `weight` (None: not given), or None when no turn has one. OpenAI's fine-tuning
    format gives assistant turns a weight of 0 (context, not trained on) or 1."""
    if not any(isinstance(m, dict) and m.get("weight") is not None for m in messages):
        return None
    out: list[int | None] = []
    for i, m in enumerate(messages):
        w = m.get("weight") if isinstance(m, dict) else None
        label = where[i] if where and i < len(where) else f"turn {i + 1}"
        if isinstance(m, dict) and w is not None:
            if type(w) is not int or w not in (0, 1):
                shown = w if type(w) in (int, float) else json_type(w)
                raise RowError(f"{label}.weight is {shown}; expected 0 or 1")
            if m.get("role") != "assistant":
                raise RowError(f"{label}.weight: only assistant turns have a weight")
        out.append(w)
    return out


def _check_nul(pairs: Sequence[tuple[str, str]], where: Sequence[str] | None, category: str | None,
               origin: str, meta: str) -> None:
    """No NUL character reaches a record, whatever importer mapped the row (the JSON and table
    readers name the field before this; this names the turn, for plugin importers)."""
    for i, (role, content) in enumerate(pairs):
        if "\x00" in content:
            label = where[i] if where and i < len(where) else f"turn {i + 1}"
            raise RowError(f"the {role} turn ({label}) contains a NUL character (\\u0000)")
    for key, value in (("category", category), ("origin", origin)):
        if value and "\x00" in value:
            raise RowError(f"field '{key}' contains a NUL character (\\u0000)")
    if "\\u0000" in meta:  # orjson writes NUL so; a text that shows the escape is not one
        problem = nul_problem(orjson.loads(meta))
        if problem:
            raise RowError(problem)


def _label(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"field '{key}' is {json_type(value)}, expected a string")
    return value.strip() or None
