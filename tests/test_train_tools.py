"""`workbench train` on conversations that call tools (docs/record-form.md: the openai and sharegpt
export shapes), the template check that stops a run which would drop the calls, and the refusal of
preference and KTO exports."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import write_jsonl
from test_train import make_project, make_tiny_model
from workbench.errors import ConfigError, WorkbenchError
from workbench.services.train_run import TrainRequest, train
from workbench.train.runs import list_runs

torch = pytest.importorskip("torch")

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
# Plain ChatML: what the fallback template was before it knew tools (and what SmolLM2's does).
PLAIN_CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] "
                "+ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                "{% endif %}")


def openai_row(city: str = "Paris", celsius: int = 18, weight: int | None = None) -> dict:
    """A row in the openai export shape: a call-only turn (content null), its result, the answer."""
    call_turn = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": f'{{"city":"{city}"}}'}}]}
    if weight is not None:
        call_turn["weight"] = weight
    return {"messages": [
        {"role": "system", "content": "You are a travel assistant."},
        {"role": "user", "content": f"Weather in {city}?"},
        call_turn,
        {"role": "tool", "tool_call_id": "call_1", "content": f'{{"celsius": {celsius}}}'},
        {"role": "assistant", "content": f"It is {celsius} degrees in {city}."}], "tools": [WEATHER]}


def sharegpt_row(city: str = "Paris", celsius: int = 18) -> dict:
    """The same conversation in the sharegpt (LLaMA-Factory) shape: tools as JSON text, bare schemas."""
    return {"conversations": [
        {"from": "system", "value": "You are a travel assistant."},
        {"from": "human", "value": f"Weather in {city}?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": city}})},
        {"from": "observation", "value": f'{{"celsius": {celsius}}}'},
        {"from": "gpt", "value": f"It is {celsius} degrees in {city}."}], "tools": json.dumps([WEATHER["function"]])}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory, tiny_model) -> Path:
    """The tiny model with a chat template that knows nothing of tools."""
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("plain") / "plain-llama"
    shutil.copytree(tiny_model, folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = PLAIN_CHATML
    tokenizer.save_pretrained(folder)
    return folder


def read_rows(tmp_path: Path, rows: list[dict], skipped: dict | None = None) -> list:
    from workbench.train.data import _read_split

    path = write_jsonl(tmp_path / "train.jsonl", rows)
    return _read_split(path, path.read_bytes(), {} if skipped is None else skipped)


def encode(model: Path, chats: list):
    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer

    tokenizer, _ = load_tokenizer(str(model))
    (encoded,), stats = encode_all(tokenizer, chats, 1024)
    trained = tokenizer.decode([i for i, label in zip(encoded.input_ids, encoded.labels) if label != -100])
    return tokenizer, encoded, stats, trained


# -- rendering and the loss mask ----------------------------------------------------------------------

def test_tool_calls_are_trained_on_and_everything_else_is_masked(tiny_model, tmp_path):
    tokenizer, encoded, stats, trained = encode(tiny_model, read_rows(tmp_path, [openai_row()]))
    # Exactly the two assistant turns: the call (arguments as JSON) and the answer, each with its end.
    assert trained == ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'
                       "It is 18 degrees in Paris.<|im_end|>")
    assert stats.tool_call_rows == 1 and stats.trained_tokens == sum(1 for x in encoded.labels if x != -100)
    everything = tokenizer.decode(encoded.input_ids)
    masked = tokenizer.decode([i for i, label in zip(encoded.input_ids, encoded.labels) if label == -100])
    # The schemas sit in the system turn and the result in a <tool_response>: context, not targets.
    assert everything.startswith("<|im_start|>system\nYou are a travel assistant.\n\n# Tools\n")
    assert "<tools>\n" + json.dumps(WEATHER) + "\n</tools>" in masked
    assert '<|im_start|>user\n<tool_response>\n{"celsius": 18}\n</tool_response><|im_end|>' in masked
    assert "Weather in Paris?" in masked and '"arguments": {"city"' not in masked


def test_a_weight_0_call_turn_stays_context(tiny_model, tmp_path):
    _, _, _, trained = encode(tiny_model, read_rows(tmp_path, [openai_row(weight=0)]))
    assert trained == "It is 18 degrees in Paris.<|im_end|>"


def test_the_sharegpt_shape_trains_like_the_openai_shape(tiny_model, tmp_path):
    (openai,) = read_rows(tmp_path, [openai_row()])
    (sharegpt,) = read_rows(tmp_path, [sharegpt_row()])
    assert sharegpt.tools == [WEATHER]  # a bare schema is wrapped as OpenAI's
    _, a, _, trained = encode(tiny_model, [openai])
    _, b, _, _ = encode(tiny_model, [sharegpt])
    assert (a.input_ids, a.labels) == (b.input_ids, b.labels)
    assert trained.startswith('<tool_call>\n{"name": "get_weather"')


def test_parallel_calls_and_a_reply_with_text_and_a_call(tiny_model, tmp_path):
    row = {"messages": [
        {"role": "user", "content": "Paris and Rome?"},
        {"role": "assistant", "content": "Checking both.", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "b", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}}]},
        {"role": "tool", "tool_call_id": "a", "content": "18"},
        {"role": "tool", "tool_call_id": "b", "content": "24"},
        {"role": "assistant", "content": "Paris 18, Rome 24."}], "tools": [WEATHER]}
    tokenizer, encoded, _, trained = encode(tiny_model, read_rows(tmp_path, [row]))
    assert trained == ('Checking both.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
                       '</tool_call>\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome"}}\n'
                       "</tool_call><|im_end|>Paris 18, Rome 24.<|im_end|>")
    assert ("<|im_start|>user\n<tool_response>\n18\n</tool_response>\n<tool_response>\n24\n</tool_response>"
            "<|im_end|>") in tokenizer.decode(encoded.input_ids)


def test_rows_that_cannot_be_trained_are_counted_by_reason(tmp_path):
    skipped: dict = {}
    orphan = {"messages": [{"role": "user", "content": "Hi"}, {"role": "tool", "content": "x"},
                           {"role": "assistant", "content": "Hello"}]}
    image = {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                                       {"type": "image_url", "image_url": {"url": "a.png"}}]},
                          {"role": "assistant", "content": "A cat."}]}
    chats = read_rows(tmp_path, [openai_row(), orphan, image], skipped)
    assert len(chats) == 1
    assert skipped == {"a tool result without a tool call before it": 1,
                       "has image, audio or video parts (workbench train trains on text)": 1}


# -- a template that cannot show tools --------------------------------------------------------------

def test_the_template_check_knows_which_templates_render_tools(tiny_model, plain_model):
    from transformers import AutoTokenizer

    from workbench.train.tool_template import template_tool_problems

    assert template_tool_problems(AutoTokenizer.from_pretrained(tiny_model)) == []
    assert template_tool_problems(AutoTokenizer.from_pretrained(plain_model)) == [
        "ignores the tool schemas", "drops tool calls"]  # results are the tool turn's content: they show
    trl = pytest.importorskip("trl")
    qwen25 = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text(encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    tokenizer.chat_template = qwen25
    assert template_tool_problems(tokenizer) == []


def test_a_template_that_drops_tool_calls_stops_with_advice(plain_model, tmp_path):
    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer

    tokenizer, _ = load_tokenizer(str(plain_model))
    chats = read_rows(tmp_path, [openai_row(), openai_row("Rome", 24),
                                 {"messages": [{"role": "user", "content": "Hi"},
                                               {"role": "assistant", "content": "Hello"}]}])
    with pytest.raises(ConfigError) as e:
        encode_all(tokenizer, chats, 1024)
    message = str(e.value)
    assert str(plain_model) in message and "ignores the tool schemas and drops tool calls" in message
    assert "2 of the 3 train rows call tools" in message and "Set base_model to a model" in message
    encode_all(tokenizer, chats[2:], 1024)  # plain chats still train on it


def test_a_template_that_drops_some_calls_is_caught_on_the_row(tiny_model, tmp_path):
    """The template check passes a call-only turn; a row whose turn has text and calls is checked
    once rendered."""
    from workbench.train.data import encode_all
    from workbench.train.model import FALLBACK_CHAT_TEMPLATE, load_tokenizer

    tokenizer, _ = load_tokenizer(str(tiny_model))
    tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE.replace(
        "{%- for call in message.tool_calls or [] %}",
        "{%- for call in ([] if content else message.tool_calls or []) %}")
    row = openai_row()
    row["messages"][2]["content"] = "Let me look."
    encode_all(tokenizer, read_rows(tmp_path, [openai_row()]), 1024)
    with pytest.raises(ConfigError, match=r"drops the tool call get_weather, and the conversation 'Weather in Pa"):
        encode_all(tokenizer, read_rows(tmp_path, [row]), 1024)


# -- whole runs on an export -------------------------------------------------------------------------

def replace_export(project: Path, train_rows: list[dict], holdout_rows: list[dict], **report) -> Path:
    """The project's export with other rows (and report fields), its files table made to match."""
    export = max((project / "exports").iterdir())
    meta = json.loads((export / "report.json").read_text())
    for name, rows in (("train.jsonl", train_rows), ("holdout.jsonl", holdout_rows)):
        raw = write_jsonl(export / name, rows).read_bytes()
        meta["files"][name] = {"sha256": hashlib.sha256(raw).hexdigest(), "rows": len(rows)}
    (export / "report.json").write_text(json.dumps({**meta, **report}), encoding="utf-8")
    return export


