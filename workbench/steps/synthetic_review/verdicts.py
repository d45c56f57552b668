"""Reviewers' verdicts on synthetic examples, as rows of the project's decisions table.

One verdict is one decision with step "synthetic_review", the record id, target = the rater (so
the verdicts of several reviewers coexist; the newest per reviewer wins), and action

- "accept";
- "reject", with reason one of REASONS and an optional free-text note in detail["note"];
- "edit", with detail["messages"] the whole edited conversation (the original row stays in the
  snapshot; the export gets the edit); for a preference pair or a KTO row also (or only)
  detail["chosen"] / detail["rejected"], the edited completions. An edit holds each turn's role
  and text; the step takes every other field of a turn (tool calls, weight, content parts) from
  the turn it edits (see merged_turns).

"revert" (target = the rater) withdraws that reviewer's verdict. Each call here is one committed
transaction: a verdict survives a crash the moment the call returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...records import ROLES, TURN_EXTRAS, Decision

STEP = "synthetic_review"
REASONS = ("wrong", "unsafe", "off-format", "off-topic", "duplicate")
VERDICTS = ("accept", "reject", "edit")
RULES = ("majority", "unanimous")


def verdicts_by_record(human: Mapping[tuple[str, str], Decision]) -> dict[str, dict[str, Decision]]:
    """{record_id: {rater: verdict}} from ctx.human, or from a store's decisions for STEP."""
    out: dict[str, dict[str, Decision]] = {}
    for key, d in human.items():
        rid, target = key[-2], key[-1]  # (rid, target) from ctx, (step, rid, target) from the store
        if target and d.action in VERDICTS:
            out.setdefault(rid, {})[target] = d
    return out


def store_verdicts(store) -> dict[str, dict[str, Decision]]:
    return verdicts_by_record(store.decisions.standing(STEP))


EDITABLE = ("messages", "chosen", "rejected")
_PLACEHOLDER = re.compile(r"<(?:image|audio|video)>")


def check_messages(messages: Any, part: str = "conversation") -> str | None:
    """Why edited turns cannot be trained on, or None when they can. `part`: "conversation" (an
    sft example), "prompt" (a preference pair's or KTO row's messages) or "completion"."""
    if not isinstance(messages, list) or not messages:
        return f"the edited {part} is empty"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            return f"turn {i + 1} needs a role and a text"
        if m["role"] not in ROLES:
            return f"turn {i + 1} has the unknown role {m['role']!r}"
        if part == "completion" and m["role"] not in ("assistant", "tool"):
            return f"turn {i + 1} of a completion is a {m['role']} turn; a completion holds the assistant's turns"
        if m.get("parts") and len(_PLACEHOLDER.findall(m["content"])) != _count(m["parts"]):
            return f"turn {i + 1}: the edit changed the <image>/<audio>/<video> placeholders of its content parts"
    if part == "prompt":
        if messages[-1]["role"] not in ("user", "tool"):
            return "the prompt must end with the user's turn"
        return None
    if messages[-1]["role"] != "assistant":
        return f"the {part} must end with the assistant's turn"
    if not any(m["content"].strip() or m.get("tool_calls") for m in messages if m["role"] == "assistant"):
        return "the assistant's reply is empty"
    return None


def _count(parts: str) -> int | None:
    try:
        return len(json.loads(parts))
    except (ValueError, TypeError):
        return None


def check_edit(edited: dict[str, Any], kind: str = "sft") -> str | None:
    """Why an edit of a record of `kind` cannot be trained on (None: it can). `edited` holds the
    edited columns (messages, chosen, rejected), each a list of turns."""
    if not any(edited.get(c) is not None for c in EDITABLE):
        return "the edit holds no turns"
    for column in EDITABLE:
        turns = edited.get(column)
        if turns is None:
            continue
        if (column != "messages" and kind == "sft") or (column == "rejected" and kind == "kto"):
            return f"{'an sft example' if kind == 'sft' else 'a KTO row'} has no {column} completion to edit"
        problem = check_messages(turns, "conversation" if kind == "sft" else
                                 "prompt" if column == "messages" else "completion")
        if problem:
            return problem if column == "messages" else f"{column}: {problem}"
    return None


