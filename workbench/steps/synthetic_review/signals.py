"""Signals shown beside a synthetic example to help the reviewer judge it.

Cheap ones come from the text alone (:func:`text_signals`): the reply's length against its
category's human rows, personal data, a reply that repeats the prompt, refusals, AI boilerplate
and templated filler (stock phrases, and sentences many synthetic replies of a category share:
:mod:`.boilerplate`), a reply in another language than the prompt, template placeholders left in, and a
reply cut off mid-sentence. The nearest human example (:func:`nearest_reference`) needs sentence
embeddings and arrives later. A signal is a hint, never a verdict.

A preference pair or KTO row is judged by its prompt and its chosen completion (the reply it
teaches; a rejected reply is bad on purpose); personal data and placeholders are looked for in
its whole text, rejected reply and tool calls included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ...records import turn_text
from .boilerplate import AI_PHRASES, STOCK_PHRASES, SharedSentences, find_boilerplate
from .language import guess_language

# Signal names (the Review screen's filter) and what they mean to a reviewer.
SIGNALS: dict[str, str] = {
    "near_human": "nearly the same as a human example",
    "length": "unusually short or long for its category",
    "pii": "personal data in the text",
    "repeats_prompt": "the reply repeats the prompt",
    "boilerplate": "refusal, AI boilerplate or templated filler",
    "wrong_language": "reply not in the prompt's language",
    "placeholder": "template placeholder left in",
    "truncated": "reply cut off mid-sentence",
}

NEAR_HUMAN = 0.95  # cosine of prompts at or above which a synthetic row is a near copy
REPEAT_SHARE = 0.6  # share of the prompt's word trigrams found again in the reply
LENGTH_PERCENTILES = (0.01, 0.99)
MIN_REFERENCE = 20  # fewer human rows in a category than this: compare with all human rows

BOILERPLATE = AI_PHRASES  # refusals and AI self-reference; stock phrases and shared sentences in .boilerplate

_PII = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    "phone": re.compile(r"(?<![\w$.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w%])"),
    "card": re.compile(r"(?<!\d)\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?!\d)"),
    "ip_address": re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"),
    "street_address": re.compile(
        r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Boulevard|"
        r"Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent)\b"),
}
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Za-z _-]{2,40}\](?!\()|\{\{\s*[\w.]+\s*\}\}|<[A-Z][A-Z_]{2,30}>")
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"""[.!?…:)\]"'*`]\s*$""")
_OPEN_END = re.compile(r"""[,;>(/-]\s*$""")  # a joining mark at the end


@dataclass
class Signals:
    """What the Review screen shows beside one synthetic row."""

    reply_chars: int = 0
    length_percentile: float | None = None  # among the human rows of its category
    length_median: int | None = None
    length_flag: str | None = None  # "short" or "long"
    pii: list[str] = field(default_factory=list)  # kinds found
    repeats_prompt: float = 0.0  # share of the prompt's word trigrams repeated in the reply
    boilerplate: str | None = None  # the phrase or sentence found
    boilerplate_why: str | None = None  # "refusal or AI self-reference", "stock phrase", "shared by 12 of 40 …"
    language: str | None = None  # of the reply
    expected_language: str | None = None  # of the prompt, else the dataset's
    placeholder: str | None = None
    truncated: bool = False
    nearest_id: str | None = None  # the most similar human example (by prompt)
    nearest_similarity: float | None = None

    @property
    def flagged(self) -> list[str]:
        """The names of the signals that fire, in SIGNALS order."""
        fired = {
            "near_human": self.nearest_similarity is not None and self.nearest_similarity >= NEAR_HUMAN,
            "length": self.length_flag is not None,
            "pii": bool(self.pii),
            "repeats_prompt": self.repeats_prompt >= REPEAT_SHARE,
            "boilerplate": self.boilerplate is not None,
            "wrong_language": (self.language is not None and self.expected_language is not None
                               and self.language != self.expected_language),
            "placeholder": self.placeholder is not None,
            "truncated": self.truncated,
        }
        return [name for name in SIGNALS if fired[name]]


def _turns(messages: Sequence[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [(m.get("role") or "", m.get("content") or "") for m in messages or []]


def scored_turns(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The turns a row's signals read: its messages, then its chosen completion (if any)."""
    return [*(row.get("messages") or ()), *(row.get("chosen") or ())]


def reply_text(messages) -> str:
    return "\n".join(c for r, c in _turns(messages) if r == "assistant")


def prompt_text(messages) -> str:
    return "\n".join(c for r, c in _turns(messages) if r == "user")


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:], words[2:]))


def repeat_share(messages) -> float:
    """The largest share of a user turn's word trigrams that the assistant turn after it repeats."""
    best = 0.0
    turns = _turns(messages)
    for (role, text), (next_role, reply) in zip(turns, turns[1:]):
        if role != "user" or next_role != "assistant":
            continue
        asked = _trigrams(text)
        if asked:
            best = max(best, len(asked & _trigrams(reply)) / len(asked))
    return round(best, 3)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def pii_kinds(text: str) -> list[str]:
    """Kinds of personal data a quick pattern scan finds (the PII step does the thorough job)."""
    found = []
    has_digit = _DIGIT.search(text) is not None
    for kind, pattern in _PII.items():
        if (kind == "email" and "@" not in text) or (kind != "email" and not has_digit):
            continue  # the cheap test first: most replies have no @ and many no digit
        for match in pattern.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if kind == "card" and not (13 <= len(digits) <= 19 and _luhn(digits)):
                continue
            if kind == "phone" and not 9 <= len(digits) <= 15:
                continue
            if kind == "ip_address" and any(int(p) > 255 for p in match.group().split(".")):
                continue
            found.append(kind)
            break
    if "card" in found and "phone" in found:
        found.remove("phone")  # a card number also looks like a phone number
    return found


