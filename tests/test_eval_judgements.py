"""Outside judgements in (all or nothing, never twice) and preference pairs out, in the
conversational format TRL's DPO trainer reads."""

from __future__ import annotations

import json

import pytest

from conftest import write_jsonl
from workbench.errors import InputError, WorkbenchError
from workbench.evaluate.arena import Arena, load_votes, make_pairs
from workbench.evaluate.judgements import export_preferences, import_judgements, prompt_id_for
from workbench.store import Store

JUDGED = [
    {"prompt": "How do I reset my password?", "model_a": "tuned", "model_b": "base",
     "response_a": "Settings > Account > Reset password.", "response_b": "I cannot help.", "winner": "a",
     "category": "account", "rater": "judge-llm"},
    {"prompt": "Where is my parcel?", "model_a": "tuned", "model_b": "base",
     "response_a": "It ships tomorrow.", "response_b": "Tracking is in your email.", "winner": "b",
     "category": "shipping", "rater": "judge-llm"},
    {"prompt": "Can I pay by bank transfer?", "model_a": "tuned", "model_b": "base",
     "response_a": "Yes.", "response_b": "Yes, at checkout.", "winner": "tie", "category": "billing"},
    {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Refund?"}],
     "model_a": "base", "model_b": "tuned", "response_a": "No.", "response_b": "Refunds take 5 days.",
     "winner": "both_bad", "rater": "dana"},
]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "workbench.db")
    yield s
    s.close()


def _counts(store: Store) -> dict[str, int]:
    return {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("eval_prompts", "eval_models", "pairs", "votes")}


def test_round_trip_import_then_votes_then_preferences(store, tmp_path):
    file = write_jsonl(tmp_path / "judged.jsonl", JUDGED)
    summary = import_judgements(store, file)
    assert (summary.rows, summary.votes_added, summary.pairs_added) == (4, 4, 4)
    assert summary.models == ["base", "tuned"] and summary.raters == ["dana", "judge-llm", "judged.jsonl"]

    votes = {v.prompt_id: v for v in load_votes(store)}
    # Pairs are stored with model_a < model_b, so a file's "a" for tuned is the stored "b".
    by_prompt = {prompt_id_for([{"role": "user", "content": row["prompt"]}]) if isinstance(row["prompt"], str)
                 else prompt_id_for(row["prompt"]): row for row in JUDGED}
    for pid, row in by_prompt.items():
        v = votes[pid]
        assert (v.model_a, v.model_b) == ("base", "tuned") and v.left is None
        # The same winner by name: 'tuned' stays 'tuned' whichever letter it has.
        assert {"a": v.model_a, "b": v.model_b}.get(v.winner, v.winner) == \
            {"a": row["model_a"], "b": row["model_b"]}.get(row["winner"], row["winner"])
    assert votes[prompt_id_for([{"role": "user", "content": "Can I pay by bank transfer?"}])].rater == "judged.jsonl"
    assert votes[prompt_id_for([{"role": "user", "content": "Where is my parcel?"}])].category == "shipping"
    stored = store.arena.votes()
    assert {v["source"] for v in stored} == {"import:judged.jsonl"} and {v["choice"] for v in stored} == {""}
    assert store.evals.models()["tuned"]["kind"] == "external"

    out = tmp_path / "prefs.jsonl"
    s = export_preferences(store, out)
    assert s.written == 2 and s.left_out == {"tie": 1, "both_bad": 1}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["prompt"][-1]["content"]: (r["chosen"], r["rejected"]) for r in rows} == {
        "How do I reset my password?": ([{"role": "assistant", "content": "Settings > Account > Reset password."}],
                                        [{"role": "assistant", "content": "I cannot help."}]),
        "Where is my parcel?": ([{"role": "assistant", "content": "Tracking is in your email."}],
                                [{"role": "assistant", "content": "It ships tomorrow."}]),
    }
    assert all(list(r) == ["prompt", "chosen", "rejected"] and r["prompt"][0]["role"] == "user" for r in rows)
    first = out.read_bytes()
    export_preferences(store, out)
    assert out.read_bytes() == first  # byte-identical for the same votes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_importing_the_same_file_twice_adds_no_vote(store, tmp_path):
    file = write_jsonl(tmp_path / "judged.jsonl", JUDGED)
    import_judgements(store, file)
    before = _counts(store)
    again = import_judgements(store, file)
    assert (again.votes_added, again.already_stored, again.pairs_added) == (0, 4, 0)
    assert _counts(store) == before
    # A changed verdict in a new version of the file is a new vote that replaces the old one.
    changed = [dict(JUDGED[0], winner="b")] + JUDGED[1:]
    third = import_judgements(store, write_jsonl(tmp_path / "judged.jsonl", changed))
    assert third.votes_added == 1
    reset = prompt_id_for([{"role": "user", "content": "How do I reset my password?"}])
    (flipped,) = [v for v in load_votes(store) if v.prompt_id == reset]
    assert (flipped.model_a, flipped.winner) == ("base", "a")  # base ('b' in the file) now wins
    assert len(load_votes(store)) == 4


