"""A small, dependency-free language guess for the "wrong language" review signal.

Texts in a non-Latin script are named by script (Cyrillic, Greek, Arabic, Hebrew, Devanagari,
Thai) or by language where the script tells (kana: ja, Hangul: ko, Han alone: zh). Latin-script
texts are scored by the share of their words that are among the most frequent function words of
seven languages; a guess needs a handful of words and a clear winner, otherwise it is None. That
is enough to notice an English dataset's reply in Spanish, not to tell Danish from Norwegian.
"""

from __future__ import annotations

import re
from collections import Counter

_WORDS = re.compile(r"[^\W\d_]+")

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the a and is are to of in i my you your it that this for with on have be not "
                    "can will do we what how please thanks was there would".split()),
    "de": frozenset("der die das und ist nicht ich sie es zu mit ein eine den dem auf für sich wir "
                    "auch bitte danke wie was sind haben kann".split()),
    "fr": frozenset("le la les et est vous je il des un une pour pas que qui dans sur avec ce nous "
                    "mais merci votre sont être au du".split()),
    "es": frozenset("el la los las y es que en un una por para con se su lo como más pero "
                    "gracias usted está son del al".split()),
    "it": frozenset("il lo la gli le e è di che un una per non con sono mi ti ci si grazie della "
                    "questo come anche del".split()),
    "pt": frozenset("o os as e é de que um uma para com não em da seu sua você obrigado está "
                    "são mais na".split()),
    "nl": frozenset("de het een en is van ik je niet dat die op te met voor zijn er maar ook "
                    "bedankt wat hoe u".split()),
}

_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("devanagari", re.compile(r"[\u0900-\u097f]")),
    ("thai", re.compile(r"[\u0e00-\u0e7f]")),
)
_LETTER = re.compile(r"[^\W\d_]")
# word -> the languages it is a function word of, for one pass over a text's words
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _vocab in FUNCTION_WORDS.items():
    for _word in _vocab:
        _LANGUAGES_OF[_word] = _LANGUAGES_OF.get(_word, ()) + (_lang,)
MAX_CHARS = 3000  # the opening of a text is enough to tell its language

MIN_WORDS = 5  # fewer words than this: no guess
MIN_SHARE = 0.08  # the winner's share of words that are its function words
MARGIN = 1.5  # the winner must beat the runner-up by this factor


def guess_language(text: str) -> str | None:
    """A language (or script) code for `text`, or None when it cannot tell."""
    if not text:
        return None
    text = text[:MAX_CHARS]
    if not text.isascii():  # only then can the script be anything but Latin
        letters = len(_LETTER.findall(text))
        if letters == 0:
            return None
        script_counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPTS}
        if script_counts["ja"] and script_counts["ja"] + script_counts["zh"] > letters / 2:
            return "ja"
        name, count = max(script_counts.items(), key=lambda kv: kv[1])
        if count > letters / 2:
            return name
    words = _WORDS.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    scores = Counter(lang for word in words if word in _LANGUAGES_OF for lang in _LANGUAGES_OF[word])
    if not scores:
        return None
    ranked = scores.most_common(2)
    best, best_hits = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if best_hits / len(words) < MIN_SHARE or best_hits < MARGIN * runner_up:
        return None
    return best
