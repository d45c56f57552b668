"""The evaluation report: what the data was, how training went, the automated metrics and the
blind A/B verdict, as Markdown and as one self-contained HTML page (inline CSS and SVG).

`collect` gathers everything the report and the TUI Report tab show; `write_report` writes both
files atomically. Apart from the one "Generated …" line the files are byte-identical for the
same project state, so two reports can be diffed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import WorkbenchError
from . import svg
from .stats import analyze
from .text import bt_rows, position_line, win_rate_rows

CURVE_POINTS = 400  # train-loss points kept per run for the chart (the holdout points are all kept)
RUN_PREFIX = "run:"


# -- gathering -------------------------------------------------------------------------------
def collect(project: Any, *, bootstrap: int = 1000, seed: int = 0, baseline: str = "base",
            bar: float = 0.70) -> dict[str, Any]:
    """Everything the report shows, from the project's store, runs and exports."""
    from .arena import load_votes
    from .metrics import compute

    store = project.store
    votes = load_votes(store)
    stats = analyze(votes, bootstrap=bootstrap, seed=seed, baseline=baseline, bar=bar)
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
        "models": {m: info for m, info in store.eval_models().items() if m in models},
        "data": _data_card(project.path, runs),
        "runs": runs,
        "metrics": metrics,
        "stats": stats,
        "counts": {"prompts": len(store.eval_prompts()), "pairs": len(store.pairs()), "votes": len(votes),
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


# -- tables shared with the TUI --------------------------------------------------------------
def metric_cell(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if name == "length" else f"{value:.3f}"


def metric_tables(metrics: dict[str, Any], sep: str = " ") -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) with the models side by side: each metric overall, then each
    category with a column per (metric, model), headed "metric<sep>model". A metric no reply had a
    value for is left out (see `unused_metrics`)."""
    models = metrics["models"]
    names = [n for n in metrics["metrics"] if n not in unused_metrics(metrics)]
    if not models:
        return []
    overall = [["replies"] + [str(metrics["counts"].get(m, 0)) for m in models]]
    overall += [[n] + [metric_cell(n, metrics["overall"][m][n]) for m in models] for n in names]
    out = [("overall", ["metric"] + list(models), overall)]
    rows = []
    for category, block in metrics["by_category"].items():
        rows.append([category] + [metric_cell(n, (block.get(m) or {}).get(n)) for n in names for m in models])
    if rows:
        out.append(("per category", ["category"] + [f"{n}{sep}{m}" for n in names for m in models], rows))
    return out


def unused_metrics(metrics: dict[str, Any]) -> list[str]:
    """Metrics that applied to no reply (e.g. a JSON check on plain-text replies)."""
    return [n for n in metrics["metrics"]
            if all((metrics["overall"][m] or {}).get(n) is None for m in metrics["models"])]


def chart_rows(entry: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The model the chart speaks for and its rows (overall first), from a stats pair entry."""
    view = entry.get("view")
    if view is not None:
        items = [("overall", view)] + list(view["categories"].items())
        return view["model"], [{"label": k, "rate": e["win_rate"], "n": e["n"], "wilson": e["wilson"],
                                "bootstrap": e["bootstrap"]} for k, e in items]
    items = [("overall", entry)] + list(entry["categories"].items())
    return entry["model_a"], [{"label": k, "rate": e["win_rate_a"], "n": e["n"], "wilson": e["wilson"],
                               "bootstrap": e["bootstrap"]} for k, e in items]


def pair_title(entry: dict[str, Any], whose: bool = False) -> str:
    """"<tuned> vs base: N votes on P prompts"; `whose` adds whose wins the short table counts."""
    view = entry.get("view")
    hero, other = (view["model"], view["baseline"]) if view else (entry["model_a"], entry["model_b"])
    skipped = f", {entry['skips']} skipped" if entry["skips"] else ""
    title = f"{hero} vs {other}: {entry['n']} votes on {entry['prompts']} prompts{skipped}"
    return title + (f" · wins, losses and win rate are {hero}'s" if whose else "")


# -- the document, once, for both formats ----------------------------------------------------
def _blocks(data: dict[str, Any]) -> list[tuple]:
    """The report as ("h1"|"h2"|"h3"|"p"|"verdict"|"list"|"table"|"svg", ...) blocks."""
    stats, bar = data["stats"], data["stats"]["settings"]["bar"]
    out: list[tuple] = [("h1", f"Evaluation report: {data['project']}"), ("generated",)]
    out += [("h2", "Verdict"), ("verdict", stats["verdict"])]
    if len(stats["verdicts"]) > 1:
        out.append(("list", stats["verdicts"][1:]))
    c = data["counts"]
    raters = ", ".join(c["raters"]) or "none yet"
    out.append(("p", f"{c['votes']:,} standing votes by {len(c['raters'])} rater{'s' * (len(c['raters']) != 1)} "
                     f"({raters}) on {c['pairs']:,} blind pairs over {c['prompts']:,} prompts. A fine-tune that "
                     f"wins {bar:.0%} or more of the comparisons on its tasks is the usual bar for a strong signal."))
    if data["models"]:
        out.append(("table", ["model", "kind", "what"],
                    [[m, info["kind"], _model_detail(info["detail"])] for m, info in data["models"].items()],
                    [False, False, False]))
    out += _data_blocks(data["data"])
    out += _training_blocks(data["runs"])
    out += [("h2", "Automated metrics")]
    tables = metric_tables(data["metrics"])
    if not tables:
        out.append(("p", "No replies stored yet: run `workbench generate` first."))
    for title, headers, rows in tables:
        out += [("h3", sentence(title)), ("table", headers, rows, [False] + [True] * (len(headers) - 1))]
    if tables:
        unused = unused_metrics(data["metrics"])
        out.append(("p", "rouge_l (F-measure) and exact_match are means over prompts with a reference reply; "
                         "length is in words. Each model is scored on its newest reply per prompt."
                         + (f" Not shown, as no reply had a value: {', '.join(unused)}." if unused else "")))
    for name, why in data["metrics"].get("errors", {}).items():
        out.append(("p", f"Metric {name} failed and was left out: {why}"))
    out += [("h2", "Win rates")]
    if not stats["pairs"]:
        out.append(("p", "No votes yet: rate pairs with `workbench compare` or the Compare tab, or import "
                         "judgements with `workbench eval import-judgements`."))
    for entry in stats["pairs"]:
        headers, rows = win_rate_rows(entry)
        hero, chart = chart_rows(entry)
        out += [("h3", pair_title(entry)),
                ("svg", svg.win_rate_chart(chart, bar=bar, title=f"win rate of {hero} per category")),
                ("table", headers, rows, [False] + [True] * (len(headers) - 1))]
    out += _position_blocks(stats)
    if stats.get("bradley_terry"):
        headers, rows = bt_rows(stats["bradley_terry"])
        out += [("h2", "Bradley-Terry strengths"),
                ("p", "Maximum-likelihood strengths over all comparisons, ties as half a win each; log-strengths "
                      "are centred on the mean model (no model is the anchor), the Elo-like column is "
                      "1000 + 400·log10(strength); intervals from the prompt bootstrap."),
                ("table", headers, rows, [False] + [True] * (len(headers) - 1))]
    out += _agreement_blocks(stats)
    if stats["notes"]:
        out += [("h2", "Notes"), ("list", stats["notes"])]
    s = stats["settings"]
    out += [("h2", "How these numbers are computed"),
            ("list", [
                "Win rate = (wins + ½ × ties) / (wins + losses + ties); \"both bad\" counts as a tie and skips are "
                "left out. A vote is one rater's newest vote on one pair.",
                "Wilson: the 95% Wilson score interval on that proportion, the ties entering as half a success.",
                f"Bootstrap: {s['bootstrap']:,} resamples of the prompts (seed {s['seed']}), all the votes on a "
                "prompt moving together; the 2.5th and 97.5th percentiles of the win rate.",
                "A category counts as won when its win rate is above 50%, and clearly won when both intervals lie "
                f"above 50%. The verdict quotes the bootstrap interval; the {bar:.0%} bar is passed on the point "
                "estimate, and by the whole interval when both intervals clear it.",
                "Position bias: the share of decisive votes (not ties) that went to the reply shown on the left, "
                "with its Wilson interval; a warning when the interval excludes 50%.",
            ])]
    return out


def _model_detail(detail: dict[str, Any]) -> str:
    keys = ("label", "base_model", "run", "adapter", "path", "source")
    parts = [f"{k}: {detail[k]}" for k in keys if detail.get(k) not in (None, "", {}, [])]
    return "; ".join(parts) or "–"


def _data_blocks(card: dict[str, Any] | None) -> list[tuple]:
    out: list[tuple] = [("h2", "Data")]
    if card is None:
        return out + [("p", "No export found (run `workbench export`).")]
    splits = card["splits"]
    total = splits.get("train", 0) + splits.get("holdout", 0)
    removed = card["removed"]
    out.append(("p", f"From {card['why']}, {card['folder']} (written {card['created_at']}): {total:,} examples, "
                     f"{splits.get('train', 0):,} for training and {splits.get('holdout', 0):,} held out, from "
                     f"{card['rows_in']:,} imported rows; {removed.get('total', 0):,} removed by the recipe and "
                     f"{card['quarantined']:,} unreadable rows quarantined."))
    if card["steps"]:
        rows = [[s["name"], f"{s['rows_in']:,}", f"{s['rows_out']:,}",
                 ", ".join(f"{r}: {n:,}" for r, n in (s["removed"] or {}).items()) or "none"] for s in card["steps"]]
        out.append(("table", ["step", "rows in", "rows out", "removed (why)"], rows, [False, True, True, False]))
    if card["categories"]:
        cats = sorted(card["categories"].items(), key=lambda kv: (-kv[1].get("total", 0), kv[0]))
        rows = [[cat, f"{c.get('train', 0):,}", f"{c.get('holdout', 0):,}", f"{c.get('total', 0):,}"]
                for cat, c in cats]
        out.append(("table", ["category", "train", "holdout", "total"], rows, [False, True, True, True]))
    return out


def _training_blocks(runs: Sequence[dict[str, Any]]) -> list[tuple]:
    out: list[tuple] = [("h2", "Training")]
    if not runs:
        return out + [("p", "No training run among the models compared.")]
    rows = [[r["id"], r["status"], r["base_model"] or "–", f"{r['steps']:,}", _loss(r["last_loss"]),
             _loss(r["first_holdout_loss"]), _loss(r["best_holdout_loss"])] for r in runs]
    out.append(("table", ["run", "status", "base model", "steps", "last train loss", "holdout loss at start",
                          "best holdout loss"], rows, [False, False, False, True, True, True, True]))
    colours = ("#4c78a8", "#f58518", "#54a24b", "#b279a2")
    series = []
    for i, r in enumerate(runs):
        colour = colours[i % len(colours)]
        series.append({"label": f"{r['id']} train", "points": r["train"], "colour": colour, "dash": "3 2"})
        series.append({"label": f"{r['id']} holdout", "points": r["holdout"], "colour": colour, "dots": True})
    chart = svg.loss_chart(series, title="train and holdout loss per step")
    if chart:
        out.append(("svg", chart))
    for r in runs:
        if r["holdout"]:
            train = dict(r["train"])
            out += [("h3", f"Run {r['id']}: holdout loss by step"),
                    ("table", ["step", "train loss", "holdout loss"],
                     [[f"{s:,}", _loss(train.get(s)), _loss(h)] for s, h in r["holdout"]], [True, True, True])]
    return out


def _loss(x: float | None) -> str:
    return "–" if x is None else f"{x:.4f}"


def _agreement_blocks(stats: dict[str, Any]) -> list[tuple]:
    out: list[tuple] = [("h2", "Agreement"), ("p", sentence(stats["agreement"]["line"]))]
    ma = stats["metric_agreement"]
    out.append(("p", sentence(ma["line"])))
    if ma["by_pair"]:
        rows = [[f"{p['model_a']} vs {p['model_b']}", str(p["items"]), str(p["agree"]),
                 p["experts_prefer"] or "neither", p["metric_prefers"] or "neither"] for p in ma["by_pair"]]
        out.append(("table", ["pair", "pairs with a ROUGE-L preference", "same verdict", "experts prefer",
                              "ROUGE-L prefers"], rows, [False, True, True, False, False]))
    if ma["note"]:
        out.append(("p", sentence(ma["note"])))
    return out


def _position_blocks(stats: dict[str, Any]) -> list[tuple]:
    if not stats["pairs"]:
        return []
    out: list[tuple] = [("h2", "Position bias")]
    lines = [f"{e['model_a']} vs {e['model_b']}: " + position_line(e["position_bias"]).replace("position bias: ", "")
             for e in stats["pairs"]]
    if len(stats["pairs"]) > 1:
        lines.append("all pairs: " + position_line(stats["position_bias"]).replace("position bias: ", ""))
    return out + [("list", lines)]


def sentence(text: str) -> str:
    """The text with its first letter in upper case (str.capitalize would lower the rest)."""
    return text[:1].upper() + text[1:]


# -- Markdown and HTML -----------------------------------------------------------------------
def to_markdown(data: dict[str, Any], generated: str) -> str:
    lines: list[str] = []
    for block in _blocks(data):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + block[1], ""]
        elif kind == "generated":
            lines += [generated, ""]
        elif kind == "verdict":
            lines += [f"**{block[1]}**", ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "list":
            lines += [f"- {item}" for item in block[1]] + [""]
        elif kind == "table":
            lines += _md_table(*block[1:]) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    def cell(c: Any) -> str:
        return str(c).replace("|", "\\|")

    out = ["| " + " | ".join(cell(h) for h in headers) + " |",
           "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    return out + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]


CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 980px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 26px; margin-bottom: 4px; }
h2 { font-size: 20px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin-top: 24px; }
.generated { color: #888; font-size: 13px; margin-top: 0; }
.verdict { font-size: 18px; font-weight: 600; padding: 12px 16px; border-left: 6px solid #888; background: #f4f4f4; }
.verdict.above { border-color: #3a7d44; background: #eef6ef; }
.verdict.below { border-color: #c77c02; background: #fdf5e8; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
"""


def to_html(data: dict[str, Any], generated: str) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Evaluation report: {escape(data['project'])}</title>",
             f"<style>{CSS}</style>", "</head>", "<body>", "<main>"]
    for block in _blocks(data):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{escape(block[1])}</{kind}>")
        elif kind == "generated":
            parts.append(f'<p class="generated">{escape(generated)}</p>')
        elif kind == "verdict":
            side = "above" if " above the " in block[1] else "below" if " below the " in block[1] else ""
            parts.append(f'<p class="verdict {side}">{escape(block[1])}</p>')
        elif kind == "p":
            parts.append(f"<p>{escape(block[1])}</p>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "table":
            parts.append(_html_table(*block[1:]))
        elif kind == "svg":
            parts.append(block[1])
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    def cls(r: bool) -> str:
        return ' class="num"' if r else ""

    head = "".join(f"<th{cls(r)}>{escape(str(h))}</th>" for h, r in zip(headers, right))
    body = "".join("<tr>" + "".join(f"<td{cls(r)}>{escape(str(c))}</td>" for c, r in zip(row, right)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- writing ---------------------------------------------------------------------------------
def write_report(project: Any, out_dir: str | Path, *, data: dict[str, Any] | None = None) -> list[Path]:
    """Write report.md and report.html into `out_dir` (created if needed); returns their paths.

    `data` is a `collect` result to reuse (the TUI has one already); by default it is gathered here.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise WorkbenchError(f"{out}: exists and is not a folder; give --out a folder for report.md and report.html")
    try:
        out.mkdir(parents=True, exist_ok=True)
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
