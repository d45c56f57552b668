"""What the Compare tab draws: the prompt, the reference answer and a reply, as styled text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from ..widgets.record_detail import MAX_TURN_CHARS, ROLE_STYLES

if TYPE_CHECKING:
    from ...evaluate.arena import PairView

Parts = list[str | tuple[str, str]]

# What the rater pressed, in their words (A is the left reply, B the right one).
CHOICE_WORDS = {"left": "A better", "right": "B better", "tie": "tie", "both_bad": "both bad", "skip": "skipped"}


def _text(content: str) -> Parts:
    if len(content) > MAX_TURN_CHARS:
        return [content[:MAX_TURN_CHARS], (f" … ({len(content) - MAX_TURN_CHARS:,} more characters)", "dim italic")]
    return [content]


def describe_turns(messages: list[dict]) -> Content:
    """Turns of a conversation, each under its role."""
    parts: Parts = []
    for i, message in enumerate(messages):
        role = message.get("role") or "?"
        if i:
            parts.append("\n\n")
        parts += [(role, ROLE_STYLES.get(role, "bold")), "\n", *_text(message.get("content") or "")]
    return Content.assemble(*parts)


def split_prompt(pair: PairView) -> tuple[list[dict], list[dict]]:
    """(the turns before the last user turn, the last user turn): the replies answer the latter."""
    last = max((i for i, m in enumerate(pair.prompt) if m.get("role") == "user"), default=len(pair.prompt) - 1)
    last = max(last, 0)
    return list(pair.prompt[:last]), list(pair.prompt[last:])


def describe_reference(reference: str | None) -> Content:
    if not reference:
        return Content.styled("No reference answer for this prompt.", "dim italic")
    return Content.assemble(*_text(reference))


def describe_reply(reply: str) -> Content:
    if not reply.strip():
        return Content.styled("(an empty reply)", "dim italic")
    return Content.assemble(*_text(reply))
