"""MinHash LSH over word or character shingles, vectorized per batch, with exact verification.

What was measured on the 2-core dev machine (~80-word documents) and chosen:

- Tokens: polars normalizes (NFKC only for non-ASCII rows: it was the slowest single operation),
  lowercases, splits on non-word characters and hashes every token in Rust (~15M tokens/s);
  numpy combines the token hashes of each n-gram into one 64-bit shingle hash with whole-array
  arithmetic. No Python object is made per token or shingle.
- Signatures: rensa's R-MinHash from one flat buffer of shingle hashes per batch (~350k docs/s;
  datasketch's per-token ``update`` does ~0.5-0.9k, ``MinHash.bulk`` with xxhash ~13k). Its
  digest matrix only leaves Rust as Python lists (``to_rows``, ~50-80k docs/s): the largest
  cost left, so a worker thread shingles the next batch meanwhile (see near_duplicates).
- Candidates: our own banding in numpy (sort each band's keys, pair equal neighbours), because
  rensa's native LSH answers "is a duplicate" flags, not which pairs. The bands are chosen for a
  threshold *below* the target (see :func:`choose_bands`): an index built at the target misses
  pairs just above it (planted pairs: 79% recall at 0.8 against 97.6% when built at 0.7).
- Verification: every candidate pair gets its exact Jaccard over the shingle sets (sorted
  hashes, intersected with ``searchsorted``), so nothing joins a cluster on an estimate.

All together: 1M documents in ~50 s, ~40x the datasketch script (benchmarks/dedup.py).

The token hash is polars' ``Series.hash``: stable within a polars version, and it only decides
which pairs become candidates; the similarity reported for a pair is exact and hash-independent
up to collisions of 40-bit shingle hashes inside one pair (about 1 in 10^8 pairs)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

Shingle = Literal["word", "char"]
DEFAULT_NGRAM: dict[str, int] = {"word": 5, "char": 5}
SEED = 42  # rensa's permutation seed: fixed so that the same input gives the same signatures
BATCH = 65_536  # documents hashed per call: bounds memory and sets the progress step
CANDIDATE_RECALL = 0.995  # wanted chance that a pair exactly at the threshold becomes a candidate
MAX_RUN_PAIRS = 48  # in a band bucket, each row is paired with at most this many following rows

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_P = np.uint64(0x100000001B3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_LOW40 = np.uint64((1 << 40) - 1)
_MASK64 = (1 << 64) - 1


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the whole 64-bit output (in place)."""
    h ^= h >> _S30
    h *= _M1
    h ^= h >> _S27
    h *= _M2
    h ^= h >> _S31
    return h


def normalized_text(texts: pl.Series, shingle: Shingle) -> pl.Series:
    """The text shingles are taken from: NFKC, lowercase; words split on non-word characters."""
    s = texts.fill_null("")
    # NFKC is the slowest part of the whole step and ASCII is already in NFKC: only the rest go.
    non_ascii = (s.str.len_bytes() != s.str.len_chars()).arg_true()
    if len(non_ascii):
        s = s.scatter(non_ascii, s.gather(non_ascii).str.normalize("NFKC"))
    s = s.str.to_lowercase()
    if shingle == "word":
        return s.str.replace_all(r"\W+", " ").str.strip_chars()
    return s.str.replace_all(r"\s+", " ").str.strip_chars()


