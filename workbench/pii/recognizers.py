"""Recognizers Presidio lacks, added to its own: names after a cue, phone numbers written the
way people outside the eight default regions write them, 19-digit cards, street addresses,
and the user's deny lists and patterns.

Imported only when a scan is built (it imports presidio_analyzer).
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, PhoneRecognizer


def _result(entity: str, start: int, end: int, score: float, recognizer: EntityRecognizer) -> RecognizerResult:
    return RecognizerResult(
        entity, start, end, score,
        analysis_explanation=AnalysisExplanation(recognizer.name, score, pattern_name=entity.lower()),
        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
                              RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id},
    )


class RegexGroupRecognizer(LocalRecognizer):
    """Regexes whose named group `value` is the entity; the rest of the match is its cue."""

    PATTERNS: list[tuple[str, float]] = []
    ENTITY = ""
    FLAGS = re.MULTILINE

    def __init__(self, supported_language: str = "en") -> None:
        self.compiled = [(re.compile(p, self.FLAGS), score) for p, score in self.PATTERNS]
        super().__init__(supported_entities=[self.ENTITY], supported_language=supported_language,
                         context=getattr(self, "CONTEXT", None))

    def load(self) -> None:
        pass

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        return True

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        out = []
        for pattern, score in self.compiled:
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
_FULL_NAME = rf"{_UPPER_NAME}(?:[ \t]+(?:{_INITIAL}[ \t]+)?{_UPPER_NAME}){{0,2}}"

# Words that follow a cue but are not names ("I'm Sorry", "this is Quillfield support").
_NOT_NAMES = frozenset("""
a an the i i'm im it its it's this that there here he she they we you your my our me us
sorry afraid not so very just still also now back home here calling writing having trying going
looking glad happy sure new from with on in at for to of and or but yes no ok okay hi hello hey
thanks thank please dear sir madam team support customer care service all everyone everybody
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
         rf"|\bmaiden name is|\bname on the (?:account|acount|card|order)(?: is)?:?)[ \t]+(?P<value>{_CAP}(?:[ \t]+{_CAP})?)", 0.75),
        # A form field: "Directed By: Leena O Sasi", "Contact: ...", "Attn: ...".
        (rf"(?i:\b(?:by|contact|attn|attention|signed|author|customer|client|patient|employee|from|to|cc)"
         rf"[ \t]*:)[ \t]*(?P<value>{_FULL_NAME})[ \t]*$", 0.6),
        # Titles and salutations before a capitalised name.
        (rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Dear|Hi|Hello|Hey|Thanks|Thank you|Regards|Cheers"
         rf"|Sincerely|Best)\.?,?[ \t]+(?P<value>{_FULL_NAME})", 0.6),
        # A sign-off: the name alone on the line after "Regards," or "Thanks,".
        (rf"(?i:\b(?:regards|thanks|thank you|cheers|sincerely|best|yours))[,!.]?[ \t]*\n[ \t]*(?P<value>{_FULL_NAME})[ \t]*$", 0.6),
        # Family and work relations announce a name: "my kid Lukas", "my boss, Dana Reyes".
        (rf"(?i:\bmy (?:kid|son|daughter|child|wife|husband|partner|mother|mom|mum|father|dad|brother"
         rf"|sister|friend|boss|manager|colleague|neighbou?r|grandmother|grandfather|uncle|aunt|cousin"
         rf"|landlord|tenant|roommate|fianc[eé]e?),?)[ \t]+(?P<value>{_FULL_NAME})", 0.6),
        # A capitalised name before a verb said of people: "Timotea lives on ...", "Ley began writing".
        (rf"(?:^|(?<=[.!?]\s)|(?<=[,;:]\s))(?P<value>{_FULL_NAME})[ \t]+(?:lives|lived|was born|is from|comes from"
         rf"|said|says|told|asked|wrote|writes|shouted|married|died|works|worked|began|had given|has given"
         rf"|will be talking|is very|was very)\b", 0.5),
        # Addressing someone by name at the start: "Danial, can I please speak to your boss?"
        (rf"(?:^|(?<=[\n]))(?P<value>{_UPPER_NAME}),[ \t]+(?i:can|could|would|will|please|do|did|are|is|have|I|we|you)\b", 0.5),
        # Someone's relatives: "Amanda's daughter".
        (rf"(?P<value>{_FULL_NAME})['’]s[ \t]+(?i:daughter|son|wife|husband|mother|father|brother|sister|"
         rf"friend|boss|killers?|family|children|kids|parents|partner)\b", 0.6),
        # I'm / this is + a capitalised name.
        (rf"(?i:\bI'?m|\bI am|\bthis is|\bit's|\bspeak(?:ing)? (?:to|with)|\bask for)[ \t]+(?P<value>{_FULL_NAME})", 0.5),
    ]

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        from spacy.lang.en.stop_words import STOP_WORDS

        words = [w.lower().strip(".,") for w in value.split()]
        if words[0] in _NOT_NAMES or words[0] in STOP_WORDS or len(value) < 2:
            return False
        # "Quillfield Customer Care", "Thanks Team": an organisation signs, not a person.
        return not any(w in _NOT_PERSON_WORDS or (i and w in STOP_WORDS) for i, w in enumerate(words))


