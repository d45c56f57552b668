"""A real consumer of the `trl` export shapes (docs/record-form.md): each file is loaded with
`datasets.load_dataset("json", ...)` and trained for two optimizer steps with TRL's SFTTrainer,
DPOTrainer or KTOTrainer on a tiny random Llama (CPU, one thread).

Each file is what `workbench export --format trl` writes for an input in one of the shapes it
reads (OpenAI tool calls, TRL preference and KTO rows): the rows below go in, the export's
train.jsonl comes out and is what TRL loads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_jsonl
from test_train import make_tiny_model

torch = pytest.importorskip("torch")
pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city now.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
ORDER = {"type": "function", "function": {
    "name": "find_order", "description": "An order by its number.",
    "parameters": {"type": "object", "properties": {"number": {"type": "integer"}, "email": {"type": "string"}},
                   "required": ["number"]}}}


def call(call_id: str, name: str, arguments: dict) -> dict:
    """A tool call in the openai/trl shape; `arguments` is the JSON text of the arguments object, as
    the canonical record holds it (see test_tool_call_arguments_* below for why)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


# -- the files: input rows, through a real export ---------------------------------------------------

def exported(path: Path, rows: list[dict]) -> Path:
    """`rows` imported and exported with --format trl (validate only, no holdout): the train file."""
    from workbench.commands import main

    src = write_jsonl(path.with_name(f"input-{path.name}"), rows)
    recipe = path.with_name("recipe.toml")
    recipe.write_text('[[steps]]\nname = "validate"\n\n[split]\nholdout = 0.0\n')
    out = path.with_name(f"export-{path.stem}")
    assert main(["export", "--input", str(src), "--recipe", str(recipe), "--out", str(out), "--format", "trl",
                 "-q"]) in (0, None)
    assert (out / "removed.jsonl").read_text() == ""  # every row written
    return out / "train.jsonl"


def write_sft_tools(path: Path) -> Path:
    """sft: {"messages", "tools"}; tools as JSON text, call-only turns with content null."""
    rows = []
    for i, city in enumerate(["Paris", "Rome", "Oslo", "Lima"]):
        rows.append({"messages": [
            {"role": "system", "content": "You are a travel assistant."},
            {"role": "user", "content": f"What is the weather in {city}?"},
            {"role": "assistant", "content": None, "tool_calls": [call(f"c{i}", "get_weather", {"city": city})]},
            {"role": "tool", "tool_call_id": f"c{i}", "name": "get_weather", "content": f'{{"celsius": {10 + i}}}'},
            {"role": "assistant", "content": f"It is {10 + i} degrees in {city}."}],
            "tools": json.dumps([WEATHER])})
    # Another tool with other argument names and types, and a plain chat without tools.
    rows.append({"messages": [
        {"role": "user", "content": "Where is order 1042?"},
        {"role": "assistant", "content": "Let me look.", "tool_calls": [call("o1", "find_order", {"number": 1042})]},
        {"role": "tool", "tool_call_id": "o1", "content": '{"status": "shipped"}'},
        {"role": "assistant", "content": "Order 1042 has shipped."}], "tools": json.dumps([WEATHER, ORDER])})
    rows.append({"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there!"}],
                 "tools": None})
    return exported(path, rows)


def write_preference(path: Path) -> Path:
    """preference: {"prompt", "chosen", "rejected"} (+ tools), conversational."""
    rows = []
    for i, city in enumerate(["Paris", "Rome", "Oslo", "Lima"]):
        rows.append({
            "prompt": [{"role": "user", "content": f"Weather in {city}?"},
                       {"role": "assistant", "content": None,
                        "tool_calls": [call(f"p{i}", "get_weather", {"city": city})]},
                       {"role": "tool", "tool_call_id": f"p{i}", "content": f'{{"celsius": {10 + i}}}'}],
            "chosen": [{"role": "assistant", "content": f"It is {10 + i} degrees in {city}."}],
            "rejected": [{"role": "assistant", "content": "I cannot know that."}],
            "tools": json.dumps([WEATHER])})
    return exported(path, rows)


