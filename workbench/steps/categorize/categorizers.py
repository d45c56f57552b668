"""Guessing the category of unlabelled rows, with a confidence.

The built-in methods learn from the labelled rows' sentence embeddings:

- ``knn``: the k most similar labelled rows vote, weighted by similarity; the confidence is the
  winning category's share of the vote ("7 of the 10 nearest examples are billing" is 0.7).
- ``centroid``: the nearest category centroid; the confidence is the softmax of the cosine
  similarities to all centroids at temperature CENTROID_TEMPERATURE.

Plugins add more through the ``register_categorizers`` hook: ``register(name, factory)``, where
``factory(options, project_dir)`` gets the step's ``options`` table (and the project folder, for
relative paths), raises ValueError for bad options, and returns an object with

    categorize(unlabelled: pl.DataFrame, labelled: pl.DataFrame, ctx: StepContext)
        -> list[tuple[str | None, float]]   # (category or None, confidence 0..1) per unlabelled row

``labelled`` holds the rows that have a category (after reviewers' relabels).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import polars as pl

from ..balance.sampling import cluster_sums

BUILTIN_METHODS = ("knn", "centroid")
CENTROID_TEMPERATURE = 0.05
BLOCK = 4096  # unlabelled rows per similarity block

Guess = tuple[str | None, float]


class Categorizer(Protocol):
    def categorize(self, unlabelled: pl.DataFrame, labelled: pl.DataFrame, ctx: Any) -> list[Guess]: ...


def knn_guesses(unlabelled: np.ndarray, labelled: np.ndarray, labels: list[str], k: int) -> list[Guess]:
    """Similarity-weighted vote of the k nearest labelled rows (negative similarities count 0)."""
    if len(labelled) == 0:
        return [(None, 0.0)] * len(unlabelled)
    names = sorted(set(labels))
    code = np.array([names.index(label) for label in labels])
    k = min(k, len(labelled))
    out: list[Guess] = []
    for s in range(0, len(unlabelled), BLOCK):
        sims = unlabelled[s:s + BLOCK] @ labelled.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.clip(np.take_along_axis(sims, top, axis=1), 0.0, None)
        votes = np.zeros((len(sims), len(names)))
        rows = np.arange(len(sims))
        for j in range(k):  # each (row, category) pair once per column, so += is exact
            votes[rows, code[top[:, j]]] += weights[:, j]
        total = votes.sum(axis=1)
        best = np.argmax(votes, axis=1)
        for row, b in enumerate(best.tolist()):
            conf = float(votes[row, b] / total[row]) if total[row] > 0 else 0.0
            out.append((names[b] if total[row] > 0 else None, conf))
    return out


def centroid_guesses(unlabelled: np.ndarray, labelled: np.ndarray, labels: list[str]) -> list[Guess]:
    """Nearest normalised category centroid; confidence = softmax over centroid similarities."""
    if len(labelled) == 0:
        return [(None, 0.0)] * len(unlabelled)
    names = sorted(set(labels))
    code = np.array([names.index(label) for label in labels])
    centroids = cluster_sums(labelled, code, len(names))
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    out: list[Guess] = []
    for s in range(0, len(unlabelled), BLOCK):
        sims = unlabelled[s:s + BLOCK] @ centroids.T
        z = (sims - sims.max(axis=1, keepdims=True)) / CENTROID_TEMPERATURE
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        best = np.argmax(p, axis=1)
        out += [(names[b], float(p[row, b])) for row, b in enumerate(best.tolist())]
    return out


def label_conflicts(vectors: np.ndarray, categories: list[str], threshold: float,
                    report=lambda done, total: None) -> dict[int, tuple[int, float, int]]:
    """Rows whose prompt is near-identical (cosine >= threshold) to a row of another category.

    Returns {row: (most similar conflicting row, similarity, number of conflicting rows)}.
    """
    from ...embeddings.encoder import similar_pairs

    a, b, s = similar_pairs(vectors, threshold, report=report)
    out: dict[int, tuple[int, float, int]] = {}
    counts: dict[int, int] = {}
    for i, j, sim in zip(a.tolist(), b.tolist(), s.tolist()):
        if categories[i] == categories[j]:
            continue
        for row, other in ((i, j), (j, i)):
            counts[row] = counts.get(row, 0) + 1
            if row not in out or sim > out[row][1]:
                out[row] = (other, sim, 0)
    return {row: (other, sim, counts[row]) for row, (other, sim, _) in out.items()}
