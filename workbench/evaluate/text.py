"""The vote statistics as text: the tables `workbench eval report` prints and the report and the
Report tab reuse. Works on the dict `stats.analyze` returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def span(interval: Sequence[float] | None) -> str:
    return "–" if interval is None else f"{interval[0]:.1%}–{interval[1]:.1%}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] | None = None) -> list[str]:
    """A Markdown table padded so it also reads well as plain text."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    right = right or [i > 0 for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2)) for w, r in zip(widths, right)) + "|"
    return [line(cells[0]), rule] + [line(row) for row in cells[1:]]


def win_rate_rows(entry: dict[str, Any], short: bool = False) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (overall first, then each category) seen from the tuned model when there is one.

    `short` headers leave the model names out (wins, losses, win rate of the model named first).
    """
    view = entry.get("view")
    if view is not None:
        hero, other = view["model"], view["baseline"]
        items = [("overall", view)] + list(view["categories"].items())
        rows = [[name, e["n"], e["wins"], e["losses"], e["ties"], e["both_bad"], pct(e["win_rate"]),
                 span(e["wilson"]), span(e["bootstrap"])] for name, e in items]
    else:
        hero, other = entry["model_a"], entry["model_b"]
        items = [("overall", entry)] + list(entry["categories"].items())
        rows = [[name, e["n"], e["wins_a"], e["wins_b"], e["ties"], e["both_bad"], pct(e["win_rate_a"]),
                 span(e["wilson"]), span(e["bootstrap"])] for name, e in items]
    headers = ["category", "votes", f"{hero} wins", f"{other} wins", "ties", "both bad",
               f"{hero} win rate", "Wilson 95%", "bootstrap 95%"]
    if short:
        headers = ["category", "votes", "wins", "losses", "ties", "both bad", "win rate", "Wilson 95%",
                   "bootstrap 95%"]
    return headers, [[str(c) for c in row] for row in rows]


def position_line(bias: dict[str, Any]) -> str:
    if not bias["n"]:
        return "position bias: no decisive votes with a known left/right side (imported judgements have none)"
    line = (f"position bias: the left reply won {bias['left_share']:.1%} of {bias['n']} decisive votes "
            f"[{span(bias['wilson'])}]")
    return line + (" — ⚠ the interval excludes 50%" if bias["warning"] else " — no sign of bias (50% is inside)")


def bt_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    headers = ["model", "log-strength", "95% interval", "Elo-like", "Elo 95%", "games"]
    out = []
    for r in rows:
        iv = r["interval"]
        out.append([r["model"], f"{r['strength']:+.3f}", "–" if iv is None else f"{iv[0]:+.3f} to {iv[1]:+.3f}",
                    f"{r['elo']:.0f}", "–" if r["elo_interval"] is None else
                    f"{r['elo_interval'][0]:.0f}–{r['elo_interval'][1]:.0f}", str(r["games"])])
    return headers, out


def format_text(result: dict[str, Any]) -> str:
    """The tables `workbench eval report` prints (Markdown that reads as plain text)."""
    lines = ["Verdict", ""] + [f"  {v}" for v in result["verdicts"] or [result["verdict"]]] + [""]
    for entry in result["pairs"]:
        lines += [f"{entry['model_a']} vs {entry['model_b']}: {entry['n']} votes on {entry['prompts']} prompts"
                  + (f", {entry['skips']} skipped" if entry["skips"] else ""), ""]
        headers, rows = win_rate_rows(entry)
        lines += table(headers, rows, [False] + [True] * (len(headers) - 1))
        lines += ["", position_line(entry["position_bias"]), ""]
    if result.get("bradley_terry"):
        headers, rows = bt_rows(result["bradley_terry"])
        lines += ["Bradley-Terry strengths (maximum likelihood, ties count half; centred on the mean model)", ""]
        lines += table(headers, rows, [False] + [True] * (len(headers) - 1)) + [""]
    lines += [result["agreement"]["line"], result["metric_agreement"]["line"], ""]
    if result["notes"]:
        lines += ["Notes", ""] + [f"- {n}" for n in result["notes"]] + [""]
    s = result["settings"]
    lines.append(f"Intervals are 95%: Wilson score on the votes, and a bootstrap of {s['bootstrap']:,} resamples of "
                 f"prompts (seed {s['seed']}). Win rate = (wins + ½ × ties) / votes; both bad counts as a tie; "
                 "skips are left out.")
    return "\n".join(lines) + "\n"
