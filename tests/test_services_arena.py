"""The arena use-case (workbench.services.arena) without any UI: the next pair for a rater, votes,
undo of exactly the rater's newest standing vote (never of a pair whose models were revealed), the
reveal and who it was shown to, the sets worth offering, and making a set for `workbench compare`."""

from __future__ import annotations

import pytest

from conftest import write_jsonl
from test_eval_arena import fill
from test_eval_judgements import JUDGED
from workbench.errors import WorkbenchError
from workbench.evaluate.arena import UNDO, Arena, as_shown, has_layout, is_undo, make_pairs
from workbench.evaluate.judgements import import_judgements
from workbench.services.arena import (REVEAL_EVENT, ArenaSession, UndoRefused, default_models, make_set,
                                      rateable_sets, revealed_to)
from workbench.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "workbench.db")
    fill(s, 6)
    make_pairs(s, "base", "run:1")
    yield s
    s.close()


def vote_some(session: ArenaSession, choices: list[str]) -> list[int]:
    ids = []
    for choice in choices:
        view = session.next_pair()
        session.vote(view.pair_id, choice)
        ids.append(view.pair_id)
    return ids


def standing(store: Store, rater: str) -> dict[int, str]:
    return {v["pair_id"]: v["choice"] for v in store.arena.votes(rater=rater) if not is_undo(v)}


# -- the rules the service builds on (evaluate.arena) ----------------------------------------------
def test_the_arena_rules_have_one_public_home():
    pair = {"left": "b", "reply_a": "ra", "reply_b": "rb", "model_a": "base", "model_b": "run:1"}
    assert as_shown(pair) == ("rb", "ra") and as_shown(pair, "model") == ("run:1", "base")
    assert as_shown({**pair, "left": "a"}) == ("ra", "rb")
    assert has_layout(pair) and not has_layout({**pair, "left": ""})
    assert is_undo({"winner": "skip", "reason": UNDO})
    assert not is_undo({"winner": "skip", "reason": "undo (typed)"}) and not is_undo({"winner": "a", "reason": UNDO})


def test_a_typed_undo_reason_is_not_an_undo(store):
    session = ArenaSession(store, rater="ann")
    view = session.next_pair()
    session.vote(view.pair_id, "skip", " undo ")
    assert session.progress() == (1, 6)


# -- rating -----------------------------------------------------------------------------------------
def test_votes_are_committed_and_the_next_pair_is_an_unvoted_one(store):
    session = ArenaSession(store, rater="ann")
    ids = vote_some(session, ["left", "right", "tie", "both_bad"])
    assert len(set(ids)) == 4 and session.progress() == (4, 6)
    assert session.next_pair().pair_id not in ids
    assert standing(store, "ann") == dict(zip(ids, ["left", "right", "tie", "both_bad"]))
    assert session.rater == "ann" and session.comparison is None


def test_undo_withdraws_exactly_the_raters_newest_standing_vote(store):
    ann, bob = ArenaSession(store, rater="ann"), ArenaSession(store, rater="bob")
    first, second, third = vote_some(ann, ["left", "right", "tie"])
    vote_some(bob, ["left"])  # bob's vote is newer, but it is bob's
    undone = ann.undo()
    assert undone.pair_id == third and undone.pair.pair_id == third  # shown again
    assert standing(store, "ann") == {first: "left", second: "right"}
    assert ann.next_pair().pair_id == third
    assert ann.undo().pair_id == second  # the undo row itself is no vote: the one before goes next
    assert standing(store, "ann") == {first: "left"} and len(standing(store, "bob")) == 1
    ann.vote(second, "both_bad")
    assert ann.undo().pair_id == second  # a vote cast again is the newest standing vote
    assert ann.undo().pair_id == first and ann.undo() is None
    assert standing(store, "ann") == {}


def test_undo_stays_in_the_set_being_rated(store):
    make_pairs(store, "base", "run:1", comparison="second", seed=1)
    in_first = ArenaSession(store, rater="ann", comparison="base vs run:1")
    in_second = ArenaSession(store, rater="ann", comparison="second")
    (mine,) = vote_some(in_first, ["left"])
    vote_some(in_second, ["right"])
    assert in_first.undo().pair_id == mine
    assert in_first.undo() is None and in_second.progress() == (1, 6)


