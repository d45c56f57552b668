"""Number recognizers Presidio lacks or that it runs slowly: phone numbers written the way people
outside its eight regions write them, its phone recognizer on digit windows only, 19-digit
cards, and the user's deny lists and regexes. Street addresses are in addresses.py.

Imported only when a scan is built (it imports presidio_analyzer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, PhoneRecognizer

from .recognizers import RegexGroupRecognizer


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
        self._seen: dict[tuple[str, bool], tuple[tuple[int, int], ...]] = {}

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        out = []
        for m in self.WINDOW.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            if not 7 <= digits <= 18:  # longer runs are card or account numbers
                continue
            a, b = max(0, m.start() - 1), min(len(text), m.end() + 1)
            for start, end in self._numbers(text[a:b], m.group().startswith("+")):
                out.append(self._get_recognizer_result(_Match(a + start, a + end), text, "", None))
        return EntityRecognizer.remove_duplicates(out)

    def _numbers(self, window: str, international: bool) -> tuple[tuple[int, int], ...]:
        """(start, end) of the phone numbers in one window, remembered per window text.

        The regions are tried in turn, and once a number covers every digit of the window the
        other regions can only find it again or a part of it: they are skipped.
        """
        found = self._seen.get((window, international))
        if found is not None:
            return found
        # A number written with its country code parses the same in every region: one is enough.
        regions = self.supported_regions[:1] if international else self.supported_regions
        digits = [i for i, c in enumerate(window) if c.isdigit()]
        spans: list[tuple[int, int]] = []
        for region in regions:
            for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=self.leniency):
                spans.append((match.start, match.end))
            if any(s <= digits[0] and digits[-1] < e for s, e in spans):
                break
        found = tuple(sorted(set(spans)))
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[(window, international)] = found
        return found


@dataclass(frozen=True)
class _Match:
    """The part of a phonenumbers match that Presidio's result reads."""

    start: int
    end: int


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