def tool_rows(n: int) -> list[dict]:
    cities = ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Pune"]
    return [openai_row(cities[i % 6], 10 + i) if i % 2 else sharegpt_row(cities[i % 6], 10 + i) for i in range(n)]


def test_train_runs_on_an_export_with_tool_calls(tmp_path, tiny_model):
    project = make_project(tmp_path, tiny_model, settings={"max_steps": 2, "max_seq_len": 1024})
    replace_export(project, tool_rows(6), tool_rows(2))
    run = train(TrainRequest(project, {}))
    record = run.read()
    assert record["status"] == "finished"
    assert record["data"]["train"]["tool_call_rows"] == 6 and record["data"]["holdout"]["tool_call_rows"] == 2
    assert record["data"]["skipped_rows"] == {}


def test_train_stops_when_the_base_model_cannot_show_tool_calls(tmp_path, plain_model):
    project = make_project(tmp_path, plain_model, settings={"max_steps": 2, "max_seq_len": 1024})
    replace_export(project, tool_rows(4), tool_rows(2))
    with pytest.raises(ConfigError, match=r"drops tool calls, and 4 of the 4 train rows call tools"):
        train(TrainRequest(project, {}))
    record = list_runs(project)[-1].read()
    assert record["status"] == "failed" and "plain-llama" in record["error"]


