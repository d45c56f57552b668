"""Text machinery for make_support.py: a tiny template language and transforms that keep PII spans.

Templates: ``[a|b|c]`` picks one alternative (alternatives nest, and may be empty), ``{slot}``
inserts a slot value. A rendered text is a list of segments ``(text, entity_type)``, where
entity_type is None for ordinary text; every transform here edits only the text around PII (or
the PII consistently), so the exact character spans of planted PII can be read off afterwards.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Segments = list[tuple[str, str | None]]


@dataclass(frozen=True)
class Pii:
    entity_type: str
    value: str


class TemplateError(ValueError):
    pass


class _Slot(str):
    pass


@lru_cache(maxsize=None)
def parse(template: str) -> tuple:
    items, _, _ = _parse_seq(template, 0, nested=False)
    return items


def _parse_seq(s: str, i: int, nested: bool) -> tuple[tuple, int, str]:
    items: list = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            items.append("".join(buf))
            buf.clear()

    while i < len(s):
        c = s[i]
        if c == "[":
            flush()
            alternatives = []
            i += 1
            while True:
                seq, i, end = _parse_seq(s, i, nested=True)
                alternatives.append(seq)
                if end == "]":
                    break
            items.append(tuple(alternatives))
        elif c in "|]":
            if not nested:
                raise TemplateError(f"unexpected {c!r} at {i} in {s!r}")
            flush()
            return tuple(items), i + 1, c
        elif c == "{":
            j = s.find("}", i)
            if j < 0:
                raise TemplateError(f"unclosed {{ at {i} in {s!r}")
            flush()
            items.append(_Slot(s[i + 1:j]))
            i = j + 1
        elif c == "}":
            raise TemplateError(f"unexpected }} at {i} in {s!r}")
        else:
            buf.append(c)
            i += 1
    if nested:
        raise TemplateError(f"unclosed [ in {s!r}")
    flush()
    return tuple(items), i, ""


class TemplateRow:
    """Renders templates for one conversation; a slot keeps one value for the whole conversation."""

    def __init__(self, rng: random.Random, pools: list[dict[str, Any]], cache: dict | None = None) -> None:
        self.rng = rng
        self.pools = pools
        self.cache: dict[str, Any] = dict(cache or {})

    def value(self, name: str) -> Any:
        if name in self.cache:
            return self.cache[name]
        for pool in self.pools:
            if name in pool:
                source = pool[name]
                break
        else:
            raise TemplateError(f"unknown slot {{{name}}}")
        if isinstance(source, (list, tuple)):
            value = self.rng.choice(source)
        elif isinstance(source, Callable):
            value = source(self)
        else:
            value = source
        self.cache[name] = value
        return value

    def render(self, template: str) -> Segments:
        out: Segments = []
        self._render(parse(template), out)
        return clean(out)

    def _render(self, items: tuple, out: Segments) -> None:
        for item in items:
            if isinstance(item, _Slot):
                value = self.value(item)
                if isinstance(value, Pii):
                    out.append((value.value, value.entity_type))
                else:
                    self._render(parse(str(value)), out)
            elif isinstance(item, tuple):
                self._render(self.rng.choice(item), out)
            else:
                out.append((item, None))


def merge(segs: Segments) -> Segments:
    out: Segments = []
    for text, tag in segs:
        if not text:
            continue
        if tag is None and out and out[-1][1] is None:
            out[-1] = (out[-1][0] + text, None)
        else:
            out.append((text, tag))
    return out


def clean(segs: Segments) -> Segments:
    """Tidy the spacing that empty alternatives leave behind, and capitalize the first letter."""
    out: Segments = []
    for text, tag in merge(segs):
        if tag is None:
            text = re.sub(r"[ \t]{2,}", " ", text)
            text = re.sub(r" +([,.!?;:)])", r"\1", text)
            text = re.sub(r"\( +", "(", text)
            text = re.sub(r" *\n *", "\n", text)
            text = re.sub(r"\n{3,}", "\n\n", text)
            if out and out[-1][0].endswith((" ", "\n")) and text.startswith(" "):
                text = text.lstrip(" ")
        out.append((text, tag))
    if out and out[0][1] is None:
        out[0] = (out[0][0].lstrip(), None)
        if out[0][0][:1].islower():
            out[0] = (out[0][0][0].upper() + out[0][0][1:], None)
    if out and out[-1][1] is None:
        out[-1] = (out[-1][0].rstrip(), None)
    return [s for s in out if s[0]]


def plain_text(segs: Segments) -> str:
    return "".join(text for text, _ in segs)


def spans(segs: Segments) -> list[tuple[int, int, str, str]]:
    """(start, end, entity_type, value) of every PII segment."""
    out, pos = [], 0
    for text, tag in segs:
        if tag is not None:
            out.append((pos, pos + len(text), tag, text))
        pos += len(text)
    return out


def map_plain(segs: Segments, f: Callable[[str], str]) -> Segments:
    return [(f(text) if tag is None else text, tag) for text, tag in segs]


# -- how customers write ----------------------------------------------------------------------

_INFORMAL = [
    (r"\bI'm\b", ["im", "Im", "i'm"]), (r"\bdon't\b", ["dont"]), (r"\bcan't\b", ["cant"]),
    (r"\bdoesn't\b", ["doesnt"]), (r"\bwon't\b", ["wont"]), (r"\bisn't\b", ["isnt"]),
    (r"\bI've\b", ["ive", "i've"]), (r"\bit's\b", ["its"]), (r"\bplease\b", ["pls", "plz", "please"]),
    (r"\bPlease\b", ["Pls", "pls"]), (r"\bthanks\b", ["thx", "thanks", "ty"]), (r"\bThanks\b", ["Thx", "thanks"]),
    (r"\byou\b", ["u", "you"]), (r"\bbecause\b", ["bc", "cause", "cuz"]), (r"\bI\b", ["i", "I"]),
    (r"\bokay\b", ["ok", "k"]), (r"\btomorrow\b", ["tmrw", "tomorrow"]), (r"\bpeople\b", ["ppl"]),
    
]

_MISSPELLINGS = {
    "receive": "recieve", "received": "recieved", "definitely": "definately", "separate": "seperate",
    "thermostat": "thermostst", "subscription": "subscripton", "account": "acount", "address": "adress",
    "battery": "batery", "password": "pasword", "tomorrow": "tommorow", "because": "becuase",
    "weird": "wierd", "schedule": "schedual", "until": "untill", "which": "wich", "charged": "chagred",
    "refund": "refnud", "installer": "instaler", "warranty": "waranty", "already": "allready",
    "appreciate": "appriciate", "business": "buisness", "calendar": "calender", "wifi": "wifii",
    "basically": "basicly", "necessary": "neccessary", "occurred": "occured", "their": "there",
    "probably": "probaly", "actually": "actualy", "disappointed": "dissapointed", "explain": "explane",
}


def apply_style(rng: random.Random, segs: Segments, style: str) -> Segments:
    """Make a customer's message informal or typo-ridden, leaving PII values as they are."""
    if style == "plain":
        return segs
    out = []
    first = True
    for text, tag in segs:
        if tag is None:
            text = _informal(rng, text, first) if style == "informal" else _typos(rng, text)
        out.append((text, tag))
        first = False
    return out


