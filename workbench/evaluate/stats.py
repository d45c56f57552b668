"""The statistics of blind A/B votes: win rates with 95% intervals, position bias, Bradley-Terry
strengths, rater agreement and the verdict line. Pure Python and numpy; no store access
(``arena.load_votes`` reads the votes).

A vote scores 1 for the model it prefers and 0 for the other; a tie and "both bad" score ½ each,
a skip is left out. A pair's win rate is the mean score of its first model. Every random draw
comes from a generator seeded by ``seed`` and the names of the models and category it is for,
so the same votes and seed give the same numbers, in any order.

This module holds the per-pair tallies, position bias, the verdict and `analyze`, which puts
everything together; the parts live beside it: `votes` (the Vote and its score), `intervals`
(Wilson and the bootstrap), `bradley_terry` and `vote_agreement` (raters, and experts vs ROUGE-L).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..records import UNLABELLED
from .bradley_terry import bradley_terry
from .intervals import _rng, bootstrap_rate, wilson
from .vote_agreement import metric_agreement, rater_agreement
from .votes import _SCORE, WINNERS, Vote, _decided, _interval, _round


# -- one set of votes ------------------------------------------------------------------------
def tally(votes: Sequence[Vote], *, resamples: int, rng: np.random.Generator) -> dict[str, Any]:
    """Counts, win rate of model_a and both intervals for votes on one model pair."""
    counts = Counter(v.winner for v in votes)
    wins_a, wins_b, ties, both_bad = counts["a"], counts["b"], counts["tie"], counts["both_bad"]
    n = wins_a + wins_b + ties + both_bad
    score = wins_a + 0.5 * (ties + both_bad)
    by_prompt: dict[str, list[float]] = defaultdict(list)
    for v in _decided(votes):
        by_prompt[v.prompt_id].append(_SCORE[v.winner])
    prompts = sorted(by_prompt)
    boot = bootstrap_rate(np.array([sum(by_prompt[p]) for p in prompts]),
                          np.array([len(by_prompt[p]) for p in prompts], dtype=float), resamples, rng)
    return {
        "wins_a": wins_a, "wins_b": wins_b, "ties": ties, "both_bad": both_bad, "skips": counts["skip"],
        "n": n, "prompts": len(prompts),
        "win_rate_a": _round(score / n) if n else None,
        "wilson": _interval(wilson(score, n)),
        "bootstrap": _interval(boot),
    }


def position_bias(votes: Iterable[Vote]) -> dict[str, Any]:
    """Share of decisive votes (a or b, side known) that went to the reply shown on the left."""
    decisive = [v for v in votes if v.winner in ("a", "b") and v.left in ("a", "b")]
    n = len(decisive)
    left = sum(v.winner == v.left for v in decisive)
    interval = wilson(left, n)
    warning = None
    if interval is not None and (interval[0] > 0.5 or interval[1] < 0.5):
        side = "left" if left / n > 0.5 else "right"
        warning = (f"raters chose the {side} reply more often than chance: left {left / n:.1%} of {n} decisive "
                   f"votes [{interval[0]:.1%}–{interval[1]:.1%}] — check the display, or balance with more raters")
    return {"left_share": _round(left / n) if n else None, "left": left, "n": n,
            "wilson": _interval(interval), "warning": warning}


def _view(entry: dict[str, Any], model: str, baseline: str) -> dict[str, Any]:
    """A pair's figures seen from `model`, the one that is not the baseline."""
    flip = model == entry["model_b"]

    def side(e: dict[str, Any]) -> dict[str, Any]:
        rate = e["win_rate_a"]
        return {
            "wins": e["wins_b"] if flip else e["wins_a"], "losses": e["wins_a"] if flip else e["wins_b"],
            "ties": e["ties"], "both_bad": e["both_bad"], "n": e["n"],
            "win_rate": _round(1 - rate) if flip and rate is not None else rate,
            "wilson": _mirror(e["wilson"]) if flip else e["wilson"],
            "bootstrap": _mirror(e["bootstrap"]) if flip else e["bootstrap"],
        }

    return {"model": model, "baseline": baseline, **side(entry),
            "categories": {cat: side(c) for cat, c in entry["categories"].items()}}


def _mirror(interval: list[float] | None) -> list[float] | None:
    return None if interval is None else [_round(1 - interval[1]), _round(1 - interval[0])]


# -- the verdict -----------------------------------------------------------------------------
def speaker_view(entry: dict[str, Any]) -> dict[str, Any]:
    """The pair seen from the tuned model, or, for two tuned models, from the one ahead."""
    view = entry.get("view")
    if view is None:
        rate = entry["win_rate_a"]
        hero = entry["model_b"] if rate is not None and rate < 0.5 else entry["model_a"]
        view = _view(entry, hero, entry["model_b"] if hero == entry["model_a"] else entry["model_a"])
    return view


