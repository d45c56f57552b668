"""The prompts a model is judged on: the holdout of the export a run trained on, and general
prompts (MT-bench's first turns by default) that catch forgetting.

Holdout prompts come from the recipe snapshot the export was written from, which keeps every
record's id, category and final (scrubbed) messages, so categories are known even when the
export itself was written without --with-meta.

Prompts too short or too trivial to judge (a greeting, a thank-you, a closer such as "Thank u!
Have a good one.") tell a rater nothing about either model; they are left out of the drawn set,
counted by kind, unless `[eval] keep_trivial = true` (or `--keep-trivial`) keeps them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError, InputError, WorkbenchError
from ..layout import snapshots_dir

GENERAL_CATEGORY = "general"
MTBENCH = Path("sample_data") / "external" / "mt-bench" / "question.jsonl"
Echo = Callable[[str], None]


def split_reply(messages: list[dict[str, str]]) -> tuple[list[dict[str, str]], str] | None:
    """(the conversation up to and including the last user turn, the assistant reply after it)."""
    if len(messages) < 2 or messages[-1]["role"] != "assistant" or messages[-2]["role"] != "user":
        return None
    return [{"role": m["role"], "content": m["content"]} for m in messages[:-1]], messages[-1]["content"]


def holdout_prompts(project_dir: Path, export_folder: Path, snapshot: str | None = None,
                    echo: Echo | None = None) -> list[dict[str, Any]]:
    """The held-out conversations of an export as prompts, with the last assistant turn as reference."""
    export_folder = Path(export_folder)
    report_file = export_folder / "report.json"
    if snapshot is None and report_file.is_file():
        try:
            snapshot = json.loads(report_file.read_text(encoding="utf-8")).get("snapshot")
        except ValueError as e:
            raise InputError(str(report_file), f"not valid JSON ({e})") from None
    origin = {"export": str(export_folder), "snapshot": snapshot}
    path = snapshots_dir(project_dir) / f"{snapshot}.parquet" if snapshot else None
    if path is not None and path.is_file():
        import polars as pl

        frame = pl.read_parquet(path, columns=["id", "messages", "category", "split"])
        rows = frame.filter(pl.col("split") == "holdout").select("id", "messages", "category").to_dicts()
    else:
        # The snapshot is gone: read the export's own holdout file (categories only with --with-meta).
        if echo:
            echo(f"snapshot {snapshot} not found; reading the holdout file of {export_folder} instead")
        rows = _export_holdout_rows(export_folder)
    out, unusable = [], 0
    for row in rows:
        parts = split_reply(row["messages"])
        if parts is None:
            unusable += 1
            continue
        prompt, reference = parts
        out.append({"prompt_id": row["id"], "source": "holdout", "category": row.get("category"),
                    "messages": prompt, "reference": reference, "origin": origin})
    if unusable and echo:
        echo(f"{unusable} holdout row(s) left out: they do not end with a user turn and an assistant reply")
    return sorted(out, key=lambda p: p["prompt_id"])


def _export_holdout_rows(folder: Path) -> list[dict[str, Any]]:
    from ..records import record_id
    from ..train.data import _split_file, to_messages

    path = _split_file(folder, "holdout", {})
    if path is None:
        raise WorkbenchError(f"{folder}: no holdout file (holdout.jsonl or holdout.parquet)")
    if path.suffix == ".parquet":
        import polars as pl

        raw = pl.read_parquet(path).to_dicts()
    else:
        raw = []
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if line.strip():
                    try:
                        raw.append(json.loads(line))
                    except ValueError as e:
                        raise InputError(str(path), f"not valid JSON ({e})", line=i) from None
    rows = []
    for item in raw:
        messages = to_messages(item)
        if messages:
            rows.append({"id": item.get("id") or record_id(messages), "messages": messages,
                         "category": item.get("category")})
    return rows


def default_general_file(project_config: dict[str, Any] | None = None, project_dir: Path | None = None) -> Path:
    """workbench.toml [eval] general_prompts, else MT-bench from the workbench checkout's sample data."""
    setting = ((project_config or {}).get("eval") or {}).get("general_prompts")
    if setting:
        path = Path(setting).expanduser()
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        if not path.is_file():
            raise ConfigError(f"workbench.toml [eval] general_prompts = {setting!r}: no such file")
        return path
    path = Path(__file__).resolve().parents[2] / MTBENCH
    if not path.is_file():
        raise ConfigError("the default general prompts (MT-bench) are not here; set [eval] general_prompts in "
                          "workbench.toml to a question.jsonl, pass --general-file, or pass --no-general")
    return path


