"""Balance on a million rows: workbench's diverse down-sampling against what a user would write.

    .venv/bin/python benchmarks/balance.py                      # 1M rows, cap 20,000 per category
    .venv/bin/python benchmarks/balance.py --rows 200000 --kmeans-rows 100000

The data: --rows conversations in 8 categories of Zipf-like sizes (34% down to 2%), each row a
short prompt, and a 384-dimensional unit vector per row drawn around one of 40,000 "requests"
(cluster centres with Zipf-distributed popularity within each category), so that some requests
are asked thousands of times and most only a handful, as in real support or instruction data. The vectors go into the project's embedding cache first, as they
would be after semantic_dedup or an earlier balance/categorize run: encoding a million prompts
with MiniLM on CPU takes an hour and is measured by benchmarks/dedup.py, not here.

Side by side, on the same rows, each capping every category at --cap rows:

(a) baseline, random: polars, per category ``group.sample(n=cap, seed=0)``; what a user writes
    when they only want the counts right. No embeddings at all.
(b) baseline, k-means: scikit-learn MiniBatchKMeans(n_clusters=cap) per over-cap category and
    the row nearest each centroid ("k-means cluster sampling", the usual diverse recipe); slow,
    so it runs on the first --kmeans-rows rows with --kmeans-cap, and workbench runs on those too.
(c) workbench: ``Balance(max_per_category=cap).run(records, ctx)`` through the step API with a
    warm embedding cache: reading the vectors, the plan, farthest-point sampling (k-means first
    for big categories), the drop decisions.

Quality, measured here the same way for all: the share of requests (cluster centres) present in
a category before the cut that still have a row after it ("coverage"), and the mean similarity
of each dropped row to its nearest kept row.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from workbench.embeddings import vectors as V  # noqa: E402
from workbench.records import SCHEMA  # noqa: E402
from workbench.steps.balance.step import Balance  # noqa: E402
from workbench.steps.base import StepContext  # noqa: E402

CATEGORY_SHARES = {"billing": 0.34, "technical": 0.24, "account": 0.15, "shipping": 0.10,
                   "installation": 0.07, "product": 0.05, "warranty": 0.03, "privacy": 0.02}
REQUESTS = 40_000
DIM = 384


def generate(rows: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """(records, unit vectors, request id per row)."""
    rng = np.random.default_rng(seed)
    names = list(CATEGORY_SHARES)
    category = rng.choice(len(names), size=rows, p=list(CATEGORY_SHARES.values()))
    # Each request belongs to one category; popularity within a category is Zipf-like.
    request_category = rng.integers(0, len(names), REQUESTS)
    request = np.empty(rows, dtype=np.int64)
    for c in range(len(names)):
        pool = np.flatnonzero(request_category == c)
        weights = 1.0 / np.arange(1, len(pool) + 1) ** 1.1
        where = np.flatnonzero(category == c)
        request[where] = pool[rng.choice(len(pool), size=len(where), p=weights / weights.sum())]
    centres = rng.normal(size=(REQUESTS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.empty((rows, DIM), dtype=np.float32)
    for s in range(0, rows, 100_000):
        part = centres[request[s:s + 100_000]] + rng.normal(scale=0.03, size=(min(100_000, rows - s), DIM)).astype(np.float32)
        vectors[s:s + 100_000] = part / np.linalg.norm(part, axis=1, keepdims=True)
    # Unique 16-hex-digit ids spread over the whole range, like content hashes.
    ids = pl.Series("id", [f"{(i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF:016x}" for i in range(1, rows + 1)])
    frame = pl.DataFrame({
        "id": ids,
        "user": pl.Series([f"request {r} asked again, variant {i}" for i, r in enumerate(request.tolist())]),
        "category": pl.Series([names[c] for c in category.tolist()]),
    })
    records = frame.select(
        "id",
        pl.concat_list([pl.struct(pl.lit("user").alias("role"), pl.col("user").alias("content")),
                        pl.struct(pl.lit("assistant").alias("role"), pl.lit("Thanks, here is how.").alias("content"))])
        .alias("messages"),
        "category", pl.lit("human").alias("origin"), pl.lit("bench.jsonl").alias("source_file"),
        pl.int_range(1, rows + 1, dtype=pl.Int64).alias("source_line"), pl.lit("{}").alias("meta"),
    ).cast(SCHEMA)
    return records, vectors, request


def quality(records: pl.DataFrame, kept_ids: set[str], vectors: np.ndarray, request: np.ndarray,
            cap: int) -> tuple[float, float]:
    """(request coverage in cut categories, mean similarity of dropped rows to their nearest kept row)."""
    ids = records.get_column("id").to_list()
    cats = records.get_column("category").to_numpy()
    kept = np.array([i in kept_ids for i in ids])
    covered = total = 0
    sims = []
    rng = np.random.default_rng(1)
    for c in np.unique(cats):
        rows = np.flatnonzero(cats == c)
        if len(rows) <= cap:
            continue
        before = set(request[rows].tolist())
        after = set(request[rows[kept[rows]]].tolist())
        covered += len(after)
        total += len(before)
        dropped = rows[~kept[rows]]
        probe = dropped[rng.choice(len(dropped), size=min(2000, len(dropped)), replace=False)]
        kept_rows = rows[kept[rows]]
        sims.append((vectors[probe] @ vectors[kept_rows].T).max(axis=1))
    return covered / max(total, 1), float(np.concatenate(sims).mean()) if sims else 1.0


def random_baseline(records: pl.DataFrame, cap: int) -> set[str]:
    parts = [g if g.height <= cap else g.sample(n=cap, seed=0) for g in records.partition_by("category")]
    return set(pl.concat(parts).get_column("id").to_list())


def kmeans_baseline(records: pl.DataFrame, vectors: np.ndarray, cap: int) -> set[str]:
    from sklearn.cluster import MiniBatchKMeans

    kept: list[str] = []
    cats = records.get_column("category").to_numpy()
    ids = np.asarray(records.get_column("id").to_list(), dtype=object)
    for c in np.unique(cats):
        rows = np.flatnonzero(cats == c)
        if len(rows) <= cap:
            kept += ids[rows].tolist()
            continue
        model = MiniBatchKMeans(n_clusters=cap, random_state=0, batch_size=4096, n_init=1).fit(vectors[rows])
        nearest = set()
        distances = model.transform(vectors[rows])
        for k in range(cap):
            nearest.add(int(np.argmin(distances[:, k])))
        kept += ids[rows[sorted(nearest)]].tolist()
    return set(kept)


def run_workbench(records: pl.DataFrame, cache_dir: Path, cap: int) -> tuple[set[str], float]:
    ctx = StepContext("balance", cache_dir=cache_dir)
    start = time.perf_counter()
    result = Balance(max_per_category=cap).run(records, ctx)
    elapsed = time.perf_counter() - start
    return set(result.kept.get_column("id").to_list()), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cap", type=int, default=20_000)
    parser.add_argument("--kmeans-rows", type=int, default=50_000, help="rows for the k-means baseline (0: skip)")
    parser.add_argument("--kmeans-cap", type=int, default=1_000)
    args = parser.parse_args()

    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.2f}")
    t = time.perf_counter()
    records, vectors, request = generate(args.rows)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t:.1f} s; "
          f"categories: {dict(records.group_by('category').len().sort('len', descending=True).iter_rows())}")
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp)
        t = time.perf_counter()
        cache = V.embedding_cache(V.PACKAGED_MODEL, cache_dir)
        cache.put(V.cache_keys(records, V.record_texts(records, "user")), vectors)
        print(f"embedding cache written in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        kept_random = random_baseline(records, args.cap)
        random_s = time.perf_counter() - t
        kept_ours, ours_s = run_workbench(records, cache_dir, args.cap)
        cov_r, sim_r = quality(records, kept_random, vectors, request, args.cap)
        cov_o, sim_o = quality(records, kept_ours, vectors, request, args.cap)
        print(f"\n{args.rows:,} rows, cap {args.cap:,} per category, kept {len(kept_ours):,}")
        print(f"  (a) polars random sample   {random_s:7.2f} s  {args.rows / random_s:12,.0f} rows/s   "
              f"coverage {cov_r:.1%}  dropped-to-kept similarity {sim_r:.3f}")
        print(f"  (c) workbench balance      {ours_s:7.2f} s  {args.rows / ours_s:12,.0f} rows/s   "
              f"coverage {cov_o:.1%}  dropped-to-kept similarity {sim_o:.3f}")
        print(f"  workbench / random time ratio: {ours_s / random_s:.1f}x")

        if args.kmeans_rows:
            n = min(args.kmeans_rows, args.rows)
            sub, sub_vectors, sub_request = records.head(n), vectors[:n], request[:n]
            sub_cache = cache_dir  # the same keys are in the cache already
            t = time.perf_counter()
            kept_kmeans = kmeans_baseline(sub, sub_vectors, args.kmeans_cap)
            kmeans_s = time.perf_counter() - t
            kept_sub, sub_s = run_workbench(sub, sub_cache, args.kmeans_cap)
            cov_k, sim_k = quality(sub, kept_kmeans, sub_vectors, sub_request, args.kmeans_cap)
            cov_s, sim_s = quality(sub, kept_sub, sub_vectors, sub_request, args.kmeans_cap)
            print(f"\n{n:,} rows, cap {args.kmeans_cap:,} per category")
            print(f"  (b) sklearn MiniBatchKMeans {kmeans_s:7.2f} s  {n / kmeans_s:12,.0f} rows/s   "
                  f"coverage {cov_k:.1%}  dropped-to-kept similarity {sim_k:.3f}")
            print(f"  (c) workbench balance       {sub_s:7.2f} s  {n / sub_s:12,.0f} rows/s   "
                  f"coverage {cov_s:.1%}  dropped-to-kept similarity {sim_s:.3f}")
            print(f"  k-means / workbench time ratio: {kmeans_s / sub_s:.1f}x")


if __name__ == "__main__":
    main()
