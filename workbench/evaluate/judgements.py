"""Judgements in and out: pairwise verdicts made elsewhere become votes, and decisive votes
become preference pairs for TRL's DPO trainer.

An imported file is read and checked whole before anything is stored; one bad row and nothing
is stored. Importing the same file again adds no vote that is already standing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import InputError, WorkbenchError
from ..io.out_shapes import trl_preference_row
from ..store import Store

WINNERS = ("a", "b", "tie", "both_bad")
ROLES = ("system", "user", "assistant")
FIELDS = ("prompt", "model_a", "model_b", "response_a", "response_b", "winner")


@dataclass
class ImportSummary:
    rows: int = 0
    votes_added: int = 0
    already_stored: int = 0
    pairs_added: int = 0
    models: list[str] = field(default_factory=list)
    raters: list[str] = field(default_factory=list)


def _text(row: dict[str, Any], key: str, file: str, line: int) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        kind = "missing" if key not in row else f"a {type(value).__name__}, not text"
        raise InputError(file, f'"{key}" is {kind}', line=line)
    return value


def _prompt_messages(value: Any, file: str, line: int) -> list[dict[str, str]]:
    if isinstance(value, str):
        if not value.strip():
            raise InputError(file, '"prompt" is empty', line=line)
        return [{"role": "user", "content": value}]
    if isinstance(value, list):
        messages = []
        for i, m in enumerate(value):
            if not (isinstance(m, dict) and m.get("role") in ROLES and isinstance(m.get("content"), str)):
                raise InputError(file, f'"prompt"[{i}] is not a {{"role", "content"}} message with role '
                                       f"{', '.join(ROLES)}", line=line)
            messages.append({"role": m["role"], "content": m["content"]})
        if not messages or messages[-1]["role"] != "user":
            raise InputError(file, '"prompt" as messages must end with a user turn', line=line)
        return messages
    kind = "missing" if value is None else f"a {type(value).__name__}"
    raise InputError(file, f'"prompt" is {kind}; expected text or a list of messages', line=line)


def prompt_id_for(messages: list[dict[str, str]]) -> str:
    """ext-<hash>: a plain one-turn prompt hashes its text, a conversation its canonical JSON."""
    if len(messages) == 1:
        key = messages[0]["content"]
    else:
        key = json.dumps(messages, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "ext-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def read_judgements(file: Path) -> list[dict[str, Any]]:
    """Every row of a judgements JSONL, checked; an InputError names the file, line and problem."""
    name = str(file)
    try:
        handle = open(file, encoding="utf-8")
    except OSError as e:
        raise InputError(name, f"cannot read ({e.strerror})") from None
    rows = []
    with handle:
        for line, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except ValueError as e:
                raise InputError(name, f"not valid JSON ({e})", line=line) from None
            if not isinstance(row, dict):
                raise InputError(name, "expected a JSON object with " + ", ".join(FIELDS), line=line)
            missing = [k for k in FIELDS if k not in row]
            if missing:
                raise InputError(name, f"missing {', '.join(missing)}", line=line)
            messages = _prompt_messages(row["prompt"], name, line)
            model_a, model_b = (_text(row, k, name, line).strip() for k in ("model_a", "model_b"))
            if not model_a or not model_b:
                raise InputError(name, "model_a and model_b must be non-empty names", line=line)
            if model_a == model_b:
                raise InputError(name, f"model_a and model_b are both {model_a!r}; a judgement compares two models",
                                 line=line)
            response_a, response_b = (_text(row, k, name, line) for k in ("response_a", "response_b"))
            winner = row["winner"]
            if winner not in WINNERS:
                raise InputError(name, f'"winner" is {winner!r}; expected one of {", ".join(WINNERS)}', line=line)
            category = row.get("category")
            if category is not None and not isinstance(category, str):
                raise InputError(name, '"category" must be text or null', line=line)
            rater = row.get("rater")
            if rater is not None and (not isinstance(rater, str) or not rater.strip()):
                raise InputError(name, '"rater" must be a non-empty text or left out', line=line)
            if model_a > model_b:  # the store keeps model_a < model_b
                model_a, model_b, response_a, response_b = model_b, model_a, response_b, response_a
                winner = {"a": "b", "b": "a"}.get(winner, winner)
            rows.append({"line": line, "messages": messages, "prompt_id": prompt_id_for(messages),
                         "model_a": model_a, "model_b": model_b, "reply_a": response_a, "reply_b": response_b,
                         "winner": winner, "category": category or None,
                         "rater": rater.strip() if rater else None})
    if not rows:
        raise InputError(name, "no judgements in this file")
    return rows


def import_judgements(store: Store, file: Path, comparison: str | None = None) -> ImportSummary:
    """Store a judgements file as prompts, external models, pairs and votes, all or nothing."""
    file = Path(file)
    rows = read_judgements(file)
    source = f"import:{file.name}"
    summary = ImportSummary(rows=len(rows))
    with store.transaction():
        store.evals.add_prompts({"prompt_id": r["prompt_id"], "source": "imported", "category": r["category"],
                                "messages": r["messages"], "reference": None,
                                "origin": {"file": str(file), "line": r["line"]}} for r in rows)
        models = sorted({m for r in rows for m in (r["model_a"], r["model_b"])})
        for model in models:
            store.evals.add_model(model, "external", {"file": str(file)}, replace=False)
        first_line: dict[tuple[str, str, str, str], int] = {}
        votes = []
        latest: dict[tuple[int, str], str] = {}
        standing = {(v["pair_id"], v["rater"]): v for v in store.arena.votes()}
        for r in rows:
            name = comparison or f"{r['model_a']} vs {r['model_b']}"
            key = (name, r["prompt_id"], r["model_a"], r["model_b"])
            summary.pairs_added += store.arena.add_pairs([{"comparison": name, "prompt_id": r["prompt_id"],
                                                           "model_a": r["model_a"], "model_b": r["model_b"],
                                                           "reply_a": r["reply_a"], "reply_b": r["reply_b"],
                                                           "left": "", "seed": 0}])
            pair_id = store.arena.pair_id(*key)
            pair = store.arena.pair(pair_id)
            if (pair["reply_a"], pair["reply_b"]) != (r["reply_a"], r["reply_b"]):
                earlier = f"line {first_line[key]}" if key in first_line else "an earlier import or generation"
                raise InputError(str(file), f"the same prompt and models as {earlier} but different responses; "
                                            "a pair holds one response per model", line=r["line"])
            first_line.setdefault(key, r["line"])
            # A later row for the same pair and rater replaces an earlier one, as a newer vote would.
            latest[(pair_id, r["rater"] or file.name)] = r["winner"]
        for (pair_id, rater), winner in latest.items():
            current = standing.get((pair_id, rater))
            if current is not None and current["winner"] == winner:
                summary.already_stored += 1
                continue
            votes.append((pair_id, rater, "", winner, "", source))
        store.arena.add_votes(votes)
    summary.votes_added = len(votes)
    summary.models = models
    summary.raters = sorted({r["rater"] or file.name for r in rows})
    return summary


# -- preference pairs ---------------------------------------------------------------------------------

@dataclass
class PreferenceSummary:
    written: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # tie / both_bad / skip -> votes
    split_pairs: int = 0  # pairs on which raters disagree: both directions are written


def preference_rows(store: Store, comparison: str | None = None) -> tuple[list[dict[str, Any]], PreferenceSummary]:
    """One {"prompt", "chosen", "rejected"} row per decisive standing vote, in pair and rater order."""
    from .arena import is_undo

    summary = PreferenceSummary()
    prompts = {p["prompt_id"]: p for p in store.evals.prompts()}
    rows = []
    directions: dict[int, set[str]] = {}
    votes = sorted((v for v in store.arena.votes(comparison) if not is_undo(v)), key=lambda v: (v["pair_id"], v["rater"]))
    for v in votes:
        if v["winner"] not in ("a", "b"):
            summary.left_out[v["winner"]] = summary.left_out.get(v["winner"], 0) + 1
            continue
        prompt = prompts.get(v["prompt_id"])
        if prompt is None:
            raise WorkbenchError(f"pair {v['pair_id']}: its prompt {v['prompt_id']} is not in the store")
        chosen, rejected = (v["reply_a"], v["reply_b"]) if v["winner"] == "a" else (v["reply_b"], v["reply_a"])
        # The row `workbench export --format trl` writes for a preference record: one kind, one shape.
        rows.append(trl_preference_row(prompt["messages"], [{"role": "assistant", "content": chosen}],
                                       [{"role": "assistant", "content": rejected}]))
        directions.setdefault(v["pair_id"], set()).add(v["winner"])
    summary.written = len(rows)
    summary.split_pairs = sum(1 for d in directions.values() if len(d) > 1)
    return rows, summary


def export_preferences(store: Store, out: Path, comparison: str | None = None) -> PreferenceSummary:
    """Write the decisive votes as TRL conversational preference JSONL (what `workbench export
    --format trl --kind preference` writes), atomically."""
    out = Path(out)
    rows, summary = preference_rows(store, comparison)
    if out.exists() and out.is_dir():
        raise WorkbenchError(f"{out}: is a folder; give a file name such as preferences.jsonl")
    from ..files import make_dirs, private_opener

    make_dirs(out.parent)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:  # readable by the user only, as an export is by default
        with open(tmp, "wb", opener=private_opener) as f:
            for row in rows:
                f.write(orjson.dumps(row) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return summary