# Words that make a capitalised phrase an organisation or a place rather than a person.
_NOT_PERSON_WORDS = frozenset("""
inc ltd llc plc corp corporation co company companies group holdings bank university college
school academy institute foundation association society club team league council committee
ministry department agency office services service solutions systems technologies technology
tech software labs lab studio studios partners associates consulting media news networks
network international global industries industry energy home house homes hotel hospital
clinic center centre church museum library airport station street avenue road city
county state republic kingdom united north south east west new san santa los las el la le
saint st fort port mount lake river island islands valley beach bay market markets store shop
email e-mail phone mobile address
app apps cloud online data public explorer support care customer account settings menu
weekly times journal magazine records music orchestra band festival
""".split())

# A span the language model calls a person that holds one of these words is a company, a team
# or an interface label ("Acme Support", "Customer Care", "Download PDF"), never a person.
_NEVER_IN_A_NAME = frozenset("""
inc ltd llc plc corp corporation company group holdings bank university college school institute
foundation association team support care customer service services app settings menu account
email password download pdf login update regards thanks cheers sincerely
""".split())


def not_a_name(value: str) -> bool:
    """True for a PERSON span that is certainly not a person's name."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = [w.lower().strip(".,:;!?'’\"()") for w in value.split()]
    return any(w in _NEVER_IN_A_NAME for w in words) or (len(words) == 1 and words[0] in STOP_WORDS)


_NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:['’-][^\W\d_]+)*$")
_INITIAL_TOKEN = re.compile(r"^[A-Z]\.?$")


class NerNameRecognizer(LocalRecognizer):
    """Full names that the small spaCy model calls an organisation, place or work of art.

    en_core_web_sm often labels an unfamiliar full name ("Tomomi Nishiyama", "Miklós Hajdu")
    ORG or GPE. A span of two or three capitalised words (an initial allowed between), none of
    them a word of organisations or places, is taken as a name.
    """

    LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "PRODUCT", "EVENT"})

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_entities=["PERSON"], supported_language=supported_language)

    def load(self) -> None:
        pass

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
            while words and words[-1].is_punct:
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
         rf"[ \t]*,?[ \t]*$(?=\n[ \t>]*\S|\n\n[ \t>]*\S)", 0.5),
        # A lower-case text ("naomi ryan\nsewer pipe cleaner ..."): the first line, two words.
        (r"\A[ \t>*-]*(?P<value>[a-zà-öø-ÿ][a-zà-öø-ÿ'-]+[ \t]+(?:[a-z]\.?[ \t]+)?[a-zà-öø-ÿ][a-zà-öø-ÿ'-]+)[ \t]*$(?=\n)", 0.45),
    ]

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        if match.re.pattern.startswith(r"\A") and any(c.isupper() for c in text):
            return False
        words = [w.lower().strip(".,") for w in value.split()]
        return not any(w in _NOT_PERSON_WORDS or w in _NOT_NAMES for w in words)


class NameListRecognizer(LocalRecognizer):
    """The other items of a list of first names ("Efimiya, Mary, Ariana, Isabel and Jodi") when
    the model recognised at least half of them as people."""

    LIST = re.compile(r"(?<![\w,] )\b(?P<items>{n}(?:,[ \t]*{n})*,?[ \t]+(?:and|&)[ \t]+{n})\b".format(
        n=r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]+"))

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_entities=["PERSON"], supported_language=supported_language)

    def load(self) -> None:
        pass

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


class PhoneGroupsRecognizer(RegexGroupRecognizer):
    """Phone numbers in digit groups, as written outside the US ("699 956 915", "(37) 788-063").

    Presidio's phone recognizer only knows eight regions and scores numbers from elsewhere
    0.4; these shapes are scored on their own, higher when a phone word is near.
    """

    ENTITY = "PHONE_NUMBER"
    CONTEXT = ["phone", "mobile", "cell", "call", "tel", "telephone", "fax", "office", "desk", "number",
               "reach", "text", "sms", "whatsapp", "answering", "contact", "registered"]
    PATTERNS = [
        # 2-4 digit groups separated by one space, dot or dash, or a bracketed area code.
        (r"(?<![\w+.-])(?P<value>(?:\+\d{1,6}[ .-]?)?(?:\(\d{1,4}\)[ ]?|\d{2,4}[ .-])(?:\d{2,4}[ .-]){0,3}\d{2,6}"
         r"(?:[ \t]*(?:x|ext\.?)[ \t]*\d{1,6})?)(?![\w.-]?\d)(?!\.\d)", 0.45),
    ]

    def accept(self, value: str, match: re.Match[str], text: str) -> bool:
        value = re.sub(r"[ \t]*(?:x|ext\.?)[ \t]*\d+$", "", value)  # the extension
        digits = sum(c.isdigit() for c in value)
        if not 7 <= digits <= (15 if value.startswith("+") else 12):
            return False
        seps = {c for c in value if c in ".- "}
        if len(seps) > 1 and "(" not in value:
            return False  # "12-3 45.6" mixes separators: a list of numbers, not a phone
        groups = re.split(r"[ .()-]+", value.strip("()+"))
        groups = [g for g in groups if g]
        if len(groups) < 2:
            return False
        # Dates (2003-08-28, 28.08.2003) and times are not phones.
        if len(groups) == 3 and (len(groups[0]) == 4 or len(groups[2]) == 4) and "(" not in value \
                and "+" not in value and min(len(g) for g in groups) <= 2:
            return False
        return True


class WindowedPhoneRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer, run only on the stretches of text that hold 7+ digits.

    python-phonenumbers tries every digit run of the whole text in each of eight regions
    (years, house numbers, prices); it was a third of the scan's time. The windows keep one
    character on each side, so its own boundary checks see what they would have seen.
    """

    WINDOW = re.compile(r"[+(]?\d[\d \t().\-/]{5,30}\d(?:[ \t]*(?:x|ext\.?|extension|#)[ \t]*\d{1,6})?")

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_language=supported_language, name="PhoneRecognizer")
        # A number written with its country code parses the same in every region: one is enough.
        self.international = PhoneRecognizer(supported_language=supported_language, name="PhoneRecognizer",
                                             supported_regions=self.supported_regions[:1])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        out = []
        for m in self.WINDOW.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            if not 7 <= digits <= 18:  # longer runs are card or account numbers
                continue
            a, b = max(0, m.start() - 1), min(len(text), m.end() + 1)
            parse = self.international.analyze if m.group().startswith("+") else super().analyze
            for r in parse(text[a:b], entities, None):
                r.start += a
                r.end += a
                r.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] = self.id
                out.append(r)
        return EntityRecognizer.remove_duplicates(out)


