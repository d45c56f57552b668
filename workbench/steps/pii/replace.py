"""Replacing found values: placeholders, consistent pseudonyms, and the stand-in map."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .entities import placeholder


@dataclass(frozen=True)
class Cut:
    """One stretch of a text to replace, after overlapping spans were merged."""

    start: int
    end: int
    entity: str


def merge(spans: Iterable[tuple[int, int, str, float]]) -> list[Cut]:
    """Overlapping spans become one cut over their union, named for the strongest (then longest)."""
    ordered = sorted(spans, key=lambda s: (s[0], -s[1]))
    cuts: list[Cut] = []
    best: tuple[float, int] = (-1.0, 0)
    for start, end, entity, score in ordered:
        if cuts and start < cuts[-1].end:
            last = cuts[-1]
            rank = (score, end - start)
            name = entity if rank > best else last.entity
            best = max(best, rank)
            cuts[-1] = Cut(last.start, max(last.end, end), name)
            continue
        cuts.append(Cut(start, end, entity))
        best = (score, end - start)
    return cuts


def original_key(value: str) -> str:
    """Spellings of one value that should share a stand-in: case and spacing ignored."""
    return " ".join(value.split()).casefold()


class StandIns:
    """What replaces each value: `<PERSON>`, `<PERSON_3>` or a realistic fake, consistent per value.

    `known` is the stored map (entity, original key) -> stand-in; values seen for the first time
    are numbered after the highest number already used for their entity and listed in `new`.
    After a purge the stored keys are keyed hashes: `key_of` turns an original key into one, and
    `new` holds no original.
    """

    def __init__(self, mode: str, style: str = "numbered", known: dict[tuple[str, str], str] | None = None,
                 key_of: Callable[[str], str] | None = None) -> None:
        self.mode = mode
        self.style = style
        self.key_of = key_of
        self.known = dict(known or {})
        self.new: list[tuple[str, str, str, str]] = []  # entity, key, original, stand-in
        self.counters: dict[str, int] = {}
        self.used: set[str] = set(self.known.values())
        for (entity, _), stand_in in self.known.items():
            number = _number(stand_in, entity)
            if number is not None:
                self.counters[entity] = max(self.counters.get(entity, 0), number)
        self._faker = None

    def __call__(self, entity: str, value: str) -> str:
        if self.mode != "pseudonym":
            return placeholder(entity)
        key = original_key(value)
        stored = self.key_of(key) if self.key_of is not None else key
        found = self.known.get((entity, stored))
        if found is None:
            found = self._fake(entity, key) if self.style == "fake" else None
            if found is None:
                self.counters[entity] = self.counters.get(entity, 0) + 1
                found = f"<{entity}_{self.counters[entity]}>"
            self.known[(entity, stored)] = found
            self.used.add(found)
            self.new.append((entity, stored, "" if self.key_of is not None else value, found))
        return found

    def _fake(self, entity: str, key: str) -> str | None:
        """A realistic value, seeded by the original so every run gives the same one."""
        from .fake import fake_value

        seed = int.from_bytes(hashlib.sha256(f"{entity}\0{key}".encode()).digest()[:8], "big")
        for attempt in range(20):
            value = fake_value(entity, seed + attempt)
            if value is None:
                return None
            if value not in self.used and original_key(value) != key:
                return value
        return None


def _number(stand_in: str, entity: str) -> int | None:
    prefix = f"<{entity}_"
    if stand_in.startswith(prefix) and stand_in.endswith(">"):
        digits = stand_in[len(prefix):-1]
        if digits.isdigit():
            return int(digits)
    return None


def apply(text: str, cuts: Sequence[Cut], stand_in) -> str:
    """The text with every cut replaced by stand_in(entity, original value)."""
    return apply_mapped(text, cuts, stand_in)[0] if cuts else text


@dataclass(frozen=True)
class Piece:
    """A stretch of a replaced text and where it came from: kept as it was, or a stand-in."""

    start: int  # in the new text
    end: int
    orig_start: int  # in the original text
    orig_end: int
    replaced: bool


def apply_mapped(text: str, cuts: Sequence[Cut], stand_in) -> tuple[str, list[Piece]]:
    """`apply`, and the pieces that map each stretch of the new text back to the original."""
    parts: list[str] = []
    pieces: list[Piece] = []
    pos = new = 0
    for cut in [*cuts, None]:
        end = cut.start if cut is not None else len(text)
        if end > pos:
            parts.append(text[pos:end])
            pieces.append(Piece(new, new + end - pos, pos, end, False))
            new += end - pos
        if cut is None:
            break
        value = stand_in(cut.entity, text[cut.start:cut.end])
        parts.append(value)
        pieces.append(Piece(new, new + len(value), cut.start, cut.end, True))
        new += len(value)
        pos = cut.end
    return "".join(parts), pieces


def to_original(pieces: Sequence[Piece], start: int, end: int) -> tuple[int, int] | None:
    """The original offsets of new-text span [start, end) when it lies in kept text only; None when
    it touches a stand-in (what a stand-in stands for is scrubbed already)."""
    for p in pieces:
        if p.replaced and start < p.end and p.start < end:
            return None
    for p in pieces:
        if p.start <= start < p.end or (start == end == p.end):
            return p.orig_start + (start - p.start), p.orig_start + (end - p.start)
    return None
