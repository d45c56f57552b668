"""Format metrics. Each is metric(prompt, reply, reference) -> float | None; None means the
metric does not apply to this prompt and is left out of the mean."""

from __future__ import annotations

import json
import re
from typing import Callable

PATTERN_SETTING = "WORKBENCH_REPLY_PATTERN"

# A reply may wrap its JSON in a Markdown code fence; the fence is not a format error.
_FENCE = re.compile(r"^```(?:json)?\s*\n(.*?)\n?```$", re.DOTALL | re.IGNORECASE)
_ASKS_FOR_JSON = re.compile(r"\bjson\b", re.IGNORECASE)


def _is_json(text: str) -> bool:
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text or text[0] not in "{[":  # a bare number or string is not what a JSON task wants
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def valid_json(prompt: str, reply: str, reference: str | None) -> float | None:
    """1.0 when the reply is a JSON object or array (optionally in a code fence), else 0.0.

    Applies only where JSON is expected: the prompt mentions JSON or the reference is JSON.
    """
    expects = bool(_ASKS_FOR_JSON.search(prompt or "")) or (reference is not None and _is_json(reference))
    if not expects:
        return None
    return 1.0 if _is_json(reply) else 0.0


def pattern_metric(pattern: str) -> Callable[[str, str, str | None], float]:
    """A metric: 1.0 when the reply matches `pattern` (Python `re`, searched anywhere), else 0.0."""
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        problem = f"{PATTERN_SETTING}={pattern!r} is not a valid regular expression: {e}"

        def broken(prompt: str, reply: str, reference: str | None) -> float:
            raise ValueError(problem)

        return broken

    def matches_pattern(prompt: str, reply: str, reference: str | None) -> float:
        return 1.0 if compiled.search(reply) else 0.0

    return matches_pattern
