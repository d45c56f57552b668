"""Bradley-Terry strengths over all the models compared: the maximum-likelihood fit (softened with
virtual ties when a model won or lost everything), the Elo-like scale and bootstrap intervals
over prompts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .intervals import _rng
from .votes import _SCORE, Vote, _interval, _round

ELO_SCALE = 400 / math.log(10)  # Elo points per unit of log-strength
ELO_CENTRE = 1000


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
