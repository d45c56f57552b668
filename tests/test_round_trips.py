"""Round trips through a real export: a file imported and exported in its own shape gives the
same content back; exported in another shape, the same meaning (read back, the same calls,
results, tool schemas, media, completions and labels)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_fuzz_shapes import tool_conversations
from test_import_shapes import GLAIVE_TOOLS, WEATHER, glaive_rows
from workbench.commands import main
from workbench.io import read_input

ONLY_VALIDATE = '[[steps]]\nname = "validate"\n\n[split]\nholdout = 0.0\n'

OPENAI_TOOLS = [{"messages": [
    {"role": "system", "content": "You are a weather bot."},
    {"role": "user", "content": [{"type": "text", "text": "Weather where this was taken?"},
                                 {"type": "image_url", "image_url": {"url": "https://example.org/lyon.jpg"}}]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"},
    {"role": "tool", "tool_call_id": "call_2", "content": "{\"temp\": 19}"},
    {"role": "assistant", "content": "21 degrees in Lyon, 19 in Paris.", "weight": 1}],
    "tools": [WEATHER]},
    {"messages": [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi! How can I help?"}]},
]
TRL_PREFERENCE = [
    {"prompt": [{"role": "user", "content": f"Capital of country {i}?"}],
     "chosen": [{"role": "assistant", "content": f"City {i}."}],
     "rejected": [{"role": "assistant", "content": f"I do not know about {i}."}]} for i in range(6)]
TRL_KTO = [
    {"prompt": [{"role": "user", "content": f"Summarise report {i}."}],
     "completion": [{"role": "assistant", "content": f"Report {i} says sales grew."}], "label": i % 2 == 0}
    for i in range(6)]
LF_IMAGES = [{"conversations": [{"from": "human", "value": f"<image>What is in picture {i}?"},
                                {"from": "gpt", "value": f"A bicycle number {i}."}],
              "images": [f"pictures/{i}.jpg"]} for i in range(4)]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def export(tmp_path: Path, src: Path, fmt: str, name: str, *extra: str) -> list[dict]:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(ONLY_VALIDATE)
    out = tmp_path / name
    rc = main(["export", "--input", str(src), "--recipe", str(recipe), "--out", str(out), "--format", fmt, "-q",
               *extra])
    assert rc in (0, None)
    removed = (out / "removed.jsonl").read_text()
    assert removed == "", removed
    if fmt == "parquet":
        return []
    return [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]


def canonical(path: Path) -> list[dict]:
    """What the records of a file mean: their canonical fields, without ids and provenance."""
    recs = read_input(path).records.drop("id", "source_file", "source_line", "origin", "meta").to_dicts()
    for rec in recs:
        for key in ("messages", "chosen", "rejected"):
            for turn in rec[key] or []:
                turn.pop("weight")
                if turn["tool_calls"]:
                    turn["tool_calls"] = [{k: v for k, v in c.items() if k != "id"} | {"arguments": json.loads(c["arguments"])}
                                          for c in json.loads(turn["tool_calls"])]
                turn.pop("tool_call_id")
                if turn["parts"]:  # a ShareGPT media list keeps the reference, not the part's JSON type
                    turn["parts"] = [reference(p) for p in json.loads(turn["parts"])]
        rec["tools"] = json.loads(rec["tools"]) if rec["tools"] else None
    return recs


def exported_meaning(tmp_path: Path, src: Path, fmt: str) -> list[dict]:
    """The canonical records of src exported in `fmt` and read back (every row written)."""
    rows = export(tmp_path, src, fmt, "x")
    if fmt != "parquet":
        return canonical(write(tmp_path / "back.jsonl", rows))
    return canonical(tmp_path / "x" / "train.parquet")


def reference(part: dict) -> str:
    for key in ("image_url", "video_url"):
        if key in part:
            return part[key]["url"]
    return part.get("image") or part.get("video") or part.get("audio")


def test_openai_tool_calls_parts_and_weights_come_back_the_same(tmp_path):
    src = write(tmp_path / "tools.jsonl", OPENAI_TOOLS)
    assert export(tmp_path, src, "openai", "o") == OPENAI_TOOLS


@pytest.mark.parametrize("fmt", ["sharegpt", "trl", "parquet"])
def test_openai_tool_calls_in_another_shape_keep_their_meaning(tmp_path, fmt):
    src = write(tmp_path / "tools.jsonl", OPENAI_TOOLS)
    assert exported_meaning(tmp_path, src, fmt) == canonical(src)


def test_a_glaive_file_loses_no_call_result_or_schema(tmp_path):
    src = tmp_path / "glaive.json"
    rows = glaive_rows()
    src.write_text(json.dumps(rows, indent=2))
    out = export(tmp_path, src, "sharegpt", "g")
    assert len(out) == len(rows)
    for given_row, row in zip(rows, out):
        assert [t["from"] for t in row["conversations"]] == [t["from"] for t in given_row["conversations"]]
        for a, b in zip(given_row["conversations"], row["conversations"]):
            if a["from"] == "function_call":
                assert json.loads(b["value"]) == json.loads(a["value"])
            else:
                assert b["value"] == a["value"]
        assert json.loads(row.get("tools") or "[]") == json.loads(given_row["tools"])
    assert json.loads(out[1]["tools"]) == json.loads(GLAIVE_TOOLS)
    # and as OpenAI rows: every call, result and schema
    as_openai = export(tmp_path, src, "openai", "go")
    assert canonical(write(tmp_path / "back.jsonl", as_openai)) == canonical(src)


def test_preference_and_kto_round_trip_in_trl_shape(tmp_path):
    assert export(tmp_path, write(tmp_path / "dpo.jsonl", TRL_PREFERENCE), "trl", "p") == TRL_PREFERENCE
    assert export(tmp_path, write(tmp_path / "kto.jsonl", TRL_KTO), "trl", "k") == TRL_KTO


@pytest.mark.parametrize("fmt", ["sharegpt", "alpaca", "openai", "parquet"])
def test_preference_pairs_in_other_shapes_keep_their_meaning(tmp_path, fmt):
    src = write(tmp_path / "dpo.jsonl", TRL_PREFERENCE)
    assert exported_meaning(tmp_path, src, fmt) == canonical(src)


@pytest.mark.parametrize("fmt", ["sharegpt", "alpaca", "parquet"])
def test_kto_rows_in_other_shapes_keep_their_labels(tmp_path, fmt):
    src = write(tmp_path / "kto.jsonl", TRL_KTO)
    assert exported_meaning(tmp_path, src, fmt) == canonical(src)


def test_images_keep_their_placeholders_and_references(tmp_path):
    src = write(tmp_path / "mllm.jsonl", LF_IMAGES)
    assert export(tmp_path, src, "sharegpt", "s") == LF_IMAGES
    as_openai = export(tmp_path, src, "openai", "o")
    first = as_openai[0]["messages"][0]["content"]
    assert first == [{"type": "image_url", "image_url": {"url": "pictures/0.jpg"}},
                     {"type": "text", "text": "What is in picture 0?"}]


@settings(max_examples=40, deadline=None)
@given(st.lists(tool_conversations(), min_size=1, max_size=4, unique_by=lambda r: json.dumps(r["messages"])),
       st.sampled_from(["trl", "openai", "sharegpt"]))
def test_generated_tool_conversations_round_trip(rows, fmt):
    """In trl and openai every row comes back with the same meaning; ShareGPT (LLaMA-Factory) has
    no place for an assistant turn with text and calls at once: such rows are left out with the
    reason, the others come back."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="wb-rt-") as folder:
        tmp = Path(folder)
        src = write(tmp / "tools.jsonl", rows)
        recipe = tmp / "recipe.toml"
        recipe.write_text(ONLY_VALIDATE)
        assert main(["export", "--input", str(src), "--recipe", str(recipe), "--out", str(tmp / "x"),
                     "--format", fmt, "-q"]) in (0, None)
        removed = [json.loads(line) for line in (tmp / "x" / "removed.jsonl").read_text().splitlines()]
        mixed = [any(m.get("tool_calls") and m.get("content") for m in r["messages"]) for r in rows]
        assert len(removed) == (sum(mixed) if fmt == "sharegpt" else 0)
        assert all(r["reason"] == "format_cannot_hold" for r in removed)
        kept = write(tmp / "kept.jsonl", [r for r, m in zip(rows, mixed) if not (m and fmt == "sharegpt")])
        if kept.stat().st_size:
            assert canonical(tmp / "x" / "train.jsonl") == canonical(kept)
