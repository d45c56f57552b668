"""Export shapes (issue 14): every canonical field written in each format and record kind, rows a
format cannot hold listed in removed.jsonl, one kind per export, LLaMA-Factory's dataset_info.json,
and plain files exactly as before. Each written JSONL is also loaded with `datasets`, which must
read every row back as written (content null next to text, tools on some rows only, arguments
with different keys)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import orjson
import polars as pl
import pytest

from workbench.commands import main
from workbench.export.folder import ExportInfo, marker_files, write_export
from workbench.export.verify import verify_files
from workbench.io.base import ImportResult
from workbench.io.out_select import MixedKinds
from workbench.plugins import load_registry
from workbench.recipe import Recipe, SplitSpec, run_recipe
from workbench.records import make_frame

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}
ADD = {"type": "function", "function": {"name": "add", "parameters": {"type": "object",
                                                                     "properties": {"a": {"type": "integer"}}}}}


def t(role, content, **extras):
    for key in ("tool_calls", "parts"):
        if key in extras and not isinstance(extras[key], str):
            extras[key] = orjson.dumps(extras[key]).decode()
    return {"role": role, "content": content, **extras}


def call(name, arguments, id=None):
    return {"id": id, "name": name, "arguments": arguments}


PLAIN = {"messages": [t("user", "Hi"), t("assistant", "Hello!")]}
WEIGHTED = {"messages": [t("user", "Hi"), t("assistant", "Nope.", weight=0), t("user", "Again"),
                         t("assistant", "Hello!", weight=1)]}
TOOL = {"messages": [t("user", "Weather in Paris?"),
                     t("assistant", "", tool_calls=[call("get_weather", '{"city": "Paris"}')]),
                     t("tool", "Sunny", name="get_weather"),
                     t("assistant", "It is sunny in Paris.")],
        "tools": json.dumps([WEATHER])}
PARALLEL = {"messages": [t("user", "Add both"),
                         t("assistant", "", tool_calls=[call("add", '{"a": 1}', id="call_0"), call("add", "not json")]),
                         t("tool", "1", tool_call_id="call_0"), t("tool", "2"),
                         t("assistant", "3")],
            "tools": json.dumps([ADD])}
TWO_CALLS_ONE_RESULT = {"messages": [t("user", "Both?"),
                                     t("assistant", "", tool_calls=[call("add", '{"a": 1}'), call("add", '{"a": 2}')]),
                                     t("tool", "[1, 2]"), t("assistant", "1 and 2")]}
TEXT_AND_CALL = {"messages": [t("user", "Weather?"),
                              t("assistant", "Let me look.", tool_calls=[call("get_weather", '{"city": "Oslo"}')]),
                              t("tool", "Rain"), t("assistant", "Rain.")]}
IMAGE = {"messages": [t("user", "What is this?<image>", parts=[{"type": "image", "image": "cat.png"}]),
                      t("assistant", "A cat.")]}
VIDEO = {"messages": [t("user", "<video>Describe it", parts=[{"type": "video", "video": "clip.mp4"}]),
                      t("assistant", "A dog runs.")]}
PREF = {"kind": "preference", "messages": [t("system", "Be brief."), t("user", "Capital of France?")],
        "chosen": [t("assistant", "Paris.")], "rejected": [t("assistant", "Lyon.")]}
PREF_TOOL = {"kind": "preference", "messages": [t("user", "Weather in Paris?")], "tools": json.dumps([WEATHER]),
             "chosen": [t("assistant", "", tool_calls=[call("get_weather", '{"city": "Paris"}')]),
                        t("tool", "Sunny"), t("assistant", "Sunny.")],
             "rejected": [t("assistant", "No idea.")]}
KTO_GOOD = {"kind": "kto", "messages": [t("user", "2+2?")], "chosen": [t("assistant", "4")], "label": True}
KTO_BAD = {"kind": "kto", "messages": [t("user", "3+3?")], "chosen": [t("assistant", "7")], "label": False}


def records(rows):
    full = [{"id": f"r{i}", "source_file": "in.jsonl", "source_line": i, "origin": "human", "meta": "{}",
             "kind": "sft", **row} for i, row in enumerate(rows, 1)]
    return make_frame(full)


EXPORTS = itertools.count()
NO_STEPS = Recipe(steps=(), split=SplitSpec(holdout=0.0))


def export(tmp_path, rows, fmt, name=None, **kw):
    registry = load_registry()
    outcome = run_recipe(records(rows), NO_STEPS, registry)
    out = tmp_path / (name or f"{fmt}-{next(EXPORTS)}")
    return write_export(outcome, out, ExportInfo(NO_STEPS, [], [], project="demo shop"), registry.exporter(fmt),
                        **kw)


def lines(result, split="train"):
    path = result.out_dir / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def removed(result):
    return [json.loads(line) for line in (result.out_dir / "removed.jsonl").read_text(encoding="utf-8").splitlines()]


def load_with_datasets(path: Path, tmp_path: Path) -> list[dict]:
    """The rows as `datasets` reads them; it must read them back as written (a key a row lacks is None)."""
    import datasets

    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
    written = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    keys = list(ds.features)
    assert list(ds) == [{k: row.get(k) for k in keys} for row in written]
    return list(ds)


# -- plain files are as before ----------------------------------------------------------------------

def test_plain_chat_files_are_byte_identical_to_before(tmp_path):
    plain = b'{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n'
    assert (export(tmp_path, [PLAIN], "openai").out_dir / "train.jsonl").read_bytes() == plain
    assert (export(tmp_path, [PLAIN], "trl").out_dir / "train.jsonl").read_bytes() == plain
    assert (export(tmp_path, [PLAIN], "sharegpt").out_dir / "train.jsonl").read_bytes() == \
        b'{"conversations":[{"from":"human","value":"Hi"},{"from":"gpt","value":"Hello!"}]}\n'
    assert (export(tmp_path, [PLAIN], "alpaca").out_dir / "train.jsonl").read_bytes() == \
        b'{"instruction":"Hi","input":"","output":"Hello!"}\n'
    weighted = export(tmp_path, [WEIGHTED, PLAIN], "openai", name="weighted")
    assert (weighted.out_dir / "train.jsonl").read_bytes().splitlines()[0] == (
        b'{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Nope.","weight":0},'
        b'{"role":"user","content":"Again"},{"role":"assistant","content":"Hello!","weight":1}]}')
    table = pl.read_parquet(export(tmp_path, [PLAIN], "parquet").out_dir / "train.parquet")
    assert table.columns == ["messages"] and table["messages"].to_list() == [PLAIN["messages"]]
    result = export(tmp_path, [PLAIN], "openai", name="report")
    assert result.report["kind"] == "sft" and result.report["other_kinds"] == {}
    assert "cannot_hold" not in result.report["removed"]
    card = (result.out_dir / "DATA_CARD.md").read_text(encoding="utf-8")
    assert "Record kind" not in card and "cannot hold" not in card


# -- openai -----------------------------------------------------------------------------------------

def test_openai_writes_tool_calls_ids_tools_and_parts(tmp_path):
    result = export(tmp_path, [TOOL, PARALLEL, IMAGE, PLAIN], "openai")
    tool, parallel, image, plain = lines(result)
    assert tool["messages"][1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
    assert tool["messages"][2] == {"role": "tool", "content": "Sunny", "tool_call_id": "call_0", "name": "get_weather"}
    assert tool["tools"] == [WEATHER]
    # call_0 is taken by the input: the call without an id gets call_1, and the tool turn without
    # an id answers it (the next call not answered yet).
    calls = parallel["messages"][1]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_0", "call_1"] and calls[1]["function"]["arguments"] == "not json"
    assert [m.get("tool_call_id") for m in parallel["messages"][2:4]] == ["call_0", "call_1"]
    assert image["messages"][0]["content"] == [{"type": "text", "text": "What is this?"},
                                               {"type": "image_url", "image_url": {"url": "cat.png"}}]
    assert plain == PLAIN and "tools" not in plain
    load_with_datasets(result.out_dir / "train.jsonl", tmp_path)


def test_openai_preference_is_the_dpo_shape(tmp_path):
    result = export(tmp_path, [PREF, PREF_TOOL], "openai")
    pref, with_tool = lines(result)
    assert pref == {"input": {"messages": [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "Capital of France?"}]},
                    "preferred_output": [{"role": "assistant", "content": "Paris."}],
                    "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}
    assert with_tool["input"]["tools"] == [WEATHER]
    assert [m.get("tool_call_id") for m in with_tool["preferred_output"]] == [None, "call_0", None]
    assert result.report["kind"] == "preference"
    load_with_datasets(result.out_dir / "train.jsonl", tmp_path)


def test_a_row_openai_cannot_hold_is_removed_with_the_reason(tmp_path, capsys):
    result = export(tmp_path, [VIDEO, IMAGE], "openai")
    assert [r["messages"][1]["content"] for r in lines(result)] == ["A cat."]
    (gone,) = removed(result)
    assert gone["id"] == "r1" and gone["step"] == "export" and gone["reason"] == "format_cannot_hold"
    assert gone["detail"]["format"] == "openai"
    assert "video file reference" in gone["detail"]["cannot_hold"] and "sharegpt" in gone["detail"]["cannot_hold"]
    report = result.report
    assert report["removed"]["by_step"] == {"export": 1} and report["removed"]["by_reason"] == {"format_cannot_hold": 1}
    assert report["splits"] == {"train": 1, "holdout": 0} and report["files"]["train.jsonl"]["rows"] == 1
    card = " ".join((result.out_dir / "DATA_CARD.md").read_text(encoding="utf-8").split())
    assert "1 left out because the `openai` format cannot hold them" in card and "video file reference" in card
    kto = export(tmp_path, [KTO_GOOD, KTO_BAD], "openai")
    assert lines(kto) == [] and {r["reason"] for r in removed(kto)} == {"format_cannot_hold"}
    assert "kto row" in removed(kto)[0]["detail"]["cannot_hold"]


# -- sharegpt ---------------------------------------------------------------------------------------

def test_sharegpt_is_llama_factorys_shape(tmp_path):
    result = export(tmp_path, [TOOL, TWO_CALLS_ONE_RESULT, IMAGE, PLAIN], "sharegpt")
    tool, two, image, plain = lines(result)
    assert tool["conversations"] == [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": '{"name":"get_weather","arguments":{"city":"Paris"}}'},
        {"from": "observation", "value": "Sunny"}, {"from": "gpt", "value": "It is sunny in Paris."}]
    assert json.loads(tool["tools"]) == [WEATHER["function"]]  # the bare schema, as JSON text
    assert json.loads(two["conversations"][1]["value"]) == [{"name": "add", "arguments": {"a": 1}},
                                                            {"name": "add", "arguments": {"a": 2}}]
    assert image["conversations"][0]["value"] == "What is this?<image>" and image["images"] == ["cat.png"]
    assert plain == {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}
    load_with_datasets(result.out_dir / "train.jsonl", tmp_path)


def test_sharegpt_leaves_out_a_turn_with_text_and_calls(tmp_path):
    result = export(tmp_path, [TEXT_AND_CALL, PARALLEL, TOOL], "sharegpt")
    parallel, _ = lines(result)
    (gone,) = removed(result)
    assert gone["id"] == "r1" and "text and tool calls at once" in gone["detail"]["cannot_hold"]
    assert "openai or trl" in gone["detail"]["cannot_hold"]
    # One observation per tool turn, answers to parallel calls too; an argument that is not JSON
    # stays the text it was.
    assert [c["from"] for c in parallel["conversations"]] == ["human", "function_call", "observation",
                                                              "observation", "gpt"]
    assert json.loads(parallel["conversations"][1]["value"]) == [{"name": "add", "arguments": {"a": 1}},
                                                                 {"name": "add", "arguments": "not json"}]


def test_sharegpt_preference_and_kto(tmp_path):
    pref = export(tmp_path, [PREF, PREF_TOOL], "sharegpt")
    (row,) = lines(pref)
    assert row == {"conversations": [{"from": "system", "value": "Be brief."},
                                     {"from": "human", "value": "Capital of France?"}],
                   "chosen": {"from": "gpt", "value": "Paris."}, "rejected": {"from": "gpt", "value": "Lyon."}}
    assert "completion of 3 turns" in removed(pref)[0]["detail"]["cannot_hold"]
    kto = export(tmp_path, [KTO_GOOD, KTO_BAD], "sharegpt")
    assert lines(kto) == [
        {"conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}], "kto_tag": True},
        {"conversations": [{"from": "human", "value": "3+3?"}, {"from": "gpt", "value": "7"}], "kto_tag": False}]
    load_with_datasets(kto.out_dir / "train.jsonl", tmp_path)


# -- alpaca -----------------------------------------------------------------------------------------

def test_alpaca_by_kind_and_what_it_cannot_hold(tmp_path):
    sft = export(tmp_path, [IMAGE, TOOL, PLAIN], "alpaca")
    assert lines(sft) == [{"instruction": "What is this?<image>", "input": "", "output": "A cat.", "images": ["cat.png"]},
                          {"instruction": "Hi", "input": "", "output": "Hello!"}]
    assert "tool calls" in removed(sft)[0]["detail"]["cannot_hold"]
    load_with_datasets(sft.out_dir / "train.jsonl", tmp_path)
    pref = export(tmp_path, [PREF, PREF_TOOL], "alpaca")
    assert lines(pref) == [{"instruction": "Capital of France?", "input": "", "chosen": "Paris.", "rejected": "Lyon.",
                            "system": "Be brief."}]
    assert len(removed(pref)) == 1
    kto = export(tmp_path, [KTO_GOOD, KTO_BAD], "alpaca")
    assert lines(kto) == [{"instruction": "2+2?", "input": "", "output": "4", "kto_tag": True},
                          {"instruction": "3+3?", "input": "", "output": "7", "kto_tag": False}]


# -- trl --------------------------------------------------------------------------------------------

def test_trl_writes_every_kind_conversationally(tmp_path):
    sft = export(tmp_path, [TOOL, PARALLEL, IMAGE, PLAIN], "trl")
    tool, parallel, image, plain = lines(sft)
    assert tool["messages"][1] == {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
    assert tool["tools"] == [WEATHER] and plain == PLAIN
    assert parallel["messages"][1]["tool_calls"][1]["function"]["arguments"] == "not json"  # kept as it came
    assert image["messages"][0]["content"] == [{"type": "text", "text": "What is this?"},
                                               {"type": "image", "image": "cat.png"}]
    loaded = load_with_datasets(sft.out_dir / "train.jsonl", tmp_path)
    assert loaded[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"city": "Paris"}
    pref = export(tmp_path, [PREF, PREF_TOOL], "trl")
    first, second = lines(pref)
    assert first == {"prompt": PREF["messages"][:1] + [{"role": "user", "content": "Capital of France?"}],
                     "chosen": [{"role": "assistant", "content": "Paris."}],
                     "rejected": [{"role": "assistant", "content": "Lyon."}]}
    assert second["tools"] == [WEATHER] and len(second["chosen"]) == 3 and removed(pref) == []
    load_with_datasets(pref.out_dir / "train.jsonl", tmp_path)
    kto = export(tmp_path, [KTO_GOOD, KTO_BAD], "trl")
    assert lines(kto)[1] == {"prompt": [{"role": "user", "content": "3+3?"}],
                             "completion": [{"role": "assistant", "content": "7"}], "label": False}
    load_with_datasets(kto.out_dir / "train.jsonl", tmp_path)


# A tool-call fragment as Qwen2.5's and Hermes' chat templates write it.
TOOL_TEMPLATE = ("{%- for m in messages %}{{ m.role }}: {{ m.content }}{%- for c in m.tool_calls or [] %}"
                 '<tool_call>{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}'
                 "</tool_call>{%- endfor %}\n{%- endfor %}")


def test_trl_tool_calls_render_as_the_model_should_write_them(tmp_path):
    from transformers.utils.chat_template_utils import render_jinja_template

    (row,) = lines(export(tmp_path, [TOOL], "trl"))
    rendered = render_jinja_template([row["messages"]], tools=row["tools"], chat_template=TOOL_TEMPLATE)[0]
    text = rendered[0] if isinstance(rendered, list) else rendered
    assert '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>' in text


def test_exported_votes_and_an_exported_preference_set_have_one_shape(tmp_path):
    from workbench.evaluate.judgements import export_preferences, import_judgements
    from workbench.store import Store

    judged = tmp_path / "judged.jsonl"
    judged.write_text(json.dumps({"prompt": "Capital of France?", "model_a": "a", "model_b": "b",
                                  "response_a": "Paris.", "response_b": "Lyon.", "winner": "a"}) + "\n")
    store = Store(tmp_path / "workbench.db")
    try:
        import_judgements(store, judged)
        export_preferences(store, tmp_path / "votes.jsonl")
    finally:
        store.close()
    pref = dict(PREF, messages=PREF["messages"][1:])
    assert (tmp_path / "votes.jsonl").read_bytes() == (export(tmp_path, [pref], "trl").out_dir / "train.jsonl").read_bytes()


# -- parquet ----------------------------------------------------------------------------------------

def test_parquet_keeps_every_column_some_row_uses(tmp_path):
    table = pl.read_parquet(export(tmp_path, [TOOL, IMAGE, WEIGHTED], "parquet").out_dir / "train.parquet")
    assert table.columns == ["messages", "kind", "tools"]
    assert set(table.schema["messages"].inner.to_schema()) == {"role", "content", "tool_calls", "name", "weight",
                                                               "parts"}
    assert table["messages"][0][1]["tool_calls"] == TOOL["messages"][1]["tool_calls"]
    kto = pl.read_parquet(export(tmp_path, [KTO_GOOD, KTO_BAD], "parquet").out_dir / "train.parquet")
    assert kto.columns == ["messages", "kind", "chosen", "label"] and kto["label"].to_list() == [True, False]


# -- one kind per export, dataset_info.json, determinism --------------------------------------------

@pytest.fixture
def from_frame(tmp_path, monkeypatch):
    """`workbench export --input FILE` reading FILE as the canonical rows given (no importer involved)."""
    recipe = tmp_path / "recipe.toml"
    recipe.write_text("steps = []\n[split]\nholdout = 0\n", encoding="utf-8")

    def run(rows, *args):
        src = tmp_path / "in.jsonl"
        src.write_text("{}\n", encoding="utf-8")
        monkeypatch.setattr("workbench.services.headless.read_input", lambda path, options, registry: ImportResult(
            str(path), "canonical", "0" * 64, records(rows), []))
        return main(["export", "--input", str(src), "--recipe", str(recipe), "-q", *args])

    return run


def test_mixed_kinds_need_kind_and_other_kinds_are_counted(tmp_path, from_frame, capsys):
    rows = [PLAIN, TOOL, PREF, KTO_GOOD]
    assert from_frame(rows, "--out", str(tmp_path / "mixed")) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "several kinds (2 sft, 1 preference, 1 kto)" in err and "--kind sft or --kind preference" in err
    assert not (tmp_path / "mixed").exists()
    assert from_frame(rows, "--out", str(tmp_path / "pref"), "--kind", "preference", "--format", "alpaca") == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "2 sft rows not written: this export writes preference rows; --kind sft exports them" in err
    report = json.loads((tmp_path / "pref" / "report.json").read_text(encoding="utf-8"))
    assert report["kind"] == "preference" and report["other_kinds"] == {"sft": 2, "kto": 1}
    assert report["removed"]["total"] == 0 and report["splits"]["train"] == 1
    card = " ".join((tmp_path / "pref" / "DATA_CARD.md").read_text(encoding="utf-8").split())
    assert "Record kind: `preference`; not written, being of other kinds: 2 sft (`--kind sft`)" in card
    assert from_frame([TEXT_AND_CALL, PLAIN], "--out", str(tmp_path / "sg"), "--format", "sharegpt") == 0
    assert "1 rows the sharegpt format cannot hold were left out" in " ".join(capsys.readouterr().err.split())
    with pytest.raises(MixedKinds):
        export(tmp_path, rows, "trl")


def test_dataset_info_describes_train_and_holdout(tmp_path, from_frame, capsys):
    assert from_frame([PREF, PREF], "--out", str(tmp_path / "x"), "--format", "openai", "--dataset-info") == 2
    assert "--dataset-info goes with --format sharegpt or alpaca" in capsys.readouterr().err
    result = export(tmp_path, [TOOL, IMAGE, PLAIN], "sharegpt", dataset_info=True)
    info = json.loads((result.out_dir / "dataset_info.json").read_text(encoding="utf-8"))
    assert info == {
        "demo_shop_train": {"file_name": "train.jsonl", "formatting": "sharegpt",
                            "columns": {"messages": "conversations", "tools": "tools", "images": "images"},
                            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                                     "assistant_tag": "gpt", "observation_tag": "observation",
                                     "function_tag": "function_call", "system_tag": "system"}},
        "demo_shop_holdout": {"file_name": "holdout.jsonl", "formatting": "sharegpt",
                              "columns": {"messages": "conversations"}, "tags": info["demo_shop_holdout"]["tags"]}}
    assert "dataset_info.json" in marker_files(result.out_dir) and "dataset_info.json" in result.report["files"]
    assert not verify_files(result.out_dir).tampered
    pref = export(tmp_path, [PREF], "alpaca", kind="preference", dataset_info=True)
    entry = json.loads((pref.out_dir / "dataset_info.json").read_text(encoding="utf-8"))["demo_shop_train"]
    assert entry == {"file_name": "train.jsonl", "formatting": "alpaca", "ranking": True,
                     "columns": {"prompt": "instruction", "query": "input", "system": "system",
                                 "chosen": "chosen", "rejected": "rejected"}}
    kto = export(tmp_path, [KTO_GOOD], "sharegpt", dataset_info=True)
    columns = json.loads((kto.out_dir / "dataset_info.json").read_text(encoding="utf-8"))["demo_shop_train"]["columns"]
    assert columns == {"messages": "conversations", "kto_tag": "kto_tag"}


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "alpaca", "trl", "parquet"])
def test_rich_exports_are_deterministic(tmp_path, fmt):
    rows = [TOOL, PARALLEL, TEXT_AND_CALL, IMAGE, VIDEO, PLAIN, WEIGHTED]
    one, two = export(tmp_path, rows, fmt, name="one"), export(tmp_path, rows, fmt, name="two")
    for name in [*one.report["files"], "DATA_CARD.md"]:
        assert (one.out_dir / name).read_bytes() == (two.out_dir / name).read_bytes(), name
