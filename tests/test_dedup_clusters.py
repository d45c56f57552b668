"""Clusters from verified pairs: survivors, reviewer choices, and no chains across unrelated rows."""

import numpy as np
import polars as pl
import pytest

from workbench.steps.dedup.clusters import Corpus, SimilarPairs, UnionFind, resolve

THRESHOLD = 0.8


def corpus(n, lengths=None, origins=None, n_new=None):
    ids = [f"r{i}" for i in range(n)]
    return Corpus(ids, pl.Series([""] * n), np.array(lengths or [10] * n), origins or ["human"] * n,
                  n if n_new is None else n_new)


def pairs(similarities: dict[tuple[int, int], float]) -> SimilarPairs:
    """Verified pairs are those at or above the threshold; measure() answers for every pair."""
    table = {tuple(sorted(k)): v for k, v in similarities.items()}
    verified = sorted(k for k, v in table.items() if v >= THRESHOLD)
    a = np.array([k[0] for k in verified], dtype=np.int64)
    b = np.array([k[1] for k in verified], dtype=np.int64)

    def measure(xs, ys):
        return np.array([table.get(tuple(sorted((int(x), int(y)))), 0.0) for x, y in zip(xs, ys)])

    return SimilarPairs(a, b, np.array([table[k] for k in verified]), measure)


def test_a_chain_never_drops_a_row_for_resembling_something_it_does_not_resemble():
    # A~B and B~C, but A and C are unrelated (r0, r1, r2).
    sims = {(0, 1): 0.85, (1, 2): 0.85, (0, 2): 0.3}
    # A survives: B goes as A's copy; C resembles only B, so C stays instead of following the chain.
    by_first = resolve(corpus(3), pairs(sims), THRESHOLD, "first")
    assert [(c.survivors, c.duplicate_of) for c in by_first] == [(("r0",), {"r1": "r0"})]
    assert all("r2" not in c.members for c in by_first)
    # B survives (the longest): A and C each resemble B itself, so both go as B's copies.
    by_length = resolve(corpus(3, lengths=[10, 20, 10]), pairs(sims), THRESHOLD, "longest")
    assert [(c.survivors, c.duplicate_of) for c in by_length] == [(("r1",), {"r0": "r1", "r2": "r1"})]


def test_a_split_off_part_of_a_chain_is_clustered_again_among_itself():
    # r0 ~ r1 ~ r2 ~ r3 with r0 only near r1; survivor r0 takes r1; r2 and r3 form their own cluster.
    sims = {(0, 1): 0.9, (1, 2): 0.82, (2, 3): 0.95, (0, 2): 0.5, (0, 3): 0.4, (1, 3): 0.6}
    clusters = resolve(corpus(4), pairs(sims), THRESHOLD, "first")
    assert [(c.id, c.members, c.survivors, c.duplicate_of) for c in clusters] == [
        ("r0", ("r0", "r1"), ("r0",), {"r1": "r0"}),
        ("r2", ("r2", "r3"), ("r2",), {"r3": "r2"}),
    ]
    assert clusters[1].similarity == {"r2": 1.0, "r3": 0.95}


def test_survivor_policies():
    sims = {(0, 1): 0.9, (0, 2): 0.9, (1, 2): 0.9}
    c = corpus(3, lengths=[10, 30, 20], origins=["synthetic", "synthetic", "human"])
    assert resolve(c, pairs(sims), THRESHOLD, "first")[0].survivors == ("r0",)
    assert resolve(c, pairs(sims), THRESHOLD, "longest")[0].survivors == ("r1",)
    assert resolve(c, pairs(sims), THRESHOLD, "human_first")[0].survivors == ("r2",)


def test_reviewer_keeps_win_over_the_policy_and_keep_on_all_means_not_duplicates():
    sims = {(0, 1): 0.9, (0, 2): 0.9, (1, 2): 0.9}
    (one,) = resolve(corpus(3), pairs(sims), THRESHOLD, "first", keep={"r2"})
    assert (one.survivors, one.policy_survivor, one.chosen) == (("r2",), "r0", ("r2",))
    assert one.duplicate_of == {"r0": "r2", "r1": "r2"}
    (two,) = resolve(corpus(3), pairs(sims), THRESHOLD, "first", keep={"r1", "r2"})
    assert two.survivors == ("r1", "r2") and two.dropped == ("r0",)
    (every,) = resolve(corpus(3), pairs(sims), THRESHOLD, "first", keep={"r0", "r1", "r2"})
    assert every.survivors == ("r0", "r1", "r2") and every.duplicate_of == {}


def test_a_row_the_reviewer_dropped_is_never_the_survivor():
    sims = {(0, 1): 0.9}
    (c,) = resolve(corpus(2), pairs(sims), THRESHOLD, "first", drop={"r0"})
    assert c.survivors == ("r1",)


def test_reference_rows_always_survive_and_pairs_among_new_rows_still_count():
    # rows 0-2 are new, 3 comes from the `against` set.
    sims = {(0, 3): 0.9, (1, 2): 0.85, (0, 1): 0.2}
    clusters = resolve(corpus(4, n_new=3), pairs(sims), THRESHOLD, "first")
    assert [(c.survivors, c.duplicate_of, c.existing) for c in clusters] == [
        (("r3",), {"r0": "r3"}, ("r3",)),
        (("r1",), {"r2": "r1"}, ()),
    ]


def test_union_find_roots_do_not_depend_on_edge_order():
    uf = UnionFind(5)
    for a, b in [(4, 3), (3, 1), (2, 0)]:
        uf.union(a, b)
    assert [uf.find(i) for i in range(5)] == [0, 1, 0, 1, 1]


@pytest.mark.parametrize("policy", ["first", "longest", "human_first"])
def test_every_dropped_row_resembles_its_survivor(policy):
    rng = np.random.default_rng(3)
    n = 40
    sims = {(i, j): float(rng.choice([0.5, 0.81, 0.9, 0.99])) for i in range(n) for j in range(i + 1, n)
            if rng.random() < 0.15}
    c = corpus(n, lengths=list(rng.integers(1, 100, n)),
               origins=list(rng.choice(["human", "synthetic"], n)))
    clusters = resolve(c, pairs(sims), THRESHOLD, policy)
    dropped = [m for cl in clusters for m in cl.dropped]
    assert len(dropped) == len(set(dropped))
    for cl in clusters:
        for m, s in cl.duplicate_of.items():
            i, j = sorted((int(m[1:]), int(s[1:])))
            assert sims.get((i, j), 0.0) >= THRESHOLD
            assert s in cl.survivors and m not in cl.survivors
