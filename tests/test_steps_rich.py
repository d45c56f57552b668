"""Every step reads and keeps the record's full form (issue 14, docs/record-form.md): tool calls,
tool turns, content parts, turn weights, tools, and preference / KTO rows with their completions
and label. Plain sft rows read exactly as before."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import polars as pl
import pytest

from workbench.embeddings import encoder as embeddings
from workbench.plugins import load_registry
from workbench.recipe import Recipe, SplitSpec, StepSpec, run_recipe
from workbench.records import conversation_text, make_frame, normalized_texts
from workbench.services.pii_review import ReviewQueue
from workbench.steps.balance.step import Balance
from workbench.steps.base import StepContext
from workbench.steps.dedup.exact import ExactDedup
from workbench.steps.dedup.near import NearDedup
from workbench.steps.pii.leak import check_files
from workbench.steps.pii.places import scrub_json
from workbench.steps.pii.replace import Cut
from workbench.steps.pii.step import Pii
from workbench.steps.synthetic_review.signals import text_signals
from workbench.steps.synthetic_review.step import SyntheticReview
from workbench.steps.synthetic_review.verdicts import verdict_decision
from workbench.steps.validate import Validate
from workbench.store import Store

EXTRAS = {"tool_calls": None, "tool_call_id": None, "name": None, "weight": None, "parts": None}


def turn(role: str, content: str, **extra) -> dict:
    return {"role": role, "content": content, **EXTRAS, **extra}


def calls(*items: tuple[str, dict | str]) -> str:
    return json.dumps([{"id": f"call_{i}", "name": name, "arguments": args if isinstance(args, str)
                        else json.dumps(args)} for i, (name, args) in enumerate(items)])


def records(rows: list[dict]) -> pl.DataFrame:
    out = []
    for i, row in enumerate(rows, 1):
        row = {"origin": "human", "category": None, "meta": "{}", **row}
        whole = json.dumps({k: row.get(k) for k in ("messages", "chosen", "rejected", "label")}, sort_keys=True)
        out.append({"id": row.pop("id", None) or hashlib.sha256(whole.encode()).hexdigest()[:16],
                    "source_file": "rich.jsonl", "source_line": i, **row})
    return make_frame(out)


WEATHER = [turn("system", "You are a weather bot."), turn("user", "Weather in Paris?"),
           turn("assistant", "", tool_calls=calls(("get_weather", {"city": "Paris"}))),
           turn("tool", '{"temp": 18}', tool_call_id="call_0", name="get_weather"),
           turn("assistant", "It is 18 degrees.", weight=1)]
TOOLS = json.dumps([{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                                        "parameters": {"type": "object"}}}])


def pair(prompt: str, chosen: str, rejected: str, **extra) -> dict:
    return {"kind": "preference", "messages": [turn("user", prompt)], "chosen": [turn("assistant", chosen)],
            "rejected": [turn("assistant", rejected)], **extra}


def kto(prompt: str, completion: str, label: bool | None, **extra) -> dict:
    return {"kind": "kto", "messages": [turn("user", prompt)], "chosen": [turn("assistant", completion)],
            "label": label, **extra}


def run(step, frame, **ctx):
    return step.run(frame, StepContext(step=step.name, **ctx))


# -- the text the steps see ----------------------------------------------------------------------
def test_plain_rows_read_as_before_and_rich_rows_read_whole():
    plain = [{"messages": [turn("user", "Hi  there"), turn("assistant", "Hello!")]},
             {"messages": [turn("system", "Be brief."), turn("user", "Ｑ?"), turn("assistant", "")]}]
    alone = records(plain)
    mixed = records([*plain, {"messages": WEATHER, "tools": TOOLS}, pair("Why?", "Because.", "Dunno."),
                     kto("Hm?", "Yes.", False)])
    assert conversation_text(alone).to_list() == ["Hi  there\nHello!", "Be brief.\nＱ?\n"]
    assert normalized_texts(alone).to_list() == ["user: hi there assistant: hello!",
                                                 "system: be brief. user: q? assistant:"]
    assert conversation_text(mixed).to_list()[:2] == conversation_text(alone).to_list()
    assert normalized_texts(mixed).to_list()[:2] == normalized_texts(alone).to_list()
    assert conversation_text(mixed).to_list()[2:] == [
        'You are a weather bot.\nWeather in Paris?\nget_weather({"city": "Paris"})\n{"temp": 18}\nIt is 18 degrees.',
        "Why?\nBecause.\nDunno.", "Hm?\nYes."]
    assert normalized_texts(mixed).to_list()[3:] == [
        "user: why? chosen assistant: because. rejected assistant: dunno.",
        "user: hm? chosen assistant: yes. label: false"]
    assert conversation_text(mixed, ("user",)).to_list()[2:] == ["Weather in Paris?", "Why?", "Hm?"]


def test_exact_dedup_compares_whole_pairs_labels_and_calls():
    frame = records([
        pair("Why?", "Because.", "Dunno."), pair("why?", "because.", "dunno."),  # a copy
        pair("Why?", "Because.", "No idea."),  # differs only in the rejected reply: another example
        kto("Hm?", "Yes.", True), kto("Hm?", "Yes.", False),  # the same completion judged twice: kept
        {"messages": [turn("user", "Why?"), turn("assistant", "Because.")]},  # an sft row: another kind
        {"messages": WEATHER},
        {"messages": [*WEATHER[:2], turn("assistant", "", tool_calls=calls(("get_weather", {"city": "Rome"}))),
                      *WEATHER[3:]]},  # another call
    ])
    ids = frame.get_column("id").to_list()
    result = run(ExactDedup(), frame)
    assert [(d.record_id, d.detail["duplicate_of"]) for d in result.decisions] == [(ids[1], ids[0])]
    # The same question, whatever the answers, with fields = "user": only within one kind.
    by_prompt = run(ExactDedup(fields="user"), frame)
    assert {d.record_id for d in by_prompt.decisions} == {ids[1], ids[2], ids[7]}


def test_near_dedup_keeps_kinds_and_labels_apart():
    text = "the quick brown fox jumps over the lazy dog near the river bank today"
    frame = records([pair(text, "Yes it does.", "No."), pair(text, "Yes it does.", "No."),
                     kto(text, "Yes it does.", True), kto(text, "Yes it does.", False),
                     {"messages": [turn("user", text), turn("assistant", "Yes it does.")]}])
    ids = frame.get_column("id").to_list()
    result = run(NearDedup(shingle="char"), frame)
    assert [(d.record_id, d.detail["duplicate_of"]) for d in result.decisions] == [(ids[1], ids[0])]


# -- validate -------------------------------------------------------------------------------------
def test_validate_applies_the_rules_of_each_kind():
    call_only = turn("assistant", "", tool_calls=calls(("get_weather", {"city": "Paris"})))
    frame = records([
        {"messages": WEATHER},  # fine: a call-only turn, a tool turn, then the reply
        {"messages": [turn("user", "Weather?"), call_only]},  # fine: ends with the call
        {"messages": [turn("user", "Weather?"), call_only, turn("user", "Well?")]},
        {"messages": [turn("user", "Weather?"), turn("assistant", "Let me see."), turn("tool", "18")]},
        {"messages": [turn("user", "Weather?"), turn("assistant", "Hm."), turn("tool", "18"),
                      turn("assistant", "18.")]},  # a tool answer without a call
        pair("Why?", "Because so.", "Dunno."),  # fine
        pair("Why?", "Because so.", " Because so. "),
        {**pair("Why?", "Because so.", "Dunno."), "rejected": None},
        {**pair("Why?", "Because so.", "Dunno."), "messages": [turn("user", "Why?"), turn("assistant", "Hm.")]},
        pair("Why?", "Because so.", "N"),  # the rejected reply is too short
        kto("Hm?", "Yes.", True),  # fine
        kto("Hm?", "Yes.", None),
        {**kto("Hm?", "Yes.", True), "chosen": []},
        {**pair("Why?", "Because so.", "Dunno."), "chosen": [turn("user", "Me?"), turn("assistant", "Yes.")]},
    ])
    ids = frame.get_column("id").to_list()
    result = run(Validate(min_chars=2), frame)
    assert {ids.index(d.record_id): d.reason for d in result.decisions} == {
        2: "last_turn_not_assistant", 3: "last_turn_not_assistant", 4: "roles_out_of_order",
        6: "chosen_equals_rejected", 7: "no_rejected", 8: "prompt_not_ending_with_user",
        9: "reply_too_short", 11: "no_label", 12: "no_completion", 13: "roles_out_of_order"}
    short = next(d for d in result.decisions if d.reason == "reply_too_short")
    assert short.detail == {"reply_chars": 1, "min_chars": 2}
    assert result.stats["kinds"] == {"kto": 3, "preference": 6, "sft": 5}
    # The length limits measure the prompt with its longer completion, tool calls included.
    longest = run(Validate(max_chars=len("Why?\nBecause so.")), records([pair("Why?", "Because so.", "No.")]))
    assert longest.decisions == []
    calls_count = run(Validate(max_chars=len("Weather in Paris?")), records([{"messages": WEATHER[1:]}]))
    assert calls_count.decisions[0].detail["chars"] == len(conversation_text(records([{"messages": WEATHER[1:]}]))[0])


# -- PII ------------------------------------------------------------------------------------------
def pii_frame() -> pl.DataFrame:
    return records([
        {"messages": [turn("user", "Look me up please"),
                      turn("assistant", "", weight=0, tool_calls=calls(
                          ("find_customer", {"email": "ana.dias@example.org", "phone": 4155550132, "id": 7,
                                            "ticket": "QF-123456"}))),
                      turn("tool", "Found: phone (415) 555-0198, Ana Dias", tool_call_id="call_0", name="find_customer"),
                      turn("assistant", "Found you, Ana Dias. <image>", weight=1,
                           parts='[{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]')],
         "tools": TOOLS},
        pair("Who?", "Ask Ana Dias at 415-555-0132.", "Mail bo@example.com", category="contact"),
    ])


def scrubbed(frame: pl.DataFrame, **ctx) -> pl.DataFrame:
    return run(Pii(spacy_model="none", deny_list={"PERSON": ["Ana Dias"]}), frame, **ctx).kept


def test_pii_scrubs_tool_results_arguments_and_completions_and_keeps_the_rest():
    frame = pii_frame()
    kept = scrubbed(frame)
    tool_row, pref = kept.to_dicts()
    before = frame.to_dicts()
    args = json.loads(json.loads(tool_row["messages"][1]["tool_calls"])[0]["arguments"])
    assert args == {"email": "<EMAIL_ADDRESS>", "phone": "<PHONE_NUMBER>", "id": 7, "ticket": "QF-123456"}
    assert json.loads(tool_row["messages"][1]["tool_calls"])[0]["id"] == "call_0"
    assert tool_row["messages"][2]["content"] == "Found: phone <PHONE_NUMBER>, <PERSON>"
    assert tool_row["messages"][3]["content"] == "Found you, <PERSON>. <image>"
    assert pref["chosen"][0]["content"] == "Ask <PERSON> at <PHONE_NUMBER>."
    assert pref["rejected"][0]["content"] == "Mail <EMAIL_ADDRESS>"
    for new, old in zip([tool_row, pref], before):  # everything else as it was
        for column in ("id", "kind", "label", "tools", "category", "meta", "source_line"):
            assert new[column] == old[column]
        for c in ("messages", "chosen", "rejected"):
            for t_new, t_old in zip(new[c] or [], old[c] or []):
                assert {k: v for k, v in t_new.items() if k not in ("content", "tool_calls")} == \
                       {k: v for k, v in t_old.items() if k not in ("content", "tool_calls")}


def test_arguments_stay_json_whatever_the_spans_cover():
    stand_in = lambda entity, value: f"<{entity}>"  # noqa: E731
    raw = '{"to": "Jos\\u00e9 \\"JD\\" Diaz", "n": 4155550132, "ok": true}'
    start = raw.index("Jos")
    out = scrub_json(raw, [Cut(start - 2, raw.index("Diaz") + 6, "PERSON"), Cut(raw.index("4155"), raw.index("4155") + 10,
                                                                              "PHONE_NUMBER")], stand_in)
    assert json.loads(out) == {"to": "<PERSON>", "n": "<PHONE_NUMBER>", "ok": True}
    part = scrub_json(raw, [Cut(raw.index("Diaz"), raw.index("Diaz") + 4, "PERSON")], stand_in)
    assert json.loads(part)["to"] == 'José "JD" <PERSON>' and part.endswith(', "n": 4155550132, "ok": true}')
    assert scrub_json("call 4155550132 {", [Cut(5, 15, "PHONE_NUMBER")], stand_in) == "call <PHONE_NUMBER> {"


def test_review_findings_point_at_their_place_and_decisions_apply_there(tmp_path):
    frame = pii_frame()
    store = Store(tmp_path / "wb.db")
    scrubbed(frame, store=store)
    queue = ReviewQueue.from_records(frame, store.pii.findings(), {})
    tool_row, pref = queue.records
    places = {(s.place, s.value) for s in tool_row.spans}
    assert ("messages[1].tool_calls[0].arguments", "ana.dias@example.org") in places
    assert ("messages[2]", "(415) 555-0198") in places
    assert {(s.place, s.value) for s in pref.spans} >= {("chosen[0]", "Ana Dias"), ("rejected[0]", "bo@example.com")}
    assert "assistant: find_customer arguments" in [m["role"] for m in tool_row.messages]
    # The reviewer keeps the name in the chosen reply and marks a missed word in the arguments.
    name = next(j for j, s in enumerate(pref.spans) if s.place == "chosen[0]" and s.value == "Ana Dias")
    assert queue.decide(store, 1, name, "reject", "a public figure").place == "chosen[0]"
    assert queue.mark_missed(store, 0, "find_customer", "PERSON") == []  # a tool's name is not data
    (added,) = queue.mark_missed(store, 0, "QF-123456", "ORDER_ID")
    assert added.place == "messages[1].tool_calls[0].arguments"
    standing = store.decisions.standing("pii")
    assert {d.detail.get("place") for d in standing.values()} == {"chosen[0]", added.place}
    human = {(d.record_id, d.target): d for d in standing.values()}
    kept = scrubbed(frame, store=store, human=human)
    tool_row, pref = kept.to_dicts()
    assert pref["chosen"][0]["content"] == "Ask Ana Dias at <PHONE_NUMBER>."
    args = json.loads(json.loads(tool_row["messages"][1]["tool_calls"])[0]["arguments"])
    assert args == {"email": "<EMAIL_ADDRESS>", "phone": "<PHONE_NUMBER>", "id": 7, "ticket": "<ORDER_ID>"}


def test_leak_check_reads_every_text_of_every_output_shape(tmp_path):
    scanner = Pii(spacy_model="none").scanner()
    leak = "ana.dias@example.org"
    rows = {
        "openai.jsonl": {"input": {"messages": [{"role": "user", "content": "hi"}],
                                   "tools": [{"type": "function", "function": {"name": "f", "parameters": {
                                       "properties": {"id": {"description": f"mail {leak}"}}}}}]},
                         "preferred_output": [{"role": "assistant", "content": None, "tool_calls": [
                             {"id": "call_1", "type": "function", "function": {"name": "f", "arguments":
                                                                                json.dumps({"to": leak})}}]}],
                         "non_preferred_output": [{"role": "assistant", "content": f"to {leak}"}]},
        "trl.jsonl": {"prompt": [{"role": "user", "content": "hi"}],
                      "completion": [{"role": "assistant", "content": f"write {leak}", "tool_calls": [
                          {"type": "function", "function": {"name": "f", "arguments": {"id": leak}}}]}],
                      "label": True},
        "sharegpt.jsonl": {"conversations": [{"from": "human", "value": "hi"}, {
            "from": "function_call", "value": json.dumps({"name": "f", "arguments": {"to": leak}})}],
            "tools": json.dumps([{"name": "f", "description": f"mails {leak}"}]),
            "images": ["data:image/png;base64," + "QUJD" * 30]},
        "alpaca.jsonl": {"instruction": "hi", "input": "", "chosen": f"mail {leak}", "rejected": "no"},
    }
    files = []
    for name, row in rows.items():
        files.append(tmp_path / name)
        files[-1].write_text(json.dumps(row) + "\n", encoding="utf-8")
    pl.DataFrame({"id": ["a"], "tool_calls": [json.dumps([{"id": "c", "name": "f", "arguments": json.dumps(
        {"to": leak})}])]}).write_parquet(tmp_path / "train.parquet")
    files.append(tmp_path / "train.parquet")
    by_file: dict = {}
    section = check_files(files, scanner, {leak: "EMAIL_ADDRESS"}, by_file=by_file)
    assert section["leaked"]
    found = {name: tally["still_found"].get("EMAIL_ADDRESS", 0) for name, tally in by_file.items()}
    assert found == {"openai.jsonl": 3, "trl.jsonl": 2, "sharegpt.jsonl": 2, "alpaca.jsonl": 1,
                     "train.parquet": 1}
    assert section["texts_scanned"] < 30  # the inline image's bytes are not read as text


# -- every other field survives every step -----------------------------------------------------------
class HashEncoder:
    """Unit vectors from a hash of each text: no model, and copies embed alike."""

    def get_embedding_dimension(self):
        return 64

    def encode(self, texts, **kw):
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).normal(size=64)
                for t in texts]
        vectors = np.array(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def hash_encoder(monkeypatch):
    monkeypatch.setattr(embeddings, "load_encoder", lambda model, quantize=False: HashEncoder())


def rich_rows() -> list[dict]:
    image = turn("user", "What is this?<image>", parts='[{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]')
    return [
        {"messages": WEATHER, "tools": TOOLS, "category": "weather"},
        {"messages": [image, turn("assistant", "A cat, call 415-555-0132.", weight=1)], "category": "vision"},
        pair("Which is better?", "The first one.", "Whatever.", category="compare"),
        kto("Is it safe?", "Yes, mostly.", True, category="compare"),
        {"messages": [image, turn("assistant", "Hmm, a dog?", weight=0), turn("user", "Sure?"),
                      turn("assistant", "Yes, a dog.", weight=1)], "category": "vision", "origin": "synthetic"},
    ]


def test_a_rich_frame_keeps_every_field_through_the_whole_recipe(tmp_path, hash_encoder):
    frame = records(rich_rows())
    synthetic = frame.get_column("id")[4]
    store = Store(tmp_path / "wb.db")
    edit = verdict_decision(synthetic, "ann", "edit", messages=[
        {"role": "user", "content": "What is this?<image>"}, {"role": "assistant", "content": "Hmm, a dog?"},
        {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes, a beagle."}])
    store.decisions.decide_many([edit])
    recipe = Recipe(tuple(StepSpec(name, params) for name, params in [
        ("validate", {}), ("exact_dedup", {}), ("near_dedup", {}), ("semantic_dedup", {}),
        ("pii", {"spacy_model": "none"}), ("categorize", {}), ("balance", {"max_per_category": 100}),
        ("synthetic_review", {})]), split=SplitSpec(holdout=0.4, seed=1))
    out = run_recipe(frame, recipe, load_registry(), store=store, project_dir=tmp_path)
    assert out.removed.height == 0 and out.kept.height == frame.height
    assert set(out.kept.get_column("split")) <= {"train", "holdout"}
    kept = {r["id"]: r for r in out.kept.to_dicts()}
    for old in frame.to_dicts():
        new = kept[old["id"]]
        for column in ("kind", "label", "tools", "category", "origin", "meta", "source_file", "source_line"):
            assert new[column] == old[column], column
        for column in ("messages", "chosen", "rejected"):
            assert (new[column] is None) == (old[column] is None)
            for t_new, t_old in zip(new[column] or [], old[column] or []):
                assert {k: v for k, v in t_new.items() if k != "content"} == \
                       {k: v for k, v in t_old.items() if k != "content"}
    assert kept[frame.get_column("id")[1]]["messages"][1]["content"] == "A cat, call <PHONE_NUMBER>."
    assert kept[synthetic]["messages"][3]["content"] == "Yes, a beagle."  # the edit, with weight and parts kept


def test_a_bad_edit_of_a_turn_with_parts_is_flagged_not_applied():
    frame = records(rich_rows()[4:])
    rid = frame.get_column("id")[0]
    edit = verdict_decision(rid, "ann", "edit", messages=[
        {"role": "user", "content": "What is this?"}, {"role": "assistant", "content": "A dog."},
        {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes."}])
    result = run(SyntheticReview(), frame, human={(rid, "ann"): edit})
    assert [d.reason for d in result.decisions] == ["bad_edit"]
    assert result.kept.to_dicts() == frame.to_dicts()


def test_an_edit_of_a_preference_pair_keeps_its_other_fields():
    frame = records([pair("Which?", "The first.", "Eh.", origin="synthetic")])
    rid = frame.get_column("id")[0]
    edit = verdict_decision(rid, "ann", "edit", chosen=[{"role": "assistant", "content": "The first one, clearly."}])
    result = run(SyntheticReview(), frame, human={(rid, "ann"): edit})
    (row,) = result.kept.to_dicts()
    assert row["chosen"][0]["content"] == "The first one, clearly." and row["rejected"][0]["content"] == "Eh."
    assert row["kind"] == "preference" and row["messages"] == frame.to_dicts()[0]["messages"]
    with pytest.raises(ValueError, match="completion"):
        verdict_decision(rid, "ann", "edit", chosen=[{"role": "user", "content": "Hi"}])


def test_review_signals_read_the_chosen_reply_and_balance_names_mixed_kinds():
    frame = records([pair("Which is better?", "The first one, because it lasts longer.", "Eh.", category="c"),
                     {"messages": [turn("user", "Hi"), turn("assistant", "Hello there.")], "category": "c"}])
    (signals,) = text_signals(frame.head(1), frame.tail(1))
    assert signals.reply_chars == len("The first one, because it lasts longer.")
    stats = run(Balance(), frame).stats
    assert stats["kinds"] == {"preference": 1, "sft": 1} and "one kind" in stats["note"]
