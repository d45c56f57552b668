"""Agreement on the votes: between raters (Cohen's or Fleiss' kappa over the pairs two or more
raters voted on), and between the experts' verdict on a pair and the reply ROUGE-L prefers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ..agreement import agreement, cohen_kappa, describe_kappa
from .votes import _SCORE, Vote, _decided, _round


def _label(winner: str) -> str:
    return "tie" if winner == "both_bad" else winner


def rater_agreement(votes: Sequence[Vote]) -> dict[str, Any]:
    """Agreement over the pairs two or more raters voted on (a / b / tie, both bad as tie).

    Two raters in all: Cohen's kappa; three or more: Fleiss' kappa over every pair with at
    least two votes. ``observed`` is the share of agreeing rater pairs.
    """
    by_pair: dict[int, dict[str, str]] = defaultdict(dict)
    for v in _decided(votes):
        by_pair[v.pair_id][v.rater] = v.winner
    result = agreement(by_pair, label=_label)
    if result.method == "none":
        return {"method": "none", "kappa": None, "words": result.words, "observed": None, "items": 0,
                "raters": sorted({v.rater for v in votes}),
                "line": "rater agreement: no pair has votes from two raters yet"}
    name = "Cohen's" if result.method == "cohen" else "Fleiss'"
    shown = "undefined (one label throughout)" if result.kappa is None else f"{result.kappa:.2f} ({result.words})"
    items = result.items
    line = (f"rater agreement: {name} kappa {shown} over {items} pair{'s' * (items != 1)} rated by "
            f"{len(result.raters)} raters; they agree in {result.observed:.0%} of rater pairs")
    return {"method": result.method, "kappa": _round(result.kappa), "words": result.words,
            "observed": _round(result.observed), "items": items, "raters": result.raters, "line": line}


def expert_verdicts(votes: Sequence[Vote]) -> dict[int, str]:
    """Per pair, what its raters decided together: the side with more points (a win 1, a tie ½)."""
    scores: dict[int, list[float]] = defaultdict(list)
    for v in _decided(votes):
        scores[v.pair_id].append(_SCORE[v.winner])
    out = {}
    for pid, s in scores.items():
        mean = sum(s) / len(s)
        out[pid] = "a" if mean > 0.5 else "b" if mean < 0.5 else "tie"
    return out


def metric_agreement(votes: Sequence[Vote], pairs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How often the experts' verdict on a pair matches the reply ROUGE-L prefers, with kappa."""
    experts = expert_verdicts(votes)
    metric = {}
    for v in votes:
        if v.metric_winner in ("a", "b", "tie") and v.pair_id in experts:
            metric[v.pair_id] = v.metric_winner
    items = sorted(metric)
    if not items:
        return {"metric": "rouge_l", "items": 0, "agree": 0, "share": None, "kappa": None,
                "words": describe_kappa(None), "by_pair": [], "note": None,
                "line": "experts vs ROUGE-L: no pair has a metric preference yet (run generate with references)"}
    agree = sum(experts[p] == metric[p] for p in items)
    kappa = cohen_kappa([experts[p] for p in items], [metric[p] for p in items])
    pair_of = {v.pair_id: (v.model_a, v.model_b) for v in votes}
    by_pair, notes = [], []
    for entry in pairs:
        key = (entry["model_a"], entry["model_b"])
        mine = [p for p in items if pair_of[p] == key]
        if not mine:
            continue
        metric_rate = sum(_SCORE[metric[p]] for p in mine) / len(mine)
        expert_side = _preferred(key, entry["win_rate_a"])
        metric_side = _preferred(key, metric_rate)
        by_pair.append({"model_a": key[0], "model_b": key[1], "items": len(mine),
                        "agree": sum(experts[p] == metric[p] for p in mine),
                        "metric_win_rate_a": _round(metric_rate),
                        "experts_prefer": expert_side, "metric_prefers": metric_side})
        if metric_side != expert_side:
            notes.append(f"ROUGE-L prefers {metric_side or 'neither'} on {key[0]} vs {key[1]} but the experts "
                         f"prefer {expert_side or 'neither'} — the experts decide")
    share = agree / len(items)
    if not notes and share < 0.5:
        notes.append(f"ROUGE-L agrees with the experts on only {share:.0%} of the pairs — where they differ, "
                     "the experts decide")
    shown = "undefined" if kappa is None else f"{kappa:.2f} ({describe_kappa(kappa)})"
    line = (f"experts vs ROUGE-L: the same verdict on {agree} of {len(items)} pairs ({share:.0%}), "
            f"Cohen's kappa {shown}")
    return {"metric": "rouge_l", "items": len(items), "agree": agree, "share": _round(share),
            "kappa": _round(kappa), "words": describe_kappa(kappa), "by_pair": by_pair,
            "note": "; ".join(notes) or None, "line": line}


def _preferred(key: tuple[str, str], rate: float | None) -> str | None:
    if rate is None or rate == 0.5:
        return None
    return key[0] if rate > 0.5 else key[1]