def write_kto(path: Path) -> Path:
    """kto: {"prompt", "completion", "label"}, conversational."""
    rows = []
    for i, (question, good, bad) in enumerate([
            ("How do I reset my password?", "Open Settings, then Account.", "No idea."),
            ("Do you ship to Canada?", "Yes, in 5 to 8 business days.", "Ask someone else.")]):
        prompt = [{"role": "user", "content": question}]
        rows.append({"prompt": prompt, "completion": [{"role": "assistant", "content": good}], "label": True})
        rows.append({"prompt": prompt, "completion": [{"role": "assistant", "content": bad}], "label": False})
    return exported(path, rows)


# -- training ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    datasets.disable_progress_bars()
    folder = make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")
    return folder, AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM


def common_args(tmp_path: Path) -> dict:
    return dict(output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=2,
                gradient_accumulation_steps=1, learning_rate=1e-3, logging_steps=1, save_strategy="no",
                report_to="none", use_cpu=True, dataloader_num_workers=0, disable_tqdm=True, seed=0)


def load(path: Path):
    """The file as TRL users load it (its Arrow cache beside it, not in the user's cache)."""
    return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(path.parent / ".hf"))


def two_steps(trainer) -> list[float]:
    result = trainer.train()
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    assert result.global_step == 2 and len(losses) == 2
    assert all(loss == loss and loss > 0 for loss in losses)  # finite, not NaN
    return losses


def test_sft_trainer_trains_on_tool_calls_and_sees_the_tools(tiny, tmp_path):
    from trl import SFTConfig, SFTTrainer

    folder, tokenizer, auto = tiny
    dataset = load(write_sft_tools(tmp_path / "train.jsonl"))
    trainer = SFTTrainer(model=auto.from_pretrained(folder, dtype=torch.float32), processing_class=tokenizer,
                         train_dataset=dataset, args=SFTConfig(max_length=1024, **common_args(tmp_path)))
    # What TRL fed the model: the tools column (JSON text) reached the template, and the calls and
    # results are in the text, arguments as JSON.
    first = tokenizer.decode(trainer.train_dataset[0]["input_ids"])
    assert "<tools>\n" + json.dumps(WEATHER) in first
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in first
    assert '<tool_response>\n{"celsius": 10}\n</tool_response>' in first
    mixed = tokenizer.decode(trainer.train_dataset[4]["input_ids"])
    assert 'Let me look.\n<tool_call>\n{"name": "find_order", "arguments": {"number": 1042}}' in mixed
    assert "<tools>" not in tokenizer.decode(trainer.train_dataset[5]["input_ids"])  # tools: null
    two_steps(trainer)


def test_dpo_trainer_trains_on_the_preference_shape(tiny, tmp_path):
    from trl import DPOConfig, DPOTrainer

    folder, tokenizer, auto = tiny
    dataset = load(write_preference(tmp_path / "train.jsonl"))
    trainer = DPOTrainer(model=auto.from_pretrained(folder, dtype=torch.float32), processing_class=tokenizer,
                         train_dataset=dataset, args=DPOConfig(max_length=1024, **common_args(tmp_path)))
    prompt = tokenizer.decode(trainer.train_dataset[0]["prompt_ids"])
    assert "<tools>" in prompt and '"arguments": {"city": "Paris"}' in prompt and "<tool_response>" in prompt
    two_steps(trainer)


def test_kto_trainer_trains_on_the_kto_shape(tiny, tmp_path):
    from trl import KTOConfig, KTOTrainer

    folder, tokenizer, auto = tiny
    dataset = load(write_kto(tmp_path / "train.jsonl"))
    trainer = KTOTrainer(model=auto.from_pretrained(folder, dtype=torch.float32), processing_class=tokenizer,
                         train_dataset=dataset, args=KTOConfig(max_length=1024, **common_args(tmp_path)))
    two_steps(trainer)