class LongCardRecognizer(CreditCardRecognizer):
    """Credit cards of 13 to 19 digits; Presidio's pattern stops at 17 (Luhn still decides)."""

    PATTERNS = CreditCardRecognizer.PATTERNS + [
        Pattern("Card numbers of 17-19 digits (weak)",
                r"\b(?:4\d{3}|5[0-5]\d{2}|6\d{3}|3\d{3}|2\d{3})(?:[- ]?\d{4}){3}[- ]?\d{1,3}\b", 0.3),
        Pattern("Mastercard 2-series (weak)", r"\b2[2-7]\d{2}(?:[- ]?\d{4}){3}\b", 0.3),
        Pattern("JCB 15 digits (weak)", r"\b(?:2131|1800)[- ]?\d{4}[- ]?\d{4}[- ]?\d{3}\b", 0.3),
        Pattern("Maestro 12-19 digits (weak)", r"\b(?:50|5[6-9]|6\d)\d{10,17}\b", 0.3),
    ]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(patterns=self.PATTERNS, supported_language=supported_language,
                         name="CreditCardRecognizer")


_STREET_WORDS = (r"Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Boulevard|Blvd|Way|Court|Ct|Place|Pl"
                 r"|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close"
                 r"|Gardens|Row|Mews|Strasse|Straße|Str|Weg|Gasse|Platz|Rue|Via|Calle|Avenida|Laan|Vej|Gata|Gate|Katu|Tie")


