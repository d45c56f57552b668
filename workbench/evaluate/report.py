"""The evaluation report: what the data was, how training went, the automated metrics and the
blind A/B verdict, as Markdown and as one self-contained HTML page (inline CSS and SVG).

`collect` gathers everything the report and the TUI Report tab show, the verdict in plain words
(`report_words`) first; `write_report` writes both
files atomically. Apart from the one "Generated …" line the files are byte-identical for the
same project state, so two reports can be diffed. The blocks of the document and their Markdown
and HTML are in `report_document`; the tables the TUI shares, in `report_tables`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import WorkbenchError
from .project import EvalProject
from .report_document import to_html, to_markdown
from .report_words import min_votes_setting, plain_verdict
from .stats import analyze

CURVE_POINTS = 400  # train-loss points kept per run for the chart (the holdout points are all kept)
RUN_PREFIX = "run:"


# -- gathering -------------------------------------------------------------------------------
def collect(project: EvalProject, *, bootstrap: int = 1000, seed: int = 0, baseline: str = "base",
            bar: float = 0.70) -> dict[str, Any]:
    """Everything the report shows, from the project's store, runs and exports."""
    from .arena import load_votes
    from .metrics import compute

    store = project.store
    votes = load_votes(store)
    stats = analyze(votes, bootstrap=bootstrap, seed=seed, baseline=baseline, bar=bar)
    words = plain_verdict(stats, min_votes_setting(project.config))
    try:
        registry = project.registry()
    except WorkbenchError:
        registry = None  # a broken plugin setting costs the plugin metrics, not the report
    metrics = compute(store, registry)
    models = sorted(set(stats["models"]) | set(metrics["models"]))
    runs = [r for r in (_run_summary(project.path, m[len(RUN_PREFIX):]) for m in models if m.startswith(RUN_PREFIX))
            if r is not None]
    return {
        "project": project.name,
        "models": {m: info for m, info in store.evals.models().items() if m in models},
        "data": _data_card(project.path, runs),
        "runs": runs,
        "metrics": metrics,
        "stats": stats,
        "words": words,
        "counts": {"prompts": len(store.evals.prompts()), "pairs": len(store.arena.pairs()), "votes": len(votes),
                   "raters": sorted({v.rater for v in votes})},
    }


def _run_summary(project_dir: Path, run_id: str) -> dict[str, Any] | None:
    from ..train.runs import Run, runs_dir

    run = Run(runs_dir(project_dir) / run_id)
    if not run.record_file.exists():
        return None
    record = run.read()
    rows = run.metrics()
    train = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None and "step" in r]
    holdout = [(r["step"], r["holdout_loss"]) for r in rows if r.get("holdout_loss") is not None and "step" in r]
    stride = max(1, -(-len(train) // CURVE_POINTS))
    kept = train[::stride] + ([train[-1]] if train and (len(train) - 1) % stride else [])
    return {
        "id": run_id, "model": RUN_PREFIX + run_id, "status": run.status(record),
        "base_model": (record.get("base_model") or {}).get("label") or (record.get("base_model") or {}).get("setting"),
        "export": (record.get("export") or {}).get("folder"),
        "steps": max((r.get("step", 0) for r in rows), default=0),
        "last_loss": train[-1][1] if train else None,
        "best_holdout_loss": min((h for _, h in holdout), default=None),
        "first_holdout_loss": holdout[0][1] if holdout else None,
        "train": kept, "holdout": holdout,
    }


def _data_card(project_dir: Path, runs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The summary of an export's report.json: the one the compared runs trained on, else the latest."""
    from ..train.data import latest_export

    folder, why = None, "the latest export"
    for run in runs:
        if run["export"] and (Path(run["export"]) / "report.json").is_file():
            folder, why = Path(run["export"]), f"the export {run['model']} trained on"
            break
    if folder is None:
        try:
            folder = latest_export(Path(project_dir))
        except WorkbenchError:
            return None
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        shown = str(folder.resolve().relative_to(Path(project_dir).resolve()))
    except ValueError:
        shown = str(folder)
    return {
        "folder": shown, "why": why, "created_at": report.get("created_at"),
        "rows_in": report.get("rows_in", 0), "quarantined": report.get("quarantined", 0),
        "splits": report.get("splits", {}), "categories": report.get("categories", {}),
        "removed": report.get("removed", {}),
        "steps": [{k: s.get(k) for k in ("name", "rows_in", "rows_out", "removed")} for s in report.get("steps", [])],
    }


# -- writing ---------------------------------------------------------------------------------
def write_report(project: EvalProject, out_dir: str | Path, *, data: dict[str, Any] | None = None) -> list[Path]:
    """Write report.md and report.html into `out_dir` (created if needed); returns their paths.

    `data` is a `collect` result to reuse (the TUI has one already); by default it is gathered here.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise WorkbenchError(f"{out}: exists and is not a folder; give --out a folder for report.md and report.html")
    try:
        from ..files import make_dirs

        make_dirs(out)  # private to the user, as its files (model answers to the holdout prompts) are
    except OSError as e:
        raise WorkbenchError(f"{out}: cannot create the report folder ({e.strerror or e})") from e
    data = data if data is not None else collect(project)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    generated = f"Generated {stamp} by workbench {__version__}."
    files = [(out / "report.md", to_markdown(data, generated)), (out / "report.html", to_html(data, generated))]
    for path, text in files:
        _atomic_write(path, text)
    return [path for path, _ in files]


def _atomic_write(path: Path, text: str) -> None:
    from ..files import write_atomically

    try:
        write_atomically(path, text)
    except OSError as e:
        raise WorkbenchError(f"{path}: cannot write the report ({e.strerror or e})") from e
