"""The evaluation report as a document: its content once, as blocks (headings, paragraphs, lists,
tables, SVG charts) built from a `report.collect` result, and those blocks rendered as Markdown
and as one self-contained HTML page (inline CSS and SVG).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from . import svg
from .report_tables import chart_rows, metric_tables, pair_title, too_few_votes, unused_metrics
from .report_words import plain_verdict
from .text import bt_rows, position_line, win_rate_rows


# -- the document, once, for both formats ----------------------------------------------------
def _blocks(data: dict[str, Any]) -> list[tuple]:
    """The report as ("h1"|"h2"|"h3"|"p"|"verdict"|"list"|"table"|"svg", ...) blocks: the verdict in
    plain words first, the statistics after it."""
    stats, bar = data["stats"], data["stats"]["settings"]["bar"]
    words = data.get("words") or plain_verdict(stats)
    out: list[tuple] = [("h1", f"Evaluation report: {data['project']}"), ("generated",)]
    out += [("h2", "Verdict"), ("verdict", words["headline"], words["tone"])]
    out += [("p", line) for line in (words["overall"], words["bar"]) if line]
    if words["categories"]:
        out.append(("list", [f"{c['category']}: {c['words']}" for c in words["categories"]]))
    for other in words["pairs"][1:]:
        out.append(("p", " ".join(line for line in (other["headline"], other["overall"], other["bar"]) if line)))
    if stats["pairs"]:
        out.append(("p", words["basis"]))
        out.append(("p", "In statistical terms (ties and both bad as half a win each; the intervals, the table "
                         "of win rates and Bradley-Terry are below): " + "; ".join(stats["verdicts"]) + "."))
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
        rows = too_few_votes(rows, words["min_votes"])
        hero, chart = chart_rows(entry, words["min_votes"])
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
            side = block[2] if block[2] in ("above", "below") else ""
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