def truncated(messages) -> bool:
    """An assistant turn that stops mid-sentence: its last line has no ending and runs on.

    Sign-offs ("Kind regards,\nQuillfield Support") end without punctuation too, but in a short
    line; a short line counts as cut off only when it ends in a joining mark or leaves markdown
    bold or a bracket open ("3. **Print the label").
    """
    for role, text in _turns(messages):
        if role != "assistant":
            continue
        last = text.rstrip().rsplit("\n", 1)[-1].strip()
        words = len(_WORD.findall(last))
        if _SENTENCE_END.search(last) or words < 3 or _PLACEHOLDER.search(last):
            continue  # an ending, a sign-off, or a placeholder signature (its own signal)
        unbalanced = last.count("**") % 2 == 1 or last.count("(") > last.count(")")
        if words >= 6 or _OPEN_END.search(last) or unbalanced:
            return True
    return False


def _percentile(sorted_values: np.ndarray, value: float) -> float:
    below = np.searchsorted(sorted_values, value, side="left")
    upto = np.searchsorted(sorted_values, value, side="right")
    return float((below + upto) / 2 / len(sorted_values))


class SignalScorer:
    """Measures rows against `reference` (human rows); the reference statistics are read once.

    `synthetic`, the rows under review, gives the sentences many replies of one category share
    (templated filler); without it only the phrase lists find boilerplate.
    """

    def __init__(self, reference: pl.DataFrame, phrases: Sequence[str] = BOILERPLATE,
                 synthetic: pl.DataFrame | None = None, stock_phrases: Sequence[str] = STOCK_PHRASES) -> None:
        turns = pl.col("messages")
        if "chosen" in reference.columns and reference.get_column("chosen").null_count() < reference.height:
            turns = pl.concat_list([turns, pl.col("chosen").fill_null(turns.list.head(0))])
        ref = reference.select(
            pl.col("category"),
            turns.list.eval(
                pl.element().filter(pl.element().struct.field("role") == "assistant")
                .struct.field("content").str.len_chars()).list.sum().fill_null(0).alias("chars"))
        self.everything = np.sort(ref.get_column("chars").to_numpy())
        self.by_category = {cat: np.sort(group.get_column("chars").to_numpy())
                            for (cat,), group in ref.group_by("category")}
        columns = [c for c in ("messages", "chosen") if c in reference.columns]
        replies = [guess_language(reply_text(scored_turns(row)))
                   for row in reference.head(500).select(columns).iter_rows(named=True)]
        known = [lang for lang in replies if lang]
        self.dataset_language = max(set(known), key=known.count) if known else None
        self.phrases = [p.lower() for p in phrases]
        self.stock_phrases = [p.lower() for p in stock_phrases]
        self.shared = None if synthetic is None else SharedSentences(
            (row["category"], reply_text(scored_turns(row)))
            for row in synthetic.select(*[c for c in ("messages", "chosen") if c in synthetic.columns],
                                        "category").iter_rows(named=True))

    def score(self, messages: Sequence[dict[str, Any]] | None, category: str | None,
              rejected: Sequence[dict[str, Any]] | None = None) -> Signals:
        """The signals of a row's turns (scored_turns), with `rejected` read for PII and placeholders."""
        messages = messages or []
        reply = reply_text(messages)
        s = Signals(reply_chars=len(reply))
        values = self.by_category.get(category)
        if values is None or len(values) < MIN_REFERENCE:
            values = self.everything
        if len(values):
            s.length_percentile = round(_percentile(values, s.reply_chars), 3)
            s.length_median = int(np.median(values))
            if len(values) >= MIN_REFERENCE:
                low, high = LENGTH_PERCENTILES
                s.length_flag = "short" if s.length_percentile < low else "long" if s.length_percentile > high else None
        whole = "\n".join(turn_text(m) for m in [*messages, *(rejected or ())])
        s.pii = pii_kinds(whole)
        s.repeats_prompt = repeat_share(messages)
        found = find_boilerplate(reply, category, self.shared, self.phrases, self.stock_phrases)
        if found is not None:
            s.boilerplate, s.boilerplate_why = found.phrase, found.why
        s.language = guess_language(reply)
        s.expected_language = guess_language(prompt_text(messages)) or self.dataset_language
        placeholder = _PLACEHOLDER.search(whole)
        s.placeholder = placeholder.group() if placeholder else None
        s.truncated = truncated(messages)
        return s


def text_signals(rows: pl.DataFrame, reference: pl.DataFrame,
                 phrases: Sequence[str] = BOILERPLATE) -> list[Signals]:
    """Signals for each row of `rows` (synthetic), measured against `reference` (human rows)."""
    scorer = SignalScorer(reference, phrases, synthetic=rows)
    columns = [c for c in ("messages", "chosen", "rejected") if c in rows.columns]
    return [scorer.score(scored_turns(row), row["category"], row.get("rejected"))
            for row in rows.select(*columns, "category").iter_rows(named=True)]


def nearest_reference(vectors: np.ndarray, reference: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `vectors`, the index of the most similar `reference` row and the cosine."""
    if len(reference) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1), np.full(len(vectors), np.nan)
    best = np.empty(len(vectors), dtype=np.int64)
    sims = np.empty(len(vectors), dtype=np.float64)
    for s in range(0, len(vectors), block):
        product = vectors[s:s + block] @ reference.T
        best[s:s + block] = np.argmax(product, axis=1)
        sims[s:s + block] = product[np.arange(len(product)), best[s:s + block]]
    return best, sims
