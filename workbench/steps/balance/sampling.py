"""Diverse down-sampling: keep the rows that cover the embedding space, drop the redundant ones.

Greedy farthest-point sampling (k-center): start from the most typical row (the one nearest the
mean) or from the rows a reviewer pinned, then repeatedly add the row least similar to
everything kept so far. Dense regions (many near-paraphrases of one request) lose rows first;
rare requests survive. Random sampling does the opposite: it keeps each region in proportion to
its size, so a rare request is the first to vanish.

Farthest-point sampling reads all n vectors once per pick: fine for a few hundred rows, far too
slow for k = 20,000 of 300,000. Bigger sets are first split by k-means (fitted on a seeded
sample, in a random projection) into clusters of about CLUSTER_ROWS rows. Each cluster
is sampled by farthest points, recording the distance at which each row was picked (its radius:
how far it is from everything picked before it), and the k rows with the largest radii over all
clusters are kept, which is what one farthest-point pass over everything would keep if the
clusters were far apart. A cluster's first row counts as far as its centroid is from the
centroids before it in a farthest-point order of the centroids, so the pieces of one dense
region split by k-means do not each claim a first place. Ties go to the earlier row, so callers put rows in a seeded order first and the
result does not depend on input order.
"""

from __future__ import annotations

import math

import numpy as np

LEAF = 512  # the most rows one farthest-point pass handles; bigger sets are clustered first
CLUSTER_ROWS = 64  # aim for clusters this small (finer pieces: closer to one global pass) ...
MAX_CLUSTERS = 512  # ... but no more clusters than this (assigning rows costs rows x clusters)
OVERSAMPLE = 3  # a cluster offers at most this many times its proportional share of picks
KMEANS_SAMPLE = 10_000  # rows the k-means centroids are fitted on
KMEANS_DIMS = 128  # dimensions of the random projection the k-means works in
KMEANS_ITERATIONS = 6
BLOCK = 65_536  # rows per matrix product when assigning rows to centroids


