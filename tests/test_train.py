"""Local training on a tiny randomly initialised Llama: masks, packing, a whole run, cancel and resume,
bad settings. The helpers here (a tiny model folder, a project with an export) serve the other
training tests too."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from workbench.errors import Cancelled, ConfigError, WorkbenchError
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.services.train_run import TrainRequest, train
from workbench.train.config import build_config, config_from_record
from workbench.train.runs import Run, list_runs

torch = pytest.importorskip("torch")

TOPICS = [
    ("How do I reset my password?", "Open Settings, then Account, then Reset password.", "account"),
    ("My invoice shows a double charge.", "I have refunded the second charge; it shows in 3 days.", "billing"),
    ("Where is my parcel?", "It left our warehouse yesterday; tracking is in your email.", "shipping"),
    ("Can I pay by bank transfer?", "Yes, choose Bank transfer at checkout.", "billing"),
    ("Do you ship to Canada?", "Yes, in 5 to 8 business days.", "shipping"),
    ("The app crashes when I open it.", "Update to version 4.2; that fixes the crash.", "technical"),
    ("How do I change my email?", "Open Settings, then Account, then Email.", "account"),
    ("Is the thermostat compatible with heat pumps?", "Yes, the Tempo 3 supports heat pumps.", "technical"),
]


def support_rows(n: int = 32) -> list[dict]:
    """n distinct chats (some with a system prompt, some with two turns) over the topics above."""
    rows = []
    for i in range(n):
        q, a, cat = TOPICS[i % len(TOPICS)]
        name = ["Ana", "Ben", "Chen", "Dora"][i // len(TOPICS) % 4]
        messages = chat(f"{q} ({name}, order {1000 + i})", f"Hi {name}. {a}",
                        system="You are Quillfield support." if i % 3 == 0 else None)
        if i % 4 == 1:
            messages += [{"role": "user", "content": "Thanks, anything else?"},
                         {"role": "assistant", "content": f"No, {name}, that is all."}]
        rows.append({"messages": messages, "category": cat})
    return rows


def make_tiny_model(folder: Path, texts: list[str] | None = None) -> Path:
    """A 2-layer Llama with random weights and a small byte-level BPE tokenizer (ChatML template)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from workbench.train.model import FALLBACK_CHAT_TEMPLATE

    if (folder / "config.json").exists():
        return folder
    texts = texts or [m["content"] for row in support_rows() for m in row["messages"]]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        bos_token="<|im_start|>")
    tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


TINY_SETTINGS = {"max_steps": 4, "batch_size": 2, "grad_accum": 2, "learning_rate": 0.01, "warmup": 0,
                 "max_seq_len": 256, "eval_every": 2, "threads": 1, "save_every": 2}


def make_project(root: Path, model: Path, rows: list[dict] | None = None, settings: dict | None = None,
                 export: bool = True) -> Path:
    """A project whose workbench.toml [train] names `model`, with one export."""
    import tomli_w

    path = root / "proj"
    src = write_jsonl(root / "chats.jsonl", rows if rows is not None else support_rows())
    Project.create(path, inputs=[src]).close()
    table = {"base_model": str(model), **TINY_SETTINGS, **(settings or {})}
    with open(path / "workbench.toml", "a", encoding="utf-8") as f:
        f.write("\n[train]\n" + tomli_w.dumps(table))
    if export:
        export_project(path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture
def project(tmp_path, tiny_model) -> Path:
    return make_project(tmp_path, tiny_model)


# -- the loss mask and packing --------------------------------------------------------------------

def test_loss_mask_covers_exactly_the_assistant_replies(tiny_model):
    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer

    tokenizer, _ = load_tokenizer(str(tiny_model))
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "How do I reset my password?"},
                {"role": "assistant", "content": "Open Settings."},
                {"role": "user", "content": "Thanks!"},
                {"role": "assistant", "content": "You are welcome."}]
    (encoded,), stats = encode_all(tokenizer, [messages], 512)
    trained = [i for i, label in zip(encoded.input_ids, encoded.labels) if label != -100]
    assert tokenizer.decode(trained) == "Open Settings.<|im_end|>You are welcome.<|im_end|>"
    # Everything else -- system prompt, user turns, role headers -- is masked out.
    prompt = tokenizer.decode([i for i, label in zip(encoded.input_ids, encoded.labels) if label == -100])
    assert "Be brief." in prompt and "How do I reset my password?" in prompt and "Thanks!" in prompt
    assert "Open Settings" not in prompt
    assert stats.trained_tokens == len(trained)


