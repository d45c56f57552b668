"""Recognizers Presidio lacks, added to its own: names announced by a cue ("my name is ...",
"Dr. ...", a sign-off), full names the model calls something else, names in lists and on lines
of their own. The shared base for regex recognizers with a `value` group is here too, and
`WordClasses`, the word tests that rule a text out before slow regexes run.

Number recognizers are in patterns.py, street addresses in addresses.py, the name-list rules in
name_rules.py.
Imported only when a scan is built (it imports presidio_analyzer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult

from .names import ORG_WORDS


def _result(entity: str, start: int, end: int, score: float, recognizer: EntityRecognizer) -> RecognizerResult:
    return RecognizerResult(
        entity, start, end, score,
        analysis_explanation=AnalysisExplanation(recognizer.name, score, pattern_name=entity.lower()),
        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
                              RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id},
    )


class WordClasses:
    """Which of some regexes match a word of a text, to skip a text (or a window of it) where a
    slow regex that needs such a word cannot match.

    A word is a run of \\w with the "." or "/" after it ("Hauptstr.", "c/"), cut where the window
    ends, as the slow regex would see it there. A regex is tried at the word's start and reads
    nothing after it but a (?![\\w]); each needs a letter, so a number is no word. Each distinct
    word is tested once and remembered: texts differ, their vocabulary repeats.
    """

    RUN = re.compile(r"\w+")
    LIMIT = 100_000  # distinct words remembered

    def __init__(self, regexes: Iterable[str]) -> None:
        self.bits = {regex: 1 << i for i, regex in enumerate(dict.fromkeys(regexes))}
        self.tests = [(bit, re.compile(regex)) for regex, bit in self.bits.items()]
        self.known: dict[str, int] = {}

    def of(self, text: str, start: int = 0, stop: int | None = None) -> int:
        """The bits of the regexes that match a word of text[start:stop]."""
        stop = len(text) if stop is None else stop
        found = 0
        for m in self.RUN.finditer(text, start, stop):
            word = m.group()
            if word.isdigit():
                continue
            if m.end() < stop and text[m.end()] in "./":
                word += text[m.end()]
            bits = self.known.get(word)
            if bits is None:
                if len(self.known) > self.LIMIT:
                    self.known.clear()
                bits = self.known[word] = sum(bit for bit, test in self.tests if test.match(word))
            found |= bits
        return found


# The characters other than ASCII letters that a case-insensitive regex takes for one ("ſ" for
# "s"); str.lower() does the rest (the Kelvin sign's "k" too).
_FOLD = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})


def folded(text: str) -> str:
    """The text in lower case as far as a needle of a case-insensitive regex goes: a match of
    "(?i:name)" in the text is "name" in the folded text."""
    if text.isascii() or not ("İ" in text or "ı" in text or "ſ" in text):
        return text.lower()
    return text.translate(_FOLD).lower()


class RegexGroupRecognizer(LocalRecognizer):
    """Regexes whose named group `value` is the entity; the rest of the match is its cue.

    A pattern may come with needles: strings in lower case of which every match holds one (in
    any case). A text without any of them, folded, is not searched: the regexes read every
    position of the text, a needle is looked up at C speed.
    """

    PATTERNS: list[tuple[Any, ...]] = []  # (regex, score) or (regex, score, needles)
    ENTITY = ""
    FLAGS = re.MULTILINE

    def __init__(self, supported_language: str = "en") -> None:
        self.compiled = [(re.compile(p, self.FLAGS), score, needles[0] if needles else ())
                         for p, score, *needles in self.PATTERNS]
        super().__init__(supported_entities=[self.ENTITY], supported_language=supported_language,
                         context=getattr(self, "CONTEXT", None))

    def load(self) -> None:
        pass

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        return True

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        out = []
        low = None
        for pattern, score, needles in self.compiled:
            if needles:
                low = folded(text) if low is None else low
                if not any(n in low for n in needles):
                    continue
            for m in pattern.finditer(text):
                start, end = m.span("value")
                value = text[start:end]
                while value and value[-1] in " .,;:'\"":  # trailing punctuation is not the value
                    value, end = value[:-1], end - 1
                if value[-2:] in ("'s", "’s"):  # nor is a possessive ending
                    value, end = value[:-2], end - 2
                if value and self.accept(value, m, text):
                    out.append(_result(self.ENTITY, start, end, score, self))
        return out


# A name word: a capital followed by letters (any script), or a lower-case word where the cue
# makes a name certain ("my name is borna").
_CAP = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
_UPPER_NAME = r"(?:[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:['’-][^\W\d_]+)*)"
_INITIAL = r"(?:[A-Z]\.?)"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|dos|du|le|la|ten|ter|bin|ibn|al|el)"  # "Anna van der Berg"
_FULL_NAME = rf"{_UPPER_NAME}(?:[ \t]+(?:{_INITIAL}[ \t]+)?(?:{_PARTICLE}[ \t]+){{0,2}}{_UPPER_NAME}){{0,2}}"

# Words that follow a cue but are not names ("I'm Sorry", "this is Quillfield support").
_NOT_NAMES = frozenset("""
a an the i i'm im it its it's this that there here he she they we you your my our me us
sorry afraid not so very just still also now back home here calling writing having trying going
looking glad happy sure new from with on in at for to of and or but yes no ok okay hi hello hey
thanks thank thx thnx thanx ty tysm please dear sir madam team support customer care service all
everyone everybody
mr mrs ms miss dr prof user assistant agent admin manager
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december
""".split())


class PersonCueRecognizer(RegexGroupRecognizer):
    """Names that a phrase announces: "my name is borna jerković", "Dr. Kuznetsov", "Name: Ana"."""

    ENTITY = "PERSON"
    FLAGS = re.MULTILINE
    PATTERNS = [
        # The cue makes the next one or two words a name, whatever their case.
        (rf"(?i:\bmy name is|\bmy name's|\bcall me|\bname:|\bnamed|\bcalled|\bsurname is"
         rf"|\blast name is|\bfirst name is|\bfull name is|\bname\?|\bname on the account is"
         rf"|\bmaiden name is|\bname on the (?:account|acount|card|order)(?: is)?:?)[ \t]+(?P<value>{_CAP}(?:[ \t]+{_CAP})?)", 0.75,
         ("name", "call")),
        # A form field: "Directed By: Leena O Sasi", "Contact: ...", "Attn: ...".
        (rf"(?i:\b(?:by|contact|attn|attention|signed|author|customer|client|patient|employee|from|to|cc)"
         rf"[ \t]*:)[ \t]*(?P<value>{_FULL_NAME})[ \t]*$", 0.6, (":",)),
        # Titles and salutations before a capitalised name.
        (rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Mme|Mlle|Dear|Hi|Hello|Hey|Thanks|Thank you|Regards"
         rf"|Cheers|Sincerely|Best|Rev|Fr|Capt|Sgt|Lt|Col|Cpl|Det|Insp|Hon|Dame|Lord|Lady|Rabbi|Imam|Pastor"
         rf"|Herr|Frau|Sr|Sra|Srta)\.?,?[ \t]+(?P<value>{_FULL_NAME})", 0.6),
        # The same in lower case, where the full stop tells "dr." the title from "dr" the drive.
        (r"(?i:\b(?:mr|mrs|ms|mx|dr|prof|rev|capt|sgt)\.)[ \t]*(?P<value>[^\W\d_][^\W\d_'’-]+)", 0.5,
         ("mr.", "mrs.", "ms.", "mx.", "dr.", "prof.", "rev.", "capt.", "sgt.")),
        # A sign-off: the name alone on the line after "Regards," or "Thanks,".
        (rf"(?i:\b(?:regards|thanks|thank you|cheers|sincerely|best|yours))[,!.]?[ \t]*\n[ \t]*(?P<value>{_FULL_NAME})[ \t]*$", 0.6, ("\n",)),
        # Family and work relations announce a name: "my kid Lukas", "my boss, Dana Reyes".
        (rf"(?i:\bmy (?:kid|son|daughter|child|wife|husband|partner|mother|mom|mum|father|dad|brother"
         rf"|sister|friend|boss|manager|colleague|neighbou?r|grandmother|grandfather|uncle|aunt|cousin"
         rf"|landlord|tenant|roommate|fianc[eé]e?),?)[ \t]+(?P<value>{_FULL_NAME})", 0.6, ("my ",)),
        # A capitalised name before a verb said of people: "Timotea lives on ...", "Ley began writing".
        (rf"(?:^|(?<=[.!?]\s)|(?<=[,;:]\s))(?P<value>{_FULL_NAME})[ \t]+(?:lives|lived|was born|is from|comes from"
         rf"|said|says|told|asked|wrote|writes|shouted|married|died|works|worked|began|had given|has given"
         rf"|will be talking|is very|was very)\b", 0.5,
         ("live", "was born", "is from", "comes from", "said", "says", "told", "asked", "wrote", "writes", "shouted",
          "married", "died", "work", "began", "had given", "has given", "will be talking", "is very", "was very")),
        # Addressing someone by name at the start: "Danial, can I please speak to your boss?"
        (rf"(?:^|(?<=[\n]))(?P<value>{_UPPER_NAME}),[ \t]+(?i:can|could|would|will|please|do|did|are|is|have|I|we|you)\b", 0.5, (",",)),
        # Someone's relatives: "Amanda's daughter".
        (rf"(?P<value>{_FULL_NAME})['’]s[ \t]+(?i:daughter|son|wife|husband|mother|father|brother|sister|"
         rf"friend|boss|killers?|family|children|kids|parents|partner)\b", 0.6, ("'s", "’s")),
        # I'm / this is + a capitalised name.
        (rf"(?i:\bI'?m|\bI am|\bthis is|\bit's|\bspeak(?:ing)? (?:to|with)|\bask for)[ \t]+(?P<value>{_FULL_NAME})", 0.5),
    ]

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        from spacy.lang.en.stop_words import STOP_WORDS

        words = [w.lower().strip(".,") for w in value.split()]
        if words[0] in _NOT_NAMES or words[0] in STOP_WORDS or len(value) < 2:
            return False
        # "Quillfield Customer Care", "Thanks Team": an organisation signs, not a person.
        return not any(w in _NOT_PERSON_WORDS or (i and w in STOP_WORDS and not re.fullmatch(_PARTICLE, w))
                       for i, w in enumerate(words))


# Words that make a capitalised phrase an organisation, a place or a product rather than a person.
_NOT_PERSON_WORDS = ORG_WORDS | {"el", "la", "le", "explorer"}

# A span the language model calls a person that holds one of these words is a company, a team
# or an interface label ("Acme Support", "Customer Care", "Download PDF"), never a person.
_NEVER_IN_A_NAME = frozenset("""
inc ltd llc plc corp corporation company group holdings bank university college school institute
foundation association team support care customer service services app settings menu account
email password download pdf login update regards thanks cheers sincerely finance financial insurance
utilities utility electric plus pro lite app gateway sensor thermostat battery router mode kit adapter
""".split())


def not_a_name(value: str) -> bool:
    """True for a PERSON span that is certainly not a person's name."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = [w.lower().strip(".,:;!?'’\"()") for w in value.split()]
    if not words or words[0] == "the" or any(c.isdigit() for c in value):  # "The Rebate Finder", "V-422"
        return True
    return any(w in _NEVER_IN_A_NAME for w in words) or (len(words) == 1 and words[0] in STOP_WORDS)


_NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:['’-][^\W\d_]+)*$")
_INITIAL_TOKEN = re.compile(r"^[A-Z]\.?$")


class _FromModelDoc(LocalRecognizer):
    """A person recognizer that reads the spaCy doc Presidio has already made: nothing to load."""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_entities=["PERSON"], supported_language=supported_language)

    def load(self) -> None:
        pass


class NerNameRecognizer(_FromModelDoc):
    """Full names that the small spaCy model calls an organisation, place or work of art.

    en_core_web_sm often labels an unfamiliar full name ("Tomomi Nishiyama", "Miklós Hajdu")
    ORG or GPE. A span of two or three capitalised words (an initial allowed between), none of
    them a word of organisations or places, is taken as a name.
    """

    LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "PRODUCT", "EVENT"})

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        doc = getattr(nlp_artifacts, "tokens", None)
        if doc is None:
            return []
        lower_text = not any(c.isupper() for c in text)
        out = []
        for ent in doc.ents:
            if ent.label_ not in self.LABELS:
                continue
            words = [t for t in ent if not t.is_space and t.text not in ("'s", "’s", "'", "’")]
            while words and (words[-1].is_punct or words[-1].text.islower()):  # "Vidica Zakoč of"
                words.pop()
            if not 2 <= len(words) <= 4:
                continue
            if any(w.text.lower().strip(".") in _NOT_PERSON_WORDS or w.text.lower() in _NOT_NAMES
                   for w in words):
                continue
            names = [w for w in words if not _INITIAL_TOKEN.match(w.text)]
            if len(names) < 2 or _INITIAL_TOKEN.match(words[0].text) or _INITIAL_TOKEN.match(words[-1].text):
                continue
            if lower_text:
                ok = all(w.is_alpha for w in names)
            else:
                ok = all(_NAME_TOKEN.match(w.text) for w in names)
            if ok:
                out.append(_result("PERSON", words[0].idx, words[-1].idx + len(words[-1].text), 0.6, self))
        return out


