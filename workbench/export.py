"""Writing an export folder atomically: train/holdout, removed, quarantine, report, data card.

Same input, recipe and decisions give byte-identical files; the only time stamp is
report.json's `created_at`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from . import __version__
from .recipe import Recipe, RecipeOutcome
from .records import UNLABELLED


@dataclass
class ExportInfo:
    """What an export is made of, besides the recipe outcome."""

    recipe: Recipe
    inputs: list[dict[str, Any]]  # path, format, sha256, rows, quarantined
    quarantine: list[dict[str, Any]]  # file, line, reason, raw
    project: str | None = None
    snapshot_id: str | None = None
    extra_report: dict[str, Any] = field(default_factory=dict)

    @property
    def input_hash(self) -> str:
        h = hashlib.sha256()
        for item in self.inputs:
            h.update(item["sha256"].encode())
        return h.hexdigest()


@dataclass
class ExportResult:
    out_dir: Path
    report: dict[str, Any]
    files: dict[str, Path]


def write_export(outcome: RecipeOutcome, out_dir: str | Path, info: ExportInfo, exporter: Any,
                 with_meta: bool = False,
                 check: Callable[[Path, dict[str, Any]], None] | None = None) -> ExportResult:
    """Write the export into a temporary folder and rename it into place. `check(folder, report)`
    runs on the written files before the report and the data card (the PII leak check adds its
    section to the report there)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        report = _write_files(outcome, tmp, info, exporter, with_meta, check)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = {name: out_dir / name for name in report["files"]}
    files["report.json"] = out_dir / "report.json"
    files["DATA_CARD.md"] = out_dir / "DATA_CARD.md"
    return ExportResult(out_dir, report, files)


