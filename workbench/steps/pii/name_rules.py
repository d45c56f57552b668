"""Names the small spaCy model misses, found with name lists and the shape of the text around them.

en_core_web_sm misses about one name in five: single first names ("Scott is very kind"), surnames
alone ("Usamov and Bowers were engineers"), names in lists, speaker labels of a transcript and
names in lower case. `GazetteerNameRecognizer` finds them with the lists of names.py:

- a run of capitalised words ("Ravil G Yefimov", "Anna van der Berg") is a name when none of its
  words is an ordinary English word and one at least is a known first name or surname (or it
  has a middle initial), or when it is a known first name followed by a known surname ("Hope
  Nakamura", where "Hope" alone is a word);
- one capitalised word is a name when it is a known first name that is no English word (and
  not after "the"/"a"/"an": "an Eero mesh" is a thing), or a known surname that is no English
  word and does not start a sentence;
- in a list ("Kónya, Becker and Vasquez"; "silvana, adam, chad and caleb"; "Qarvendi, Van der
  Merwe and Szabó") every item is a name when at least half of them are known names; the last
  item ends at its name ("Ukwendo and Bowers were ..."), and an item after an article is a
  thing ("the Tempo Lite and the Eero");
- the labels of a transcript ("Ubul: What a wife.\\nNicole: Remember me") are names when at least
  two lines start that way;
- in a text written all in lower case, a known first name followed by a known surname, or a
  known first name that is no English word at all (not even a noun).

A name the model calls a place (GPE, LOC, FAC) after "in", "near", ... ("the warehouse in
Austin"), or any run followed by a word of places ("our Victoria office"), is not a person. The
small model calls many unfamiliar names places ("Why is Rebecca so impulsive?": GPE), so its
label alone does not decide.
Imported only when a scan is built (it imports presidio_analyzer).
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import LocalRecognizer, RecognizerResult

from .names import ORG_WORDS, PARTICLES, THING_AFTER, Gazetteer, gazetteer
from .recognizers import _result

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\"“”(\[]|\n)\s*$")
_PARTICLE = "(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + ")"
# One or two words, particles between them ("Van der Merwe").
_ITEM = rf"[^\W\d_]+(?:['’-][^\W\d_]+)*(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}[^\W\d_]+(?:['’-][^\W\d_]+)*)?"
_ARTICLE_BEFORE = re.compile(r"(?:^|\W)(?:the|a|an)[ \t]+$", re.IGNORECASE)
_CONJUNCTION = re.compile(r",?[ \t]+(?:and|or|&)[ \t]+")
_ITEM_AFTER = re.compile(_ITEM)
_ITEM_BEFORE = re.compile(rf"(?:^|(?<=[^\w'’-]))(?P<item>{_ITEM})$")
_COMMA_BEFORE = re.compile(r"[ \t]*,[ \t]*$")
_SPEAKER = re.compile(r"^[ \t]*(?P<value>[^\W\d_a-z][^\W\d_]*(?:[ \t][^\W\d_a-z][^\W\d_]*)?)[ \t]*:", re.MULTILINE)
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_PLACE_BEFORE = frozenset("in near across around outside inside within throughout".split())
_PLACE_AFTER = frozenset("""office offices branch branches warehouse depot store stores campus site area region
district county city town village airport station harbour harbor street road avenue lane highway river
mountains valley county state province headquarters hq plant factory facility clinic hospital
""".split())


class GazetteerNameRecognizer(LocalRecognizer):
    """People's names from name lists and the shape of the text (see the module docstring)."""

    def __init__(self, nlp: Any = None, supported_language: str = "en") -> None:
        self.nlp = nlp
        self.names: Gazetteer | None = None
        super().__init__(supported_entities=["PERSON"], supported_language=supported_language,
                         name="GazetteerNameRecognizer")

    def load(self) -> None:
        self.names = gazetteer(self.nlp)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if self.names is None:
            self.load()
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        if not words:
            return []
        places = _place_spans(nlp_artifacts)
        lower = not any(c.isupper() for c in text)
        found = self._lower_case(text, words) if lower else self._capitalised(text, words)
        found += self._lists(text, lower)
        if not lower:
            found += self._speakers(text)
        out, seen = [], set()
        for start, end, score in found:
            if (start, end) in seen or _a_place(text, start, end, places):
                continue
            seen.add((start, end))
            out.append(_result("PERSON", start, end, score, self))
        return out

    # -- ordinary text ------------------------------------------------------------------------
    def _capitalised(self, text: str, words: list[tuple[int, int, str]]) -> list[tuple[int, int, float]]:
        out = []
        for run in _runs(text, words):
            out += self._judge_run(text, run)
        return out

    def _judge_run(self, text: str, run: list[tuple[int, int, str]]) -> list[tuple[int, int, float]]:
        g = self.names
        assert g is not None
        core = [w for w in run if not _is_initial(w[2]) and w[2].casefold() not in PARTICLES]
        if not core or any(w[2].casefold() in ORG_WORDS for w in core):
            return []
        # "Hope Nakamura", "Will Hartley": a known first name that is also a word, then a surname.
        if len(core) >= 2 and g.is_first(core[0][2]) and g.is_last(core[-1][2]) \
                and not any(g.is_common(w[2]) for w in core[1:]):
            return [(run[0][0], run[-1][1], 0.6)]
        # Leading ordinary words are not part of the name: "Yesterday Oyelaran", "Thanks Maria".
        while core and g.is_common(core[0][2]):
            core = core[1:]
        run = [w for w in run if w[0] >= core[0][0]] if core else []
        if not core or any(g.is_common(w[2]) for w in core):
            return []
        known = [g.is_first(w[2]) or g.is_last(w[2]) for w in core]
        if len(core) >= 2:
            if any(known) or any(_is_initial(w[2]) for w in run):
                return [(run[0][0], run[-1][1], 0.6 if all(known) else 0.5)]
            return []
        start, end, word = core[0]
        if len(word) < 3:
            return []
        if g.is_first(word) and _ARTICLE_BEFORE.search(text, max(0, start - 6), start):
            return []  # "the Eero", "an Eero mesh": a thing named like a person (not "the Sokolov novel")
        if g.is_first(word):
            return [(start, end, 0.5)]
        if g.is_last(word) and not _starts_sentence(text, start):
            return [(start, end, 0.45)]
        return []

    # -- lists and transcripts ----------------------------------------------------------------
    def _lists(self, text: str, lower: bool) -> list[tuple[int, int, float]]:
        g = self.names
        assert g is not None
        out = []
        for items in _list_items(text):
            cleaned = []
            for a, b in items:
                part = text[a:b]
                # "invite Fatima": the list starts at the name
                while " " in part and (g.is_common(part.split()[0]) or not lower and part[:1].islower()):
                    rest = part.split(None, 1)[1]
                    a, part = b - len(rest), rest
                # "Ukwendo and Bowers were engineers": the last item ends at the name
                while " " in part and (g.is_common(part.split()[-1]) or not lower and part.split()[-1].islower()) \
                        and part.split()[-1].casefold() not in PARTICLES:
                    part = part.rsplit(None, 1)[0]
                    b = a + len(part)
                if _ARTICLE_BEFORE.search(text, max(0, a - 6), a):
                    continue  # "the Tempo Lite and the Eero": things
                cleaned.append((a, b, part))
            names = [p for p in cleaned if self._list_item_is_name(p[2], lower)]
            if len(names) * 2 >= len(cleaned):
                out += [(a, b, 0.5) for a, b, p in cleaned
                        if not any(g.is_common(w) or w.casefold() in ORG_WORDS for w in _without_particles(p))
                        and (p[:1].isupper() or lower and not all(g.is_common_form(w) for w in p.split()))]
        return out

    def _list_item_is_name(self, item: str, lower: bool) -> bool:
        g = self.names
        assert g is not None
        parts = _without_particles(item)
        if not parts or any(g.is_common(p) for p in parts):
            return False
        if not lower and not all(p[:1].isupper() for p in parts):
            return False
        if lower and all(g.is_common_form(p) for p in parts):  # "holes and paint marks"
            return False
        return any(g.is_first(p) or g.is_last(p) for p in parts)

    def _speakers(self, text: str) -> list[tuple[int, int, float]]:
        g = self.names
        assert g is not None
        # A speaker says something on the same line; a form field ("Website:\n...") does not.
        labels = [m for m in _SPEAKER.finditer(text) if text[m.end():].split("\n", 1)[0].strip()]
        if len(labels) < 2:
            return []
        values = [m.group("value").split() for m in labels]
        if sum(1 for v in values if any(g.is_first(w) or g.is_last(w) for w in v)) * 2 < len(values):
            return []
        return [(m.start("value"), m.end("value"), 0.5) for m, v in zip(labels, values)
                if not any(g.is_common(w) or w.casefold() in ORG_WORDS for w in v)
                and (any(g.is_first(w) or g.is_last(w) for w in v) or not any(w.casefold() in g.nouns for w in v))]

    # -- text written in lower case -----------------------------------------------------------
    def _lower_case(self, text: str, words: list[tuple[int, int, str]]) -> list[tuple[int, int, float]]:
        g = self.names
        assert g is not None
        out = []
        i = 0
        while i < len(words):
            start, end, word = words[i]
            if len(word) < 3 or g.is_common(word) or not g.is_first(word):
                i += 1
                continue
            # first name [initial] surname
            j = i + 1
            if j < len(words) and len(words[j][2]) == 1 and text[end:words[j][0]] == " ":
                j += 1
            if j < len(words) and text[words[j - 1][1]:words[j][0]] in (" ", ". ") \
                    and g.is_last(words[j][2]) and not g.is_common(words[j][2]) and len(words[j][2]) >= 3:
                out.append((start, words[j][1], 0.5))
                i = j + 1
                continue
            if len(word) >= 4 and word.casefold() not in g.nouns:
                out.append((start, end, 0.4))
            i += 1
        return out


