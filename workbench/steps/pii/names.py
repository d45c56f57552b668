"""What a name looks like: first names and surnames of many countries, and the English words that
are not names even when they are written with a capital ("Will", "Grant", "Summer").

The name lists come from Faker's person providers (every locale it ships, about 31,000 first
names and 30,000 surnames); the English words from spaCy's stop words, the verbs, adjectives and
adverbs of the model's lemmatizer tables (WordNet's), Faker's list of common English words and a
short list below. Both are built once per process, on first use (about half a second).

No Presidio or spaCy import at module level.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import threading
from dataclasses import dataclass
from typing import Any

# Ordinary English words that are also given names, which none of the word lists above holds
# (they are nouns there, and the noun list also holds every famous name, so it cannot be used).
NAME_WORDS = frozenset("""
summer autumn winter spring dawn dusk crystal amber ruby pearl jade ivy holly iris daisy lily violet
hazel heather rose olive sage willow river sky storm rain brook lake forest hunter page mason carter
porter cooper baker chase faith hope grace joy charity patience prudence honor honour liberty justice
destiny trinity harmony melody serenity unity star angel king prince duke earl baron major general
bishop dean deacon guy jack max gene ray drew lane wade cash chance sterling penny candy ginger cherry
brandy sherry echo genesis june april august may will bill mark grant frank rich pat sue art
dash virgin young white black green brown gray grey long short little small power price
field church street hall wood woods moon sun day night norman german french english christian
minor
bot user agent customer client assistant system admin support team staff operator caller host
guest member owner tenant landlord manager engineer technician installer driver
hi hello hey dear thanks cheers regards ok okay yes no sorry please welcome good morning thx ty tysm
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
""".split())

# Words of an organisation, a place, a product or a screen; a run of capitalised words holding
# one is not a person ("Stillwater Supercomputing Inc", "Bayline Power", "Customer Care").
ORG_WORDS = frozenset("""
inc ltd llc plc corp corporation co company companies group holdings bank university college school
academy institute foundation association society club team league council committee ministry
department agency office services service solutions systems technologies technology tech software
labs lab studio studios partners associates consulting media news networks network international
global industries industry energy electric electricity power utilities utility gas water telecom
home house homes hotel hospital clinic center centre church museum library airport station street
avenue road city county state republic kingdom united north south east west new san santa los las
saint st fort port mount lake river island islands valley beach bay market markets store shop mall
email e-mail phone mobile address app apps cloud online data public support care customer account
settings menu weekly times journal magazine records music orchestra band festival plus pro lite max
mini ultra premium edition version series model gateway sensor thermostat battery router kit adapter
""".split())

# Words that follow the name of a thing, not of a person: "Eco mode", "the Smart Shift feature".
THING_AFTER = frozenset("""
mode modes plan plans app apps subscription subscriptions setting settings feature features button buttons
menu screen tab model models kit series device devices sensor sensors unit units version versions update
updates firmware pro lite plus mini max schedule schedules program programme rebate portal website site
widget integration skill hub bridge card cards wallet membership tier bundle package range line
phone phones tablet tablets
""".split())

# Words written before a name that are not part of it, in lower-case text.
PARTICLES = frozenset("van von der den de del della di da das dos du le la ten ter bin ibn al el ben "
                      "bint mac mc ní nic ó ua".split())

_LETTERS = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")


@dataclass(frozen=True)
class Gazetteer:
    first: frozenset[str]  # casefolded
    last: frozenset[str]
    common: frozenset[str]  # English words that are not names on their own (casefolded)
    nouns: frozenset[str]  # English nouns, proper ones included (casefolded); empty without a model

    def is_first(self, word: str) -> bool:
        return word.casefold() in self.first

    def is_last(self, word: str) -> bool:
        return word.casefold() in self.last

    def is_common_form(self, word: str) -> bool:
        """A common word or an inflection of one ("marks", "holes", "boxes", "painted")."""
        key = word.casefold()
        return self.is_common(word) or any(
            key.endswith(end) and len(key) > len(end) + 2 and key[:-len(end)] + stem in self.common
            for end, stems in (("s", ("",)), ("es", ("",)), ("ed", ("", "e")), ("ing", ("", "e"))) for stem in stems)

    def is_common(self, word: str) -> bool:
        key = word.casefold().replace("’", "'")
        if key in self.common:
            return True
        # "I'm", "hasn't", "we're": a contraction of a common word is one
        head, _, tail = key.partition("'")
        if tail == "t" and head.endswith("n"):  # hasn't, don't, can't
            head = head[:-1] if head[:-1] in self.common else head
        return bool(tail) and tail in _CONTRACTIONS and (head in self.common or head == "i")


_CONTRACTIONS = frozenset({"m", "s", "re", "ve", "ll", "d", "t"})


_lock = threading.Lock()
_cache: dict[int, Gazetteer] = {}


def gazetteer(nlp: Any = None) -> Gazetteer:
    """The name lists and the English word lists (from the model `nlp` when it has lemma tables)."""
    key = id(getattr(nlp, "vocab", None))
    with _lock:
        found = _cache.get(key)
        if found is None:
            first, last = faker_names()
            words, nouns = english_words(nlp)
            found = _cache[key] = Gazetteer(first, last, words, nouns)
        return found


_names: tuple[frozenset[str], frozenset[str]] | None = None


def faker_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) of every locale of Faker's person provider, casefolded."""
    global _names
    if _names is not None:
        return _names
    first: set[str] = set()
    last: set[str] = set()
    try:
        import faker.providers.person as person
    except ImportError:  # Faker is a dependency; without it the name rules find nothing
        _names = (frozenset(), frozenset())
        return _names
    for module in pkgutil.iter_modules(person.__path__):
        try:
            provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        except (ImportError, AttributeError):
            continue
        for attr, value in vars(provider).items():
            if not attr.startswith(("first_name", "last_name", "first_romanized", "last_romanized")):
                continue
            if not isinstance(value, (tuple, list, dict)):
                continue
            into = first if attr.startswith("first") else last
            for name in value:
                if isinstance(name, str) and len(name) >= 2 and _LETTERS.match(name):
                    into.add(name.casefold())
    _names = (frozenset(first), frozenset(last))
    return _names


