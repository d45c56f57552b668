"""Intervals on a win rate: the Wilson score interval and the prompt bootstrap, and the seeded
generator each bootstrap draws from (the same seed and names give the same draws in any run).
"""

from __future__ import annotations

import math
import zlib

import numpy as np

Z95 = 1.959963984540054  # the two-sided 95% quantile of the normal distribution


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
