"""Importing the richer shapes real datasets come in: tool calls (OpenAI, glaive/LLaMA-Factory
ShareGPT, Hermes), content parts and images, preference and KTO rows. Each lands in the one
canonical form of docs/record-form.md, or is quarantined with a reason naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from workbench.io import ImportOptions, read_input

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def jsonl(path: Path, rows: list) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def rows_of(result) -> list[dict]:
    return result.records.to_dicts()


def calls(turn: dict) -> list[dict]:
    return json.loads(turn["tool_calls"])


def test_openai_tool_calls_tool_turns_and_null_content_are_one_record(tmp_path):
    row = {"messages": [
        {"role": "user", "content": "Weather in Lyon?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "{\"temp\": 21}"},
        {"role": "assistant", "content": "It is 21 degrees in Lyon."}], "tools": [WEATHER]}
    result = read_input(jsonl(tmp_path / "tools.jsonl", [row, row | {"tools": [WEATHER], "category": "weather"}]))
    assert result.quarantine == [] and result.format == "openai"
    rec = rows_of(result)[0]
    turns = rec["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "tool", "assistant"]
    assert turns[1]["content"] == "" and calls(turns[1]) == [
        {"id": "call_a", "name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}]
    assert turns[2]["tool_call_id"] == "call_a" and turns[2]["content"] == "{\"temp\": 21}"
    assert json.loads(rec["tools"]) == [WEATHER]
    assert rec["kind"] == "sft" and rec["meta"] == "{}"


def test_the_legacy_function_call_and_functions_are_read_as_tool_calls(tmp_path):
    row = {"messages": [{"role": "user", "content": "Weather?"},
                        {"role": "assistant", "content": None,
                         "function_call": {"name": "get_weather", "arguments": "{}"}},
                        {"role": "function", "name": "get_weather", "content": "sunny"},
                        {"role": "assistant", "content": "Sunny."}],
           "functions": [WEATHER["function"]]}
    rec = rows_of(read_input(jsonl(tmp_path / "f.jsonl", [row])))[0]
    assert calls(rec["messages"][1]) == [{"id": None, "name": "get_weather", "arguments": "{}"}]
    assert rec["messages"][2]["role"] == "tool" and rec["messages"][2]["name"] == "get_weather"
    assert json.loads(rec["tools"]) == [WEATHER]


def test_content_parts_keep_their_images_at_their_place(tmp_path):
    image = {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}}
    row = {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, image,
                                                     {"type": "text", "text": "Be brief."}]},
                        {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}]}
    rec = rows_of(read_input(jsonl(tmp_path / "parts.jsonl", [row])))[0]
    user, reply = rec["messages"]
    assert user["content"] == "What is this?<image>Be brief." and json.loads(user["parts"]) == [image]
    assert reply["content"] == "A cat." and reply["parts"] is None


def test_an_unknown_content_part_is_a_row_problem_naming_it(tmp_path):
    row = {"messages": [{"role": "user", "content": [{"type": "hologram", "data": "x"}]},
                        {"role": "assistant", "content": "ok"}]}
    good = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
    result = read_input(jsonl(tmp_path / "p.jsonl", [good, row]))
    (q,) = result.quarantine
    assert q["line"] == 2 and "messages[0].content[0].type is 'hologram'" in q["reason"]


GLAIVE_TOOLS = json.dumps([{"name": "calculate_area", "description": "Area of a shape",
                            "parameters": {"type": "object", "properties": {"shape": {"type": "string"}}}}])


def glaive_rows(n: int = 40) -> list[dict]:
    """Rows in the glaive / LLaMA-Factory tool-call shape: half call a tool (one, or two in one turn)."""
    rows = []
    for i in range(n):
        if i % 2:
            call = {"name": "calculate_area", "arguments": {"shape": "square", "side": i}}
            value = json.dumps([call, call | {"arguments": {"shape": "circle", "side": i}}]) if i % 4 == 3 \
                else json.dumps(call)
            conv = [{"from": "human", "value": f"Area of a square of side {i}?"},
                    {"from": "function_call", "value": value},
                    {"from": "observation", "value": json.dumps({"area": i * i})},
                    {"from": "gpt", "value": f"The area is {i * i}."}]
            rows.append({"conversations": conv, "tools": GLAIVE_TOOLS})
        else:
            rows.append({"conversations": [{"from": "human", "value": f"Say {i}."}, {"from": "gpt", "value": str(i)}],
                         "tools": "[]"})
    return rows


def test_a_glaive_tool_call_file_imports_every_row_with_its_calls(tmp_path):
    path = tmp_path / "glaive.json"
    path.write_text(json.dumps(glaive_rows(), indent=2))
    result = read_input(path)
    assert result.format == "sharegpt" and result.quarantine == [] and result.records.height == 40
    recs = rows_of(result)
    square = recs[1]
    assert [t["role"] for t in square["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert calls(square["messages"][1]) == [{"id": None, "name": "calculate_area",
                                             "arguments": "{\"shape\":\"square\",\"side\":1}"}]
    assert square["messages"][2]["content"] == "{\"area\": 1}"
    assert json.loads(square["tools"]) == [{"type": "function", "function": json.loads(GLAIVE_TOOLS)[0]}]
    assert len(calls(recs[3]["messages"][1])) == 2  # two calls in one turn
    assert recs[0]["tools"] is None  # "[]": no tools
    assert "tools" not in json.loads(recs[0]["meta"])


def test_a_function_call_that_is_not_json_is_quarantined_naming_the_turn(tmp_path):
    rows = glaive_rows(2)
    rows[1]["conversations"][1]["value"] = "{'name': 'calculate_area'}"  # Python repr, not JSON
    result = read_input(jsonl(tmp_path / "g.jsonl", rows))
    (q,) = result.quarantine
    assert q["line"] == 2 and "conversations[1].value is not a JSON function call" in q["reason"]


def test_hermes_tool_call_text_becomes_tool_calls(tmp_path):
    row = {"conversations": [
        {"from": "system", "value": "You may call tools. <tools>[...]</tools>"},
        {"from": "human", "value": "Weather in Oslo?"},
        {"from": "gpt", "value": "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>"},
        {"from": "tool", "value": "<tool_response>\n{\"temp\": -3}\n</tool_response>"},
        {"from": "gpt", "value": "It is -3 in Oslo."}]}
    rec = rows_of(read_input(jsonl(tmp_path / "hermes.jsonl", [row])))[0]
    call_turn, result_turn = rec["messages"][2], rec["messages"][3]
    assert call_turn["content"] == "" and calls(call_turn)[0]["name"] == "get_weather"
    assert json.loads(calls(call_turn)[0]["arguments"]) == {"city": "Oslo"}
    assert result_turn["role"] == "tool" and result_turn["content"] == "{\"temp\": -3}"


def test_llamafactory_images_go_with_their_placeholders(tmp_path):
    row = {"messages": [{"role": "user", "content": "<image>Who are they?"},
                        {"role": "assistant", "content": "Two players."},
                        {"role": "user", "content": "And here? <image>"},
                        {"role": "assistant", "content": "A goal."}],
           "images": ["data/1.jpg", "data/2.jpg"]}
    bad = row | {"images": ["data/1.jpg"]}
    sharegpt = [{"conversations": [{"from": "human" if m["role"] == "user" else "gpt", "value": m["content"]}
                                   for m in r["messages"]], "images": r["images"]} for r in (row, bad)]
    # LLaMA-Factory's multimodal demo has role/content messages; its ShareGPT sets have conversations
    for name, rows in (("messages", [row, bad]), ("conversations", sharegpt)):
        result = read_input(jsonl(tmp_path / f"{name}.jsonl", rows))
        rec = rows_of(result)[0]
        assert json.loads(rec["messages"][0]["parts"]) == [{"type": "image", "image": "data/1.jpg"}]
        assert json.loads(rec["messages"][2]["parts"]) == [{"type": "image", "image": "data/2.jpg"}]
        assert rec["messages"][0]["content"] == "<image>Who are they?" and rec["meta"] == "{}"
        (q,) = result.quarantine
        assert q["line"] == 2 and "more <image> placeholders than field 'images' has entries (1)" in q["reason"]


# -- preference and KTO ---------------------------------------------------------------------------

def test_trl_preference_rows_plain_conversational_and_implicit(tmp_path):
    prompt = [{"role": "user", "content": "Capital of France?"}]
    rows = [
        {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."},
        {"prompt": prompt, "chosen": [{"role": "assistant", "content": "Paris."}],
         "rejected": [{"role": "assistant", "content": "Lyon."}]},
        {"chosen": prompt + [{"role": "assistant", "content": "Paris, of course."}],
         "rejected": prompt + [{"role": "assistant", "content": "Marseille."}]},
    ]
    result = read_input(jsonl(tmp_path / "dpo.jsonl", rows))
    assert result.format == "preference" and result.quarantine == []
    recs = rows_of(result)
    for rec in recs:
        assert rec["kind"] == "preference" and [t["content"] for t in rec["messages"]] == ["Capital of France?"]
        assert rec["label"] is None
    assert recs[0]["chosen"][0]["content"] == "Paris." and recs[0]["rejected"][0]["content"] == "Lyon."
    assert recs[0]["id"] == recs[1]["id"]  # the same pair in two shapes is the same record
    assert recs[2]["chosen"][0]["content"] == "Paris, of course." and recs[2]["rejected"][0]["content"] == "Marseille."


def test_two_pairs_that_differ_only_in_the_rejected_reply_are_two_records(tmp_path):
    rows = [{"prompt": "Q?", "chosen": "A.", "rejected": "B."}, {"prompt": "Q?", "chosen": "A.", "rejected": "C."}]
    recs = rows_of(read_input(jsonl(tmp_path / "p.jsonl", rows)))
    assert recs[0]["id"] != recs[1]["id"]


def test_llamafactory_and_openai_preference_shapes(tmp_path):
    sharegpt = {"conversations": [{"from": "human", "value": "Q?"}],
                "chosen": {"from": "gpt", "value": "Good."}, "rejected": {"from": "gpt", "value": "Bad."}}
    alpaca = {"instruction": "Q?", "input": "", "chosen": "Good.", "rejected": "Bad."}
    openai = {"input": {"messages": [{"role": "user", "content": "Q?"}]},
              "preferred_output": [{"role": "assistant", "content": "Good."}],
              "non_preferred_output": [{"role": "assistant", "content": "Bad."}]}
    ids = set()
    for name, row in (("sharegpt", sharegpt), ("alpaca", alpaca), ("openai", openai)):
        result = read_input(jsonl(tmp_path / f"{name}.jsonl", [row]))
        assert result.format == name and result.quarantine == [], (name, result.quarantine)
        rec = rows_of(result)[0]
        assert rec["kind"] == "preference" and rec["chosen"][0]["content"] == "Good."
        assert rec["rejected"][0]["content"] == "Bad."
        ids.add(rec["id"])
    assert len(ids) == 1


def test_kto_rows_trl_and_llamafactory(tmp_path):
    trl = [{"prompt": "Q?", "completion": "Good.", "label": True},
           {"prompt": [{"role": "user", "content": "Q?"}], "completion": [{"role": "assistant", "content": "Bad."}],
            "label": False}]
    result = read_input(jsonl(tmp_path / "kto.jsonl", trl))
    assert result.format == "kto" and result.quarantine == []
    recs = rows_of(result)
    assert [(r["kind"], r["label"], r["chosen"][0]["content"]) for r in recs] == [
        ("kto", True, "Good."), ("kto", False, "Bad.")]
    lf = {"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "Good."}], "kto_tag": True}
    rec = rows_of(read_input(jsonl(tmp_path / "lf.jsonl", [lf])))[0]
    assert rec["kind"] == "kto" and rec["label"] is True and [t["role"] for t in rec["messages"]] == ["user"]
    assert rec["id"] == recs[0]["id"]


@pytest.mark.parametrize("row, words", [
    ({"prompt": "Q?", "completion": "A.", "label": "yes"}, ["field 'label' is a string", "true"]),
    ({"prompt": "Q?", "chosen": [{"role": "user", "content": "A."}], "rejected": "B."},
     ["chosen[0] is a user turn"]),
    ({"prompt": "Q?", "chosen": "", "rejected": "B."}, ["assistant turn (chosen[0]) is empty"]),
    ({"chosen": "A.", "rejected": "B."}, ["field 'prompt' is missing"]),
])
def test_bad_preference_and_kto_rows_say_what_is_wrong(tmp_path, row, words):
    good = ({"prompt": "Q?", "completion": "A.", "label": True} if "label" in row
            else {"prompt": "Q?", "chosen": "A.", "rejected": "B."})
    result = read_input(jsonl(tmp_path / "bad.jsonl", [good, row]), ImportOptions(
        format="kto" if "label" in row else "preference"))
    (q,) = result.quarantine
    for word in words:
        assert word in q["reason"], (word, q["reason"])


def test_plain_rows_keep_their_ids_and_form(tmp_path):
    """Nothing changes for the rows every earlier import read."""
    from workbench.records import record_id

    msgs = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    rec = rows_of(read_input(jsonl(tmp_path / "plain.jsonl", [{"messages": msgs}])))[0]
    assert rec["id"] == record_id(msgs) and rec["kind"] == "sft" and rec["tools"] is None
    assert all(t["tool_calls"] is None and t["parts"] is None for t in rec["messages"])