def _list_items(text: str) -> list[list[tuple[int, int]]]:
    """(start, end) of the items of each list "A, B and C" (an item is one or two words)."""
    out = []
    for m in _CONJUNCTION.finditer(text):
        last = _ITEM_AFTER.match(text, m.end())
        if last is None:
            continue
        items = [last.span()]
        end = m.start()
        while True:
            before = _ITEM_BEFORE.search(text, max(0, end - 80), end)
            if before is None:
                break
            items.insert(0, before.span("item"))
            comma = _COMMA_BEFORE.search(text, max(0, before.start("item") - 8), before.start("item"))
            if comma is None:
                break
            end = comma.start()
        if len(items) >= 2:
            out.append(items)
    return out


def _runs(text: str, words: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Runs of capitalised words, one space apart, with initials and particles between them."""
    runs: list[list[tuple[int, int, str]]] = []
    current: list[tuple[int, int, str]] = []
    for i, w in enumerate(words):
        start, _, word = w
        capital = word[:1].isupper()
        particle = not capital and word.casefold() in PARTICLES and current \
            and i + 1 < len(words) and words[i + 1][2][:1].isupper()
        joined = bool(current) and text[current[-1][1]:start] in (" ", ". " if _is_initial(current[-1][2]) else " ")
        if (capital or particle) and (joined or not current):
            current.append(w)
            continue
        if current:
            runs.append(_trim(current))
        current = [w] if capital else []
    if current:
        runs.append(_trim(current))
    return [r for r in runs if r]


def _trim(run: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    while run and (run[-1][2].casefold() in PARTICLES or _is_initial(run[-1][2])):
        run = run[:-1]
    while run and (run[0][2].casefold() in PARTICLES and not run[0][2][:1].isupper()):
        run = run[1:]
    return run


def _without_particles(item: str) -> list[str]:
    """The words of a list item less its lower-case particles ("der" of "Van der Merwe")."""
    return [w for w in item.split() if not (w.islower() and w in PARTICLES)] or item.split()


def _is_initial(word: str) -> bool:
    return len(word) == 1 and word.isupper()


def _starts_sentence(text: str, start: int) -> bool:
    return _SENTENCE_END.search(text, 0, start) is not None if start else True


def _a_place(text: str, start: int, end: int, places: list[tuple[int, int]]) -> bool:
    """A place ("in Austin", "our Victoria office") or a thing ("Eco mode"), not a person."""
    after = _WORD.match(text, end + 1) if text[end:end + 1] == " " else None
    if after is not None and (after.group().casefold() in _PLACE_AFTER or after.group().casefold() in THING_AFTER):
        return True
    if not any(s <= start and end <= e for s, e in places):
        return False
    before = text[max(0, start - 12):start].split()
    return bool(before) and before[-1].casefold() in _PLACE_BEFORE


def _place_spans(nlp_artifacts: Any) -> list[tuple[int, int]]:
    doc = getattr(nlp_artifacts, "tokens", None)
    if doc is None:
        return []
    return [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _PLACE_LABELS]
