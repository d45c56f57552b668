"""The statistics of blind A/B votes: win rates with 95% intervals, position bias, Bradley-Terry
strengths, rater agreement and the verdict line. Pure Python and numpy; no store access
(``arena.load_votes`` reads the votes).

A vote scores 1 for the model it prefers and 0 for the other; a tie and "both bad" score ½ each,
a skip is left out. A pair's win rate is the mean score of its first model. Every random draw
comes from a generator seeded by ``seed`` and the names of the models and category it is for,
so the same votes and seed give the same numbers, in any order.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..records import UNLABELLED
from ..agreement import agreement, cohen_kappa, describe_kappa

Z95 = 1.959963984540054  # the two-sided 95% quantile of the normal distribution
ELO_SCALE = 400 / math.log(10)  # Elo points per unit of log-strength
ELO_CENTRE = 1000
DECIMALS = 6
WINNERS = ("a", "b", "tie", "both_bad", "skip")
_SCORE = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
_FLIP = {"a": "b", "b": "a"}


@dataclass(frozen=True)
class Vote:
    pair_id: int
    prompt_id: str
    category: str | None
    model_a: str
    model_b: str
    winner: str  # 'a' | 'b' | 'tie' | 'both_bad' | 'skip'
    left: str | None  # 'a' | 'b' | None (unknown)
    rater: str
    metric_winner: str | None = None  # 'a' | 'b' | 'tie' | None: the reply the automated metric (ROUGE-L) prefers

    def oriented(self) -> Vote:
        """The same vote with model_a < model_b, as the store keeps pairs."""
        if self.model_a <= self.model_b:
            return self
        return Vote(self.pair_id, self.prompt_id, self.category, self.model_b, self.model_a,
                    _FLIP.get(self.winner, self.winner), _FLIP.get(self.left or "", self.left), self.rater,
                    _FLIP.get(self.metric_winner or "", self.metric_winner))


# -- intervals -------------------------------------------------------------------------------
def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion of ``successes`` out of ``n`` (None when n is 0).

    For a win rate the successes are wins + ½ × ties (ties include "both bad"), so the count can
    be fractional; the formula only needs the proportion and n. A tie has less variance than a
    coin-flip vote, so the interval is, if anything, a little wide, never too narrow.
    """
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _rng(seed: int, *names: str | None) -> np.random.Generator:
    """A generator for one figure: the same seed and names give the same draws in any run."""
    key = zlib.crc32("\x1f".join(name or "" for name in names).encode("utf-8"))
    return np.random.default_rng([seed, key])


def bootstrap_rate(scores: np.ndarray, counts: np.ndarray, resamples: int,
                   rng: np.random.Generator) -> tuple[float, float] | None:
    """95% percentile interval of sum(scores) / sum(counts) over prompts drawn with replacement.

    ``scores[p]`` is the summed score of prompt p's votes and ``counts[p]`` their number, so all
    the raters of one prompt go in or out of a resample together.
    """
    prompts = len(scores)
    if prompts == 0 or resamples <= 0:
        return None
    rates = np.empty(resamples)
    chunk = max(1, 2_000_000 // prompts)  # keeps the index matrix near 16 MB however many prompts
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, prompts, size=(stop - start, prompts))
        rates[start:stop] = scores[idx].sum(axis=1) / counts[idx].sum(axis=1)
    lo, hi = np.quantile(rates, [0.025, 0.975])
    return float(lo), float(hi)


# -- one set of votes ------------------------------------------------------------------------
def _decided(votes: Iterable[Vote]) -> list[Vote]:
    return [v for v in votes if v.winner in _SCORE]


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


# -- Bradley-Terry ---------------------------------------------------------------------------
def fit_bradley_terry(wins: np.ndarray, *, tol: float = 1e-10, max_iter: int = 100) -> np.ndarray | None:
    """Log-strengths θ (mean 0) maximising Σ wins[i, j] · log σ(θi − θj); None when none is finite.

    ``wins[i, j]`` is how often i beat j, ties counting ½ to each side. The maximum exists when
    every model has both won (or tied) against and lost (or tied) to the rest along some chain,
    i.e. the "beat" graph is strongly connected (Zermelo 1929). Newton's method on the concave
    log-likelihood with θ0 held at 0, halving a step that would lower it; then centred.
    """
    m = len(wins)
    if m == 0 or not _strongly_connected(wins > 0):
        return None
    games = wins + wins.T
    theta = np.zeros(m)

    def loglik(t: np.ndarray) -> float:
        diff = t[:, None] - t[None, :]
        return float(-(wins * np.logaddexp(0.0, -diff)).sum())

    current = loglik(theta)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))  # P(i beats j)
        grad = wins.sum(axis=1) - (games * p).sum(axis=1)
        w = games * p * (1 - p)
        hess = w - np.diag(w.sum(axis=1))
        step = np.zeros(m)
        step[1:] = np.linalg.solve(hess[1:, 1:], -grad[1:])
        scale = 1.0
        while True:
            trial = theta + scale * step
            value = loglik(trial)
            if value >= current - 1e-12 or scale < 1e-6:
                break
            scale /= 2
        theta, current = trial, value
        if np.max(np.abs(scale * step)) < tol:
            break
    return theta - theta.mean()