class SignOffRecognizer(RegexGroupRecognizer):
    """The name that signs a message off on its last line: "- Tom", "Priya, Quillfield Support",
    "Thanks,\nChiara from Quillfield Support", "thx, Leah"."""

    ENTITY = "PERSON"
    FLAGS = re.MULTILINE
    PATTERNS = [
        (rf"\n[ \t]*(?:[-–—~][ \t]*)?(?:(?i:thanks|thank you|thx|cheers|best|regards|kind regards"
         rf"|best regards|sincerely|ta|love|yours)[,!.]?[ \t]+)?"
         rf"(?P<value>{_UPPER_NAME}(?:[ \t]+{_UPPER_NAME})?)"
         rf"(?:(?:[ \t]*,|[ \t]+from|[ \t]+-|[ \t]+at|[ \t]+@)[ \t]*[^\n]{{0,60}})?[ \t]*\s*\Z", 0.6),
    ]

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        from spacy.lang.en.stop_words import STOP_WORDS

        words = [w.lower().strip(".,") for w in value.split()]
        return not any(w in _NOT_PERSON_WORDS or w in _NOT_NAMES or w in STOP_WORDS for w in words)


class NameLineRecognizer(RegexGroupRecognizer):
    """A line that is nothing but a full name, heading a block of lines: a signature, the top of
    an address label or a contact card ("Gyala Antall\n3369 Clarke Avenue ...")."""

    ENTITY = "PERSON"
    FLAGS = re.MULTILINE
    PATTERNS = [
        (rf"^[ \t>*-]*(?P<value>{_UPPER_NAME}(?:[ \t]+{_INITIAL})?[ \t]+{_UPPER_NAME}(?:[ \t]+{_UPPER_NAME})?)"
         rf"[ \t]*,?[ \t]*$(?=\n[ \t>]*\S|\n\n[ \t>]*\S)", 0.5, ("\n",)),
        # A lower-case text ("naomi ryan\nsewer pipe cleaner ..."): the first line, two words.
        (r"\A[ \t>*-]*(?P<value>[a-zà-öø-ÿ][a-zà-öø-ÿ'-]+[ \t]+(?:[a-z]\.?[ \t]+)?[a-zà-öø-ÿ][a-zà-öø-ÿ'-]+)[ \t]*$(?=\n)", 0.45, ("\n",)),
    ]

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        if match.re.pattern.startswith(r"\A") and any(c.isupper() for c in text):
            return False
        words = [w.lower().strip(".,") for w in value.split()]
        return not any(w in _NOT_PERSON_WORDS or w in _NOT_NAMES for w in words)


class NameListRecognizer(_FromModelDoc):
    """The other items of a list of first names ("Efimiya, Mary, Ariana, Isabel and Jodi") when
    the model recognised at least half of them as people."""

    LIST = re.compile(r"(?<![\w,] )\b(?P<items>{n}(?:,[ \t]*{n})*,?[ \t]+(?:and|&)[ \t]+{n})\b".format(
        n=r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]+"))

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        doc = getattr(nlp_artifacts, "tokens", None)
        if doc is None or not doc.ents:
            return []
        people = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("PERSON", "PER")]
        out = []
        for m in self.LIST.finditer(text):
            items = [(i.start() + m.start("items"), i.end() + m.start("items"))
                     for i in re.finditer(r"[^\W\d_]+", m.group("items")) if i.group() not in ("and",)]
            known = sum(1 for a, b in items if any(a < pe and ps < b for ps, pe in people))
            if known * 2 >= len(items):
                out += [_result("PERSON", a, b, 0.6, self) for a, b in items
                        if text[a:b].lower() not in _NOT_NAMES]
        return out
