"""Agreement between reviewers: Cohen's and Fleiss' kappa equal to values worked out by hand."""

from __future__ import annotations

import pytest

from workbench.agreement import agreement, cohen_kappa, describe_kappa, fleiss_kappa
from workbench.steps.synthetic_review.verdicts import record_verdict, store_verdicts
from workbench.store import Store

# Ten rows judged by two reviewers (edit counts as accept: the row goes to training either way).
ALICE = ["accept"] * 6 + ["reject"] * 4
BOB = ["accept", "accept", "edit", "accept", "reject", "reject", "reject", "reject", "accept", "reject"]


def test_cohen_kappa_by_hand():
    # Agreements: rows 1-4 (accept/accept), 7, 8, 10 (reject/reject) -> observed 7/10.
    # Alice accepts 6/10, Bob 5/10 -> chance agreement 0.6 * 0.5 + 0.4 * 0.5 = 0.5.
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    labels = lambda xs: ["reject" if x == "reject" else "accept" for x in xs]  # noqa: E731
    assert cohen_kappa(labels(ALICE), labels(BOB)) == pytest.approx(0.4)


def test_cohen_kappa_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.metrics")
    a = ["a", "b", "c", "a", "a", "b", "c", "c", "a", "b", "b", "a"]
    b = ["a", "b", "b", "a", "c", "b", "c", "a", "a", "b", "a", "a"]
    assert cohen_kappa(a, b) == pytest.approx(sklearn.cohen_kappa_score(a, b))


def test_fleiss_kappa_by_hand():
    # Five rows, three reviewers each; (accepts, rejects) per row:
    # (3,0) (2,1) (1,2) (0,3) (3,0). Per-row agreement: 1, 1/3, 1/3, 1, 1 -> mean 11/15.
    # Label shares over all 15 ratings: accept 9/15, reject 6/15 -> chance 0.36 + 0.16 = 0.52.
    # kappa = (11/15 - 0.52) / 0.48 = 4/9
    items = [{"accept": 3}, {"accept": 2, "reject": 1}, {"accept": 1, "reject": 2}, {"reject": 3}, {"accept": 3}]
    assert fleiss_kappa(items) == pytest.approx(4 / 9)


def test_perfect_and_chance_level_agreement():
    assert cohen_kappa(["accept", "reject"] * 5, ["accept", "reject"] * 5) == pytest.approx(1.0)
    # Bob always accepts while Alice splits evenly: agreement is exactly what chance gives.
    assert cohen_kappa(["accept", "reject"] * 5, ["accept"] * 10) == pytest.approx(0.0)
    # One label throughout on both sides: kappa is undefined, not 1 and not a crash.
    assert cohen_kappa(["accept"] * 4, ["accept"] * 4) is None
    assert describe_kappa(0.4) == "fair" and describe_kappa(0.85) == "almost perfect"
    assert describe_kappa(-0.2).startswith("poor")


def test_two_reviewers_in_the_store_give_cohens_kappa(tmp_path):
    store = Store(tmp_path / "wb.db")
    for i, (a, b) in enumerate(zip(ALICE, BOB)):
        for rater, action in (("alice", a), ("bob", b)):
            record_verdict(store, f"row{i}", rater, action,
                           reason="wrong" if action == "reject" else "",
                           messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "fixed"}]
                           if action == "edit" else None)
    record_verdict(store, "only-alice", "alice", "reject", reason="unsafe")  # one verdict: not compared
    result = agreement({rid: {r: d.action for r, d in by.items()} for rid, by in store_verdicts(store).items()})
    assert result.method == "cohen" and result.items == 10 and result.raters == ["alice", "bob"]
    assert result.kappa == pytest.approx(0.4) and result.observed == pytest.approx(0.7)
    assert "Cohen's kappa 0.40 (fair) over 10 rows, 2 reviewers; raw agreement 70%" in result.line()


def test_three_reviewers_give_fleiss_kappa():
    rows = {
        "r1": {"ann": "accept", "ben": "accept", "cy": "accept"},
        "r2": {"ann": "accept", "ben": "edit", "cy": "reject"},
        "r3": {"ann": "reject", "ben": "accept", "cy": "reject"},
        "r4": {"ann": "reject", "ben": "reject", "cy": "reject"},
        "r5": {"ann": "accept", "ben": "accept", "cy": "edit"},
        "r6": {"ann": "accept"},  # a single verdict does not count
    }
    result = agreement(rows)
    assert result.method == "fleiss" and result.items == 5 and len(result.raters) == 3
    assert result.kappa == pytest.approx(4 / 9)
    # Agreeing rater pairs: 3 + 1 + 1 + 3 + 3 of 15.
    assert result.observed == pytest.approx(11 / 15)


def test_no_overlap_means_no_agreement_yet():
    result = agreement({"r1": {"ann": "accept"}, "r2": {"ben": "reject"}})
    assert result.method == "none" and result.kappa is None
    assert "no row has verdicts from two reviewers yet" in result.line()