@pytest.mark.parametrize("kind, trainer, row", [
    ("preference", "DPOTrainer", {"prompt": [{"role": "user", "content": "Hi"}],
                                  "chosen": [{"role": "assistant", "content": "Hello!"}],
                                  "rejected": [{"role": "assistant", "content": "Go away."}]}),
    ("kto", "KTOTrainer", {"prompt": [{"role": "user", "content": "Hi"}],
                           "completion": [{"role": "assistant", "content": "Go away."}], "label": False}),
])
def test_a_preference_or_kto_export_is_refused_with_the_trainer_to_use(tmp_path, tiny_model, kind, trainer, row):
    from workbench.train.data import load_export

    project = make_project(tmp_path, tiny_model)
    export = replace_export(project, [row] * 3, [row], kind=kind, created_at="9999-12-31T00:00:00")
    with pytest.raises(WorkbenchError) as e:
        load_export(export)
    message = str(e.value)
    assert message.startswith(f"{export / 'train.jsonl'}: {kind} rows")
    assert f"TRL's {trainer}" in message and "workbench export --kind sft" in message
    # Without --data, the newest export of sft rows is the one trained on; the other is named.
    older = export.parent / "0-older-sft"
    from workbench.services.headless import export_project

    export_project(project, older)
    from workbench.train.data import latest_export

    skipped: list[str] = []
    assert latest_export(project, skipped) == older
    assert skipped == [f"exports/{export.name}: an export of {kind} rows (for TRL's {trainer}); "
                       "workbench train trains sft rows"]


@pytest.mark.parametrize("row", [
    {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Go away."}], "kto_tag": False},
    {"conversations": [{"from": "human", "value": "Hi"}], "chosen": {"from": "gpt", "value": "Hello!"},
     "rejected": {"from": "gpt", "value": "Go away."}},
    {"instruction": "Hi", "input": "", "output": "Go away.", "kto_tag": False},
])
def test_rows_of_another_kind_are_never_trained_as_conversations(tmp_path, row):
    """A KTO row with an undesirable reply looks like a chat in sharegpt and alpaca: it must not
    be imitated, whatever report.json says."""
    with pytest.raises(WorkbenchError, match=r"train.jsonl: (kto|preference) rows .* TRL's (KTO|DPO)Trainer"):
        read_rows(tmp_path, [row])
