"""Hypothesis on the importers of the richer shapes: tool calls, content parts, media lists,
preference and KTO rows. Whatever the fields hold, every row is a record in the canonical form
or one quarantine row with a reason; nothing raises."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_fuzz_importers import FUZZ, json_values, read_or_input_error, texts, written
from workbench.io import ImportOptions

names = st.sampled_from(["get_weather", "", "f"]) | json_values
arguments = st.sampled_from(["{}", "{\"city\": \"Oslo\"}", "not json", ""]) | json_values
openai_call = st.fixed_dictionaries({"id": st.sampled_from(["c1", "c2"]) | json_values,
                                     "type": st.just("function"),
                                     "function": st.fixed_dictionaries({"name": names, "arguments": arguments})
                                     | json_values})
part = st.sampled_from([{"type": "text", "text": "Hi"}, {"type": "image_url", "image_url": {"url": "a.png"}},
                        {"type": "text", "text": "<image>"}, {"type": "input_audio", "input_audio": {}},
                        {"type": "file"}]) | json_values
content = texts | st.none() | st.lists(part, max_size=3) | json_values
roles = st.sampled_from(["user", "assistant", "system", "tool", "developer", "function"]) | json_values
openai_message = st.fixed_dictionaries(
    {"role": roles, "content": content},
    optional={"tool_calls": st.lists(openai_call, max_size=2) | json_values, "tool_call_id": texts | json_values,
              "name": texts, "weight": st.sampled_from([0, 1, 2]) | json_values,
              "function_call": st.fixed_dictionaries({"name": names, "arguments": arguments})})
openai_rows = st.fixed_dictionaries(
    {"messages": st.lists(openai_message, max_size=5) | json_values},
    optional={"tools": st.lists(st.sampled_from([{"type": "function", "function": {"name": "get_weather"}},
                                                 {"name": "f"}, {}]) | json_values, max_size=2) | json_values,
              "images": st.lists(texts, max_size=2) | json_values})

sharegpt_from = st.sampled_from(["human", "gpt", "function_call", "observation", "tool", "system"]) | json_values
sharegpt_value = texts | st.sampled_from([
    "{\"name\": \"f\", \"arguments\": {}}", "[{\"name\": \"f\", \"arguments\": {\"a\": 1}}]", "[]",
    "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>", "<tool_call>oops</tool_call>",
    "<tool_response>{}</tool_response>", "<image>look"]) | json_values
sharegpt_turn = st.fixed_dictionaries({"from": sharegpt_from, "value": sharegpt_value})
sharegpt_rows = st.fixed_dictionaries(
    {"conversations": st.lists(sharegpt_turn, max_size=5) | json_values},
    optional={"tools": st.sampled_from(["[]", "[{\"name\": \"f\"}]", "nope"]) | json_values,
              "images": st.lists(texts, max_size=2), "kto_tag": st.booleans() | json_values,
              "chosen": sharegpt_turn | json_values, "rejected": sharegpt_turn | json_values})

completion = texts | st.lists(openai_message, max_size=2) | json_values
preference_rows = st.fixed_dictionaries({"chosen": completion, "rejected": completion},
                                        optional={"prompt": completion, "tools": json_values})
kto_rows = st.fixed_dictionaries({"prompt": completion, "completion": completion,
                                  "label": st.booleans() | json_values})


def check_accounted(rows: list[dict], fmt: str) -> None:
    body = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    with written(body, "fuzz.jsonl") as path:
        result = read_or_input_error(path, ImportOptions(format=fmt))
    if result is None:
        return
    kept = result.records["source_line"].to_list()
    lines = [q["line"] for q in result.quarantine]
    assert sorted(kept + lines) == list(range(1, len(rows) + 1))
    assert all(q["reason"] for q in result.quarantine)
    for rec in result.records.iter_rows(named=True):
        check_record(rec)


def check_record(rec: dict) -> None:
    """The canonical form's invariants (docs/record-form.md)."""
    turns = rec["messages"]
    if rec["kind"] == "sft":
        assert turns[-1]["role"] == "assistant" and rec["chosen"] is None and rec["label"] is None
    else:
        assert turns[-1]["role"] in ("user", "tool") and rec["chosen"][-1]["role"] == "assistant"
        assert (rec["label"] is None) == (rec["kind"] == "preference")
    for turn in turns + (rec["chosen"] or []) + (rec["rejected"] or []):
        assert isinstance(turn["content"], str)
        if turn["tool_calls"] is not None:
            assert turn["role"] == "assistant"
            assert all(isinstance(c["name"], str) and isinstance(c["arguments"], str)
                       for c in json.loads(turn["tool_calls"]))
        if turn["parts"] is not None:
            found = sum(turn["content"].count(p) for p in ("<image>", "<audio>", "<video>"))
            assert found == len(json.loads(turn["parts"]))
    if rec["tools"] is not None:
        assert all(t["type"] == "function" for t in json.loads(rec["tools"]))


