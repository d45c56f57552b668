"""Templated filler in synthetic replies: refusals and AI self-reference, stock chatbot phrases,
and sentences that many replies of one category share word for word.

A phrase list catches what LLMs say everywhere ("Is there anything else I can assist you with
today?"); the data-driven check catches what this generator says everywhere: a sentence (of
`MIN_WORDS` words or more, compared lower-cased with its punctuation and spacing normalized)
found in at least `SHARED_REPLIES` replies and `SHARED_SHARE` of the synthetic replies of its
category, or in `ACROSS_CATEGORIES` categories and `ACROSS_SHARE` of all synthetic replies, is
boilerplate, whatever its words. Pure Python; `signals` uses it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Refusals and the model speaking of itself: a reply that says these is rarely fit to train on.
AI_PHRASES = (
    "as an ai", "as a language model", "as a large language model", "i am an ai", "i'm an ai",
    "i'm just an ai", "i am just an ai", "i don't have personal", "i do not have personal",
    "i don't have access to real-time", "i do not have access to real-time", "my knowledge cutoff",
    "my training data", "i cannot browse", "i'm sorry, but i can't", "i'm sorry, but i cannot",
    "i am sorry, but i cannot", "i cannot assist with", "i can't assist with", "i can't help with that",
    "i cannot help with that", "i'm unable to help with", "i am unable to provide", "openai", "chatgpt",
)

# Stock chatbot openings and closings. Kept to wordings people rarely write, so that a human
# agent's "Thanks for reaching out." or "Is there anything else I can help with today?" stays clear.
STOCK_PHRASES = (
    # openings
    "i understand how frustrating", "i understand how inconvenient", "i understand your frustration",
    "i completely understand your", "i apologize for any inconvenience", "i apologize for the inconvenience",
    "we apologize for any inconvenience", "sorry for any inconvenience caused", "thank you for reaching out regarding",
    "thank you for reaching out to us", "thank you for your question!", "i'd be happy to help you with",
    "i'd be glad to help you with", "i would be happy to help you with", "i would be glad to help you with",
    "i'd be happy to assist", "i would be happy to assist", "here are some steps you can follow",
    "here's what you need to know", "i've got you covered", "many customers have questions about",
    "there are several things you can do", "here is a step-by-step guide", "great question! many",
    # closings
    "is there anything else i can assist you with", "is there anything else i can do for you today",
    "i hope this helps", "i hope this information is helpful", "i hope this information helps",
    "i hope that helps!", "don't hesitate to reach out", "do not hesitate to reach out", "don't hesitate to contact",
    "do not hesitate to contact", "please don't hesitate", "please do not hesitate", "feel free to ask",
    "feel free to reach out", "let me know if you have any other questions", "if you have any further questions",
    "if you need further assistance", "thank you for choosing", "our support team is always here to help",
    "by following these steps, you should be able to", "in summary, following these steps",
    "i'm glad i could help. if you have", "it is always a good idea to", "have a wonderful day",
    "happy to help! let me know if",
)

MIN_WORDS = 5  # shorter shared sentences ("Thanks for the details.", a sign-off) are left alone
SHARED_REPLIES = 3  # a sentence shared by at least this many replies of a category ...
SHARED_SHARE = 0.20  # ... and this share of them is boilerplate
ACROSS_CATEGORIES = 3  # a sentence found in this many categories ...
ACROSS_SHARE = 0.05  # ... and in this share of all synthetic replies (3 at least) is boilerplate too

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_EDGE = re.compile(r"^[\s\-*#>\d.)]+|[\s\"'*_:;,.!?]+$")  # list marks, bold and end punctuation
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Lower case, straight quotes, single spaces."""
    return _SPACE.sub(" ", text.translate(_QUOTES).lower()).strip()


def sentences(reply: str) -> list[str]:
    """The reply's sentences, normalized, without list marks or end punctuation; short ones left out."""
    out = []
    for part in _SPLIT.split(reply.translate(_QUOTES)):
        sentence = _EDGE.sub("", normalize(part))
        if len(_WORD.findall(sentence)) >= MIN_WORDS:
            out.append(sentence)
    return out


@dataclass(frozen=True)
class Boilerplate:
    """What was found: the phrase or sentence, and why it counts."""

    phrase: str
    why: str  # "refusal or AI self-reference", "stock phrase", "shared by 12 of 40 billing replies"


class SharedSentences:
    """The sentences many synthetic replies share, counted once per reply: within a category (at
    least `min_replies` and `min_share` of its replies), or across categories (in `min_categories`
    categories or more and at least `across_share` of all replies: content is specific to a
    category, filler is not, so a generator's filler split over several templates is found too)."""

    def __init__(self, replies: Iterable[tuple[str | None, str]], min_replies: int = SHARED_REPLIES,
                 min_share: float = SHARED_SHARE, min_categories: int = ACROSS_CATEGORIES,
                 across_share: float = ACROSS_SHARE) -> None:
        counts: dict[str | None, Counter[str]] = defaultdict(Counter)
        totals: Counter[str | None] = Counter()
        for category, reply in replies:
            totals[category] += 1
            counts[category].update(set(sentences(reply)))
        self.totals = totals
        self.shared: dict[str | None, dict[str, int]] = {
            category: {s: k for s, k in c.items() if k >= min_replies and k >= min_share * totals[category]}
            for category, c in counts.items()}
        overall: Counter[str] = Counter()
        spread: Counter[str] = Counter()
        for c in counts.values():
            overall.update(c)
            spread.update(c.keys())
        least = max(min_replies, across_share * sum(totals.values()))
        self.across = {s: (k, spread[s]) for s, k in overall.items() if spread[s] >= min_categories and k >= least}

    def find(self, reply: str, category: str | None) -> Boilerplate | None:
        """The most shared sentence of `reply` (of that category), with how widely it is shared."""
        shared = self.shared.get(category) or {}
        found = []
        for s in sentences(reply):
            if s in self.across:
                k, cats = self.across[s]
                found.append((k, s, f"shared by {k} replies in {cats} categories"))
            elif s in shared:
                label = category if category is not None else "unlabelled"
                found.append((shared[s], s, f"shared by {shared[s]} of {self.totals[category]} {label} replies"))
        if not found:
            return None
        _, sentence, why = max(found)
        return Boilerplate(sentence, why)


def find_boilerplate(reply: str, category: str | None = None, shared: SharedSentences | None = None,
                     ai_phrases: Iterable[str] = AI_PHRASES,
                     stock_phrases: Iterable[str] = STOCK_PHRASES) -> Boilerplate | None:
    """The strongest boilerplate in a reply: a refusal or AI self-reference, else a stock phrase,
    else a sentence many replies of its category share; None when there is none."""
    lower = normalize(reply)
    phrase = next((p for p in ai_phrases if p in lower), None)
    if phrase is not None:
        return Boilerplate(phrase, "refusal or AI self-reference")
    phrase = next((p for p in stock_phrases if p in lower), None)
    if phrase is not None:
        return Boilerplate(phrase, "stock phrase")
    return shared.find(reply, category) if shared is not None else None
