"""Names no list knows, found by the shape of the sentence around them.

The name lists (name_rules.py) know about 60,000 names; a name outside them ("Qarvendi",
"Ikaika Kealoha") is found only when the model happens to call it a person. `NameShapeRecognizer`
finds it by what is said around it:

- titles and honorifics of many languages before a capitalised name ("Mx Qarvendi", "Herr",
  "Mme", "M.", "Dr.-Ing.", "Sra.", "Sheikh", "Shri", "Smt.", "Professor", ...) and Japanese or
  Korean suffixes after one ("Qarvendi-san", "-sama", "-kun", "-ssi");
- verbs said of people after a name ("Qarvendi said", "Ukwendo wants", "Brastilov and I"), or
  before it after a quotation ('"...," said Brastilov');
- cues before a name: "spoke with", "a call from", "cc", "signed,", "under the name",
  "registered to", "on behalf of", a greeting or thanks that addresses someone ("Okay, Zaveria,
  I will ..."), a relation ("our daughter Tuvessa", "my colleague");
- a role after a name ("Zaveria Qarvendi (manager)", "Qarvendi, our landlord", "Qarvendi is
  my landlord");
- in a text all in lower case, a known first name that is also a noun ("selma", "lakshmi",
  which the lower-case rule leaves alone) after such a cue or before such a verb.

What follows the cue is a name only when it looks like one: capitalised words (particles and
initials allowed between them), none of them an ordinary English word unless it is a known name
("Soo-ah Park"), no word of organisations, places or things, not only words the dictionary has
as nouns unless a title announces them (a place or a company it knows: "spoke with Amazon",
"Yes, Canada."), not after an article ("the Tempo said") and not before a
word of things or places ("Zaveria office"). Leading ordinary words are not part of it
("Yesterday Qarvendi said": "Qarvendi").

`extend_names` then joins a name-like word next to a found name to it ("Maria Qarvendi" when
only "Maria" was found). Imported only when a scan is built (it imports presidio_analyzer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from presidio_analyzer import LocalRecognizer, RecognizerResult

from .name_rules import _PLACE_AFTER, _a_place
from .names import ORG_WORDS, PARTICLES, THING_AFTER, Gazetteer, gazetteer
from .recognizers import _NOT_NAMES, _result, folded

_UPPER = r"(?:[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:['’-][^\W\d_]+)*)"
_LOWER = r"(?:[^\W\d_]+(?:['’-][^\W\d_]+)*)"
_PARTICLE = "(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + ")"
# One to three capitalised words; initials and particles between them ("Anna van der Berg").
_NAME = rf"{_UPPER}(?:[ \t]+(?:[A-Z]\.?[ \t]+)?(?:{_PARTICLE}[ \t]+){{0,2}}{_UPPER}){{0,2}}"
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

# Titles written before a name, with or without a full stop.
_TITLES = """Mr Mrs Ms Miss Mx Mmes Messrs Mme Mlle Madame Mademoiselle Monsieur Madam Sir Dame Lord Lady
Dr Prof Professor Doctor Herr Frau Fräulein Hr Fr Sr Sra Srta Señor Señora Señorita Sres Don Doña Dona
Sig Signor Signora Signorina Dott Ing Avv Meneer Mevrouw Mevr Dhr Pani Gospodin Gospozha
Sheikh Shaikh Sheikha Shri Shree Smt Kumari Pandit Swami Haji Hajji Hajjah Ustad Ustadh Ustaz Mufti
Maulana Sayyid Bapak Ibu Tuan Puan Encik Datuk Dato
Rev Reverend Father Pastor Rabbi Imam Bishop
Capt Captain Lt Lieutenant Sgt Sergeant Col Colonel Cpl Corporal Maj Admiral Commander Cmdr Officer
Det Detective Insp Inspector Constable Judge Senator Sen Rep Gov Governor Mayor Chancellor Minister
Ambassador President Nurse Aunt Auntie Uncle Grandma Grandpa Hon""".split()
_TITLE = r"(?:Dr\.-Ing\.?|Dipl\.-Ing\.?|Dott\.ssa|Sig\.ra|M\.|(?:" + "|".join(sorted(set(_TITLES), key=len, reverse=True)) + r")\.?)"
_SUFFIX = r"(?:san|sama|kun|chan|sensei|senpai|dono|ssi|nim)"

# Verbs said of people, after their name.
_VERBS = r"""said|says|told|tells|asked|asks|wrote|writes|replied|replies|answered|explained|added|mentioned
|called|calls|emailed|phoned|texted|messaged|rang|wants|wanted|needs|needed|thinks|thought|believes|knows|knew
|agreed|agrees|confirmed|confirms|promised|suggested|recommended|complained|reported|insisted|spoke|speaks
|laughed|smiled|nodded|sighed|whispered|shouted|cried|lives|lived|works|worked|joined|visited|arrived
|married|died|was born|is from|comes from|came from|signed|paid|booked|ordered|hopes|hoped|loves|loved
|hates|hated|likes|liked|said that|has asked|had asked|has called|had called|will call|would like
|is coming|was here|is here""".replace("\n", "")
# Cues before a name.
_CUES = r"""(?:spok(?:e|en)|speak(?:ing)?|talk(?:ed|ing)?)[ \t]+(?:with|to)|chatted with|met with|meeting with
|(?:call|e-?mail|message|text|letter|note|reply|visit|voicemail|invitation|request)[ \t]+from|hear(?:d)? from
|cc(?:'?d|'?ing)?|signed(?: by)?|sent by|under the name(?: of)?|in the name of|registered (?:to|in the name of)
|addressed to|belong(?:s|ing) to|made out to|on behalf of|payable to|issued to|c/o|care of""".replace("\n", "")
# Relations and roles: "my colleague Maelorin", "Qarvendi (manager)", "Qarvendi is my landlord".
_RELATIONS = r"""kid|kids|son|sons|daughter|daughters|child|wife|husband|partner|spouse|mother|mom|mum|father
|dad|brother|sister|sibling|friend|boss|manager|supervisor|colleague|coworker|co-worker|teammate
|neighbou?r|grandmother|grandfather|grandma|grandpa|granny|grandson|granddaughter|uncle|aunt|cousin|niece
|nephew|landlord|landlady|tenant|roommate|flatmate|housemate|fianc[eé]e?|girlfriend|boyfriend|stepson
|stepdaughter|stepmother|stepfather|in-laws?|mother-in-law|father-in-law|assistant|secretary|lawyer
|attorney|accountant|doctor|dentist|therapist|nanny|tutor|teacher|student|client|customer|patient
|technician|electrician|plumber|installer|contractor|builder|caretaker|carer|agent|rep|representative
|employee|employer|intern|director|ceo|cto|cfo|coo|founder|co-founder|owner|editor|author""".replace("\n", "")
_ROLES = _RELATIONS + r"|he/him|she/her|they/them|vp|head of [a-z]+|lead|chair|chairman|chairwoman|president"
_INTERJECTIONS = r"""ok|okay|thanks|thank you|many thanks|yes|no|sure|sorry|well|right|alright|hi|hello|hey
|great|perfect|got it|understood|noted|good morning|good afternoon|good evening|morning|welcome|bye
|goodbye|of course|absolutely|certainly|congratulations|congrats|cheers|dear|hiya|howdy""".replace("\n", "")
_POSSESSIVE = r"(?:my|our|your|his|her|their)"

_SENTENCE = r"(?:^|(?<=[.!?:;\n])|(?<=[.!?:;][ \t])|(?<=[.!?:;][\"”'’)][ \t]))"
_QUOTED = r"(?:[\"”“'’][ \t]*|[,!?][ \t]*[\"”“'’]?[ \t]*)"

TITLE, CUE, VERB = "title", "cue", "verb"
# (pattern, score, kind[, needles]): the named group `value` is the name. Every match holds one
# of the needles, in any case: a text without any (folded, see recognizers.folded) is not searched.
_SHAPES = [
    (rf"(?<![\w.-]){_TITLE},?[ \t]+(?P<value>{_NAME})", 0.6, TITLE),
    (rf"(?<![\w-])(?P<value>[^\W\d_]+)-{_SUFFIX}\b", 0.6, TITLE,
     ("-san", "-sama", "-kun", "-chan", "-sensei", "-senpai", "-dono", "-ssi", "-nim")),
    (rf"(?i:\b(?:{_CUES}))[,:]?[ \t]+(?P<value>{_NAME})", 0.5, CUE,
     ("spok", "speak", "talk", "chatted with", "met with", "meeting with", "from", "signed", "sent by",
      "under the name", "in the name of", "registered ", "addressed to", "belong", "made out to", "on behalf of",
      "payable to", "issued to", "c/o", "care of", "cc,", "cc:", "cc ", "cc\t", "cc'd", "ccd", "cc'ing", "ccing")),
    (rf"(?i:\b{_POSSESSIVE}[ \t]+(?:{_RELATIONS}))[ \t]*,?[ \t]+(?P<value>{_NAME})", 0.55, CUE),
    (rf"{_SENTENCE}[ \t]*(?i:{_INTERJECTIONS})[,!]?[ \t]+(?P<value>{_NAME})[ \t]*(?=[,.!?]|$)", 0.5, CUE),
    (rf"{_QUOTED}(?:said|asked|replied|added|wrote|answered|explained|continued|whispered|shouted|cried"
     rf"|laughed|says|asks|replies)[ \t]+(?P<value>{_NAME})", 0.55, CUE,
     ("said", "asked", "replied", "added", "wrote", "answered", "explained", "continued", "whispered", "shouted",
      "cried", "laughed", "says", "asks", "replies")),
    (rf"\b(?:[Mm]e|I)[ \t]+(?:and|&)[ \t]+(?P<value>{_NAME})", 0.5, CUE),
    # What follows a name, in one pattern: a verb said of people (kind VERB), a role in brackets
    # or after a comma, "is my landlord", "and I".
    (rf"(?<![\w'’-])(?P<value>{_NAME})(?:[ \t]+(?P<verb>{_VERBS})\b|[ \t]*\((?i:{_ROLES})\b[^)\n]{{0,40}}\)"
     rf"|,[ \t]+(?i:{_POSSESSIVE}|the)[ \t]+(?i:{_ROLES})\b|[ \t]+(?:is|was)[ \t]+{_POSSESSIVE}[ \t]+(?i:{_RELATIONS})\b"
     rf"|[ \t]+(?:and|&)[ \t]+(?:I|me)\b)", 0.5, CUE),
]
# The same cues and verbs in a text all in lower case, where a name is a word like any other.
_LOWER_SHAPES = [
    (rf"\b(?:this is|i'?m|i am|my name is|speak to|speak with|spoke to|spoke with|talk to|ask|ask for"
     rf"|{_POSSESSIVE} (?:{_RELATIONS})|{_INTERJECTIONS}|dear)[,:]?[ \t]+(?P<value>{_LOWER}(?:[ \t]+{_LOWER})?)", 0.45),
    (rf"(?:^|(?<=[.!?\n])[ \t]*|(?<=[.!?][ \t]))(?P<value>{_LOWER}(?:[ \t]+{_LOWER})?)[ \t]+(?:{_VERBS})\b", 0.45),
]
_ARTICLE_BEFORE = re.compile(r"(?:^|\W)(?:the|a|an|this|that|these|those|its|my|our|your|their|his|her)[ \t]+$",
                             re.IGNORECASE)


class NameShapeRecognizer(LocalRecognizer):
    """Capitalised names announced by the sentence around them (see the module docstring)."""

    def __init__(self, nlp: Any = None, supported_language: str = "en") -> None:
        self.nlp = nlp
        self.names: Gazetteer | None = None
        self.shapes = [(re.compile(p, re.MULTILINE), score, kind, needles[0] if needles else ())
                       for p, score, kind, *needles in _SHAPES]
        self.lower_shapes = [(re.compile(p, re.MULTILINE), score) for p, score in _LOWER_SHAPES]
        super().__init__(supported_entities=["PERSON"], supported_language=supported_language,
                         name="NameShapeRecognizer")

    def load(self) -> None:
        self.names = gazetteer(self.nlp)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if self.names is None:
            self.load()
        out, seen = [], set()
        if text.islower():  # all in lower case (and some letters)
            found = [(m, score, None) for pattern, score in self.lower_shapes for m in pattern.finditer(text)]
        else:
            low = folded(text)
            found = [(m, score, VERB if m.groupdict().get("verb") else kind)
                     for pattern, score, kind, needles in self.shapes
                     if not needles or any(n in low for n in needles) for m in pattern.finditer(text)]
        for m, score, kind in found:
            span = self._lower_name(text, *m.span("value")) if kind is None \
                else self._name(text, *m.span("value"), kind)
            if span is not None and span not in seen:
                seen.add(span)
                out.append(_result("PERSON", span[0], span[1], score, self))
        return out

    def _name(self, text: str, start: int, end: int, kind: str) -> tuple[int, int] | None:
        """(start, end) of the name in text[start:end], or None when it does not look like one."""
        g = self.names
        assert g is not None
        words = [(start + w.start(), start + w.end(), w.group()) for w in _WORD.finditer(text[start:end])]
        if words and words[-1][2].endswith(("'s", "’s")):  # "Qarvendi's": the name without its ending
            s, e, w = words[-1]
            words[-1] = (s, e - 2, w[:-2])
        # Leading ordinary words are not part of the name: "Yesterday Qarvendi said".
        while len(words) > 1 and kind != TITLE and g.is_common(words[0][2]) \
                and not (g.is_first(words[0][2]) and g.is_last(words[-1][2])):
            words = words[1:]
        core = [w for w in words if w[2].casefold() not in PARTICLES and not (len(w[2]) == 1 and w[2].isupper())]
        if not core or not words[0][2][:1].isupper():
            return None
        for _, _, word in core:
            key = word.casefold()
            if key in ORG_WORDS or key in THING_AFTER or key in _PLACE_AFTER or key in _NOT_NAMES:
                return None
            if len(word) > 1 and word.isupper() and not (g.is_first(word) or g.is_last(word)):
                return None  # an acronym
            if g.is_common(word) and not (g.is_first(word) or g.is_last(word)):
                return None
        if all(g.is_common(w[2]) for w in core) and (kind == VERB or len(core) == 1 and kind != TITLE):
            return None  # "Will said", "Grace called": too often the word itself
        if kind != TITLE and all(w[2].casefold() in g.nouns and not (g.is_first(w[2]) or g.is_last(w[2]))
                                 for w in core):
            return None  # "spoke with Amazon", "Yes, Canada.": a place or a company the dictionary knows
        start, end = words[0][0], words[-1][1]
        if len(text[start:end]) < 2 or _a_place(text, start, end, []):
            return None
        if kind != TITLE and _ARTICLE_BEFORE.search(text, max(0, start - 8), start):
            return None  # "the Tempo said": a thing
        return start, end

    def _lower_name(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """In lower-case text: a known name that is no English word, and a surname after it that
        is no English word either."""
        g = self.names
        assert g is not None
        words = [(start + w.start(), start + w.end(), w.group()) for w in _WORD.finditer(text[start:end])]
        if not words:
            return None
        first = words[0][2]
        if len(first) < 3 or g.is_common(first) or not (g.is_first(first) or g.is_last(first)):
            return None
        if len(words) > 1 and not g.is_common_form(words[1][2]) and len(words[1][2]) >= 3 \
                and words[1][2].casefold() not in ORG_WORDS:
            return words[0][0], words[1][1]
        return words[0][0], words[0][1]


def extend_names(text: str, spans: Iterable[tuple[int, int]], names: Gazetteer) -> list[tuple[int, int]]:
    """Each (start, end) of a found name, widened over the name-like words next to it: "Maria
    Qarvendi" when "Maria" was found, "Van der Merwe" for "Merwe". A name-like word is
    capitalised, no ordinary English word, no acronym, no title, no word of organisations, places
    or things, and not followed by one ("Maria Eco mode"); a word that starts a sentence is not
    taken before a name."""
    out, done = [], {}
    for start, end in spans:
        if (start, end) in done:  # several recognizers find the same name
            out.append(done[start, end])
            continue
        found_at, found_end = start, end
        for _ in range(2):
            m = _WORD.match(text, end + 1) if text[end:end + 1] == " " else None
            if m is not None and m.group().casefold() in PARTICLES and m.group().islower():
                after = _WORD.match(text, m.end() + 1) if text[m.end():m.end() + 1] == " " else None
                m = after if after is not None and _name_like(text, after, names) else None
            if m is None or not _name_like(text, m, names):
                break
            end = m.end() - (2 if m.group().endswith(("'s", "’s")) else 0)
        for _ in range(3):
            before = _WORD_BEFORE.search(text[max(0, start - 40):start])
            if before is None:
                break
            at = max(0, start - 40) + before.start("w")
            word = before.group("w")
            if word.casefold() in PARTICLES and word.islower():
                start = at  # "der" of "Van der Merwe", taken only with a name-like word before it
                continue
            m = _WORD.match(text, at)
            if m is None or not _name_like(text, m, names) or _ARTICLE_BEFORE.search(text, max(0, at - 8), at) \
                    or _starts_sentence(text, at) and not (names.is_first(word) or names.is_last(word)):
                break
            start = at
        # A particle left at the start without a name before it is not part of the name.
        while start < found_at and (w := _WORD.match(text, start)) is not None \
                and w.group().casefold() in PARTICLES and w.group().islower():
            start = w.end() + 1
        done[found_at, found_end] = (start, end)
        out.append((start, end))
    return out


def _name_like(text: str, m: re.Match[str], names: Gazetteer) -> bool:
    word = m.group()
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    key = word.casefold()
    if not word[:1].isupper() or len(word) < 2 or word.isupper() or names.is_common(word) \
            or key in ORG_WORDS or key in THING_AFTER or key in _PLACE_AFTER or key in _NOT_NAMES \
            or key in _TITLE_WORDS:
        return False
    after = _WORD.match(text, m.end() + 1) if text[m.end():m.end() + 1] == " " else None
    return not (after is not None and (after.group().casefold() in THING_AFTER or after.group().casefold()
                                       in ORG_WORDS or after.group().casefold() in _PLACE_AFTER))


def _starts_sentence(text: str, start: int) -> bool:
    return not text[:start].strip() or text[:start].rstrip()[-1] in ".!?:;\"“”(\n"


_WORD_BEFORE = re.compile(r"(?:^|[^\w'’-])(?P<w>[^\W\d_]+(?:['’-][^\W\d_]+)*) $")  # the word before a name
_TITLE_WORDS = frozenset(t.casefold() for t in _TITLES) | {"ing", "dipl", "m"}


def title_or_particle(word: str) -> bool:
    """A title ("Sra", "Herr") or a particle ("la", "van") written before a name."""
    return word.casefold() in _TITLE_WORDS or word.casefold() in PARTICLES