def test_rows_whose_prompt_does_not_fit_are_left_out_and_counted(tiny_model):
    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer

    tokenizer, _ = load_tokenizer(str(tiny_model))
    short = chat("Hi", "Hello!")
    long = chat("Where is my parcel? " * 40, "On its way.")
    encoded, stats = encode_all(tokenizer, [short, long], 64)
    assert len(encoded) == 1 and stats.prompt_too_long == 1
    with pytest.raises(ConfigError, match=r"max_seq_len = 64 is below the prompt length of every train row"):
        encode_all(tokenizer, [long], 64)


def test_packing_fills_bins_without_splitting_a_conversation():
    from workbench.train.batches import pack

    lengths = [300, 200, 120, 500, 80, 40, 700, 10]
    bins = pack(lengths, 1024)
    assert sorted(i for b in bins for i in b) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in b) <= 1024 for b in bins)
    assert len(bins) == 2  # 1950 tokens fit in two bins of 1024


def test_a_packed_conversation_gives_the_same_logits_as_alone(tiny_model):
    """Packed neighbours must be invisible: the block-diagonal mask built from the position ids."""
    from transformers import AutoModelForCausalLM

    from workbench.train.batches import Batch, collate
    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer

    tokenizer, _ = load_tokenizer(str(tiny_model))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32).eval()
    rows = [r["messages"] for r in support_rows(3)]
    examples, _ = encode_all(tokenizer, rows, 256)
    packed = collate(Batch([[0, 1, 2]], packed=True), examples, tokenizer.pad_token_id)
    alone = collate(Batch([[1]], packed=False), examples, tokenizer.pad_token_id)
    with torch.no_grad():
        packed_logits = model(**{k: v for k, v in packed.items() if k != "labels"}, use_cache=False).logits
        alone_logits = model(**{k: v for k, v in alone.items() if k != "labels"}).logits
    start = len(examples[0])
    middle = packed_logits[0, start:start + len(examples[1])]
    assert torch.allclose(middle, alone_logits[0], atol=1e-5)
    assert packed["position_ids"][0, start].item() == 0  # positions restart at each conversation


# -- a whole run ------------------------------------------------------------------------------------

def test_train_saves_an_adapter_that_reloads_and_generates(project):
    rows: list[dict] = []
    run = train(TrainRequest(project, {}), on_row=rows.append)
    record = run.read()
    assert record["status"] == "finished"
    assert record["mode"] == "LoRA fp32" and record["device"] == "CPU, 1 thread"
    assert record["export"]["snapshot"] and record["export"]["report_sha256"]
    assert record["export"]["folder"] == str(max((project / "exports").iterdir()))
    assert set(record["lora"]["modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                              "down_proj"}
    assert record["versions"]["torch"].startswith("2.") and "peft" in record["versions"]
    # Metrics: the base model's holdout loss, then one row per step with the holdout every 2 steps.
    on_disk = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    assert on_disk == rows
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["step"] for r in rows if "holdout_loss" in r] == [0, 2, 4]
    assert all(r["total"] == 4 and r["tokens_per_s"] > 0 and r["remaining"] >= 0 for r in rows[1:])
    assert rows[-1]["remaining"] == 0
    assert rows[-1]["holdout_loss"] < rows[0]["holdout_loss"]  # it learned something
    result = record["result"]
    assert result["best_holdout_loss"] == min(r["holdout_loss"] for r in rows if "holdout_loss" in r)

    from workbench.train.model import load_adapter

    model, tokenizer = load_adapter(run.adapter_dir)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Where is my parcel?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**prompt, max_new_tokens=5, do_sample=False)
    assert out.shape[1] == prompt["input_ids"].shape[1] + 5
    # The reloaded adapter is the trained one: its holdout loss matches the run's last evaluation.
    assert model.peft_config["default"].r == 16


def test_flags_override_workbench_toml(project):
    run = train(TrainRequest(project, {"max_steps": 2, "r": 4, "packing": True}))
    config = run.read()["config"]
    assert (config["max_steps"], config["r"], config["packing"], config["batch_size"]) == (2, 4, True, 2)
    assert [json.loads(line)["step"] for line in run.metrics_file.read_text().splitlines()][-1] == 2