class StreetAddressRecognizer(RegexGroupRecognizer):
    """A house number, street name and street word, with the town, state and ZIP that follow."""

    ENTITY = "STREET_ADDRESS"
    FLAGS = re.MULTILINE
    CONTEXT = ["address", "street", "live", "lives", "ship", "deliver", "delivery", "billing", "install"]
    PATTERNS = [
        (rf"(?P<value>\b\d{{1,6}}[A-Za-z]?(?:[ \t]+[A-ZÀ-Ž][\w'.-]*){{1,4}}[ \t]+(?:{_STREET_WORDS})\b\.?"
         rf"(?:,?[ \t]+(?:Apt|Apartment|Suite|Unit|Ste|Fl|Floor|#)\.?[ \t]*#?\w+)?"
         rf"(?:,[ \t]*[A-Z][\w .'-]+?(?:,[ \t]*[A-Z]{{2}})?(?:[ \t]+\d{{5}}(?:-\d{{4}})?)?(?=[.,;)]?(?:\s|$)))?)", 0.55),
        # Continental order: street word first or joined, then the number ("Feldstrasse 42").
        (rf"(?P<value>\b(?:[A-ZÀ-Ž][\w'-]*[ \t]+)?[A-ZÀ-Ž]\w*(?:strasse|straße|weg|gasse|platz|vej|gata|gatan|katu|laan)"
         rf"[ \t]+\d{{1,5}}[a-z]?\b)", 0.5),
    ]


def deny_list_recognizers(deny: dict[str, list[str]], language: str) -> list[EntityRecognizer]:
    """One recognizer per entity whose listed words are always that entity."""
    return [PatternRecognizer(supported_entity=entity, deny_list=list(words), name=f"deny_list_{entity}",
                              supported_language=language)
            for entity, words in sorted(deny.items()) if words]


def pattern_recognizers(patterns: list[dict[str, Any]], language: str) -> list[EntityRecognizer]:
    """The user's regexes: [{entity, regex, score?, context?}]."""
    out = []
    for i, spec in enumerate(patterns):
        out.append(PatternRecognizer(
            supported_entity=spec["entity"], name=f"pattern_{spec['entity']}_{i + 1}",
            patterns=[Pattern(f"{spec['entity']} pattern {i + 1}", spec["regex"], float(spec.get("score", 0.85)))],
            context=spec.get("context"), supported_language=language,
        ))
    return out
