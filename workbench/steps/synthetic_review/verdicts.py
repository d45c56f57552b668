"""Reviewers' verdicts on synthetic examples, as rows of the project's decisions table.

One verdict is one decision with step "synthetic_review", the record id, target = the rater (so
the verdicts of several reviewers coexist; the newest per reviewer wins), and action

- "accept";
- "reject", with reason one of REASONS and an optional free-text note in detail["note"];
- "edit", with detail["messages"] the whole edited conversation (the original row stays in the
  snapshot; the export gets the edit).

"revert" (target = the rater) withdraws that reviewer's verdict. Each call here is one committed
transaction: a verdict survives a crash the moment the call returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...records import ROLES, Decision

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


def check_messages(messages: Any) -> str | None:
    """Why an edited conversation cannot be trained on, or None when it can."""
    if not isinstance(messages, list) or not messages:
        return "the edited conversation is empty"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            return f"turn {i + 1} needs a role and a text"
        if m["role"] not in ROLES:
            return f"turn {i + 1} has the unknown role {m['role']!r}"
    if messages[-1]["role"] != "assistant":
        return "the conversation must end with the assistant's turn"
    if not any(m["content"].strip() for m in messages if m["role"] == "assistant"):
        return "the assistant's reply is empty"
    return None


def verdict_decision(record_id: str, rater: str, action: str, *, reason: str = "", note: str = "",
                     messages: list[dict[str, str]] | None = None) -> Decision:
    """The decision row for one reviewer's verdict; ValueError says what is missing or wrong."""
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
        problem = check_messages(messages)
        if problem:
            raise ValueError(problem)
        detail["messages"] = [{"role": m["role"], "content": m["content"]} for m in messages]
    if note.strip():
        detail["note"] = note.strip()
    return Decision(record_id, action, reason, detail, target=rater, rater=rater, step=STEP)


def record_verdict(store, record_id: str, rater: str, action: str, *, reason: str = "", note: str = "",
                   messages: list[dict[str, str]] | None = None) -> int:
    """Commit one reviewer's verdict on one row now; returns its sequence number."""
    decision = verdict_decision(record_id, rater, action, reason=reason, note=note, messages=messages)
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
