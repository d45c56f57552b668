"""The portable decision log: every human decision of a project as JSONL, out and in.

One JSON object per line, in the order the decisions were written:

    {"id": RECORD_ID, "step": STEP, "action": ACTION, "rater": WHO, "at": "2026-12-03T10:27:06+00:00",
     "target": ..., "reason": ..., "detail": {...}}

`target`, `reason` and `detail` appear only when they say something. A synthetic-review verdict's
target is always its rater (each reviewer has one standing verdict per row), so the log leaves it
out and reading puts it back. Importing is idempotent: a line already in the project (the same
decision by the same person at the same time) adds nothing, and a line without `at` (written by
hand) adds nothing when it is already the person's standing decision. A line whose record the
project does not have is reported with its line number and skipped; a line that cannot be read
stops the import before anything is added.

Blind A/B votes travel in the same file: step "compare", action "vote", `id` the prompt's id, and
the pair and the vote in `detail` (comparison, model_a, model_b, choice, winner, source); a vote
on a pair the project does not have is skipped like an unknown record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from ..errors import InputError, WorkbenchError
from ..files import write_atomically
from ..records import Decision
from ..store import HUMAN_ACTIONS

# Steps whose decisions are per reviewer: the target is the rater.
PER_RATER_STEPS = ("synthetic_review",)
FIELDS = ("id", "step", "action", "rater", "at", "target", "reason", "detail")
VOTE_STEP, VOTE_ACTION = "compare", "vote"
VOTE_DETAIL = ("comparison", "model_a", "model_b", "choice", "winner", "source")


@dataclass(frozen=True)
class LoggedVote:
    """One blind A/B vote as the log holds it: the pair by its names, not by a local number."""

    prompt_id: str
    comparison: str
    model_a: str
    model_b: str
    rater: str
    choice: str
    winner: str
    reason: str = ""
    source: str = "ui"
    at: str = ""

    @property
    def pair(self) -> tuple[str, str, str, str]:
        return (self.comparison, self.prompt_id, self.model_a, self.model_b)

    def identity(self) -> tuple:
        return (*self.pair, self.rater, self.choice, self.winner, self.reason, self.source, self.at)


def to_line(d: Decision) -> dict[str, Any]:
    """The log's object for one stored decision."""
    line: dict[str, Any] = {"id": d.record_id, "step": d.step, "action": d.action, "rater": d.rater,
                            "at": d.at}
    if d.target and not (d.step in PER_RATER_STEPS and d.target == d.rater):
        line["target"] = d.target
    if d.reason:
        line["reason"] = d.reason
    if d.detail:
        line["detail"] = d.detail
    return line


def vote_line(v: LoggedVote) -> dict[str, Any]:
    line: dict[str, Any] = {"id": v.prompt_id, "step": VOTE_STEP, "action": VOTE_ACTION, "rater": v.rater,
                            "at": v.at}
    if v.reason:
        line["reason"] = v.reason
    line["detail"] = {name: getattr(v, name) for name in VOTE_DETAIL}
    return line


def stored_votes(store) -> list[LoggedVote]:
    """Every vote ever cast in the project (undos included), oldest first."""
    return [LoggedVote(v["prompt_id"], v["comparison"], v["model_a"], v["model_b"], v["rater"], v["choice"],
                       v["winner"], v["reason"], v["source"], v["created_at"])
            for v in store.arena.votes(newest=False)]


def from_line(obj: Any) -> Decision | LoggedVote:
    """The decision one log object stands for; ValueError says what is wrong with it."""
    if not isinstance(obj, dict):
        raise ValueError("a decision must be a JSON object")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(repr, unknown))}; a decision has {', '.join(FIELDS)}")
    for name in ("id", "step", "action", "rater"):
        if not isinstance(obj.get(name), str) or not obj[name]:
            raise ValueError(f"'{name}' must be a non-empty string")
    if obj["action"] not in HUMAN_ACTIONS and (obj["step"], obj["action"]) != (VOTE_STEP, VOTE_ACTION):
        raise ValueError(f"unknown action {obj['action']!r}; expected one of {', '.join(HUMAN_ACTIONS)}")
    at = obj.get("at", "")
    if at:
        at = _utc_time(at)
    for name in ("target", "reason"):
        if not isinstance(obj.get(name, ""), str):
            raise ValueError(f"'{name}' must be a string")
    detail = obj.get("detail", {})
    if not isinstance(detail, dict):
        raise ValueError("'detail' must be a JSON object")
    if obj["step"] == VOTE_STEP:
        return _vote(obj, at, detail)
    target = obj.get("target") or (obj["rater"] if obj["step"] in PER_RATER_STEPS else "")
    return Decision(obj["id"], obj["action"], obj.get("reason", ""), detail, target, obj["rater"], obj["step"], at)