@dataclass
class Shingles:
    """Shingle hashes of many documents: document d owns hashes[offsets[d]:offsets[d + 1]]."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len = documents + 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def _token_hashes(norm: pl.Series, shingle: Shingle) -> tuple[np.ndarray, np.ndarray]:
    """Per-token 64-bit hashes (flat) and the number of tokens of each document."""
    if shingle == "word":
        text = pl.col("t")
        tokens = pl.DataFrame({"t": norm}).select(
            pl.when(text.str.len_bytes() > 0).then(text.str.split(" "))
        ).to_series()
        lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
        flat = tokens.explode(empty_as_null=False, keep_nulls=False)
        return flat.hash(seed=SEED).to_numpy(), lengths
    lengths = norm.str.len_chars().to_numpy().astype(np.int64)
    codepoints = np.frombuffer("".join(norm.to_list()).encode("utf-32-le"), dtype=np.uint32)
    return _mix(codepoints.astype(np.uint64) + _GOLDEN), lengths


def _combine(tokens: np.ndarray, lengths: np.ndarray, n: int) -> Shingles:
    """Hash every run of n consecutive tokens; a document shorter than n is one shingle."""
    docs = len(lengths)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    offsets = np.zeros(docs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    starts = np.zeros(docs, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    total = len(tokens)
    long_docs = lengths >= n
    short = np.flatnonzero((lengths > 0) & ~long_docs)
    windows = np.empty(0, dtype=np.uint64)
    if total >= n and long_docs.any():
        # Contiguous slices, no gathers: h[t] combines tokens t .. t+n-1 of the flat array. The
        # windows that start in the last n-1 tokens of a document cross its end: masked out.
        width = total - n + 1
        h = tokens[:width].copy()
        for k in range(1, n):
            h *= _P
            h += tokens[k : k + width]
        valid = np.ones(width, dtype=bool)
        ends = starts + lengths
        for k in range(1, n):
            t = ends - k
            valid[t[(lengths >= k) & (t < width)]] = False
        windows = h[valid]
        windows ^= np.uint64(n)
        _mix(windows)
    if len(short) == 0:
        return Shingles(windows, offsets)
    out = np.empty(int(offsets[-1]), dtype=np.uint64)
    out[np.repeat(long_docs, counts)] = windows
    # Documents with fewer tokens than n: one shingle of all their tokens.
    first, size = starts[short], lengths[short]
    h = np.zeros(len(short), dtype=np.uint64)
    for k in range(n - 1):
        m = k < size
        h[m] = h[m] * _P + tokens[first[m] + k]
    h ^= size.astype(np.uint64)
    out[offsets[short]] = _mix(h)
    return Shingles(out, offsets)


def shingle_hashes(norm: pl.Series, shingle: Shingle, ngram: int) -> Shingles:
    """Shingle hashes for already normalized texts (see :func:`normalized_text`)."""
    tokens, lengths = _token_hashes(norm, shingle)
    return _combine(tokens, lengths, ngram)


def choose_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for an LSH that catches a pair exactly at `threshold` with >= 99.5% chance.

    The most rows per band that still reach CANDIDATE_RECALL: each extra row cuts the unrelated
    candidates that verification has to reject. For 0.8 and 128 permutations: 21 bands of 6,
    an S-curve centred near 0.6 (a pair at 0.8 is missed with probability 0.2%).
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= CANDIDATE_RECALL:
            return bands, rows
    return num_perm, 1


def band_keys(shingles: Shingles, num_perm: int, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band) from rensa R-MinHash signatures; shape (docs, bands)."""
    import rensa  # a compiled extension; imported only when near_dedup runs

    docs = len(shingles.counts)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        shingles.hashes, shingles.offsets.astype(np.uint64), num_perm, SEED)
    flat = np.fromiter(itertools.chain.from_iterable(matrix.to_rows()), dtype=np.uint32,
                       count=docs * num_perm)
    columns = flat.reshape(docs, num_perm).T.copy()  # one contiguous row per permutation
    keys = np.empty((docs, bands), dtype=np.uint64)
    for b in range(bands):
        h = np.full(docs, (b * int(_GOLDEN)) & _MASK64, dtype=np.uint64)
        for c in range(b * rows, (b + 1) * rows):
            h *= _P
            h += columns[c]
        keys[:, b] = _mix(h)
    return keys


