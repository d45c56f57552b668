"""Blind pairs and votes: balanced random sides from a stored seed, every pair once per rater,
categories in turn, votes that survive a kill, the reveal, and the votes the statistics read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.evaluate.arena import Arena, PairView, load_votes, make_pairs
from workbench.store import Store

CATEGORIES = ["billing", "shipping", "account"]


def fill(store: Store, n: int = 9, models=("base", "run:1"), categories=CATEGORIES, settings: str = "S",
         reference: bool = True) -> list[str]:
    """n prompts (categories in turn) with one reply per model: '<model> answers <i>'."""
    ids = [f"p{i:04d}" for i in range(n)]
    store.evals.add_prompts({"prompt_id": pid, "source": "holdout", "category": categories[i % len(categories)],
                            "messages": [{"role": "user", "content": f"question {i}"}],
                            "reference": f"the answer to question {i}" if reference else None}
                           for i, pid in enumerate(ids))
    store.evals.add_generations((pid, m, settings, f"{m} answers {i}", 3) for i, pid in enumerate(ids) for m in models)
    return ids


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "workbench.db")
    yield s
    s.close()


def test_left_side_is_balanced_over_many_pairs_and_repeats_with_the_seed(tmp_path):
    first = Store(tmp_path / "one.db")
    fill(first, 1000)
    assert make_pairs(first, "run:1", "base", seed=7) == 1000
    sides = {p["prompt_id"]: p["left"] for p in first.arena.pairs()}
    share = Counter(sides.values())["a"] / len(sides)
    assert 0.45 <= share <= 0.55
    assert {p["seed"] for p in first.arena.pairs()} == {7}  # the seed is stored with each pair

    again = Store(tmp_path / "two.db")
    fill(again, 1000)
    make_pairs(again, "base", "run:1", seed=7)
    assert {p["prompt_id"]: p["left"] for p in again.arena.pairs()} == sides
    other = Store(tmp_path / "three.db")
    fill(other, 1000)
    make_pairs(other, "base", "run:1", seed=8)
    changed = sum(p["left"] != sides[p["prompt_id"]] for p in other.arena.pairs())
    assert 400 < changed < 600  # another seed is another, independent draw


def test_the_left_reply_is_the_drawn_side_and_pairs_are_kept(store):
    fill(store, 6)
    make_pairs(store, "base", "run:1")
    assert make_pairs(store, "base", "run:1") == 0  # existing pairs are kept, none doubled
    arena = Arena(store, rater="ann")
    view = arena.next_pair()
    pair = store.arena.pair(view.pair_id)
    assert pair["comparison"] == "base vs run:1" and (pair["model_a"], pair["model_b"]) == ("base", "run:1")
    expected_left = pair["reply_a"] if pair["left"] == "a" else pair["reply_b"]
    assert view.left == expected_left and {view.left, view.right} == {pair["reply_a"], pair["reply_b"]}
    assert view.prompt == [{"role": "user", "content": view.prompt[0]["content"]}] and view.reference


def test_a_pair_view_carries_no_model_name(store):
    fill(store, 3, models=("base", "run:secret"))
    make_pairs(store, "base", "run:secret")
    view = Arena(store, rater="ann").next_pair()
    assert set(PairView.__dataclass_fields__) == {"pair_id", "prompt", "reference", "category", "left", "right"}
    shown = repr((view.prompt, view.reference, view.category))
    assert "secret" not in shown and "base" not in shown


def test_a_rater_never_gets_a_pair_twice_and_several_raters_each_get_every_pair(store):
    fill(store, 9)
    make_pairs(store, "base", "run:1")
    every = {p["pair_id"] for p in store.arena.pairs()}
    for rater in ("ann", "bob"):
        arena = Arena(store, rater=rater)
        seen = []
        while (view := arena.next_pair()) is not None:
            seen.append(view.pair_id)
            arena.vote(view.pair_id, "skip" if len(seen) == 2 else "left")  # a skip counts as seen
        assert sorted(seen) == sorted(every) and len(seen) == len(set(seen))
        assert arena.progress() == (9, 9)
    # A restarted rater picks up where they were: nothing left.
    assert Arena(store, rater="ann").next_pair() is None


def test_categories_take_turns(store):
    fill(store, 9)
    make_pairs(store, "base", "run:1")
    arena = Arena(store, rater="ann")
    order = []
    while (view := arena.next_pair()) is not None:
        order.append(view.category)
        arena.vote(view.pair_id, "tie")
    assert order[:3] == sorted(CATEGORIES) and order[3:6] == sorted(CATEGORIES)


def test_per_category_caps_the_pairs_and_tops_up_later(store):
    ids = fill(store, 12, categories=["billing"] * 5 + ["shipping"] * 6 + ["account"])
    assert make_pairs(store, "base", "run:1", per_category=3, seed=1) == 7  # 3 billing, 3 shipping, 1 account
    counts = Counter(p["category"] for p in store.arena.pairs())
    assert counts == {"billing": 3, "shipping": 3, "account": 1}
    chosen = {p["prompt_id"] for p in store.arena.pairs()}
    # Same seed, fresh store: the same sample.
    other = Store(store.path.parent / "other.db")
    fill(other, 12, categories=["billing"] * 5 + ["shipping"] * 6 + ["account"])
    make_pairs(other, "base", "run:1", per_category=3, seed=1)
    assert {p["prompt_id"] for p in other.arena.pairs()} == chosen
    # Raising the cap keeps the pairs there and adds only the difference.
    assert make_pairs(store, "base", "run:1", per_category=4, seed=1) == 2
    assert chosen < {p["prompt_id"] for p in store.arena.pairs()} <= set(ids)


def test_vote_resolves_the_winner_from_the_side_shown(store):
    fill(store, 40)
    make_pairs(store, "base", "run:1")
    arena = Arena(store, rater="ann")
    for choice in ("left", "right", "tie", "both_bad", "skip") * 8:
        view = arena.next_pair()
        arena.vote(view.pair_id, choice, reason="  clearer\nsteps ")
    for v in store.arena.votes():
        left = v["left"]
        expected = {"left": left, "right": "b" if left == "a" else "a"}.get(v["choice"], v["choice"])
        assert v["winner"] == expected and v["rater"] == "ann" and v["source"] == "ui"
        assert v["reason"] == "clearer steps"  # one line


def test_bad_choices_and_unknown_pairs_are_refused(store):
    fill(store, 2)
    make_pairs(store, "base", "run:1")
    arena = Arena(store, rater="ann")
    pair_id = arena.next_pair().pair_id
    with pytest.raises(WorkbenchError, match="unknown choice 'A'; expected one of left, right, tie, both_bad, skip"):
        arena.vote(pair_id, "A")
    with pytest.raises(WorkbenchError, match="no pair 999"):
        arena.vote(999, "left")
    with pytest.raises(WorkbenchError, match="no pair .* in comparison 'other'"):
        Arena(store, rater="ann", comparison="other").vote(pair_id, "left")
    assert store.arena.votes() == []


def test_make_pairs_explains_what_is_missing(store):
    fill(store, 2, models=("base",))
    with pytest.raises(WorkbenchError, match="cannot compare 'base' with itself"):
        make_pairs(store, "base", "base")
    with pytest.raises(WorkbenchError, match=r"no replies stored for 'run:9'.*workbench generate.*base"):
        make_pairs(store, "base", "run:9")


def test_pairs_use_the_fullest_then_newest_settings_unless_told(store):
    fill(store, 3, settings="old")
    # A quick trial with other settings on one prompt does not replace the full set ...
    store.evals.add_generations([("p0000", "run:1", "trial", "trial reply", 3), ("p0000", "base", "trial", "trial", 3)])
    make_pairs(store, "base", "run:1", comparison="full")
    assert [p["reply_b"] for p in store.arena.pairs("full")] == [f"run:1 answers {i}" for i in range(3)]
    # ... a second full set is newer, so it wins ...
    store.evals.add_generations((f"p{i:04d}", m, "new", f"newer {m} {i}", 3) for i in range(3) for m in ("base", "run:1"))
    make_pairs(store, "base", "run:1", comparison="latest")
    assert all(p["reply_b"].startswith("newer run:1") for p in store.arena.pairs("latest"))
    # ... and settings given by name are used as they are.
    make_pairs(store, "base", "run:1", comparison="first", settings="old")
    assert all(p["reply_b"].startswith("run:1 answers") for p in store.arena.pairs("first"))
    assert Arena(store).comparisons() == ["first", "full", "latest"]


def test_reveal_names_the_models_of_voted_pairs_only(store):
    fill(store, 4)
    make_pairs(store, "base", "run:1")
    arena = Arena(store, rater="ann")
    view = arena.next_pair()
    arena.vote(view.pair_id, "left")
    (shown,) = arena.revealed()
    pair = store.arena.pair(view.pair_id)
    left_model = pair["model_a"] if pair["left"] == "a" else pair["model_b"]
    assert shown["pair_id"] == view.pair_id and shown["left_model"] == left_model
    assert shown["winner_model"] == left_model and {shown["left_model"], shown["right_model"]} == {"base", "run:1"}
    assert Arena(store, rater="bob").revealed() == []


def test_undo_brings_the_pair_back(store):
    fill(store, 3)
    make_pairs(store, "base", "run:1")
    arena = Arena(store, rater="ann")
    first = arena.next_pair()
    arena.vote(first.pair_id, "left")
    assert arena.undo() == first.pair_id
    assert arena.progress() == (0, 3) and arena.next_pair().pair_id == first.pair_id
    assert load_votes(store) == []  # an undone vote is no vote
    assert len(store.arena.votes(newest=False)) == 2  # nothing is deleted


def test_load_votes_keeps_the_newest_vote_per_rater_with_the_metric_preference(store):
    fill(store, 3)
    make_pairs(store, "base", "run:1")
    pair = store.arena.pairs()[0]
    # Make run:1's reply the reference itself, so ROUGE-L prefers it ('b').
    store.db.execute("UPDATE pairs SET reply_b = ? WHERE pair_id = ?",
                     ("the answer to question 0", pair["pair_id"]))
    ann, bob = Arena(store, rater="ann"), Arena(store, rater="bob")
    ann.vote(pair["pair_id"], "tie")
    ann.vote(pair["pair_id"], "both_bad")  # a change of mind: the newest counts
    bob.vote(pair["pair_id"], "skip")
    votes = sorted(load_votes(store), key=lambda v: v.rater)
    assert [(v.rater, v.winner) for v in votes] == [("ann", "both_bad"), ("bob", "skip")]
    assert votes[0].category == "billing" and votes[0].left == pair["left"]
    assert votes[0].metric_winner == "b"
    assert (votes[0].model_a, votes[0].model_b, votes[0].prompt_id) == ("base", "run:1", "p0000")


VOTE_THEN_DIE = textwrap.dedent("""
    import os, signal, sys
    from workbench.store import Store
    from workbench.evaluate.arena import Arena
    arena = Arena(Store(sys.argv[1]), rater="ann")
    view = arena.next_pair()
    arena.vote(view.pair_id, "right", reason="more precise")
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no clean exit
""")


def test_a_vote_survives_a_kill_right_after_it_returns(store, tmp_path):
    fill(store, 3)
    make_pairs(store, "base", "run:1")
    store.close()
    proc = subprocess.run([sys.executable, "-c", VOTE_THEN_DIE, str(store.path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    reopened = Store(store.path)
    (vote,) = reopened.arena.votes()
    assert (vote["rater"], vote["choice"], vote["reason"]) == ("ann", "right", "more precise")
    assert vote["winner"] == ("b" if vote["left"] == "a" else "a")
    assert Arena(reopened, rater="ann").progress() == (1, 3)
    reopened.close()