def general_prompts(file: Path) -> list[dict[str, Any]]:
    """General prompts from an MT-bench question.jsonl (first turn only) or a JSONL of
    {"prompt": text} / {"messages": [...]} rows. A bad line is an error naming it."""
    file = Path(file)
    out = []
    try:
        handle = open(file, encoding="utf-8")
    except OSError as e:
        raise InputError(str(file), f"cannot read ({e.strerror})") from None
    with handle:
        for i, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise InputError(str(file), f"not valid JSON ({e})", line=i) from None
            if not isinstance(row, dict):
                raise InputError(str(file), "expected a JSON object", line=i)
            out.append(_general_row(row, file, i))
    if not out:
        raise InputError(str(file), "no prompts in this file")
    return out


def _general_row(row: dict[str, Any], file: Path, line: int) -> dict[str, Any]:
    origin: dict[str, Any] = {"file": str(file), "line": line}
    reference = None
    if isinstance(row.get("turns"), list) and row["turns"]:  # MT-bench
        qid = row.get("question_id", line)
        prompt_id = f"mtbench-{qid}"
        text = row["turns"][0]
        refs = row.get("reference")
        if isinstance(refs, list) and refs and isinstance(refs[0], str):
            reference = refs[0]
        if row.get("category"):
            origin["mtbench_category"] = row["category"]
        messages = [{"role": "user", "content": str(text)}]
    elif isinstance(row.get("prompt"), str) or isinstance(row.get("messages"), list):
        messages = ([{"role": "user", "content": row["prompt"]}] if isinstance(row.get("prompt"), str)
                    else [{"role": str(m.get("role")), "content": str(m.get("content") or "")}
                          for m in row["messages"] if isinstance(m, dict)])
        reference = row.get("reference") if isinstance(row.get("reference"), str) else None
        key = json.dumps(messages, sort_keys=True, ensure_ascii=False)
        prompt_id = f"general-{row.get('id') or hashlib.sha256(key.encode()).hexdigest()[:16]}"
    else:
        raise InputError(str(file), 'expected MT-bench "turns", a "prompt" text or "messages"', line=line)
    if not messages or messages[-1]["role"] != "user" or not messages[-1]["content"].strip():
        raise InputError(str(file), "the prompt must end with a non-empty user turn", line=line)
    return {"prompt_id": prompt_id, "source": "general", "category": GENERAL_CATEGORY, "messages": messages,
            "reference": reference, "origin": origin}


def select(prompts: list[dict[str, Any]], limit: int | None = None,
           per_category: int | None = None) -> list[dict[str, Any]]:
    """A stable cut of the prompts for a quick loop: at most `per_category` per category, then the
    first `limit` taking categories in turn, so even a small limit covers every category."""
    if limit is not None and limit < 1:
        raise WorkbenchError(f"--limit must be at least 1, got {limit}")
    if per_category is not None and per_category < 1:
        raise WorkbenchError(f"--per-category must be at least 1, got {per_category}")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in prompts:
        groups[p.get("category") or ""].append(p)
    # Within a category a hash order, not id order, so a cut is not biased towards some ids.
    ordered = {c: sorted(g, key=lambda p: hashlib.sha256(p["prompt_id"].encode()).hexdigest())
               for c, g in sorted(groups.items())}
    if per_category is not None:
        ordered = {c: g[:per_category] for c, g in ordered.items()}
    out: list[dict[str, Any]] = []
    depth = 0
    while any(depth < len(g) for g in ordered.values()):
        out += [g[depth] for g in ordered.values() if depth < len(g)]
        depth += 1
    return out[:limit] if limit is not None else out