@pytest.mark.parametrize("fmt, rows", [("openai", openai_rows), ("sharegpt", sharegpt_rows),
                                        ("preference", preference_rows), ("kto", kto_rows)])
@FUZZ
@given(data=st.data())
def test_every_row_of_each_shape_is_a_record_or_a_quarantine_row(fmt, rows, data):
    check_accounted(data.draw(st.lists(rows, min_size=1, max_size=6)), fmt)


@FUZZ
@given(st.lists(openai_rows | sharegpt_rows | preference_rows | kto_rows, min_size=1, max_size=6))
def test_detection_on_mixed_rows_raises_nothing_but_input_error(rows):
    with written(b"".join(orjson.dumps(r) + b"\n" for r in rows), "mixed.jsonl") as path:
        result = read_or_input_error(path)
    for rec in result.records.iter_rows(named=True) if result is not None else ():
        check_record(rec)


# -- well-formed rows of each shape: all kept, with every call, result and part ----------------

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8
                ).filter(lambda s: s.strip() and "<" not in s)
args = st.dictionaries(st.sampled_from(["city", "n", "when"]), st.integers(-5, 5) | words, max_size=2)


@st.composite
def tool_conversations(draw) -> dict:
    """An OpenAI row: a question, some rounds of calls and results, a final answer."""
    messages = [{"role": "user", "content": draw(words)}]
    n = 0
    for _ in range(draw(st.integers(1, 2))):
        batch = draw(st.lists(args, min_size=1, max_size=2))
        calls = [{"id": f"c{n + i}", "type": "function",
                  "function": {"name": draw(st.sampled_from(["get_weather", "lookup"])), "arguments": json.dumps(a)}}
                 for i, a in enumerate(batch)]
        messages.append({"role": "assistant", "content": draw(st.none() | words), "tool_calls": calls})
        messages += [{"role": "tool", "tool_call_id": c["id"], "content": draw(words)} for c in calls]
        n += len(calls)
    if draw(st.booleans()):
        messages[0]["content"] = [{"type": "text", "text": messages[0]["content"]},
                                  {"type": "image_url", "image_url": {"url": draw(words)}}]
    messages.append({"role": "assistant", "content": draw(words)})
    return {"messages": messages, "tools": [{"type": "function", "function": {"name": "get_weather"}}]}


@FUZZ
@given(st.lists(tool_conversations(), min_size=1, max_size=5))
def test_well_formed_tool_conversations_are_all_kept_with_every_call(rows):
    body = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    with written(body, "tools.jsonl") as path:
        result = read_or_input_error(path)
    assert result is not None and result.quarantine == []
    assert result.records.height == len(rows)
    for row, rec in zip(rows, result.records.iter_rows(named=True)):
        check_record(rec)
        given_calls = [(c["id"], c["function"]["name"], c["function"]["arguments"])
                       for m in row["messages"] for c in m.get("tool_calls", [])]
        kept = [(c["id"], c["name"], c["arguments"]) for t in rec["messages"] if t["tool_calls"]
                for c in json.loads(t["tool_calls"])]
        assert kept == given_calls
        results = [(m["tool_call_id"], m["content"]) for m in row["messages"] if m["role"] == "tool"]
        assert [(t["tool_call_id"], t["content"]) for t in rec["messages"] if t["role"] == "tool"] == results