# -- what the shapes must hold for TRL (no training) --------------------------------------------------

@pytest.mark.parametrize("tools_as_text", [True, False])
def test_tools_reach_the_template_as_json_text_or_as_a_list(tiny, tmp_path, tools_as_text):
    """TRL json-loads a `tools` column that holds text and passes a list as it is: both render."""
    from trl import SFTConfig, SFTTrainer

    folder, tokenizer, auto = tiny
    rows = [{"messages": [{"role": "user", "content": "Weather in Paris?"},
                          {"role": "assistant", "content": None,
                           "tool_calls": [call("c", "get_weather", {"city": "Paris"})]}],
             "tools": json.dumps([WEATHER]) if tools_as_text else [WEATHER]},
            {"messages": [{"role": "user", "content": "Order 7?"},
                          {"role": "assistant", "content": None,
                           "tool_calls": [call("d", "find_order", {"number": 7})]}],
             "tools": json.dumps([ORDER]) if tools_as_text else [ORDER]}]
    dataset = load(write_jsonl(tmp_path / "train.jsonl", rows))
    trainer = SFTTrainer(model=auto.from_pretrained(folder, dtype=torch.float32), processing_class=tokenizer,
                         train_dataset=dataset, args=SFTConfig(max_length=1024, **common_args(tmp_path)))
    texts = [tokenizer.decode(row["input_ids"]) for row in trainer.train_dataset]
    # Each row's own schema, exactly: no field of the other row's schema added as null.
    assert "\n" + json.dumps(WEATHER) + "\n</tools>" in texts[0]
    assert "\n" + json.dumps(ORDER) + "\n</tools>" in texts[1] and "null" not in texts[1]


def test_tool_call_arguments_as_text_are_passed_to_the_template_unparsed(tiny, tmp_path):
    """TRL and transformers hand `arguments` to the chat template as they are in the file. A
    template that knows the OpenAI form (Qwen3's, workbench's ChatML fallback) writes JSON text as
    it is; one that always applies `tojson` (Qwen2.5's, Llama 3.1's) writes it as a quoted string.
    An object renders as JSON in both, and survives load_dataset across rows of different tools."""
    from importlib.resources import files

    folder, tokenizer, _ = tiny
    text_args = [{"role": "user", "content": "Weather?"},
                 {"role": "assistant", "content": None, "tool_calls": [call("c", "get_weather", {"city": "Paris"})]}]
    object_args = [text_args[0], {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}]
    qwen25 = (files("trl") / "chat_templates" / "qwen2_5.jinja").read_text(encoding="utf-8")
    for template, as_text in [(None, '"arguments": {"city": "Paris"}'),
                              (qwen25, '"arguments": "{\\"city\\": \\"Paris\\"}"')]:
        kwargs = {"tokenize": False, "tools": [WEATHER], **({"chat_template": template} if template else {})}
        assert as_text in tokenizer.apply_chat_template(text_args, **kwargs)
        assert '"arguments": {"city": "Paris"}' in tokenizer.apply_chat_template(object_args, **kwargs)
    # Objects of different tools in one file: datasets keeps each row's own keys and types.
    rows = [{"messages": object_args},
            {"messages": [text_args[0], {"role": "assistant", "content": None, "tool_calls": [
                {"id": "d", "type": "function", "function": {"name": "find_order",
                                                             "arguments": {"number": 7, "email": None}}}]}]},
            {"messages": [text_args[0], {"role": "assistant", "content": None, "tool_calls": [
                {"id": "e", "type": "function", "function": {"name": "get_weather", "arguments": {"city": 3}}}]}]}]
    loaded = load(write_jsonl(tmp_path / "mixed.jsonl", rows))
    assert [r["messages"][1]["tool_calls"][0]["function"]["arguments"] for r in loaded] == \
        [{"city": "Paris"}, {"number": 7, "email": None}, {"city": 3}]
