"""The prompts a model is judged on: the holdout of the export a run trained on, and general
prompts (MT-bench's first turns by default) that catch forgetting.

Holdout prompts come from the recipe snapshot the export was written from, which keeps every
record's id, category and final (scrubbed) messages, so categories are known even when the
export itself was written without --with-meta.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
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