def test_cancel_then_resume_ends_where_an_uninterrupted_run_ends(project):
    straight = train(TrainRequest(project, {"early_stopping_patience": 0}))

    def cancel_after_step_2(row):
        if row["step"] == 2:
            (list_runs(project)[-1]).request_cancel()

    with pytest.raises(Cancelled, match="--resume"):
        train(TrainRequest(project, {"early_stopping_patience": 0}), on_row=cancel_after_step_2)
    interrupted = list_runs(project)[-1]
    assert interrupted.status() == "cancelled" and interrupted.checkpoint_file.exists()
    assert not interrupted.cancel_file.exists()

    resumed_rows: list[dict] = []
    train(TrainRequest(project, {}, resume=interrupted.id), on_row=resumed_rows.append)
    assert interrupted.status() == "finished"
    assert [r["step"] for r in resumed_rows] == [3, 4]
    a = [json.loads(x) for x in straight.metrics_file.read_text().splitlines()]
    b = [json.loads(x) for x in interrupted.metrics_file.read_text().splitlines()]
    assert [r["step"] for r in b] == [0, 1, 2, 3, 4]
    for ra, rb in zip(a, b):
        assert rb.get("loss") == pytest.approx(ra.get("loss"), rel=1e-4, abs=1e-6)
        assert rb.get("holdout_loss") == pytest.approx(ra.get("holdout_loss"), rel=1e-4, abs=1e-6)


def test_resume_refuses_settings_the_checkpoint_cannot_take():
    saved = build_config({}, {"r": 8}).to_dict()
    assert config_from_record(saved, {"max_steps": 10}).max_steps == 10
    with pytest.raises(ConfigError, match="--r: a resumed run keeps the settings"):
        config_from_record(saved, {"r": 16})


