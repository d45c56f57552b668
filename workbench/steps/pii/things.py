"""Names that are things: rules that weigh a word over a whole set of texts.

A word the language model calls a person in only a few of the many turns that hold it is a
product or company (`_drop_brand_names`); a "name" written like a thing at least twice ("the
Tempo Lite", "Vault 10") is a thing (`_drop_thing_names`); and a part of a found name stands as
a name only in a name's position (`name_position`: not "the Okafor plan"). The step and the leak
check scan through these rules alike (findings.scan_texts).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .occurrences import _WORD, index_by_first_word, values_in, word_occurrences

if TYPE_CHECKING:
    from .findings import Turn
    from .scan import Span


# A single word the language model calls a person in fewer than this share of the (at least
# BRAND_MIN_TURNS) turns that contain it is a product or company name ("Quillfield"), not a
# person: the model's guess flips with the sentence around it. Names found by a cue or a
# pattern are kept whatever their share.
BRAND_SHARE = 0.2
BRAND_MIN_TURNS = 20
_MODEL_ONLY = {"SpacyRecognizer"}


def _drop_brand_names(turns: list[Turn], found: list[tuple[Span, ...]]) -> list[tuple[Span, ...]]:
    found_in: dict[str, int] = defaultdict(int)
    for t, spans in zip(turns, found):
        for s in spans:
            if s.entity == "PERSON" and s.recognizer in _MODEL_ONLY:
                found_in[t.text[s.start:s.end]] += 1
    candidates = set(found_in)
    if not candidates or len(turns) < BRAND_MIN_TURNS:
        return found
    by_first = index_by_first_word(candidates)
    seen_in: dict[str, int] = defaultdict(int)
    for t in turns:
        for value in values_in(by_first, set(_WORD.findall(t.text))):
            if value in t.text:
                seen_in[value] += 1
    brands = {v for v in candidates
              if seen_in[v] >= BRAND_MIN_TURNS and found_in[v] < BRAND_SHARE * seen_in[v]}
    if not brands:
        return found
    return [tuple(s for s in spans if not (s.recognizer in _MODEL_ONLY and t.text[s.start:s.end] in brands))
            for t, spans in zip(turns, found)]


# A "name" written like a thing at least THING_MIN times, and in at least THING_SHARE of its
# occurrences, is a product or a feature: after an article or a possessive ("the Tempo Lite",
# "my Gateway"), or before a model number or a word of things ("Vault 10", "Smart Shift mode").
# People's names are written that way once in a while ("the Sokolov novel"), products all the
# time; a name must be found in the same dataset that often to be taken for one.
THING_MIN = 2
THING_SHARE = 0.25
_THING_BEFORE = re.compile(r"(?:^|\W)(?:the|a|an|my|your|our|their|his|her|its)[ \t]+$", re.IGNORECASE)
# The same with a brand before the name: "a Netgear Orbi".
_BRAND_BEFORE = re.compile(r"(?:^|\W)(?i:the|a|an|my|your|our|their|his|her|its)[ \t]+(?:[A-Z][\w-]*[ \t]+){1,2}$")
_THING_AFTER = re.compile(r"[ \t]*(?:[-#]?\d|(?P<word>[^\W\d_]+))")  # on the same line
_USERS = ("deny_list_", "pattern_")  # the user's own lists and patterns are never second-guessed


def _drop_thing_names(turns: list[Turn], found: list[tuple[Span, ...]]) -> list[tuple[Span, ...]]:
    from .names import THING_AFTER

    values = {t.text[s.start:s.end].strip() for t, spans in zip(turns, found) for s in spans
              if s.entity == "PERSON" and not s.recognizer.startswith(_USERS)}
    values.discard("")
    if not values:
        return found
    by_first = index_by_first_word(values)
    seen: dict[str, int] = defaultdict(int)
    thing: dict[str, int] = defaultdict(int)
    for t in turns:
        for value in values_in(by_first, set(_WORD.findall(t.text))):
            for start in word_occurrences(t.text, value):
                seen[value] += 1
                end = start + len(value)
                after = _THING_AFTER.match(t.text, end)
                if _THING_BEFORE.search(t.text, max(0, start - 8), start) or after is not None and (
                        after.group("word") is None or after.group("word").casefold() in THING_AFTER):
                    thing[value] += 1
    things = {v for v in values if thing[v] >= THING_MIN and thing[v] >= THING_SHARE * seen[v]}
    if not things:
        return found
    return [tuple(s for s in spans if not (s.entity == "PERSON" and not s.recognizer.startswith(_USERS)
                                           and t.text[s.start:s.end].strip() in things))
            for t, spans in zip(turns, found)]


def _part_of_a_name(part: str, names: Any) -> bool:
    """A part of a name that can name a person alone: no ordinary word, title, particle or acronym."""
    from .name_shapes import title_or_particle

    return len(part) >= 3 and not part.isupper() and not title_or_particle(part) and not names.is_common(part)


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\"“”(\n"


def name_position(text: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end] stands where a name stands: not after an article or a
    possessive ("the Brastilov plan"), not before a number or a word of things, places or
    organisations ("Brastilov 10", "Brastilov mode", "Brastilov office", "Brastilov Inc")."""
    from .names import ORG_WORDS, THING_AFTER

    if _THING_BEFORE.search(text, max(0, start - 8), start) or _BRAND_BEFORE.search(text, max(0, start - 40), start):
        return False
    after = _THING_AFTER.match(text, end)
    if after is None:
        return True
    word = after.group("word")
    return word is not None and word.casefold() not in THING_AFTER and word.casefold() not in ORG_WORDS \
        and word.casefold() not in _PLACE_WORDS


_PLACE_WORDS = frozenset("office branch warehouse store campus street road avenue city town village airport "
                         "station river county district".split())
