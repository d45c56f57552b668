"""Turn weights (issue 14): an assistant turn with `"weight": 0` (OpenAI fine-tuning's way to keep
a turn as context without training on it) is imported as such, survives the recipe, is exported
with its weight, and is left out of the loss by the trainer."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write_jsonl
from tests.test_train import make_tiny_model
from workbench.commands import main
from workbench.io import read_input

WEIGHTED = {"messages": [
    {"role": "user", "content": "Where is my parcel?"},
    {"role": "assistant", "content": "No idea, sorry.", "weight": 0},
    {"role": "user", "content": "Please check again."},
    {"role": "assistant", "content": "It arrives on Tuesday.", "weight": 1}]}
PLAIN = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}


def test_weights_are_imported_on_their_turns_and_not_kept_in_meta(tmp_path):
    result = read_input(write_jsonl(tmp_path / "in.jsonl", [WEIGHTED, PLAIN]))
    assert result.quarantine == []
    weighted, plain = result.records.to_dicts()
    assert [m["weight"] for m in weighted["messages"]] == [None, 0, None, 1]
    assert [m["weight"] for m in plain["messages"]] == [None, None]
    assert weighted["meta"] == "{}"


def test_a_weight_that_is_not_0_or_1_or_not_on_an_assistant_turn_is_a_row_problem(tmp_path):
    rows = [PLAIN,
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey", "weight": 2}]},
            {"messages": [{"role": "user", "content": "Hi", "weight": 0}, {"role": "assistant", "content": "Hey"}]},
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey", "weight": "0"}]}]
    result = read_input(write_jsonl(tmp_path / "in.jsonl", rows))
    reasons = {q["line"]: q["reason"] for q in result.quarantine}
    assert "messages[1].weight is 2; expected 0 or 1" in reasons[2]
    assert "messages[0].weight: only assistant turns have a weight" in reasons[3]
    assert "messages[1].weight is a string; expected 0 or 1" in reasons[4]


def test_weights_survive_the_recipe_and_are_exported(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [WEIGHTED, PLAIN])
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[[steps]]\nname = "validate"\n[[steps]]\nname = "pii"\nspacy_model = "none"\n'
                      "[split]\nholdout = 0\n", encoding="utf-8")
    for fmt in ("openai", "parquet"):
        assert main(["export", "--input", str(src), "--recipe", str(recipe), "--out", str(tmp_path / fmt),
                     "--format", fmt, "-q"]) == 0, capsys.readouterr().err
    rows = [json.loads(line) for line in (tmp_path / "openai" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == [WEIGHTED, PLAIN]  # a weight where the input had one, nowhere else
    import polars as pl

    turns = pl.read_parquet(tmp_path / "parquet" / "train.parquet")["messages"].to_list()
    assert [m["weight"] for m in turns[0]] == [None, 0, None, 1]
    report = json.loads((tmp_path / "openai" / "report.json").read_text(encoding="utf-8"))
    assert report["turn_weights"] == {"rows": 1, "written": True}


def test_a_format_that_cannot_hold_weights_says_so(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [WEIGHTED, PLAIN])
    assert main(["export", "--input", str(src), "--out", str(tmp_path / "sg"), "--format", "sharegpt", "-q"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "1 rows weight their turns, which the sharegpt format cannot hold" in err
    card = " ".join((tmp_path / "sg" / "DATA_CARD.md").read_text(encoding="utf-8").split())
    assert "**the `sharegpt` format cannot hold them**" in card
    # Without weights, nothing is said and the report has no such entry.
    assert main(["export", "--input", str(write_jsonl(tmp_path / "plain.jsonl", [PLAIN] * 3)), "--out",
                 str(tmp_path / "plain"), "-q"]) == 0
    assert "turn_weights" not in json.loads((tmp_path / "plain" / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


def test_the_trainer_leaves_a_weight_0_turn_out_of_the_loss(tiny_model, tmp_path):
    from workbench.train.data import _read_split, encode_all
    from workbench.train.model import load_tokenizer

    path = write_jsonl(tmp_path / "train.jsonl", [WEIGHTED])
    (messages,) = _read_split(path, path.read_bytes(), {})
    tokenizer, _ = load_tokenizer(str(tiny_model))
    (encoded,), stats = encode_all(tokenizer, [messages], 512)
    trained = tokenizer.decode([i for i, label in zip(encoded.input_ids, encoded.labels) if label != -100])
    assert trained == "It arrives on Tuesday.<|im_end|>"
    everything = tokenizer.decode(encoded.input_ids)
    assert "No idea, sorry." in everything  # still there, as context