def diverse_subset(vectors: np.ndarray, k: int, *, seed: int = 0,
                   pinned: np.ndarray | None = None) -> np.ndarray:
    """Sorted indices of the k rows of `vectors` (L2-normalised) that cover them best.

    Rows flagged in the boolean mask `pinned` are always kept (and count towards k).
    """
    n = len(vectors)
    pinned_mask = np.zeros(n, dtype=bool) if pinned is None else np.asarray(pinned, dtype=bool)
    k = max(k, int(pinned_mask.sum()))
    if k >= n:
        return np.arange(n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n <= LEAF:
        return np.sort(farthest_points(vectors, k, np.flatnonzero(pinned_mask))[0])
    clusters = min(k, MAX_CLUSTERS, max(2, math.ceil(n / CLUSTER_ROWS)))
    labels = kmeans_labels(vectors, clusters, seed)
    members = [m for m in (np.flatnonzero(labels == c) for c in range(clusters)) if len(m)]
    has_pinned = np.array([bool(pinned_mask[m].any()) for m in members])
    isolation = _first_radii(vectors, members, np.flatnonzero(has_pinned))
    rows, radii, ranks = [], [], []
    for m, first_radius in zip(members, isolation.tolist()):
        start = np.flatnonzero(pinned_mask[m])
        offer = min(len(m), max(len(start), math.ceil(OVERSAMPLE * k * len(m) / n) + 1))
        order, radius = farthest_points(vectors[m], offer, start)
        if len(start) == 0:
            radius[0] = first_radius
        rows.append(m[order])
        radii.append(np.minimum.accumulate(radius))  # a cluster's picks stay in their order
        ranks.append(np.arange(len(order)))
    rows_all, radii_all, ranks_all = np.concatenate(rows), np.concatenate(radii), np.concatenate(ranks)
    best = np.lexsort((rows_all, ranks_all, -radii_all))[:k]
    return np.sort(rows_all[best])


def _first_radii(vectors: np.ndarray, members: list[np.ndarray], start: np.ndarray) -> np.ndarray:
    """What a cluster's first pick is worth: farthest-point sampling over the cluster centroids
    (from the clusters holding pinned rows), each centroid's distance from those before it.

    k-means cuts a dense region into several adjacent clusters; only the first of them to be
    reached counts as far away, the rest as close to it.
    """
    centroids = np.stack([vectors[m].mean(axis=0) for m in members])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    order, radius = farthest_points(np.ascontiguousarray(centroids, dtype=np.float32), len(members), start)
    out = np.empty(len(members))
    out[order] = radius
    return out


def farthest_points(vectors: np.ndarray, k: int, start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(indices of k rows in the order greedy farthest-point sampling picks them, and the cosine
    distance of each from the rows picked before it; inf for the start rows, 2 for the first)."""
    n = len(vectors)
    start = np.empty(0, dtype=np.int64) if start is None else np.asarray(start, dtype=np.int64)
    k = max(min(k, n), len(start))
    order: list[int] = start.tolist()
    radii: list[float] = [np.inf] * len(order)
    nearest = np.full(n, -np.inf, dtype=np.float32)  # similarity to the closest kept row
    for i in order:
        np.maximum(nearest, vectors @ vectors[i], out=nearest)
    if not order and k:
        first = int(np.argmax(vectors @ vectors.mean(axis=0)))
        order.append(first)
        radii.append(2.0)
        nearest = (vectors @ vectors[first]).astype(np.float32)
    nearest[order] = np.inf  # kept rows are never picked again
    while len(order) < k:
        i = int(np.argmin(nearest))
        radii.append(1.0 - float(nearest[i]))
        order.append(i)
        np.maximum(nearest, vectors @ vectors[i], out=nearest)
        nearest[i] = np.inf
    return np.asarray(order, dtype=np.int64), np.asarray(radii, dtype=np.float64)


def kmeans_labels(vectors: np.ndarray, clusters: int, seed: int) -> np.ndarray:
    """k-means in a KMEANS_DIMS-dimensional random projection: fitted on a seeded sample, then
    every row assigned to its nearest centroid.

    The clusters only cut the rows into pieces for farthest-point sampling; they need not be
    optimal. Assigning a million rows to 512 centroids in 384 dimensions would be most of the
    cost of balancing.
    """
    rng = np.random.default_rng(seed)
    n = len(vectors)
    sample = vectors if n <= KMEANS_SAMPLE else vectors[np.sort(rng.choice(n, KMEANS_SAMPLE, replace=False))]
    mean = sample.mean(axis=0)
    # A seeded random projection keeps distances within ~10% (Johnson-Lindenstrauss), plenty for
    # cutting the rows into pieces; the picks themselves use the full vectors.
    dims = min(KMEANS_DIMS, vectors.shape[1])
    basis = (rng.standard_normal((vectors.shape[1], dims)) / math.sqrt(dims)).astype(np.float32)
    reduced = (sample - mean) @ basis
    # Seeds at random sample rows: denser regions get more clusters, which the radius ranking in
    # diverse_subset discounts (k-means++ seeding would cost as much as all the rest here).
    centroids = np.ascontiguousarray(reduced[np.sort(rng.choice(len(reduced), clusters, replace=False))])
    for _ in range(KMEANS_ITERATIONS):
        labels = _nearest(reduced, centroids)
        sums = cluster_sums(reduced, labels, clusters)
        counts = np.bincount(labels, minlength=clusters)[:, None]
        updated = np.where(counts > 0, sums / np.maximum(counts, 1), centroids).astype(np.float32)
        if np.allclose(updated, centroids, atol=1e-5):
            break
        centroids = updated
    labels = np.empty(n, dtype=np.int64)
    for s in range(0, n, BLOCK):
        labels[s:s + BLOCK] = _nearest((vectors[s:s + BLOCK] - mean) @ basis, centroids)
    return labels


def _nearest(rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (Euclidean) for each row."""
    return np.argmax(rows @ centroids.T - 0.5 * np.einsum("ij,ij->i", centroids, centroids), axis=1)


def cluster_sums(rows: np.ndarray, labels: np.ndarray, clusters: int) -> np.ndarray:
    """Sum of the rows of each cluster (np.add.at is ~50x slower for this)."""
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=clusters)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sums = np.zeros((clusters, rows.shape[1]), dtype=np.float64)
    present = counts > 0
    sums[present] = np.add.reduceat(rows[order], starts[present], axis=0)
    return sums
