"""synthetic_review: synthetic rows reach training only when accepted; verdicts of several
reviewers, edits in the export, verdicts surviving a crash; the signals beside each example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import chat, frame, set_recipe
from workbench.errors import ConfigError
from workbench.export.card_sections import data_card_sections
from workbench.io import finalize_ids, read_input
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.services.project import Project
from workbench.services.synthetic_queue import ReviewQueue
from workbench.steps.synthetic_review.signals import reply_text, text_signals
from workbench.steps.synthetic_review.verdicts import record_verdict, store_verdicts, undo_verdict
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[1]

ROWS = [
    {"user": "How do I reset my password?", "assistant": "Open Settings > Account > Reset password.",
     "category": "account", "origin": "human"},
    {"user": "Can I pay by bank transfer?", "assistant": "Yes, choose Bank transfer at checkout.",
     "category": "billing", "origin": "synthetic"},
    {"user": "Where is my parcel?", "assistant": "It ships within 1-2 business days.",
     "category": "shipping", "origin": "synthetic"},
    {"user": "Do you ship to Canada?", "assistant": "As an AI language model, I cannot know that.",
     "category": "shipping", "origin": "synthetic"},
    {"user": "Is there a student discount?", "assistant": "Not at the moment, sorry.",
     "category": "billing", "origin": "synthetic"},
]


@pytest.fixture
def records():
    return frame(ROWS)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    return load_registry()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "wb.db")
    yield s
    s.close()


def review(records, registry, store=None, **params):
    return run_recipe(records, Recipe((StepSpec("synthetic_review", params),)), registry, store=store)


def kept_lines(outcome) -> list[int]:
    return outcome.kept.get_column("source_line").to_list()


def removed(outcome) -> dict[int, tuple[str, dict]]:
    return {r["source_line"]: (r["reason"], json.loads(r["detail"])) for r in outcome.removed.iter_rows(named=True)}


def ids(records) -> list[str]:
    return records.get_column("id").to_list()


def test_unreviewed_synthetic_rows_are_held_back(records, registry, store):
    outcome = review(records, registry, store)
    assert kept_lines(outcome) == [1]  # the human row only
    assert {line: reason for line, (reason, _) in removed(outcome).items()} == {
        2: "unreviewed", 3: "unreviewed", 4: "unreviewed", 5: "unreviewed"}
    assert removed(outcome)[2][1] == {"verdicts": 0}
    assert outcome.steps[0].stats["unreviewed"] == 4


def test_pass_lets_unreviewed_rows_through_but_not_rejected_ones(records, registry, store):
    record_verdict(store, ids(records)[3], "ann", "reject", reason="unsafe")
    outcome = review(records, registry, store, unreviewed="pass")
    assert kept_lines(outcome) == [1, 2, 3, 5]
    assert removed(outcome)[4][0] == "rejected"
    assert outcome.steps[0].stats["passed_unreviewed"] == 3


def make_project(tmp_path: Path, steps_toml: str) -> Project:
    """A project of ROWS whose recipe is `steps_toml` with nothing held out."""
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"messages": chat(r["user"], r["assistant"]), "category": r["category"],
                                          "origin": r["origin"]}) for r in ROWS) + "\n", encoding="utf-8")
    project = Project.create(tmp_path / "p", [path])
    set_recipe(project, steps_toml)
    return project


def test_verdicts_reach_the_export(registry, tmp_path):
    from workbench.services.headless import export_project

    p = make_project(tmp_path, '[[recipe.steps]]\nname = "synthetic_review"\n')
    rid = ids(p.records())
    record_verdict(p.store, rid[1], "ann", "accept")
    record_verdict(p.store, rid[2], "ann", "reject", reason="wrong", note="we ship in 3-5 days")
    edited = chat("Do you ship to Canada?", "Yes: Canadian orders arrive in 5-8 business days.")
    record_verdict(p.store, rid[3], "ann", "edit", messages=edited)
    p.close()

    out = tmp_path / "out"
    result = export_project(tmp_path / "p", out)
    train = [json.loads(line)["messages"] for line in (out / "train.jsonl").read_text().splitlines()]
    assert edited in train  # the edit is what trains
    assert chat("Can I pay by bank transfer?", "Yes, choose Bank transfer at checkout.") in train
    assert not any("As an AI language model" in m[-1]["content"] for m in train)
    assert len(train) == 3  # the human row, the accepted row, the edited row
    lines = {json.loads(line)["source_line"]: json.loads(line) for line in (out / "removed.jsonl").read_text().splitlines()}
    assert lines[3]["reason"] == "rejected"
    assert lines[3]["detail"] == {"verdicts": 1, "by": {"ann": "reject:wrong"}, "notes": {"ann": "we ship in 3-5 days"}}
    assert lines[5]["reason"] == "unreviewed"
    step = next(s for s in result.report["steps"] if s["name"] == "synthetic_review")
    assert step["edited"] == 1 and step["stats"]["accepted"] == 2 and step["stats"]["reject_reasons"] == {"wrong": 1}
    # The original row is still in the import snapshot, untouched.
    p = Project.open(tmp_path / "p")
    original = p.records().filter(pl.col("id") == rid[3]).get_column("messages").to_list()[0]
    assert original[-1]["content"] == "As an AI language model, I cannot know that."
    p.close()
    card = "\n".join(data_card_sections(result.report))
    assert "4 rows needed review" in card and "2 accepted (1 of them edited by a reviewer), 1 rejected" in card
    assert "Rejection reasons: wrong 1." in card


def test_several_reviewers_need_enough_verdicts_and_combine(records, registry, store):
    r = ids(records)
    record_verdict(store, r[1], "ann", "accept")  # 1 of 2 verdicts: still pending
    for rater in ("ann", "ben"):
        record_verdict(store, r[2], rater, "accept")  # accepted
    record_verdict(store, r[3], "ann", "accept")
    record_verdict(store, r[3], "ben", "reject", reason="off-topic")  # a tie: disputed
    record_verdict(store, r[4], "ann", "reject", reason="duplicate")
    record_verdict(store, r[4], "ben", "reject", reason="wrong")
    outcome = review(records, registry, store, min_verdicts=2)
    assert kept_lines(outcome) == [1, 3]
    reasons = {line: reason for line, (reason, _) in removed(outcome).items()}
    assert reasons == {2: "unreviewed", 4: "disputed", 5: "rejected"}
    assert removed(outcome)[2][1] == {"verdicts": 1, "by": {"ann": "accept"}}
    stats = outcome.steps[0].stats
    assert stats["reject_reasons"] == {"duplicate": 1, "wrong": 1}
    assert stats["reviewers"] == {"ann": 4, "ben": 3}
    # Rows 3, 4, 5 have two verdicts: agree, disagree, agree -> Cohen's kappa on (accept, accept, reject)
    # vs (accept, reject, reject): observed 2/3, chance 2/3*1/3 + 1/3*2/3 = 4/9 -> (2/3-4/9)/(5/9) = 0.4
    assert stats["agreement"]["method"] == "cohen" and stats["agreement"]["kappa"] == pytest.approx(0.4)

    unanimous = review(records, registry, store, min_verdicts=2, rule="unanimous")
    assert removed(unanimous)[4][0] == "rejected"  # one reject is enough


def test_the_newest_verdict_per_reviewer_wins_and_undo_withdraws_it(records, registry, store):
    r = ids(records)[1]
    record_verdict(store, r, "ann", "accept")
    record_verdict(store, r, "ann", "reject", reason="wrong")
    assert 2 not in kept_lines(review(records, registry, store))
    record_verdict(store, r, "ann", "accept")
    assert 2 in kept_lines(review(records, registry, store))
    undo_verdict(store, r, "ann")
    assert removed(review(records, registry, store))[2][0] == "unreviewed"
    assert [row["action"] for row in store.decisions.history(r)] == ["accept", "reject", "accept", "revert"]


def test_the_newest_edit_wins_when_two_reviewers_edit(records, registry, store):
    r = ids(records)[1]
    record_verdict(store, r, "zoe", "edit", messages=chat("Can I pay by bank transfer?", "Zoe's version."))
    record_verdict(store, r, "amy", "edit", messages=chat("Can I pay by bank transfer?", "Amy's version."))
    outcome = review(records, registry, store)
    reply = outcome.kept.filter(pl.col("id") == r).get_column("messages").to_list()[0][-1]["content"]
    assert reply == "Amy's version."  # amy edited last, although "zoe" sorts after "amy"


def test_an_unusable_stored_edit_is_flagged_and_the_original_kept(records, registry, store):
    r = ids(records)[1]
    store.decisions.decide("synthetic_review", r, "edit", detail={"messages": [{"role": "user", "content": "hi"}]},
                           target="ann", rater="ann")
    outcome = review(records, registry, store)
    assert 2 in kept_lines(outcome)
    assert [(d.reason, d.detail["problem"]) for d in outcome.flagged] == [
        ("bad_edit", "the conversation must end with the assistant's turn")]


def test_verdicts_are_checked_before_they_are_stored(store):
    with pytest.raises(ValueError, match="needs a reason from: wrong, unsafe, off-format, off-topic, duplicate"):
        record_verdict(store, "r1", "ann", "reject")
    with pytest.raises(ValueError, match="must end with the assistant"):
        record_verdict(store, "r1", "ann", "edit", messages=[{"role": "user", "content": "q"}])
    with pytest.raises(ValueError, match="unknown verdict"):
        record_verdict(store, "r1", "ann", "maybe")
    assert store_verdicts(store) == {}


def test_a_verdict_survives_a_crash_right_after_it_was_recorded(tmp_path, records, registry):
    db = tmp_path / "wb.db"
    Store(db).close()
    rid = ids(records)[1]
    code = (
        "import os, sys\n"
        "from workbench.store import Store\n"
        "from workbench.steps.synthetic_review.verdicts import record_verdict\n"
        f"store = Store({str(db)!r})\n"
        f"record_verdict(store, {rid!r}, 'ann', 'reject', reason='off-format', note='markdown soup')\n"
        "os._exit(9)  # no close, no cleanup: as if the power went\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 9, proc.stderr
    store = Store(db)
    verdict = store_verdicts(store)[rid]["ann"]
    assert (verdict.action, verdict.reason, verdict.detail) == ("reject", "off-format", {"note": "markdown soup"})
    assert removed(review(records, registry, store))[2][0] == "rejected"
    store.close()


@pytest.mark.parametrize("params, words", [
    ({"min_verdicts": 0}, "min_verdicts must be from 1 to 20"),
    ({"origins": []}, "origins is empty"),
    ({"unreviewed": "drop"}, "should be one of 'hold', 'pass'"),
    ({"rule": "any"}, "should be one of 'majority', 'unanimous'"),
])
def test_bad_settings_are_config_errors(registry, params, words):
    with pytest.raises(ConfigError, match="synthetic_review") as err:
        registry.build_step(StepSpec("synthetic_review", params))
    assert words in str(err.value)


# -- signals ----------------------------------------------------------------------------------

def test_signals_catch_the_planted_synthetic_flaws_of_the_sample():
    planted = json.loads((ROOT / "sample_data" / "support" / "planted.json").read_text(encoding="utf-8"))
    flaws = {s["line"]: {f["type"] for f in s["flaws"]} for s in planted["synthetic"]}
    data = finalize_ids(read_input(ROOT / "sample_data" / "support" / "support_chats.jsonl").records)
    synthetic = data.filter(pl.col("origin") == "synthetic")
    signals = text_signals(synthetic, data.filter(pl.col("origin") == "human"))
    lines = synthetic.get_column("source_line").to_list()
    for signal, flaw in (("repeats_prompt", "repeats_prompt"), ("placeholder", "placeholder"),
                         ("truncated", "truncated")):
        fired = {line for line, s in zip(lines, signals) if signal in s.flagged}
        truth = {line for line in lines if flaw in flaws.get(line, ())}
        assert fired == truth, signal
    # the planted AI boilerplate is named as such; the generator's templated filler is boilerplate too
    ai = {line for line, s in zip(lines, signals) if s.boilerplate_why == "refusal or AI self-reference"}
    assert ai == {line for line in lines if "ai_boilerplate" in flaws.get(line, ())}
    replies = [reply_text(m).lower() for m in synthetic.get_column("messages").to_list()]
    templated = {line for line, reply in zip(lines, replies) if "anything else i can assist you with" in reply}
    assert len(templated) > 50
    assert all("boilerplate" in s.flagged for line, s in zip(lines, signals) if line in templated)
    assert not any("wrong_language" in s.flagged for s in signals)


FILLER = ("I understand how frustrating this can be. Please restart the thermostat and check the Wi-Fi light. "
          "Is there anything else I can assist you with today?")


def test_stock_filler_is_boilerplate_and_a_human_agents_words_are_not():
    reference = frame([{"user": f"question {i}", "assistant": "Done, the refund is on its way.", "category": "billing"}
                       for i in range(5)])
    rows = frame([
        {"user": "My thermostat is offline.", "assistant": FILLER, "category": "technical"},
        {"user": "My thermostat is offline.", "category": "technical",
         "assistant": "Thanks for reaching out. Restart it and check the Wi-Fi light. "
                      "Is there anything else I can help with today?"},
    ], source="synthetic.jsonl")
    filler, human_like = text_signals(rows, reference)
    assert "boilerplate" in filler.flagged
    assert (filler.boilerplate, filler.boilerplate_why) == ("i understand how frustrating", "stock phrase")
    assert "boilerplate" not in human_like.flagged


def test_a_sentence_many_replies_of_a_category_share_is_boilerplate():
    shared = "Our billing specialists review every account within two working days."
    rows = frame([{"user": f"Why was I charged {i} times?", "category": "billing",
                   "assistant": f"You were charged {i} times because of a retry. {shared if i < 4 else ''}"}
                  for i in range(10)]
                 + [{"user": f"Where is parcel {i}?", "category": "shipping",
                     "assistant": f"Parcel {i} left today. {shared if i < 2 else ''}"} for i in range(10)])
    signals = text_signals(rows, rows.head(1))
    billing, shipping = signals[:10], signals[10:]
    # 4 of 10 billing replies (at least 3, and 20% or more of them) share it: boilerplate there
    assert [s.boilerplate is not None for s in billing] == [True] * 4 + [False] * 6
    assert billing[0].boilerplate == shared.lower().rstrip(".")
    assert billing[0].boilerplate_why == "shared by 4 of 10 billing replies"
    # in shipping only 2 replies have it: not enough there
    assert not any(s.boilerplate for s in shipping)


def test_a_sentence_shared_across_categories_is_boilerplate():
    closing = "Thank you so much for your patience with us today."
    rows = frame([{"user": f"Question {i} about {cat}?", "category": cat,
                   "assistant": f"Answer {i} about {cat}. {closing if i == 0 else ''}"}
                  for cat in ("billing", "shipping", "account", "returns") for i in range(10)])
    signals = text_signals(rows, rows.head(1))
    flagged = [s for s in signals if s.boilerplate]
    # one reply in each of 4 categories (10% of a category, 10% of all): shared across categories
    assert len(flagged) == 4 and flagged[0].boilerplate_why == "shared by 4 replies in 4 categories"


def test_language_pii_and_length_signals():
    reference = frame([{"user": f"question {i}", "assistant": "x" * (100 + i), "category": "billing"} for i in range(40)])
    rows = frame([
        {"user": "Can I pay by bank transfer?",
         "assistant": "Sí, puede pagar por transferencia bancaria en la página de pago, es muy fácil y rápido.",
         "category": "billing"},
        {"user": "Who do I call?", "assistant": "Call Dana on +1 415 555 0132 or mail dana@example.com.",
         "category": "billing"},
        {"user": "Refund?", "assistant": "Yes.", "category": "billing"},
    ])
    spanish, contact, short = text_signals(rows, reference)
    assert spanish.language == "es" and spanish.expected_language == "en" and "wrong_language" in spanish.flagged
    assert contact.pii == ["email", "phone"] and "pii" in contact.flagged
    assert short.length_flag == "short" and short.length_percentile == 0.0 and short.length_median == 119


def test_the_review_queue_resumes_at_the_first_row_not_yet_judged(records, store):
    queue = ReviewQueue(records.filter(pl.col("origin") == "synthetic"), records.filter(pl.col("origin") == "human"), "ann")
    assert queue.matching() == [0, 1, 2, 3]
    r = ids(records)
    record_verdict(store, r[1], "ann", "accept")
    queue.noted(0, store_verdicts(store)[r[1]]["ann"])
    assert queue.matching() == [1, 2, 3] and queue.progress() == {"total": 4, "mine": 1, "complete": 1}
    assert queue.matching(category="shipping") == [1, 2]
    assert queue.matching(signal="boilerplate") == [2]
    assert queue.matching(show="judged by me") == [0]