def _vote(obj: dict[str, Any], at: str, detail: dict[str, Any]) -> LoggedVote:
    if obj["action"] != VOTE_ACTION:
        raise ValueError(f"a '{VOTE_STEP}' line records a vote: its action must be '{VOTE_ACTION}'")
    missing = [name for name in VOTE_DETAIL if not isinstance(detail.get(name), str) or not detail[name]]
    if missing:
        raise ValueError(f"a vote needs {', '.join(missing)} in 'detail'")
    return LoggedVote(obj["id"], detail["comparison"], detail["model_a"], detail["model_b"], obj["rater"],
                      detail["choice"], detail["winner"], obj.get("reason", ""), detail["source"], at)


def _utc_time(value: Any) -> str:
    """The stored form of a time: UTC, to the second, as the store writes it."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError(f"'at' must be a time with its zone, like 2026-12-03T10:27:06+00:00; got {value!r}")
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def write_log(store, path: Path | None, force: bool = False) -> int:
    """Write every decision to `path` (None: standard output); returns how many.

    The file is written under a temporary name and renamed, and an existing file is replaced only
    with `force`: the log never overwrites what a user wrote by accident.
    """
    lines = [to_line(d) for d in store.decisions.log()] + [vote_line(v) for v in stored_votes(store)]
    data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    if path is None:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return len(lines)
    if path.is_dir():
        raise WorkbenchError(f"{path}: is a folder; give a file name for the decision log")
    if path.exists() and not force:
        raise LogExists(f"{path}: exists; pass --force to replace it with the decision log")
    try:
        write_atomically(path, data)
    except OSError as e:
        raise WorkbenchError(f"{path}: cannot write the decision log: {e.strerror or e}") from None
    return len(lines)


class LogExists(WorkbenchError):
    exit_code = 2


@dataclass
class ImportReport:
    added: int = 0
    already: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def read_log(path: Path) -> list[tuple[int, Decision | LoggedVote]]:
    """(line number, decision) for every line of a log file; InputError names the first bad line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except OSError as e:
        raise InputError(str(path), f"cannot be read: {e.strerror or e}") from None
    out = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise InputError(str(path), f"not valid JSON ({e})", number) from None
        try:
            out.append((number, from_line(obj)))
        except ValueError as e:
            raise InputError(str(path), str(e), number) from None
    return out


def import_log(store, path: Path, record_ids: Iterable[str]) -> ImportReport:
    """Add the decisions and votes of a log file that the project does not hold yet, one
    transaction for each kind."""
    entries = read_log(path)
    known = set(record_ids)
    have = {_identity(d) for d in store.decisions.log()}
    standing = store.decisions.standing()
    cast = stored_votes(store)
    votes_had = {v.identity() for v in cast}
    # The standing vote per pair and rater: the newest by the time it was cast (the store's rule).
    votes_standing = {(*v.pair, v.rater): v for v in sorted(cast, key=lambda v: v.at)}
    report = ImportReport()
    todo: list[Decision] = []
    votes: list[tuple] = []
    for number, d in entries:
        if isinstance(d, LoggedVote):
            pair_id = store.arena.pair_id(*d.pair)
            if pair_id is None:
                report.skipped.append((number, f"no blind pair for prompt {d.prompt_id} in comparison "
                                               f"{d.comparison} ({d.model_a} vs {d.model_b}) in this project"))
                continue
            current = votes_standing.get((*d.pair, d.rater))
            if d.identity() in votes_had or (not d.at and current is not None
                                             and current.identity()[:-1] == d.identity()[:-1]):
                report.already += 1
                continue
            votes_had.add(d.identity())
            votes.append((pair_id, d.rater, d.choice, d.winner, d.reason, d.source, d.at or None))
            continue
        if d.record_id not in known:
            report.skipped.append((number, f"no record {d.record_id} in this project"))
            continue
        if d.at:
            duplicate = _identity(d) in have
        else:
            current = standing.get((d.step, d.record_id, d.target))
            duplicate = current is not None and _identity(current)[:-1] == _identity(d)[:-1]
        if duplicate:
            report.already += 1
            continue
        have.add(_identity(d))
        todo.append(d)
    if todo:
        store.decisions.decide_many(todo)
    if votes:
        store.arena.add_votes([v if v[6] else v[:6] for v in votes])
    report.added = len(todo) + len(votes)
    return report


def _identity(d: Decision) -> tuple:
    detail = json.dumps(d.detail, sort_keys=True)
    return (d.step, d.record_id, d.target, d.action, d.reason, detail, d.rater, d.at)
