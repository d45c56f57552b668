"""Automated metrics on stored replies: ROUGE-L and exact match against the reference, reply
length, and the metrics plugins register, as means per model overall and per category.

A plugin metric is `metric(prompt, reply, reference) -> float | None`: `prompt` is the text of
the last user turn, `reference` the reference reply or None; None means "does not apply" and is
left out of the mean. Each model is scored on its newest reply per prompt.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any, Callable

from ..hookspecs import BUILTIN_METRICS
from ..records import UNLABELLED
from ..store import Store

BUILTIN = BUILTIN_METRICS
TIE = 1e-9

_scorer = None


def _rouge():
    global _scorer
    if _scorer is None:
        from rouge_score import rouge_scorer

        _scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return _scorer


def rouge_l(reply: str, reference: str) -> float:
    """ROUGE-L F-measure of `reply` against `reference` (0..1), with stemming."""
    return float(_rouge().score(reference, reply)["rougeL"].fmeasure)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .!")


def exact_match(reply: str, reference: str) -> float:
    """1.0 when the reply equals the reference up to case, spacing and a final full stop."""
    return 1.0 if _normal(reply) == _normal(reference) else 0.0


def length(reply: str) -> float:
    """Words in the reply."""
    return float(len(re.findall(r"\S+", reply)))


def metric_winner(reply_a: str, reply_b: str, reference: str | None) -> str | None:
    """Which reply ROUGE-L against the reference prefers: 'a', 'b', 'tie', or None without a reference."""
    if not reference:
        return None
    a, b = rouge_l(reply_a, reference), rouge_l(reply_b, reference)
    if abs(a - b) <= TIE:
        return "tie"
    return "a" if a > b else "b"


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return str(m.get("content") or "")
    return ""


def _newest_replies(store: Store) -> list[dict[str, Any]]:
    """One reply per (prompt, model): the newest, joined with its prompt."""
    prompts = {p["prompt_id"]: p for p in store.evals.prompts()}
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for g in store.evals.generations():  # oldest first, so the newest overwrites
        if g["prompt_id"] in prompts:
            newest[(g["prompt_id"], g["model"])] = g
    out = []
    for (pid, model), g in sorted(newest.items()):
        p = prompts[pid]
        out.append({"prompt_id": pid, "model": model, "reply": g["reply"], "reference": p["reference"],
                    "category": p["category"], "prompt": last_user_text(p["messages"])})
    return out


def _scores(row: dict[str, Any], plugins: dict[str, Callable], errors: dict[str, str]) -> dict[str, float]:
    scores: dict[str, float] = {"length": length(row["reply"])}
    if row["reference"]:
        scores["rouge_l"] = rouge_l(row["reply"], row["reference"])
        scores["exact_match"] = exact_match(row["reply"], row["reference"])
    for name, metric in plugins.items():
        if name in errors:
            continue
        try:
            value = metric(row["prompt"], row["reply"], row["reference"])
        except Exception as e:  # a broken plugin metric is reported, never fatal
            errors[name] = f"{type(e).__name__}: {e}"
            continue
        if value is None:
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            errors[name] = f"returned {value!r}, not a number"
            continue
        if math.isfinite(value):
            scores[name] = value
    return scores


def _means(items: list[dict[str, float]], names: list[str]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in names:
        values = [s[name] for s in items if name in s]
        out[name] = sum(values) / len(values) if values else None
    return out


def compute(store: Store, registry: Any = None) -> dict[str, Any]:
    """Means per model, overall and per category, of the built-in and plugin metrics.

    {"models", "metrics", "overall": {model: {metric: mean}}, "by_category": {category: {model:
    {metric: mean}}}, "counts": {model: n}, "with_reference": {model: n}, "errors": {metric: why}}.
    A mean is None where no reply had the metric (e.g. no prompt with a reference).
    """
    plugins = dict(sorted((getattr(registry, "eval_metrics", None) or {}).items()))
    plugins = {k: v for k, v in plugins.items() if k not in BUILTIN}
    names = list(BUILTIN) + list(plugins)
    errors: dict[str, str] = {}
    per_model: dict[str, list[dict[str, float]]] = defaultdict(list)
    per_cat: dict[str, dict[str, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    with_reference: dict[str, int] = defaultdict(int)
    for row in _newest_replies(store):
        scores = _scores(row, plugins, errors)
        per_model[row["model"]].append(scores)
        per_cat[row["category"] or UNLABELLED][row["model"]].append(scores)
        with_reference[row["model"]] += 1 if row["reference"] else 0
    models = sorted(per_model)
    return {
        "models": models,
        "metrics": names,
        "overall": {m: _means(per_model[m], names) for m in models},
        "by_category": {c: {m: _means(per_cat[c][m], names) for m in sorted(per_cat[c])} for c in sorted(per_cat)},
        "counts": {m: len(per_model[m]) for m in models},
        "with_reference": {m: with_reference[m] for m in models},
        "errors": errors,
    }


def per_prompt(store: Store, metric: str = "rouge_l", registry: Any = None) -> dict[tuple[str, str], float]:
    """(prompt_id, model) -> score of the newest reply, where the metric applies."""
    plugins = {}
    if metric not in BUILTIN:
        found = (getattr(registry, "eval_metrics", None) or {}).get(metric)
        if found is None:
            from ..errors import WorkbenchError

            raise WorkbenchError(f"unknown metric {metric!r}; built-in: {', '.join(BUILTIN)}"
                                 + (f"; from plugins: {', '.join(sorted(registry.eval_metrics))}"
                                    if getattr(registry, "eval_metrics", None) else ""))
        plugins = {metric: found}
    out = {}
    errors: dict[str, str] = {}
    for row in _newest_replies(store):
        scores = _scores(row, plugins, errors)
        if metric in scores:
            out[(row["prompt_id"], row["model"])] = scores[metric]
    return out


def format_table(result: dict[str, Any], by_category: bool = True) -> str:
    """The metrics side by side per model, as plain text: overall, then each category."""
    models, names = result["models"], result["metrics"]
    if not models:
        return "automated metrics: no replies stored yet (run `workbench generate` first)"

    def cell(name: str, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.1f}" if name == "length" else f"{value:.3f}"

    header = ["category", "model"] + names + ["replies"]
    rows = [["overall" if i == 0 else "", m] + [cell(n, result["overall"][m][n]) for n in names]
            + [str(result["counts"][m])] for i, m in enumerate(models)]
    if by_category:
        for category, block in result["by_category"].items():
            for i, m in enumerate(block):
                rows.append([category if i == 0 else "", m] + [cell(n, block[m][n]) for n in names] + [""])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    lines = ["Automated metrics (rouge_l and exact_match against the reference, where a prompt has one; "
             "length in words)", "", line(header), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in rows]
    for name, why in result.get("errors", {}).items():
        lines.append(f"warning: metric {name} failed and was left out: {why}")
    return "\n".join(lines)
