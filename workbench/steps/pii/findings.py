"""Findings over a whole dataset: each turn scanned, found values carried to their other
occurrences, and the reviewer's decisions applied span by span.

A span is named by its key "<turn>:<start>:<end>" (offsets into that turn's content; in a record
with completions or tool calls "turn" numbers its texts, see places.py), the
`target` of the reviewer's decisions in the store: `accept` scrubs it, `reject` leaves it (a
false positive), and `flag` with detail {turn, start, end, entity} adds a span the scan missed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ...records import TEXT_COLUMNS, rich_rows
from .entities import NER_ENTITIES
from .places import text_places
from .replace import original_key
from .scan import Scanner, Span, text_hash
from .occurrences import _WORD, index_by_first_word, values_in, word_occurrences
from .things import (BRAND_MIN_TURNS, BRAND_SHARE, _drop_brand_names, _drop_thing_names,
                     _part_of_a_name, _sentence_start, name_position)

ROLES = {"all": None, "user": ("user",), "assistant": ("assistant",), "user_system": ("system", "user"),
         "user_assistant": ("user", "assistant")}

def span_key(turn: int, start: int, end: int) -> str:
    return f"{turn}:{start}:{end}"


def parse_key(key: str) -> tuple[int, int, int] | None:
    parts = key.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    turn, start, end = (int(p) for p in parts)
    return turn, start, end


@dataclass(frozen=True)
class Finding:
    record_id: str
    turn: int
    start: int
    end: int
    entity: str
    score: float
    recognizer: str
    value: str
    found_by: str = "scan"  # scan | propagated | reviewer

    @property
    def key(self) -> str:
        return span_key(self.turn, self.start, self.end)

    def row(self, turn_hash: str) -> tuple:
        return (self.record_id, self.turn, self.start, self.end, self.entity, self.score,
                self.recognizer, self.value, turn_hash, self.found_by)


@dataclass
class Turn:
    record_id: str
    turn: int
    text: str


def scanned_turns(records: pl.DataFrame, roles: Sequence[str] | None) -> list[Turn]:
    """Every text of every record whose role is scanned, in record order, numbered as
    places.text_places numbers them (a plain record's texts are its turns)."""
    out = []
    rich = rich_rows(records)
    if rich is None:
        for rid, messages in records.select("id", "messages").iter_rows():
            for i, m in enumerate(messages or ()):
                if (roles is None or m["role"] in roles) and m["content"]:
                    out.append(Turn(rid, i, m["content"]))
        return out
    columns = [c for c in TEXT_COLUMNS if c in records.columns]
    for row in records.select("id", *columns).iter_rows(named=True):
        for slot, (_, role, text) in enumerate(text_places(row)):
            if (roles is None or role in roles) and text:
                out.append(Turn(row["id"], slot, text))
    return out


def find(turns: list[Turn], scanner: Scanner, *, propagate: bool = True,
         human: dict[tuple[str, str], Any] | None = None,
         report: Callable[[int, int], None] | None = None, processes: int = 1) -> list[Finding]:
    """Scan the turns, then (optionally) mark other occurrences of every value found.

    A value the reviewer rejected anywhere is not carried to other places; a span the reviewer
    marked as missed is carried like a found one (the leak check looks its value up everywhere).
    """
    never = rejected_values(turns, human or {})
    found = scan_texts(scanner, [t.text for t in turns], report=report, processes=processes)
    findings = [
        Finding(t.record_id, t.turn, s.start, s.end, s.entity, s.score, s.recognizer, t.text[s.start:s.end])
        for t, spans in zip(turns, found) for s in spans
    ]
    if propagate:
        flagged = _flagged_spans(turns, human or {})  # the flags themselves are added by apply_review
        carried = [(*spans, *flagged.get(i, ())) for i, spans in enumerate(found)] if flagged else found
        findings += _propagate(turns, carried, never, scanner.allow, getattr(scanner, "names", None))
    findings.sort(key=lambda f: (f.record_id, f.turn, f.start, f.end, f.entity))
    return findings


def scan_texts(scanner: Scanner, texts: Sequence[str], *, report: Callable[[int, int], None] | None = None,
               processes: int = 1) -> list[tuple[Span, ...]]:
    """The scanner's spans for each text, less the "names" the whole set of texts shows to be
    products or brands (see _drop_brand_names and _drop_thing_names). The step and the leak
    check both scan this way, so the check does not count what the step judged no person."""
    found = scanner.scan(texts, report=report, processes=processes)
    turns = [Turn("", i, text) for i, text in enumerate(texts)]
    return _drop_thing_names(turns, _drop_brand_names(turns, found))


def _propagate(turns: list[Turn], found: list[tuple[Span, ...]], never: set[str], allow: set[str],
               names: Any = None) -> list[Finding]:
    """Every other verbatim (whole-word) occurrence of a found value.

    Within its conversation every value is carried, and so are the parts of a full name
    ("Kudryashov" of "Gregory Kudryashov"; not an English word of it, with `names`: "Still" of
    "my order still hasn't"). A value `carried_everywhere` is looked for in every
    conversation, except a name the language model found in under BRAND_SHARE of the (at least
    BRAND_MIN_TURNS) turns that contain it: a product it sometimes takes for a person. The
    parts of a name are carried to other conversations too, but only where they stand as a
    name (`name_position`: not "the Kudryashov plan"), and not when they are in under
    BRAND_SHARE of the (at least BRAND_MIN_TURNS) turns that contain them found as a name.
    """
    values: dict[str, tuple[str, float]] = {}  # value -> (entity, score), dataset-wide
    found_in: dict[str, set[int]] = defaultdict(set)  # value -> turns where the scan found it
    local: dict[str, dict[str, tuple[str, float]]] = defaultdict(dict)  # record -> value -> ...
    parts: dict[str, tuple[str, float]] = {}  # parts of names, carried to name positions elsewhere
    part_found_in: dict[str, set[int]] = defaultdict(set)
    for i, (t, spans) in enumerate(zip(turns, found)):
        for s in spans:
            value = t.text[s.start:s.end].strip()
            if len(value) < 3 or value in never or original_key(value) in allow:
                continue
            if carried_everywhere(s.entity, value):
                found_in[value].add(i)
                if value not in values or values[value][1] < s.score:
                    values[value] = (s.entity, s.score)
            local[t.record_id].setdefault(value, (s.entity, s.score))
            if s.entity == "PERSON":
                for n, part in enumerate(value.split()):
                    part = part.strip(".,")
                    if part.islower():  # "my name is borna": later "Borna" is the same person
                        part = part.title()
                    if len(part) >= 3 and part[0].isupper() and part not in never \
                            and original_key(part) not in allow and not (names and names.is_common(part)):
                        local[t.record_id].setdefault(part, (s.entity, s.score))
                        # "Producer" of "Producer James Sparks" at a sentence start may be a word
                        if names is not None and part != value and _part_of_a_name(part, names) \
                                and not (n == 0 and _sentence_start(t.text, s.start)
                                         and part.casefold() in names.nouns):
                            parts.setdefault(part, (s.entity, s.score))
                            part_found_in[part].add(i)
    if not values and not local:
        return []
    by_first = index_by_first_word(values)
    parts = {p: info for p, info in parts.items() if p not in values}
    parts_by_first = index_by_first_word(parts)
    # First pass: where each value occurs; second: keep the values the scan agrees on.
    occurs: list[tuple[int, str, int, tuple[str, float]]] = []
    seen_in: dict[str, set[int]] = defaultdict(set)
    for i, t in enumerate(turns):
        words = set(_WORD.findall(t.text))
        candidates = {v: values[v] for v in values_in(by_first, words)}
        for part, info in local.get(t.record_id, {}).items():
            if part in words or part in t.text:
                candidates.setdefault(part, info)
        for part in values_in(parts_by_first, words):
            candidates.setdefault(part, parts[part])
        for value, info in candidates.items():
            for start in word_occurrences(t.text, value):
                occurs.append((i, value, start, info))
                seen_in[value].add(i)
    agreed = {v for v, (entity, _) in values.items()
              if entity not in NER_ENTITIES or len(seen_in[v]) < BRAND_MIN_TURNS
              or len(found_in[v]) >= BRAND_SHARE * len(seen_in[v])}
    agreed |= {p for p in parts if len(seen_in[p]) < BRAND_MIN_TURNS
               or len(part_found_in[p]) >= BRAND_SHARE * len(seen_in[p])}
    taken: dict[int, list[tuple[int, int]]] = {}
    out = []
    # Longest first, so "Ana Dias" wins over its part "Dias".
    for i, value, start, (entity, score) in sorted(occurs, key=lambda o: (-len(o[1]), o[0], o[2])):
        t = turns[i]
        if value in values and value not in agreed and value not in local.get(t.record_id, {}):
            continue
        if value in parts and value not in local.get(t.record_id, {}) \
                and (value not in agreed or not name_position(t.text, start, start + len(value))):
            continue
        spans_here = taken.setdefault(i, [(s.start, s.end) for s in found[i]])
        end = start + len(value)
        if any(start < e and s < end for s, e in spans_here):
            continue
        spans_here.append((start, end))
        out.append(Finding(t.record_id, t.turn, start, end, entity, score, "propagated", value, "propagated"))
    return out


def carried_everywhere(entity: str, value: str) -> bool:
    """Whether a value found once is looked for in every conversation (and by the leak check).

    A value of a pattern type (an email, a card number) means the same person wherever it
    appears; so does a capitalised name the language model found, unless it is in many turns
    and the scan found it in few of them (a product name; checked in _propagate). Lower-case
    words are carried only within their own conversation.
    """
    if entity not in NER_ENTITIES:
        return True
    words = value.split()
    return bool(words) and all(w[:1].isupper() for w in words)


@dataclass
class Review:
    """The findings split by the reviewer's decisions."""

    scrub: list[Finding]  # scanned spans not rejected, and spans the reviewer added
    rejected: list[Finding]
    added: list[Finding]


def apply_review(findings: list[Finding], human: dict[tuple[str, str], Any],
                 texts: dict[tuple[str, int], str]) -> Review:
    """Decide each span: a reviewer's reject leaves it, anything else scrubs it; flags add spans."""
    scrub, rejected, added = [], [], []
    for f in findings:
        d = human.get((f.record_id, f.key))
        if d is not None and d.action == "reject":
            rejected.append(f)
        else:
            scrub.append(f)
    for (rid, target), d in sorted(human.items()):
        if d.action != "flag" or not target:
            continue
        detail = d.detail or {}
        try:
            turn, start, end = int(detail["turn"]), int(detail["start"]), int(detail["end"])
        except (KeyError, TypeError, ValueError):
            parsed = parse_key(target)
            if parsed is None:
                continue
            turn, start, end = parsed
        text = texts.get((rid, turn))
        if text is None or not 0 <= start < end <= len(text):
            continue  # the record is not in this run, or the turn changed
        added.append(Finding(rid, turn, start, end, str(detail.get("entity") or "PII"), 1.0, "reviewer",
                             text[start:end], "reviewer"))
    return Review(scrub + added, rejected, added)


def _flagged_spans(turns: list[Turn], human: dict[tuple[str, str], Any]) -> dict[int, list[Span]]:
    """The spans reviewers marked as missed, by the index of their turn in `turns`."""
    if not any(d.action == "flag" for d in human.values()):
        return {}
    texts = {(t.record_id, t.turn): t.text for t in turns}
    at = {(t.record_id, t.turn): i for i, t in enumerate(turns)}
    out: dict[int, list[Span]] = defaultdict(list)
    for f in apply_review([], human, texts).added:
        out[at[(f.record_id, f.turn)]].append(Span(f.start, f.end, f.entity, f.score, "reviewer"))
    return out


def rejected_values(turns: list[Turn], human: dict[tuple[str, str], Any]) -> set[str]:
    """The values of every span a reviewer rejected (a false positive stays one everywhere)."""
    rejected = [(rid, parse_key(target)) for (rid, target), d in human.items() if d.action == "reject"]
    if not rejected:
        return set()
    texts = {(t.record_id, t.turn): t.text for t in turns}
    out = set()
    for rid, parsed in rejected:
        if parsed is None:
            continue
        turn, start, end = parsed
        text = texts.get((rid, turn))
        if text is not None and end <= len(text):
            out.add(text[start:end].strip())
    return out


def store_rows(findings: Iterable[Finding], texts: dict[tuple[str, int], str]) -> list[tuple]:
    hashes: dict[tuple[str, int], str] = {}
    rows = []
    for f in findings:
        key = (f.record_id, f.turn)
        if key not in hashes:
            hashes[key] = text_hash(texts[key])
        rows.append(f.row(hashes[key]))
    return rows