def _write_files(outcome: RecipeOutcome, folder: Path, info: ExportInfo, exporter: Any,
                 with_meta: bool, check: Callable[[Path, dict[str, Any]], None] | None) -> dict[str, Any]:
    kept = outcome.kept
    names = {}
    for split in ("train", "holdout"):
        name = f"{split}.{exporter.extension}"
        exporter.write(kept.filter(pl.col("split") == split).drop("split"), folder / name, with_meta)
        names[split] = name
    with open(folder / "removed.jsonl", "wb") as f:
        for row in outcome.removed.iter_rows(named=True):
            row["detail"] = orjson.loads(row["detail"]) if row["detail"] else {}  # stored as JSON text
            f.write(orjson.dumps(row) + b"\n")
    with open(folder / "quarantine.jsonl", "wb") as f:
        for q in info.quarantine:
            f.write(orjson.dumps({"file": q["file"], "line": q.get("line"), "reason": q["reason"],
                                  "raw": q.get("raw", "")}) + b"\n")
    files = {}
    for name in (names["train"], names["holdout"], "removed.jsonl", "quarantine.jsonl"):
        files[name] = {"sha256": _sha256(folder / name)}
    files[names["train"]]["rows"] = int((kept.get_column("split") == "train").sum())
    files[names["holdout"]]["rows"] = int((kept.get_column("split") == "holdout").sum())
    files["removed.jsonl"]["rows"] = outcome.removed.height
    files["quarantine.jsonl"]["rows"] = len(info.quarantine)

    report = build_report(outcome, info, exporter.name, with_meta, files)
    if check is not None:
        check(folder, report)
    deterministic = {k: v for k, v in report.items() if k != "created_at"}
    (folder / "DATA_CARD.md").write_text(data_card(deterministic), encoding="utf-8", newline="\n")
    (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8", newline="\n")
    return report


def build_report(outcome: RecipeOutcome, info: ExportInfo, fmt: str, with_meta: bool,
                 files: dict[str, Any]) -> dict[str, Any]:
    kept = outcome.kept
    categories: dict[str, dict[str, int]] = {}
    counts = (kept.select(pl.col("category").fill_null(UNLABELLED), "split")
              .group_by("category", "split").len().sort("category", "split"))
    for cat, split, n in counts.iter_rows():
        entry = categories.setdefault(cat, {"train": 0, "holdout": 0, "total": 0})
        entry[split] = n
        entry["total"] += n
    removed = outcome.removed
    by_reason = Counter(removed.get_column("reason").to_list()) if removed.height else Counter()
    by_step = Counter(removed.get_column("step").to_list()) if removed.height else Counter()
    origins = dict(kept.group_by("origin").len().sort("origin").iter_rows()) if kept.height else {}
    return {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "workbench_version": __version__,
        "project": info.project,
        "snapshot": info.snapshot_id,
        "format": fmt,
        "with_meta": with_meta,
        "input_hash": info.input_hash,
        "recipe_hash": info.recipe.hash,
        "recipe": info.recipe.to_dict(),
        "inputs": [{k: item[k] for k in ("path", "format", "sha256", "rows", "quarantined")}
                   for item in info.inputs],
        "rows_in": outcome.rows_in,
        "quarantined": len(info.quarantine),
        "steps": [s.to_dict() for s in outcome.steps],
        "removed": {"total": removed.height, "by_step": dict(sorted(by_step.items())),
                    "by_reason": dict(sorted(by_reason.items()))},
        "flagged": len(outcome.flagged),
        "splits": {"train": int((kept.get_column("split") == "train").sum()),
                   "holdout": int((kept.get_column("split") == "holdout").sum())},
        "categories": categories,
        "origins": origins,
        "files": files,
        **info.extra_report,
    }


def data_card(report: dict[str, Any]) -> str:
    """A human-readable summary of report.json (without the time stamp)."""
    title = report.get("project") or "dataset"
    total = report["splits"]["train"] + report["splits"]["holdout"]
    lines = [
        f"# Data card: {title}",
        "",
        f"Exported by workbench {report['workbench_version']} in `{report['format']}` format. "
        f"{total:,} examples: {report['splits']['train']:,} for training and "
        f"{report['splits']['holdout']:,} held out (never trained on), from {report['rows_in']:,} "
        f"imported rows; {report['removed']['total']:,} removed by the recipe and "
        f"{report['quarantined']:,} unreadable input rows quarantined.",
        "",
        "## Sources",
        "",
        "| file | format | rows | quarantined | sha256 |",
        "|---|---|---:|---:|---|",
    ]
    for item in report["inputs"]:
        lines.append(f"| `{item['path']}` | {item['format']} | {item['rows']:,} | {item['quarantined']:,} "
                     f"| `{item['sha256'][:12]}` |")
    lines += ["", "## Curation steps", "", "| step | rows in | rows out | removed (by reason) |",
              "|---|---:|---:|---|"]
    for s in report["steps"]:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in s["removed"].items()) or "none"
        lines.append(f"| {s['name']} | {s['rows_in']:,} | {s['rows_out']:,} | {reasons} |")
    lines += ["", "Every removed row is listed in `removed.jsonl` with its source file and line, the step, "
              "the reason and, for duplicates, the id of the row that was kept.", ""]
    lines += ["## Categories", "", "| category | train | holdout | total | share |", "|---|---:|---:|---:|---:|"]
    for cat, c in sorted(report["categories"].items(), key=lambda kv: (-kv[1]["total"], kv[0])):
        share = c["total"] / total if total else 0
        lines.append(f"| {cat} | {c['train']:,} | {c['holdout']:,} | {c['total']:,} | {share:.1%} |")
    lines.append("")
    from .review.card import data_card_sections  # categorize, balance, synthetic_review (when in the recipe)

    lines += data_card_sections(report)
    from .pii.leak import data_card_lines as leak_check_lines  # the leak check (with a pii step)

    lines += leak_check_lines(report)
    split = report["recipe"]["split"]
    lines += ["## Split", "",
              f"Holdout share {split['holdout']:.0%} per category (stratified: {str(split['stratify']).lower()}), "
              f"assigned by a seeded hash of each record id (seed {split['seed']}), so a row keeps its side "
              "when the data around it changes.", ""]
    if report["origins"]:
        lines += ["## Origins", "", "| origin | rows |", "|---|---:|"]
        lines += [f"| {o} | {n:,} |" for o, n in report["origins"].items()]
        lines.append("")
    lines += ["## Reproducing", "",
              f"- input hash: `{report['input_hash']}`",
              f"- recipe hash: `{report['recipe_hash']}`", ""]
    for name, f in report["files"].items():
        lines.append(f"- `{name}`: {f['rows']:,} rows, sha256 `{f['sha256']}`")
    lines.append("")
    return "\n".join(lines)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename the finished folder into place; an existing export there is replaced whole."""
    if not out_dir.exists():
        os.replace(tmp, out_dir)
        return
    if not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a folder")
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def default_export_dir(project_dir: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    out = project_dir / "exports" / stamp
    n = 2
    while out.exists():
        out = project_dir / "exports" / f"{stamp}-{n}"
        n += 1
    return out