def candidate_pairs(keys: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique pairs (a < b) of valid rows that share at least one band key.

    Rows with identical signatures are folded onto their first row before banding (a thousand
    copies of one text would otherwise pair with each other in every band).
    """
    rows = np.flatnonzero(valid)
    if len(rows) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    k = keys[rows]
    whole = np.zeros(len(rows), dtype=np.uint64)
    for b in range(k.shape[1]):
        whole = _mix(whole ^ k[:, b])
    _, first, inverse = np.unique(whole, return_index=True, return_inverse=True)
    rep = first[inverse]
    copies = np.flatnonzero(rep != np.arange(len(rows)))
    parts_a, parts_b = [rows[rep[copies]]], [rows[copies]]
    distinct = rows[first]
    for b in range(k.shape[1]):
        band = keys[distinct, b]
        order = np.argsort(band, kind="stable")
        sorted_keys = band[order]
        for d in range(1, MAX_RUN_PAIRS + 1):
            same = sorted_keys[d:] == sorted_keys[:-d]
            if not same.any():
                break
            parts_a.append(distinct[order[:-d][same]])
            parts_b.append(distinct[order[d:][same]])
    a = np.concatenate(parts_a)
    b = np.concatenate(parts_b)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    width = np.int64(keys.shape[0])
    code = np.unique(lo * width + hi)
    return code // width, code % width


class ExactJaccard:
    """Exact Jaccard similarity of shingle sets for a fixed set of documents, many pairs at once."""

    def __init__(self, shingles: Shingles, docs: np.ndarray) -> None:
        """`docs` are the corpus rows the shingles belong to, sorted, in the same order."""
        self.docs = docs
        counts = shingles.counts
        if len(docs) >= 1 << 24:
            raise ValueError("too many documents to verify in one pass (16M)")
        # One sort orders by document then hash: the document index sits above 40 hash bits.
        owner = np.repeat(np.arange(len(docs), dtype=np.uint64), counts)
        keyed = (owner << np.uint64(40)) | (shingles.hashes >> np.uint64(24))
        keyed.sort()
        if len(keyed) > 1:  # a shingle repeated inside a document counts once
            keyed = keyed[np.concatenate(([True], keyed[1:] != keyed[:-1]))]
        self.keys = keyed & _LOW40
        self.offsets = np.searchsorted(keyed >> np.uint64(40), np.arange(len(docs) + 1, dtype=np.uint64))

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Jaccard of the shingle sets of corpus rows a[i] and b[i]."""
        la = np.searchsorted(self.docs, a)
        lb = np.searchsorted(self.docs, b)
        out = np.empty(len(a), dtype=np.float64)
        size_a = self.offsets[la + 1] - self.offsets[la]
        size_b = self.offsets[lb + 1] - self.offsets[lb]
        step = 1 << 16  # pairs per pass: ~10M set elements, ~80 MB per side
        for s in range(0, len(a), step):
            sl = slice(s, s + step)
            inter = self._intersections(la[sl], lb[sl], size_a[sl], size_b[sl])
            union = size_a[sl] + size_b[sl] - inter
            out[sl] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        return out

    def _gather(self, docs: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Each pair's set as keys (pair index << 40 | hash): globally sorted, ready to search."""
        pair = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
        first = np.repeat(np.cumsum(sizes) - sizes, sizes)
        index = np.repeat(self.offsets[docs], sizes) + (np.arange(len(pair)) - first)
        return (pair.astype(np.uint64) << np.uint64(40)) | self.keys[index]

    def _intersections(self, la, lb, size_a, size_b) -> np.ndarray:
        left = self._gather(la, size_a)
        right = self._gather(lb, size_b)
        if len(left) == 0 or len(right) == 0:
            return np.zeros(len(la), dtype=np.int64)
        pos = np.minimum(np.searchsorted(left, right), len(left) - 1)
        hit = left[pos] == right
        pair = (right >> np.uint64(40)).astype(np.int64)
        return np.bincount(pair[hit], minlength=len(la))


@dataclass
class NearDuplicates:
    """Verified pairs (Jaccard >= threshold) and an exact similarity for any pair among their rows."""

    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray
    measure: Callable[[np.ndarray, np.ndarray], np.ndarray]
    stats: dict


def near_duplicates(
    texts: pl.Series,
    *,
    threshold: float,
    num_perm: int,
    ngram: int,
    shingle: Shingle,
    existing_from: int | None = None,
    report: Callable[[int, int, str], None] = lambda done, total, label: None,
) -> NearDuplicates:
    """Find the pairs of `texts` whose shingle sets have Jaccard >= threshold.

    Rows from `existing_from` on are a reference set: pairs between two of them are not wanted.
    """
    n = len(texts)
    bands, rows = choose_bands(threshold, num_perm)
    keys = np.empty((n, bands), dtype=np.uint64)
    nonempty = np.zeros(n, dtype=bool)

    def shingles_of(rows_: pl.Series) -> Shingles:
        return shingle_hashes(normalized_text(rows_, shingle), shingle, ngram)

    # Two stages overlap: polars and numpy (which release the GIL) shingle the next batch in a
    # worker thread while this thread turns the current one into signatures, where rensa's
    # to_rows holds the GIL. On 2 cores that takes ~25% off the whole step.
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(shingles_of, texts.slice(0, BATCH))
        for start in range(0, n, BATCH):
            report(start, n, "signatures")
            sh = upcoming.result()
            if start + BATCH < n:
                upcoming = pool.submit(shingles_of, texts.slice(start + BATCH, BATCH))
            stop = start + len(sh.counts)
            nonempty[start:stop] = sh.counts > 0
            keys[start:stop] = band_keys(sh, num_perm, bands, rows)
    report(n, n, "signatures")
    a, b = candidate_pairs(keys, nonempty)
    del keys
    if existing_from is not None:
        wanted = a < existing_from  # a < b, so a pair of two reference rows has a >= existing_from
        a, b = a[wanted], b[wanted]
    stats = {"lsh_bands": bands, "lsh_rows": rows, "candidate_pairs": int(len(a))}
    docs = np.unique(np.concatenate([a, b]))
    report(0, max(len(a), 1), "verifying")
    measure = ExactJaccard(shingles_of(texts.gather(docs)), docs)
    sim = measure(a, b) if len(a) else np.empty(0)
    keep = sim >= threshold
    report(max(len(a), 1), max(len(a), 1), "verifying")  # done, also with no candidates
    stats["verified_pairs"] = int(keep.sum())
    return NearDuplicates(a[keep], b[keep], sim[keep], measure, stats)