def verdict(entry: dict[str, Any], baseline: str = "base", bar: float = 0.70) -> str:
    """'<tuned> beats base in X of Y categories; overall win rate Z% [lo–hi]' and the bar."""
    view = speaker_view(entry)
    hero, other = view["model"], view["baseline"]
    if not view["n"]:
        return f"{hero} vs {other}: no votes yet"
    cats = {c: e for c, e in view["categories"].items() if e["n"]}
    won = [c for c, e in cats.items() if e["win_rate"] > 0.5]
    clear = [c for c in won if _lower(cats[c]) > 0.5]
    rate, boot = view["win_rate"], view["bootstrap"] or view["wilson"]
    if rate >= bar:
        mark = f"above the {bar:.0%} bar" + (" (its whole interval)" if _lower(view) >= bar else "")
    else:
        mark = f"below the {bar:.0%} bar" + (" (its interval reaches it)" if _upper(view) >= bar else "")
    clearly = ""
    if won:
        clearly = f" ({'none' if not clear else f'{len(clear)} of them'} with the 95% interval above 50%)"
    return (f"{hero} beats {other} in {len(won)} of {len(cats)} categor{'y' if len(cats) == 1 else 'ies'}{clearly}; "
            f"overall win rate {rate:.1%} [{boot[0]:.1%}–{boot[1]:.1%}] — {mark}")


def _lower(e: dict[str, Any]) -> float:
    """The lower end of both intervals (the verdict claims only what both support)."""
    return min(i[0] for i in (e["wilson"], e["bootstrap"]) if i is not None)


def _upper(e: dict[str, Any]) -> float:
    return max(i[1] for i in (e["wilson"], e["bootstrap"]) if i is not None)


# -- everything ------------------------------------------------------------------------------
def analyze(votes: Sequence[Vote], *, bootstrap: int = 1000, seed: int = 0, baseline: str = "base",
            bar: float = 0.70) -> dict[str, Any]:
    """The statistics of `workbench eval report --json`, the same for the same votes and seed."""
    if bootstrap < 0:
        raise ValueError("bootstrap must be 0 or more resamples")
    for v in votes:
        if v.winner not in WINNERS:
            raise ValueError(f"vote on pair {v.pair_id} by {v.rater}: unknown winner {v.winner!r}")
    votes = sorted((v.oriented() for v in votes), key=lambda v: (v.model_a, v.model_b, v.pair_id, v.rater))
    by_pair: dict[tuple[str, str], list[Vote]] = defaultdict(list)
    for v in votes:
        by_pair[(v.model_a, v.model_b)].append(v)
    pairs, notes = [], []
    for (model_a, model_b), mine in sorted(by_pair.items()):
        entry = {"model_a": model_a, "model_b": model_b,
                 **tally(mine, resamples=bootstrap, rng=_rng(seed, model_a, model_b))}
        by_cat: dict[str, list[Vote]] = defaultdict(list)
        for v in mine:
            by_cat[v.category or UNLABELLED].append(v)
        entry["categories"] = {cat: tally(by_cat[cat], resamples=bootstrap, rng=_rng(seed, model_a, model_b, cat))
                               for cat in sorted(by_cat)}
        entry["position_bias"] = position_bias(mine)
        if baseline in (model_a, model_b) and model_a != model_b:
            entry["view"] = _view(entry, model_b if model_a == baseline else model_a, baseline)
        if entry["position_bias"]["warning"]:
            notes.append(f"{model_a} vs {model_b}: {entry['position_bias']['warning']}")
        pairs.append(entry)
    # Headline first: a trained run against the baseline, then other pairs with the baseline, most votes first.
    pairs.sort(key=lambda p: ("view" not in p, not p.get("view", {}).get("model", "").startswith("run:"),
                              -p["n"], p["model_a"], p["model_b"]))
    models = sorted({m for v in votes for m in (v.model_a, v.model_b)})
    decided = _decided(votes)
    result: dict[str, Any] = {"models": models, "votes": len(votes), "pairs": pairs,
                              "position_bias": position_bias(votes)}
    rated = sorted({m for v in decided for m in (v.model_a, v.model_b)})  # a model with only skips has no record
    if len(rated) > 2:
        table, bt_notes = bradley_terry(decided, rated, resamples=bootstrap, seed=seed)
        result["bradley_terry"] = table
        notes += bt_notes
    result["agreement"] = rater_agreement(votes)
    result["metric_agreement"] = metric_agreement(votes, pairs)
    if result["metric_agreement"]["note"]:
        notes.append(result["metric_agreement"]["note"])
    result["verdicts"] = [verdict(p, baseline, bar) for p in pairs]
    result["verdict"] = result["verdicts"][0] if pairs else "no votes yet"
    result["notes"] = notes
    result["settings"] = {"bootstrap": bootstrap, "seed": seed, "baseline": baseline, "bar": bar,
                          "confidence": 0.95}
    return result
