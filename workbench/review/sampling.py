"""Diverse down-sampling: keep the rows that cover the embedding space, drop the redundant ones.

Greedy farthest-point sampling (k-center): start from the most typical row (the one nearest the
mean) or from the rows a reviewer pinned, then repeatedly add the row least similar to
everything kept so far. Dense regions (many near-paraphrases of one request) lose rows first;
rare requests survive. Random sampling does the opposite: it keeps each region in proportion to
its size, so a rare request is the first to vanish.

Farthest-point sampling reads all n vectors once per pick, which is fine for a few hundred
rows. Bigger sets are first split by k-means (fitted on a seeded sample, in the top principal
components) into clusters of about LEAF rows; the kept rows are shared out across clusters by water-filling (every cluster
gets the same number of picks unless it has fewer rows), and each cluster is sampled by
farthest points. Ties go to the earlier row, so callers put rows in a seeded order first and the
result does not depend on input order.
"""

from __future__ import annotations

import math

import numpy as np

# Farthest-point sampling costs (picks x rows x dimensions) in small matrix-vector products, k-means
# costs (rows x clusters x dimensions) in large, efficient ones; clusters of about LEAF rows (at
# most MAX_CLUSTERS of them) balance the two: on two cores, 1M rows cut to 20k per category take
# ~15 s either way, against minutes with a single farthest-point pass per category.
LEAF = 512  # the most rows one farthest-point pass handles; bigger sets are clustered first
CLUSTER_ROWS = 64  # aim for clusters this small (more clusters: finer coverage) ...
MAX_CLUSTERS = 512  # ... but no more clusters than this
KMEANS_SAMPLE = 10_000  # rows the k-means centroids are fitted on
KMEANS_DIMS = 64  # principal components the k-means works in
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
        return np.sort(farthest_points(vectors, k, np.flatnonzero(pinned_mask)))
    clusters = min(k, MAX_CLUSTERS, max(2, math.ceil(n / CLUSTER_ROWS)))
    labels = kmeans_labels(vectors, clusters, seed)
    members = [np.flatnonzero(labels == c) for c in range(clusters)]
    quotas = water_fill([len(m) for m in members], [int(pinned_mask[m].sum()) for m in members], k)
    chosen = [m[farthest_points(vectors[m], q, np.flatnonzero(pinned_mask[m]))]
              for m, q in zip(members, quotas) if q]
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)


def farthest_points(vectors: np.ndarray, k: int, start: np.ndarray | None = None) -> np.ndarray:
    """Indices of k rows in the order greedy farthest-point sampling picks them."""
    n = len(vectors)
    k = min(k, n)
    picked = np.zeros(n, dtype=bool)
    order: list[int] = []
    nearest = np.full(n, -np.inf, dtype=np.float32)  # similarity to the closest kept row
    start = np.empty(0, dtype=np.int64) if start is None else np.asarray(start, dtype=np.int64)
    for i in start.tolist():
        order.append(i)
        picked[i] = True
        np.maximum(nearest, vectors @ vectors[i], out=nearest)
    if not order and k:
        centre = vectors.mean(axis=0)
        first = int(np.argmax(vectors @ centre))
        order.append(first)
        picked[first] = True
        nearest = (vectors @ vectors[first]).astype(np.float32)
    nearest[picked] = np.inf  # kept rows are never picked again
    while len(order) < k:
        i = int(np.argmin(nearest))
        order.append(i)
        np.maximum(nearest, vectors @ vectors[i], out=nearest)
        nearest[i] = np.inf
    return np.asarray(order[:max(k, len(start))], dtype=np.int64)


def water_fill(sizes: list[int], floors: list[int], total: int) -> list[int]:
    """Share `total` picks across groups as evenly as their sizes allow, at least `floors` each.

    Groups smaller than the even share give all their rows; the rest is spread over the bigger
    groups, one extra pick at a time to the biggest (then earliest) groups.
    """
    def quotas(level: int) -> list[int]:
        return [min(s, max(f, level)) for s, f in zip(sizes, floors)]

    low, high = 0, max(sizes, default=0)
    while low < high:  # the highest level whose quotas fit in total
        mid = (low + high + 1) // 2
        if sum(quotas(mid)) <= total:
            low = mid
        else:
            high = mid - 1
    out = quotas(low)
    left = total - sum(out)
    for g in sorted(range(len(sizes)), key=lambda g: (-sizes[g], g)):
        if left <= 0:
            break
        if out[g] < sizes[g] and out[g] == max(floors[g], low):
            out[g] += 1
            left -= 1
    return out


def kmeans_labels(vectors: np.ndarray, clusters: int, seed: int) -> np.ndarray:
    """k-means in the top KMEANS_DIMS principal components: fitted on a seeded sample, then
    every row assigned to its nearest centroid.

    The clusters only partition the rows so that each region gets its share of picks; they need
    not be optimal. Assigning a million rows to 512 centroids in 384 dimensions is most of the
    cost of balancing, and 64 components keep the coarse structure that the partition needs.
    """
    rng = np.random.default_rng(seed)
    n = len(vectors)
    sample = vectors if n <= KMEANS_SAMPLE else vectors[np.sort(rng.choice(n, KMEANS_SAMPLE, replace=False))]
    mean = sample.mean(axis=0)
    centred = sample - mean
    # Principal axes from the d x d covariance (an SVD of the whole sample is ~50x slower).
    _, axes = np.linalg.eigh(centred.T @ centred)
    basis = np.ascontiguousarray(axes[:, ::-1][:, :KMEANS_DIMS], dtype=np.float32)
    reduced = centred @ basis
    centroids = _spread_seeds(reduced, clusters, rng)
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


def _spread_seeds(rows: np.ndarray, clusters: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur and Vassilvitskii, 2007): each next seed drawn with probability
    proportional to its squared distance from the seeds so far, so small far-away groups get one."""
    norms = np.einsum("ij,ij->i", rows, rows)

    def squared_distance(i: int) -> np.ndarray:
        return np.clip(norms - 2 * (rows @ rows[i]) + norms[i], 0.0, None)

    chosen = [int(rng.integers(len(rows)))]
    distance = squared_distance(chosen[0]).astype(np.float64)
    for _ in range(1, clusters):
        total = distance.sum()
        nxt = int(rng.choice(len(rows), p=distance / total)) if total > 0 else int(rng.integers(len(rows)))
        chosen.append(nxt)
        np.minimum(distance, squared_distance(nxt), out=distance)
    return np.ascontiguousarray(rows[chosen], dtype=np.float32)


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