def _informal(rng: random.Random, text: str, first: bool) -> str:
    for pattern, options in _INFORMAL:
        text = re.sub(pattern, lambda m: rng.choice(options) if rng.random() < 0.6 else m.group(0), text)
    if rng.random() < 0.6:  # no capital letters at sentence starts
        text = re.sub(r"(^|[.!?]\s+)([A-Z])(?=[a-z])", lambda m: m.group(1) + m.group(2).lower(), text)
    if rng.random() < 0.5:
        text = re.sub(r"\.(\s*)$", r"\1", text)
    if rng.random() < 0.25:
        text = text.replace("?", "??")
    if rng.random() < 0.15:
        text = re.sub(r"\. ", lambda m: "... " if rng.random() < 0.5 else m.group(0), text)
    return text


def _typos(rng: random.Random, text: str) -> str:
    def misspell(m: re.Match) -> str:
        word = m.group(0)
        wrong = _MISSPELLINGS.get(word.lower())
        if wrong and rng.random() < 0.6:
            return wrong if word.islower() else wrong.capitalize()
        if len(word) >= 6 and word.isalpha() and rng.random() < 0.06:
            k = rng.randrange(1, len(word) - 2)
            return word[:k] + word[k + 1] + word[k] + word[k + 2:]
        if len(word) >= 5 and word.isalpha() and rng.random() < 0.03:
            k = rng.randrange(1, len(word) - 1)
            return word[:k] + word[k + 1:]
        return word

    text = re.sub(r"[A-Za-z']+", misspell, text)
    if rng.random() < 0.4:
        text = re.sub(r"(^|[.!?]\s+)([A-Z])(?=[a-z])", lambda m: m.group(1) + m.group(2).lower(), text)
    if rng.random() < 0.3:
        text = text.replace(", ", " ", 1)
    return text


# -- forms that a normalized exact dedup must see through -------------------------------------

def respace(rng: random.Random, segs: Segments) -> Segments:
    """Extra, doubled or odd whitespace; never inside a PII value."""
    def f(text: str) -> str:
        text = re.sub(r" ", lambda m: rng.choice(("  ", " \t", "   ")) if rng.random() < 0.08 else " ", text)
        return text.replace("\n\n", "\n \n") if rng.random() < 0.5 else text
    out = map_plain(segs, f)
    lead = rng.choice(("", " ", "\n", "  "))
    trail = rng.choice((" ", "\n", "  \n", "\t"))
    if out and out[0][1] is None:
        out[0] = (lead + out[0][0], None)
    if out and out[-1][1] is None:
        out[-1] = (out[-1][0] + trail, None)
    return out


_FULLWIDTH = {ord(c): chr(0xFF10 + i) for i, c in enumerate("0123456789")}