def english_words(nlp: Any = None) -> tuple[frozenset[str], frozenset[str]]:
    """(words that are not names on their own, nouns) - both casefolded."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = set(STOP_WORDS) | NAME_WORDS | ORG_WORDS
    try:
        from faker.providers.lorem.en_US import Provider as Lorem

        words.update(w.casefold() for w in Lorem.word_list)
    except ImportError:
        pass
    nouns: set[str] = set()
    tables = _lemma_tables(nlp)
    if tables is not None:
        index, exceptions = tables
        for pos in ("verb", "adj", "adv"):
            words.update(w.casefold() for w in index.get(pos) or ())
            words.update(w.casefold() for w in (exceptions.get(pos) or {}))
        nouns.update(w.casefold() for w in index.get("noun") or ())
    words = {w for w in words if "_" not in w}
    return frozenset(words), frozenset(w for w in nouns if "_" not in w)


def _lemma_tables(nlp: Any):
    if nlp is None or "lemmatizer" not in getattr(nlp, "component_names", ()):
        return None
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return None
    exceptions = lookups.get_table("lemma_exc") if lookups.has_table("lemma_exc") else {}
    return lookups.get_table("lemma_index"), exceptions


def ordinary_words(value: str, names: Gazetteer) -> bool:
    """True for a span the model called a person that is made of ordinary English words.

    One capitalised word that is an English verb, adjective, adverb or stop word, or an acronym,
    and no known first name or surname ("Switch", "Tracking", "JSON"); several words that all
    are English words (nouns too) or acronyms, one at least not only a noun ("Smart Shift", "Tempo
    Lite", "Central AC"), unless they are a known first name and a known surname ("Rose Brown").
    Nouns alone do not count: the noun list holds famous names too ("Goldberg").
    """
    words = [w.strip(".,:;!?'’\"()-–—*") for w in value.split()]
    words = [w for w in words if w]
    if not words:
        return True
    if len(words) == 1:
        word = words[0]
        return _ordinary(word, names, nouns=False) and not names.is_first(word) and not names.is_last(word)
    if not all(_ordinary(w, names, nouns=True) for w in words) \
            or not any(_ordinary(w, names, nouns=False) for w in words):
        return False
    return not (names.is_first(words[0]) and names.is_last(words[-1]))


def _ordinary(word: str, names: Gazetteer, nouns: bool) -> bool:
    key = word.casefold()
    if names.is_common(word) or nouns and key in names.nouns:
        return True
    for suffix, stems in (("ing", ("", "e")), ("ed", ("", "e")), ("s", ("",)), ("es", ("",))):
        if key.endswith(suffix) and len(key) > len(suffix) + 2 \
                and any(key[:-len(suffix)] + stem in names.common for stem in stems):
            return True
    return word.isupper() and len(word) <= 5 and not names.is_first(word) and not names.is_last(word)
