"""Where known values occur in texts: whole-word occurrences, and an index by first word so that a
text is checked only against the values that can occur in it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

_WORD = re.compile(r"\w+")


def index_by_first_word(values: Iterable[str]) -> dict[str, list[str]]:
    """Values by their first word: a text can hold a value only if it has that word, so a scan
    for thousands of values looks at the few whose first word the text has."""
    index: dict[str, list[str]] = defaultdict(list)
    for value in values:
        words = _WORD.findall(value)
        if words:
            index[words[0]].append(value)
    return index


def values_in(index: dict[str, list[str]], words: set[str]) -> Iterator[str]:
    """The indexed values whose first word is among `words` (the words of one text)."""
    for word in words & index.keys():
        yield from index[word]


def stands_alone(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is not part of a longer word (no letter, digit or _ either side)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def word_occurrences(text: str, value: str) -> Iterator[int]:
    """Where `value` stands in `text` as whole words (not inside a longer word)."""
    start = text.find(value)
    while start != -1:
        if stands_alone(text, start, start + len(value)):
            yield start
        start = text.find(value, start + 1)