def unicode_variant(rng: random.Random, segs: Segments) -> Segments:
    """NFKC-equivalent presentation: no-break spaces, full-width digits, ligatures, ellipses, NFD."""
    kinds = rng.sample(["nbsp", "fullwidth", "ligature", "ellipsis", "nfd"], k=2)
    if "nbsp" not in kinds and rng.random() < 0.5:
        kinds.append("nbsp")

    def f(text: str) -> str:
        if "nbsp" in kinds:
            text = re.sub(r" ", lambda m: "\u00a0" if rng.random() < 0.3 else " ", text)
        if "fullwidth" in kinds:
            text = text.translate(_FULLWIDTH)
        if "ligature" in kinds:
            text = text.replace("fi", "\ufb01").replace("fl", "\ufb02")
        if "ellipsis" in kinds:
            text = text.replace("...", "\u2026")
        return text

    out = map_plain(segs, f)
    if "nfd" in kinds:
        out = [(unicodedata.normalize("NFD", text), tag) for text, tag in out]
    return out


# -- small rewordings for near duplicates -----------------------------------------------------

# Rewordings that keep a sentence grammatical wherever they match.
_SWAPS = [
    (r"\bcheck\b", "verify"), (r"\busually\b", "typically"), (r"\babout (?=\d)", "roughly "),
    (r"\bplease\b", "kindly"), (r"\btap\b", "select"), (r"\bquick\b", "brief"), (r"\bmake sure\b", "ensure"),
    (r"\bright away\b", "immediately"), (r"\ba few\b", "several"), (r"\bissue\b", "problem"),
    (r"\bshows\b", "displays"), (r"\bwhole\b", "entire"), (r"\bjust\b", "simply"), (r"\balso\b", "additionally"),
    (r"\bthanks\b", "thank you"), (r"\bcan\b", "could"), (r"\bgreat\b", "good"), (r"\bminutes\b", "mins"),
    (r"\bhours\b", "hrs"), (r"\bstraight away\b", "right away"), (r"\bwithin\b", "in under"),
    (r"\btypically\b", "usually"), (r"\bSorry\b", "Apologies"), (r"\bI've\b", "I have"), (r"\bit's\b", "it is"),
    (r"\byou'll\b", "you will"), (r"\bdon't\b", "do not"), (r"\bcan't\b", "cannot"), (r"\bwe'll\b", "we will"),
    (r"\bI'll\b", "I will"), (r"\bisn't\b", "is not"), (r"\bfrom our side\b", "on our end"),
]
_FILLERS = ["just", "really", "also", "usually", "simply", "quickly", "now", "still", "actually", "definitely",
            "typically", "normally", "all", "usually", "then"]
_INSERTS = ["also", "just", "then", "now", "simply"]
_SENTENCES = ["Let me know how it goes.", "Hope that helps!", "Sorry again for the hassle.",
              "Thanks for your patience.", "Happy to help further if needed.", "Good luck!",
              "Feel free to reply here with any questions.", "I've added a note to your account."]


def edit_words(rng: random.Random, segs: Segments, role: str) -> tuple[Segments, str | None]:
    """One small edit (swap, delete, insert a word or add a sentence) in the text around PII."""
    plain = [i for i, (text, tag) in enumerate(segs) if tag is None and re.search(r"\w{3,}", text)]
    if not plain:
        return segs, None
    i = rng.choice(plain)
    text = segs[i][0]
    op = rng.choices(("swap", "delete", "insert", "sentence"), (0.45, 0.2, 0.25, 0.1))[0]
    new, what = text, None
    if op == "swap":
        found = [(m, repl) for pattern, repl in _SWAPS for m in re.finditer(pattern, text)]
        if found:
            m, repl = rng.choice(found)
            new = text[:m.start()] + repl + text[m.end():]
            what = f"swap {m.group(0)!r} -> {repl!r}"
    elif op == "delete":
        found = [m for w in _FILLERS for m in re.finditer(rf" {w}\b(?=[ ,])", text)]
        if found:
            m = rng.choice(found)
            new = text[:m.start()] + text[m.end():]
            what = f"delete {m.group(0).strip()!r}"
    elif op == "insert":
        found = list(re.finditer(r"\b(?:can|will|should|please|Please|you'll|I'll|we'll) (?!(?:also|just|then|now|simply)\b)", text))
        if found:
            m = rng.choice(found)
            word = rng.choice(_INSERTS)
            new = text[:m.end()] + word + " " + text[m.end():]
            what = f"insert {word!r}"
    elif op == "sentence" and role == "assistant":
        breaks = [m.end() for m in re.finditer(r"[.!?](?=\n|$)", text)]
        if breaks:
            at = rng.choice(breaks)
            sentence = rng.choice(_SENTENCES)
            new = text[:at] + " " + sentence + text[at:]
            what = f"add sentence {sentence!r}"
    if what is None or new == text:
        return segs, None
    out = list(segs)
    out[i] = (new, None)
    return out, what
