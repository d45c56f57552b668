"""What the Review tab draws: the conversation under review, its signals, the verdicts so far,
the lines above them; and the messages its workers send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ...agreement import Agreement
from ...services.synthetic_queue import ReviewQueue
from ...steps.synthetic_review.signals import NEAR_HUMAN, REPEAT_SHARE, SIGNALS, Signals
from ...steps.synthetic_review.verdicts import REASONS
from ..widgets.record_detail import MAX_TURN_CHARS, ROLE_STYLES

Parts = list[str | tuple[str, str]]

VERDICT_STYLES = {"accept": "bold $success", "edit": "bold $success", "reject": "bold $error"}
STATUS_WORDS = {"accepted": ("accepted", "$success"), "rejected": ("rejected", "$error"),
                "disputed": ("disputed: reviewers disagree", "$warning"), "pending": ("waiting for verdicts", "dim")}


@dataclass
class ReviewQueueLoaded(Message):
    queue: ReviewQueue


@dataclass
class ReviewLoadFailed(Message):
    problem: str


@dataclass
class NearestProgressed(Message):
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, NearestProgressed)


@dataclass
class NearestFound(Message):
    queue: ReviewQueue
    vectors: np.ndarray
    reference: np.ndarray


@dataclass
class NearestUnavailable(Message):
    problem: str


def describe_progress(queue: ReviewQueue, rater: str) -> Content:
    """The status line: who reviews, how far they and all reviewers are."""
    progress = queue.progress()
    note = "" if queue.settings.in_recipe else "  ·  synthetic_review is not in the recipe yet"
    return Content.assemble(
        ("Reviewing as ", "dim"), (rater, "bold"), ("  ·  ", "dim"),
        f"{progress['mine']:,} of {progress['total']:,} judged by you",
        ("  ·  ", "dim"), f"{progress['complete']:,} of {progress['total']:,} decided", (note, "$warning"))


def describe_filters(show: str, category: str | None, signal: str | None, shown: str) -> Content:
    return Content.assemble(
        ("v ", "bold"), f"show: {show}   ", ("c ", "bold"), f"category: {category or 'all'}   ",
        ("s ", "bold"), f"signal: {SIGNALS[signal] if signal else 'any'}   ",
        (f"· example {shown}", ""))


def describe_empty(queue: ReviewQueue, show: str, filtered: bool) -> Content | str:
    """Why no example shows: no rows at all, none left to review, or none that match the filters."""
    if not len(queue):
        return f"No rows to review: none has origin {', '.join(queue.settings.origins)}."
    if show == "to review" and not filtered:
        return Content.assemble(("Nothing left to review. ", "bold $success"),
                                "Press v to see all rows, or u to undo your last verdict.")
    return "No rows match the filters (c category, s signal, v show)."


def describe_conversation(row: dict[str, Any], position: str, edited: list[dict[str, str]] | None = None) -> Content:
    parts: Parts = [(position, "bold"), ("  id ", "dim"), row["id"],
                    ("  category ", "dim"), row.get("category") or "(none)",
                    ("  origin ", "dim"), row.get("origin") or "?", "\n",
                    ("source ", "dim"), f"{row.get('source_file')}:{row.get('source_line')}", "\n"]
    if edited is not None:
        parts += [("your edit is shown; the original stays in the snapshot", "italic $warning"), "\n"]
    for message in edited if edited is not None else row.get("messages") or []:
        role = message.get("role") or "?"
        content = message.get("content") or ""
        parts += ["\n", (role, ROLE_STYLES.get(role, "bold")), "\n"]
        if len(content) > MAX_TURN_CHARS:
            parts += [content[:MAX_TURN_CHARS], (f" … ({len(content) - MAX_TURN_CHARS:,} more characters)", "dim")]
        else:
            parts.append(content)
        parts.append("\n")
    return Content.assemble(*parts)


def _mark(fired: bool) -> tuple[str, str]:
    return ("⚠ ", "bold $warning") if fired else ("· ", "dim")


def describe_signals(s: Signals, nearest_state: str, nearest_row: dict[str, Any] | None) -> Content:
    fired = set(s.flagged)
    parts: Parts = [("Signals", "bold"), "\n"]

    parts += [_mark("near_human" in fired), "nearest human example: "]
    if s.nearest_similarity is not None:
        parts += [(f"{s.nearest_similarity:.2f}", "bold"), " cosine of prompts"]
        if s.nearest_similarity >= NEAR_HUMAN:
            parts += [(" (a near copy)", "$warning")]
        if nearest_row is not None:
            prompt = next((m["content"] for m in nearest_row["messages"] if m["role"] == "user"), "")
            prompt = " ".join(prompt.split())
            parts += ["\n    ", (f"“{prompt[:110]}{'…' if len(prompt) > 110 else ''}”", "italic"),
                      (f"  {nearest_row['source_file']}:{nearest_row['source_line']}", "dim")]
    else:
        parts += [(nearest_state, "dim")]
    parts.append("\n")

    parts += [_mark("length" in fired), f"reply {s.reply_chars:,} characters"]
    if s.length_percentile is not None:
        parts += [f": longer than {s.length_percentile:.0%} of its category's human replies (median {s.length_median:,})"]
    if s.length_flag:
        parts += [(f": unusually {s.length_flag}", "$warning")]
    parts.append("\n")

    parts += [_mark("pii" in fired), "personal data: ",
              (", ".join(s.pii), "$warning") if s.pii else ("none found by a quick scan", "dim"), "\n"]
    parts += [_mark("repeats_prompt" in fired), f"repeats the prompt: {s.repeats_prompt:.0%} of its word triples",
              ("" if s.repeats_prompt < REPEAT_SHARE else " (restates the question)"), "\n"]
    why = f" ({s.boilerplate_why})" if getattr(s, "boilerplate_why", "") else ""
    parts += [_mark("boilerplate" in fired), "refusal / boilerplate / filler: ",
              (f"“{s.boilerplate}”{why}", "$warning") if s.boilerplate else ("none", "dim"), "\n"]
    language = s.language or "?"
    expected = s.expected_language or "?"
    parts += [_mark("wrong_language" in fired), f"language: reply {language}, expected {expected}", "\n"]
    parts += [_mark("placeholder" in fired), "placeholder: ",
              (s.placeholder, "$warning") if s.placeholder else ("none", "dim"), "\n"]
    parts += [_mark("truncated" in fired), "cut off mid-sentence: ",
              ("yes", "$warning") if s.truncated else ("no", "dim"), "\n"]
    return Content.assemble(*parts)


def describe_verdicts(queue: ReviewQueue, index: int, agreement: Agreement) -> Content:
    parts: Parts = ["\n", ("Verdicts", "bold"), "\n"]
    mine = queue.mine(index)
    parts += ["you: ", _verdict(mine) if mine else ("not judged yet", "dim"), "\n"]
    for rater, d in sorted(queue.others(index).items()):
        parts += [f"{rater}: ", _verdict(d), "\n"]
    outcome = queue.outcome(index)
    words, style = STATUS_WORDS[outcome.status]
    need = queue.settings.min_verdicts
    have = f"{outcome.verdicts} verdict{'' if outcome.verdicts == 1 else 's'}"
    parts += [("row: ", "dim"), (words, style), (f"  ({have}, {need} needed)", "dim"), "\n"]
    parts += ["\n", (agreement.line(), "dim"), "\n"]
    return Content.assemble(*parts)


def _verdict(d) -> tuple[str, str] | str:
    text = d.action + (f" · {d.reason}" if d.reason else "") + (f" · “{d.detail['note']}”" if d.detail.get("note") else "")
    return (text, VERDICT_STYLES.get(d.action, "bold"))


def reasons_line() -> str:
    return "  ".join(f"{i} {reason}" for i, reason in enumerate(REASONS, 1))


SIGNAL_NAMES = list(SIGNALS)


class Conversation(VerticalScroll, can_focus=True):
    """The example under review, scrollable with the arrow keys."""

    def compose(self):
        yield Static("", id="review-conversation-body")

    def show(self, content: Content) -> None:
        self.query_one("#review-conversation-body", Static).update(content)
        self.scroll_home(animate=False)