def merged_turns(original: list[dict[str, Any]] | None, edited: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edited turns, each with the other fields (tool calls, weight, parts, ...) of the turn it
    edits: the original turn at the same place when it has the same role."""
    out = []
    for i, m in enumerate(edited):
        base = original[i] if original is not None and i < len(original) and original[i].get("role") == m["role"] else {}
        out.append({**{k: None for k in TURN_EXTRAS}, **base, **m})
    return out


def verdict_decision(record_id: str, rater: str, action: str, *, reason: str = "", note: str = "",
                     messages: list[dict[str, str]] | None = None, chosen: list[dict[str, str]] | None = None,
                     rejected: list[dict[str, str]] | None = None) -> Decision:
    """The decision row for one reviewer's verdict; ValueError says what is missing or wrong.

    An edit gives the edited turns (role and text): `messages`, and for a preference pair or a
    KTO row the edited `chosen` / `rejected` completion (then `messages` is its prompt)."""
    if not rater:
        raise ValueError("a verdict needs the reviewer's name")
    if action not in VERDICTS:
        raise ValueError(f"unknown verdict {action!r}; expected one of {', '.join(VERDICTS)}")
    detail: dict[str, Any] = {}
    if action == "reject" and reason not in REASONS:
        raise ValueError(f"a rejection needs a reason from: {', '.join(REASONS)}")
    if action != "reject":
        reason = ""
    if action == "edit":
        edited = {c: v for c, v in (("messages", messages), ("chosen", chosen), ("rejected", rejected))
                  if v is not None}
        if not edited:
            raise ValueError(check_messages(messages) or "the edit holds no turns")
        problem = check_edit(edited, "sft" if chosen is None and rejected is None else "preference")
        if problem:
            raise ValueError(problem)
        for column, turns in edited.items():
            detail[column] = [{"role": m["role"], "content": m["content"]} for m in turns]
    if note.strip():
        detail["note"] = note.strip()
    return Decision(record_id, action, reason, detail, target=rater, rater=rater, step=STEP)


def record_verdict(store, record_id: str, rater: str, action: str, *, reason: str = "", note: str = "",
                   messages: list[dict[str, str]] | None = None, chosen: list[dict[str, str]] | None = None,
                   rejected: list[dict[str, str]] | None = None) -> int:
    """Commit one reviewer's verdict on one row now; returns its sequence number."""
    decision = verdict_decision(record_id, rater, action, reason=reason, note=note, messages=messages,
                                chosen=chosen, rejected=rejected)
    return store.decisions.decide_many([decision])[-1]


def undo_verdict(store, record_id: str, rater: str) -> int:
    """Withdraw `rater`'s verdict on the row (a new "revert" row; nothing is deleted)."""
    return store.decisions.decide(STEP, record_id, "revert", target=rater, rater=rater)


@dataclass(frozen=True)
class Outcome:
    status: str  # "accepted", "rejected", "disputed" or "pending" (fewer verdicts than needed)
    accepts: int
    rejects: int
    complete: bool  # has at least min_verdicts verdicts

    @property
    def verdicts(self) -> int:
        return self.accepts + self.rejects


def combine(by_rater: Mapping[str, Decision], min_verdicts: int = 1, rule: str = "majority") -> Outcome:
    """What several reviewers' verdicts on one row add up to.

    majority: more accepts (edits count as accepts) than rejects is accepted, more rejects is
    rejected, a tie is disputed. unanimous: any reject rejects. A row with fewer than
    `min_verdicts` verdicts is "pending", whatever they say.
    """
    accepts = sum(1 for d in by_rater.values() if d.action in ("accept", "edit"))
    rejects = sum(1 for d in by_rater.values() if d.action == "reject")
    complete = accepts + rejects >= min_verdicts
    if accepts + rejects == 0:
        status = "pending"
    elif rule == "unanimous":
        status = "rejected" if rejects else "accepted"
    elif accepts > rejects:
        status = "accepted"
    elif rejects > accepts:
        status = "rejected"
    else:
        status = "disputed"
    return Outcome(status if complete else "pending", accepts, rejects, complete)


def provisional(by_rater: Mapping[str, Decision], rule: str = "majority") -> str:
    """What the verdicts a row has so far say, ignoring how many are needed."""
    return combine(by_rater, 1, rule).status