# -- prompts too trivial to judge -------------------------------------------------------------------
MIN_WORDS = 2  # a last user turn with fewer words is "too short" ([eval] min_prompt_words)
_GREETINGS = frozenset("hi hello hey hiya howdy morning afternoon evening greetings".split())
_CLOSERS = frozenset("""thanks thank thx ty tysm cheers bye goodbye appreciate appreciated helpful welcome
    great perfect brilliant awesome excellent fantastic wonderful amazing cool nice lovely sorted understood
    ok okay k alright got sense clear""".split())
# Words that may come with a greeting or a closer without asking anything.
_FILLER = frozenset("""you u ya again so much very really a lot the for your that that's thats it it's its
    have good one day night weekend now makes make made is was all set super quick help answer explaining
    reply been you've youve i i'm im we this there take care see later no worries fine will do done and
    just well yes yeah yep sure oh ah great super many heaps bunch of to my me""".split())
_WORD = re.compile(r"[a-z']+")


def trivial_kind(prompt: dict[str, Any], min_words: int = MIN_WORDS) -> str | None:
    """Why a prompt is too trivial to judge ("closer", "greeting", "too short"), or None to keep it.

    The turn judged is the last user turn. A question mark keeps it; otherwise a turn made only of
    greeting, thank-you and filler words is a greeting or a closer, and one of fewer than
    `min_words` words is too short.
    """
    text = next((str(m.get("content") or "") for m in reversed(prompt.get("messages") or [])
                 if m.get("role") == "user"), "")
    text = text.lower().replace("\u2019", "'")
    words = _WORD.findall(text)
    if "?" in text:
        return None
    marked = [w for w in words if w in _CLOSERS or w in _GREETINGS]
    if words and marked and all(w in _CLOSERS or w in _GREETINGS or w in _FILLER for w in words):
        return "greeting" if all(w in _GREETINGS for w in marked) else "closer"
    if len(words) < min_words:
        return "too short"
    return None


@dataclass
class LeftOut:
    """The prompts left out as too trivial to judge: how many of each kind, with an example each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """ "3 closers, 1 greeting left out", "" when none was."""
        if not self.total:
            return ""
        names = {"closer": ("closer", "closers"), "greeting": ("greeting", "greetings"),
                 "too short": ("too short", "too short")}
        parts = [f"{n:,} {names[kind][n != 1]}" for kind, n in sorted(self.counts.items())]
        return ", ".join(parts) + " left out"


def leave_out_trivial(prompts: list[dict[str, Any]], keep: bool = False,
                      min_words: int = MIN_WORDS) -> tuple[list[dict[str, Any]], LeftOut]:
    """(the prompts worth judging, what was left out); with `keep`, every prompt and an empty LeftOut."""
    left_out = LeftOut()
    if keep:
        return list(prompts), left_out
    kept = []
    for p in prompts:
        kind = trivial_kind(p, min_words)
        if kind is None:
            kept.append(p)
            continue
        left_out.counts[kind] += 1
        if kind not in left_out.examples:
            last = next((m.get("content") or "" for m in reversed(p["messages"]) if m.get("role") == "user"), "")
            left_out.examples[kind] = " ".join(str(last).split())
    return kept, left_out


def trivial_settings(project_config: dict[str, Any] | None) -> tuple[bool, int]:
    """workbench.toml [eval] keep_trivial (default false) and min_prompt_words (default 2)."""
    section = (project_config or {}).get("eval") or {}
    keep = section.get("keep_trivial", False)
    min_words = section.get("min_prompt_words", MIN_WORDS)
    if not isinstance(keep, bool):
        raise ConfigError(f"workbench.toml [eval] keep_trivial = {keep!r}: expected true or false")
    if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 0:
        raise ConfigError(f"workbench.toml [eval] min_prompt_words = {min_words!r}: expected a whole number, 0 or more")
    return keep, min_words
