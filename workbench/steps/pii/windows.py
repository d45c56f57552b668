"""What the language model reads of a text: its paragraphs, and within them the windows of tokens
around capitalised words that are not ordinary ones (the rest cannot hold a name it would find)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

NER_WINDOW: int | None = 6  # tokens the model reads either side of a capitalised word (None: all)
_CAPITALISED = re.compile(r"\b[^\W\d_a-z][\w'’-]*")
_COMMON: frozenset[str] = frozenset()  # stop words and greetings, set by load_common_words


_SEGMENT = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")  # a paragraph: lines up to a blank line
_CAPITALISED = re.compile(r"\b[^\W\d_a-z][\w'’-]*")


def with_ents(doc: Any, ents: Sequence[tuple[int, int, str]]) -> Any:
    """The doc with these (start, end, label) character spans as its entities."""
    from spacy.util import filter_spans

    spans = [span for s, e, label in ents
             if (span := doc.char_span(s, e, label=label, alignment_mode="expand")) is not None]
    doc.ents = filter_spans(spans) if spans else ()
    return doc


def windows(doc: Any, names: Any = None) -> list[tuple[int, int]]:
    """(start, end) token ranges the model reads: NER_WINDOW tokens around each capitalised word
    that is not a common one (nor an English word, unless it is also a name), merged; the whole
    doc when they cover most of it.

    The model's decision for a token depends on the four tokens either side of it (its encoder's
    reach) and the entity it is in, so a person it would find in the whole text is found in
    the window around its capitalised words.
    """
    import numpy as np
    from spacy.attrs import IDX

    n = len(doc)
    if NER_WINDOW is None or n <= 2 * NER_WINDOW + 1:
        return [(0, n)] if n else []
    at = [m.start() for m in _CAPITALISED.finditer(doc.text) if (word := m.group()).lower() not in _COMMON
          and (names is None or not names.is_common(word) or names.is_first(word) or names.is_last(word))]
    if not at:
        return []
    tokens = np.searchsorted(doc.to_array(IDX), at, side="right") - 1
    out: list[tuple[int, int]] = []
    for i in tokens.tolist():
        a, b = max(0, i - NER_WINDOW), min(n, i + NER_WINDOW + 1)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    if sum(b - a for a, b in out) > 0.8 * n:
        return [(0, n)]
    return out


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: lines up to a blank line."""
    return [m.span() for m in _SEGMENT.finditer(text) if m.group().strip()]


def may_name(segment: str) -> bool:
    """False when every capitalised word is a common one ("I", "What", "Please")."""
    return any(w.lower() not in _COMMON for w in _CAPITALISED.findall(segment))


def load_common_words() -> frozenset[str]:
    """The words never taken for a name on their own (loaded once, with spaCy)."""
    global _COMMON
    if not _COMMON:
        _COMMON = _common_words()
    return _COMMON


def _common_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"i'm", "i've", "i'd", "i'll", "hi", "hello", "hey", "thanks", "thank",
                                    "please", "ok", "okay", "yes", "no", "sorry", "dear", "great", "sure"}