def test_undo_never_reopens_a_pair_whose_models_were_revealed(store, tmp_path):
    session = ArenaSession(store, rater="ann")
    (first,) = vote_some(session, ["left"])
    reveal = session.reveal()
    assert [row["pair_id"] for row in reveal.rows] == [first]
    with pytest.raises(UndoRefused):
        session.undo()
    assert standing(store, "ann") == {first: "left"}  # the vote stands
    (second,) = vote_some(session, ["tie"])  # a vote cast after the reveal can still be undone
    assert session.undo().pair_id == second
    # ... and the reveal is remembered across sessions: the pair stays closed.
    store.close()
    again = Store(tmp_path / "workbench.db")
    try:
        with pytest.raises(UndoRefused):
            ArenaSession(again, rater="ann").undo()
        assert standing(again, "ann") == {first: "left"}
    finally:
        again.close()


def test_a_second_rater_does_not_see_the_first_raters_reveal(store):
    ann, bob = ArenaSession(store, rater="ann"), ArenaSession(store, rater="bob")
    (pair_id,) = vote_some(ann, ["left"])
    ann.reveal()
    assert revealed_to(store, "ann") == {pair_id} and revealed_to(store, "bob") == set()
    assert bob.seen() == set() and bob.reveal().rows == []  # bob voted on nothing: nothing to show
    bob.vote(pair_id, "right")
    assert bob.undo().pair_id == pair_id  # ann's reveal does not close the pair for bob
    assert revealed_to(store, "bob") == set()  # an empty reveal is not written down


def test_the_reveal_is_logged_with_the_question_and_reason_of_each_vote(store):
    store.db.execute("UPDATE eval_prompts SET messages = ? WHERE prompt_id = 'p0000'",
                     ('[{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},'
                      ' {"role": "user", "content": "  the   real\\nquestion "}]',))
    session = ArenaSession(store, rater="ann")
    pair_id = store.arena.pair_id("base vs run:1", "p0000", "base", "run:1")
    session.vote(pair_id, "right", "clearer steps")
    reveal = session.reveal()
    (row,) = reveal.rows
    assert row["pair_id"] == pair_id and {row["left_model"], row["right_model"]} == {"base", "run:1"}
    assert reveal.details[pair_id] == {"question": "the real question", "reason": "clearer steps"}
    (logged,) = store.audit(REVEAL_EVENT)
    assert logged["who"] == "ann" and session.seen() == {pair_id}


# -- the sets -------------------------------------------------------------------------------------
def test_the_sets_worth_offering_leave_imported_judgements_out(tmp_path, store):
    assert rateable_sets(store) == (["base vs run:1"], False)
    imported = Store(tmp_path / "imported.db")
    try:
        assert rateable_sets(imported) == ([], False)  # nothing at all
        import_judgements(imported, write_jsonl(tmp_path / "judged.jsonl", JUDGED))
        assert rateable_sets(imported) == ([], True)  # only pairs judged elsewhere
        fill(imported, 3, models=("base", "tuned"))
        make_pairs(imported, "base", "tuned", comparison="mine")
        assert rateable_sets(imported) == (["mine"], False)
        # An imported pair is never handed out, and a view of it by id is None.
        session = ArenaSession(imported, rater="ann")
        assert session.progress() == (0, 3)
        imported_pair = next(p["pair_id"] for p in imported.arena.pairs() if not has_layout(p))
        assert Arena(imported, rater="ann").view(imported_pair) is None
    finally:
        imported.close()


def test_a_set_for_the_compare_command(tmp_path):
    s = Store(tmp_path / "models.db")
    try:
        with pytest.raises(WorkbenchError, match="fewer than two models have replies"):
            default_models(s, None, None)
        fill(s, 4, models=("base", "run:20240101", "run:20240202", "other"))
        assert default_models(s, None, None) == ("base", "run:20240202")  # the newest run
        assert default_models(s, "other", None) == ("other", "run:20240202")
        with pytest.raises(WorkbenchError, match="no replies stored for 'nope'"):
            default_models(s, "base", "nope")
        assert make_set(s, "run:20240101", "base", per_category=1) == ("base vs run:20240101", 3, 3)
        assert make_set(s, "base", "run:20240101") == ("base vs run:20240101", 1, 4)
    finally:
        s.close()