def _strongly_connected(edges: np.ndarray) -> bool:
    """Whether every node reaches every other along edges[i, j] (i → j)."""
    m = len(edges)

    def reach(adj: np.ndarray) -> bool:
        seen = np.zeros(m, dtype=bool)
        seen[0] = True
        frontier = seen.copy()
        while frontier.any():
            nxt = adj[frontier].any(axis=0) & ~seen
            seen |= nxt
            frontier = nxt
        return bool(seen.all())

    return reach(edges) and reach(edges.T)


def _fit_or_soften(wins: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """The fit; when a model never lost or never won, first one virtual tie on every compared pair."""
    theta = fit_bradley_terry(wins)
    if theta is not None:
        return theta, False
    compared = (wins + wins.T) > 0
    np.fill_diagonal(compared, False)
    if not _strongly_connected(compared):
        return None, False  # two groups of models never met, directly or through others
    return fit_bradley_terry(wins + 0.5 * compared), True


def bradley_terry(votes: Sequence[Vote], models: Sequence[str], *, resamples: int,
                  seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The Bradley-Terry table (strongest first) with bootstrap intervals over prompts, and notes."""
    index = {m: i for i, m in enumerate(models)}
    m = len(models)
    prompts = sorted({v.prompt_id for v in votes})
    where = {p: k for k, p in enumerate(prompts)}
    per_prompt = np.zeros((len(prompts), m, m))
    for v in votes:
        a, b, s = index[v.model_a], index[v.model_b], _SCORE[v.winner]
        per_prompt[where[v.prompt_id], a, b] += s
        per_prompt[where[v.prompt_id], b, a] += 1 - s
    wins = per_prompt.sum(axis=0)
    theta, softened = _fit_or_soften(wins)
    if theta is None:
        return [], ["Bradley-Terry: some models were never compared with the others, directly or through "
                    "a chain of comparisons, so their strengths cannot be put on one scale"]
    notes = []
    if softened:
        notes.append("Bradley-Terry: a model won or lost every comparison, so its maximum-likelihood strength is "
                     "infinite; one virtual tie per compared pair keeps the estimates finite")
    draws = []
    rng = _rng(seed, "bradley-terry", *models)
    flat = per_prompt.reshape(len(prompts), m * m)
    for _ in range(resamples):
        weights = np.bincount(rng.integers(0, len(prompts), len(prompts)), minlength=len(prompts))
        fit, _soft = _fit_or_soften((weights @ flat).reshape(m, m))
        if fit is not None:
            draws.append(fit)
    if resamples and len(draws) < resamples:
        notes.append(f"Bradley-Terry: {resamples - len(draws)} of {resamples} bootstrap resamples left some "
                     "model out of the comparisons and were not used")
    bounds = np.quantile(np.array(draws), [0.025, 0.975], axis=0) if draws else None
    rows = []
    for model in models:
        i = index[model]
        won = float(wins[i].sum())
        lost = float(wins[:, i].sum())
        ties = sum(1 for v in votes if model in (v.model_a, v.model_b) and v.winner in ("tie", "both_bad"))
        lo_hi = None if bounds is None else (float(bounds[0, i]), float(bounds[1, i]))
        rows.append({
            "model": model, "strength": _round(theta[i]), "interval": _interval(lo_hi),
            "elo": round(float(ELO_CENTRE + ELO_SCALE * theta[i]), 1),
            "elo_interval": None if lo_hi is None else [round(float(ELO_CENTRE + ELO_SCALE * x), 1) for x in lo_hi],
            "score": _round(won), "games": int(round(won + lost)), "ties": ties,
        })
    rows.sort(key=lambda r: (-r["strength"], r["model"]))
    return rows, notes


# -- agreement -------------------------------------------------------------------------------
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


# -- the verdict -----------------------------------------------------------------------------
def verdict(entry: dict[str, Any], baseline: str = "base", bar: float = 0.70) -> str:
    """'<tuned> beats base in X of Y categories; overall win rate Z% [lo–hi]' and the bar."""
    view = entry.get("view")
    if view is None:  # two tuned models: speak for the one ahead
        rate = entry["win_rate_a"]
        hero = entry["model_b"] if rate is not None and rate < 0.5 else entry["model_a"]
        view = _view(entry, hero, entry["model_b"] if hero == entry["model_a"] else entry["model_a"])
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


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), DECIMALS)


def _interval(lo_hi: tuple[float, float] | None) -> list[float] | None:
    return None if lo_hi is None else [_round(lo_hi[0]), _round(lo_hi[1])]