@pytest.mark.parametrize("row, problem", [
    ("{not json", r"bad\.jsonl:3: not valid JSON"),
    ({"prompt": "Hi", "model_a": "x", "model_b": "y", "response_a": "a", "response_b": "b"}, r":3: missing winner"),
    (dict(JUDGED[0], winner="A"), r":3: \"winner\" is 'A'; expected one of a, b, tie, both_bad"),
    (dict(JUDGED[0], model_b="tuned"), r":3: model_a and model_b are both 'tuned'"),
    (dict(JUDGED[0], response_b=None), r":3: \"response_b\" is a NoneType, not text"),
    (dict(JUDGED[0], prompt=[{"role": "assistant", "content": "x"}]), r":3: \"prompt\" as messages must end with a user"),
    (dict(JUDGED[0], prompt=""), r":3: \"prompt\" is empty"),
    (dict(JUDGED[0], category=3), r":3: \"category\" must be text or null"),
    ([1, 2], r":3: expected a JSON object"),
])
def test_a_bad_row_names_file_line_and_problem_and_stores_nothing(store, tmp_path, row, problem):
    file = tmp_path / "bad.jsonl"
    lines = [json.dumps(JUDGED[0]), json.dumps(JUDGED[1]), row if isinstance(row, str) else json.dumps(row)]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=problem):
        import_judgements(store, file)
    assert _counts(store) == {"eval_prompts": 0, "eval_models": 0, "pairs": 0, "votes": 0}


def test_the_same_pair_with_other_responses_is_refused(store, tmp_path):
    rows = [JUDGED[0], dict(JUDGED[0], response_a="Something else.")]
    with pytest.raises(InputError, match=r"twice\.jsonl:2: the same prompt and models as line 1 but different"):
        import_judgements(store, write_jsonl(tmp_path / "twice.jsonl", rows))
    assert _counts(store)["votes"] == 0


def test_an_empty_or_missing_file_is_a_clear_error(store, tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.jsonl: no judgements in this file"):
        import_judgements(store, tmp_path / "empty.jsonl")
    with pytest.raises(InputError, match="nope.jsonl: cannot read"):
        import_judgements(store, tmp_path / "nope.jsonl")


def test_imported_pairs_are_not_offered_for_rating(store, tmp_path):
    import_judgements(store, write_jsonl(tmp_path / "judged.jsonl", JUDGED))
    assert Arena(store, rater="ann").next_pair() is None


def test_ui_votes_become_preferences_skips_left_out(store, tmp_path):
    store.evals.add_prompts({"prompt_id": f"p{i}", "source": "holdout", "category": "billing",
                            "messages": [{"role": "user", "content": f"q{i}"}], "reference": None} for i in range(3))
    store.evals.add_generations((f"p{i}", m, "S", f"{m} reply {i}", 2) for i in range(3) for m in ("base", "run:1"))
    make_pairs(store, "base", "run:1")
    arena = Arena(store, rater="ann")
    for choice in ("left", "right", "skip"):
        arena.vote(arena.next_pair().pair_id, choice)
    out = tmp_path / "sub" / "prefs.jsonl"
    s = export_preferences(store, out)
    assert s.written == 2 and s.left_out == {"skip": 1}
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row, vote in zip(rows, [v for v in store.arena.votes() if v["winner"] in "ab"]):
        won = vote["reply_a"] if vote["winner"] == "a" else vote["reply_b"]
        assert row["chosen"][0]["content"] == won and row["rejected"][0]["content"] != won
    with pytest.raises(WorkbenchError, match="is a folder"):
        export_preferences(store, tmp_path)
