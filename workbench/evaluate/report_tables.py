"""The tables the evaluation report and the TUI Report tab both show: the automated metrics with
the models side by side, and a pair's chart rows and title. Works on the dicts
`metrics.compute` and `stats.analyze` return.
"""

from __future__ import annotations

from typing import Any


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


def chart_rows(entry: dict[str, Any], min_votes: int = 1) -> tuple[str, list[dict[str, Any]]]:
    """The model the chart speaks for and its rows (overall first), from a stats pair entry; a row
    with fewer than `min_votes` votes has no interval (too few votes to draw one honestly)."""
    view = entry.get("view")
    rate = "win_rate" if view is not None else "win_rate_a"
    hero, base = (view["model"], view) if view is not None else (entry["model_a"], entry)
    items = [("overall", base)] + list(base["categories"].items())
    return hero, [{"label": k, "rate": e[rate], "n": e["n"],
                   "wilson": e["wilson"] if e["n"] >= min_votes else None,
                   "bootstrap": e["bootstrap"] if e["n"] >= min_votes else None} for k, e in items]


def too_few_votes(rows: list[list[str]], min_votes: int) -> list[list[str]]:
    """`text.win_rate_rows` rows with the two interval cells of a small category (fewer than
    `min_votes` votes) replaced by "too few votes"."""
    return [row[:-2] + ["–", "too few votes"] if int(row[1]) < min_votes else row for row in rows]


def pair_title(entry: dict[str, Any], whose: bool = False) -> str:
    """"<tuned> vs base: N votes on P prompts"; `whose` adds whose wins the short table counts."""
    view = entry.get("view")
    hero, other = (view["model"], view["baseline"]) if view else (entry["model_a"], entry["model_b"])
    skipped = f", {entry['skips']} skipped" if entry["skips"] else ""
    title = f"{hero} vs {other}: {entry['n']} votes on {entry['prompts']} prompts{skipped}"
    return title + (f" · wins, losses and win rate are {hero}'s" if whose else "")