# -- bad settings end with a clear message and a failed record ---------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"r": 0}, r"--r: must be at least 1, got 0"),
    ({"base_model": "/no/such/model"}, r"base_model = '/no/such/model': no such file or folder"),
    ({"max_seq_len": 20}, r"max_seq_len = 20 is below the prompt length of every train row"),
    ({"mode": "qlora"}, r"mode = 'qlora' needs a CUDA GPU"),
    ({"target_modules": "q_proj,attn_c"}, r"target_modules: the model has no attn_c"),
])
def test_bad_settings_fail_the_run_with_a_clear_message(project, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(TrainRequest(project, overrides))
    record = list_runs(project)[-1].read()
    assert record["status"] == "failed"
    assert record["error"] and "Traceback" not in record["error"]


def test_an_export_without_train_rows_fails_clearly(tmp_path, tiny_model):
    project = make_project(tmp_path, tiny_model)
    export = max((project / "exports").iterdir())
    (export / "train.jsonl").write_text("", encoding="utf-8")
    report = json.loads((export / "report.json").read_text())  # as an export of no train rows says it
    report["files"]["train.jsonl"] = {"sha256": hashlib.sha256(b"").hexdigest(), "rows": 0}
    (export / "report.json").write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(WorkbenchError, match="no train rows to train on"):
        train(TrainRequest(project, {}))
    assert list_runs(project)[-1].read()["status"] == "failed"


def test_no_export_yet_says_how_to_make_one(tmp_path, tiny_model):
    project = make_project(tmp_path, tiny_model, export=False)
    with pytest.raises(WorkbenchError, match="no export to train on yet; run `workbench export"):
        train(TrainRequest(project, {}))


def test_out_of_memory_becomes_advice(project, monkeypatch):
    from workbench.train import loop

    def no_memory(self):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(loop.Loop, "train_step", no_memory)
    with pytest.raises(WorkbenchError, match=r"out of memory \(batch_size = 2, max_seq_len = 256"):
        train(TrainRequest(project, {}))
    assert "lower batch_size" in list_runs(project)[-1].read()["error"]


def test_unknown_setting_in_workbench_toml_suggests_the_right_name():
    with pytest.raises(ConfigError, match=r"unknown setting 'lr'; did you mean"):
        build_config({"lr": 1e-4})
    with pytest.raises(ConfigError, match=r"workbench.toml \[train\] packing: should be true or false"):
        build_config({"packing": "sometimes"})


# -- the command line ------------------------------------------------------------------------------

def test_cli_trains_and_lists_runs(project, capsys):
    from workbench.commands.train import main, runs

    assert main([str(project), "--max-steps", "2", "-q"]) == 0
    err = capsys.readouterr().err
    assert "finished after 2 steps" in err and "adapter:" in err
    from click.testing import CliRunner

    listing = CliRunner().invoke(runs, [str(project)])
    assert listing.exit_code == 0, listing.output
    assert "finished" in listing.output and "LoRA fp32" in listing.output and "2/2" in listing.output


def test_cli_reports_bad_flags_without_a_traceback(project, capsys):
    from workbench.commands.train import main

    assert main([str(project), "--r", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "--r: must be at least 1" in err and "Traceback" not in err


def test_importing_the_train_command_loads_no_model_libraries():
    code = ("import workbench.commands.train, workbench.train.runs, workbench.train.config, sys, json\n"
            "print(json.dumps([m for m in ('torch', 'transformers', 'peft', 'textual') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_latest_export_is_the_newest(tmp_path, tiny_model):
    from workbench.train.data import latest_export

    project = make_project(tmp_path, tiny_model)
    first = latest_export(project)
    second = export_project(project, project / "exports" / "zz-later").out_dir
    assert latest_export(project) == second != first
    # An export that failed its leak check is never trained on by default; one kept with
    # --allow-leaks is the user's choice.
    report_file = second / "report.json"
    report = json.loads(report_file.read_text())
    report_file.write_text(json.dumps({**report, "leak_check": {"leaked": True, "allowed": False}}))
    assert latest_export(project) == first
    report_file.write_text(json.dumps({**report, "leak_check": {"leaked": True, "allowed": True}}))
    assert latest_export(project) == second


def test_a_run_whose_process_died_shows_as_interrupted(tmp_path):
    run = Run.create(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run.update(status="running", pid=proc.pid)
    assert run.status() == "interrupted"
    run.update(pid=os.getpid())
    assert run.status() == "running"


def test_the_loss_on_kept_logits_equals_the_models_own_loss(tiny_model):
    """Projecting only the trained positions onto the vocabulary changes nothing but the cost."""
    from transformers import AutoModelForCausalLM

    from workbench.train.batches import Batch, collate
    from workbench.train.data import encode_all
    from workbench.train.loop import assistant_loss
    from workbench.train.model import load_tokenizer

    tokenizer, _ = load_tokenizer(str(tiny_model))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32).eval()
    examples, _ = encode_all(tokenizer, [r["messages"] for r in support_rows(4)], 256)
    for batch in (Batch([[0], [1], [2]], packed=False), Batch([[0, 1], [2, 3]], packed=True)):
        tensors = collate(batch, examples, tokenizer.pad_token_id)
        n = int((tensors["labels"] != -100).sum())
        with torch.no_grad():
            ours = assistant_loss(model, tensors, n)
            theirs = model(**tensors, use_cache=False).loss  # the mean over the same targets
        assert not getattr(model, "_workbench_full_logits", False)
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)


def test_merge_writes_a_model_that_answers_like_base_plus_adapter(project):
    from transformers import AutoModelForCausalLM

    from workbench.train.model import load_adapter

    run = train(TrainRequest(project, {"max_steps": 2, "merge": True}))
    merged_dir = Path(run.read()["result"]["merged"])
    assert merged_dir == run.folder / "merged" and (merged_dir / "tokenizer.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
    adapted, tokenizer = load_adapter(run.adapter_dir)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "Do you ship to Canada?"}],
                                        add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        assert torch.allclose(merged(**ids).logits, adapted(**ids).logits, atol=1e-4)


def test_cuda_with_bitsandbytes_means_qlora_and_cpu_means_lora_fp32(monkeypatch):
    """The decision table of device and mode (the CUDA path itself needs a GPU to run)."""
    import importlib.util

    from workbench.train import model as model_module
    from workbench.train.config import TrainConfig

    cpu = model_module.plan_device(TrainConfig(device="cpu", threads=1))
    assert (cpu.mode, cpu.compute_dtype, cpu.label, cpu.device_label) == ("lora", "float32", "LoRA fp32",
                                                                          "CPU, 1 thread")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Test GPU")
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "bitsandbytes" else real_find_spec(name, *a))
    gpu = model_module.plan_device(TrainConfig())
    assert (gpu.device, gpu.mode, gpu.compute_dtype, gpu.gradient_checkpointing) == ("cuda", "qlora", "bfloat16", True)
    assert gpu.label == "QLoRA 4-bit NF4 (double quant), bf16 compute" and gpu.device_label == "cuda:0 Test GPU"
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "bitsandbytes" else real_find_spec(name, *a))
    assert model_module.plan_device(TrainConfig()).label == "LoRA, bf16 autocast"
    with pytest.raises(ConfigError, match="needs bitsandbytes"):
        model_module.plan_device(TrainConfig(mode="qlora"))


def test_a_run_folder_is_private_to_the_user(project):
    """Checkpoint, adapter and merged model, like the rest of the project: folders 0700, files 0600."""
    old = os.umask(0o022)
    try:
        run = train(TrainRequest(project, {"max_steps": 3, "save_every": 1, "merge": True}))
    finally:
        os.umask(old)
    assert run.checkpoint_file.exists() and (run.adapter_dir / "adapter_config.json").exists()
    assert (run.folder / "merged").is_dir()
    wrong = {}
    for folder, dirs, files in os.walk(project / "runs"):
        for path in [Path(folder)] + [Path(folder) / f for f in files]:
            want = 0o700 if path.is_dir() else 0o600
            if (path.stat().st_mode & 0o777) != want:
                wrong[str(path.relative_to(project))] = oct(path.stat().st_mode & 0o777)
    assert not wrong
