"""Generation on a tiny random Llama: left-padded batches answer like one prompt at a time,
holdout prompts keep their categories and references, replies are stored per model and settings,
a second run resumes, an interrupted one keeps its finished batches. The helpers here (a tiny
model with lively weights, a project with an export and a finished run) serve test_eval_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_jsonl
from test_train import make_project, make_tiny_model
from workbench.errors import Cancelled, ConfigError, WorkbenchError
from workbench.evaluate.generate import (GenerationSettings, Target, encode_prompts, generate, generate_batch,
                                         load_model)
from workbench.evaluate.prompts import general_prompts, select
from workbench.services.project import Project
from workbench.train.runs import Run

torch = pytest.importorskip("torch")

GENERAL = [
    {"question_id": 81, "category": "writing", "turns": ["Write a haiku about parcels.", "Now in French."]},
    {"question_id": 101, "category": "reasoning", "turns": ["You overtake the second runner. Your place?", "x"],
     "reference": ["Second place.", "Uncertain."]},
    {"question_id": 130, "category": "coding", "turns": ["Reverse a list in Python."]},
]


def make_lively_model(folder: Path) -> Path:
    """The tiny Llama of test_train with larger random weights, so greedy replies are varied text
    rather than one token repeated (a default-initialised tiny model only ever says newline)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (folder / "lively" / "config.json").exists():
        return folder / "lively"
    tiny = make_tiny_model(folder / "tiny")
    model = AutoModelForCausalLM.from_pretrained(tiny)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" not in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    model.save_pretrained(folder / "lively")
    AutoTokenizer.from_pretrained(tiny).save_pretrained(folder / "lively")
    return folder / "lively"


def make_run(project: Path, model: Path, run_id: str = "r1", seed: int = 1) -> Run:
    """A finished run with a random (non-zero) LoRA adapter on `model`, trained on the newest export."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.train.data import latest_export, load_export

    torch.manual_seed(seed)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(model),
                                LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                                           init_lora_weights=False, task_type="CAUSAL_LM"))
    run = Run.create(project, run_id, status="finished", base_model={"path": str(model), "label": model.name},
                     export=load_export(latest_export(project)).identity())
    peft_model.save_pretrained(run.adapter_dir)
    AutoTokenizer.from_pretrained(model).save_pretrained(run.adapter_dir)
    return run


@pytest.fixture(scope="session")
def lively_model(tmp_path_factory) -> Path:
    return make_lively_model(tmp_path_factory.mktemp("lively"))


@pytest.fixture
def eval_project(tmp_path, lively_model) -> Path:
    """A project (16 support chats, half held out, export without --with-meta) with one finished run 'r1'."""
    from test_train import support_rows

    from workbench.services.headless import export_project

    project = make_project(tmp_path, lively_model, rows=support_rows(16), export=False)
    config = project / "workbench.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("holdout = 0.15", "holdout = 0.5"), encoding="utf-8")
    export_project(project)
    make_run(project, lively_model)
    write_jsonl(tmp_path / "general.jsonl", GENERAL)
    return project


def run_generate(project: Path, **kwargs):
    settings = kwargs.pop("settings", GenerationSettings(max_new_tokens=6, batch_size=4))
    p = Project.open(project)
    try:
        return generate(p, kwargs.pop("runs", ["r1"]), kwargs.pop("base", True), settings=settings, threads=1,
                        general_file=project.parent / "general.jsonl", **kwargs), p.store.evals.generations()
    finally:
        p.close()


def test_left_padded_batches_answer_like_one_prompt_at_a_time(lively_model):
    model, tokenizer = load_model(Target("base", "base", str(lively_model), "lively"))
    assert tokenizer.padding_side == "left"
    prompts = [{"messages": [{"role": "user", "content": text}]} for text in
               ("Hi", "Where is my parcel?", "How do I reset my password? I tried twice already.",
                "Do you ship to Canada?")]
    encoded = encode_prompts(tokenizer, prompts)
    assert len({len(e) for e in encoded}) == 4  # different lengths: the batch needs padding
    settings = GenerationSettings(max_new_tokens=10)
    batched = generate_batch(model, tokenizer, encoded, settings)
    alone = [generate_batch(model, tokenizer, [e], settings)[0] for e in encoded]
    assert batched == alone
    assert len({text for text, _ in batched}) == 4 and all(text for text, _ in batched)


def test_seeded_sampling_repeats_with_the_seed(lively_model):
    model, tokenizer = load_model(Target("base", "base", str(lively_model), "lively"))
    encoded = encode_prompts(tokenizer, [{"messages": [{"role": "user", "content": "Where is my parcel?"}]}] * 3)

    def sample(seed):
        return generate_batch(model, tokenizer, encoded, GenerationSettings(max_new_tokens=12, do_sample=True,
                                                                            temperature=1.0, seed=seed), "k")

    assert sample(3) == sample(3) and sample(3) != sample(4)
    assert len({text for text, _ in sample(3)}) > 1  # sampling, not greedy: the same prompt varies


def test_generate_answers_holdout_and_general_prompts_with_both_models(eval_project):
    summary, rows = run_generate(eval_project)
    p = Project.open(eval_project)
    prompts = {x["prompt_id"]: x for x in p.store.evals.prompts()}
    holdout = [x for x in prompts.values() if x["source"] == "holdout"]
    export = max((eval_project / "exports").iterdir())
    held = [json.loads(line) for line in (export / "holdout.jsonl").read_text().splitlines()]
    assert "category" not in held[0]  # exported without --with-meta ...
    assert {x["category"] for x in holdout} == {"account", "billing", "shipping", "technical"}  # ... still known
    assert sorted(x["reference"] for x in holdout) == sorted(row["messages"][-1]["content"] for row in held)
    assert all(x["messages"][-1]["role"] == "user" for x in holdout)
    general = {x["prompt_id"]: x for x in prompts.values() if x["source"] == "general"}
    assert set(general) == {"mtbench-81", "mtbench-101", "mtbench-130"}
    assert general["mtbench-101"]["reference"] == "Second place." and general["mtbench-81"]["category"] == "general"
    assert general["mtbench-81"]["messages"] == [{"role": "user", "content": "Write a haiku about parcels."}]

    assert summary.prompts == len(prompts) == len(holdout) + 3
    assert summary.new == {"base": len(prompts), "run:r1": len(prompts)}
    assert {r["model"] for r in rows} == {"base", "run:r1"} and len(rows) == 2 * len(prompts)
    settings = json.loads(rows[0]["settings"])
    assert settings == {"max_new_tokens": 6, "do_sample": False, "temperature": None, "top_p": None, "seed": None,
                        "batch_size": 4}
    assert all(r["created_at"] and 0 < r["new_tokens"] <= 6 for r in rows)
    replies = {(r["prompt_id"], r["model"]): r["reply"] for r in rows}
    assert any(replies[(pid, "base")] != replies[(pid, "run:r1")] for pid in prompts)  # the adapter matters
    models = p.store.evals.models()
    assert models["base"]["kind"] == "base" and models["run:r1"]["kind"] == "adapter"
    assert models["run:r1"]["detail"]["adapter"].endswith("runs/r1/adapter")
    p.close()


def test_a_second_run_skips_what_is_stored_and_other_settings_answer_again(eval_project):
    first, _ = run_generate(eval_project, limit=5, general=False)
    assert first.new == {"base": 5, "run:r1": 5}
    again, rows = run_generate(eval_project, limit=5, general=False)
    assert again.new == {"base": 0, "run:r1": 0} and again.stored == {"base": 5, "run:r1": 5} and len(rows) == 10
    more, rows = run_generate(eval_project, limit=7, general=False)  # the same 5 plus 2
    assert more.new == {"base": 2, "run:r1": 2} and len(rows) == 14
    longer, rows = run_generate(eval_project, limit=5, general=False, runs=[], base=True,
                                settings=GenerationSettings(max_new_tokens=8, batch_size=4))
    assert longer.new == {"base": 5} and len(rows) == 19


def test_an_interrupted_run_keeps_finished_batches_and_resumes(eval_project):
    p = Project.open(eval_project)
    stop_after_first_batch = lambda: len(p.store.evals.generations()) >= 4  # noqa: E731
    with pytest.raises(Cancelled, match="run the same command again"):
        generate(p, [], True, general=False, settings=GenerationSettings(max_new_tokens=4, batch_size=4), threads=1,
                 should_stop=stop_after_first_batch)
    assert len(p.store.evals.generations()) == 4
    p.close()
    summary, rows = run_generate(eval_project, runs=[], general=False,
                                 settings=GenerationSettings(max_new_tokens=4, batch_size=4))
    assert summary.stored["base"] == 4 and summary.new["base"] == summary.prompts - 4
    assert len({r["prompt_id"] for r in rows}) == len(rows) == summary.prompts


def test_model_choices_that_cannot_work_are_clear_errors(eval_project, tmp_path):
    p = Project.open(eval_project)
    with pytest.raises(WorkbenchError, match="nothing to generate with: give --run"):
        generate(p, [], False)
    with pytest.raises(WorkbenchError, match=r"no run 'nope' \(recent runs: r1\)"):
        generate(p, ["nope"], True)
    Run.create(eval_project, "r2", status="failed")
    with pytest.raises(WorkbenchError, match=r"run r2 has no saved adapter \(status: failed\)"):
        generate(p, ["r2"], True)
    other = make_tiny_model(tmp_path / "other-base")
    make_run(eval_project, other, "r3")
    with pytest.raises(WorkbenchError, match="the runs were trained on different base models"):
        generate(p, ["r1", "r3"], False)
    generate(p, ["r1"], True, general=False, limit=1, settings=GenerationSettings(max_new_tokens=2), threads=1)
    with pytest.raises(WorkbenchError, match="'base' already has replies from lively"):
        generate(p, ["r3"], True)
    with pytest.raises(ConfigError, match="--batch-size must be at least 1"):
        generate(p, ["r1"], True, settings=GenerationSettings(batch_size=0))
    p.close()


def test_limit_takes_categories_in_turn_and_is_stable():
    prompts = [{"prompt_id": f"{c}{i}", "category": c} for c in "abc" for i in range(5)] + \
              [{"prompt_id": "g1", "category": "general"}]
    cut = select(prompts, limit=5)
    assert len(cut) == 5 and {x["category"] for x in cut} >= {"a", "b", "c", "general"}
    assert select(list(reversed(prompts)), limit=5) == cut
    per = select(prompts, per_category=2)
    assert sorted(x["category"] for x in per) == ["a", "a", "b", "b", "c", "c", "general"]
    with pytest.raises(WorkbenchError, match="--limit must be at least 1"):
        select(prompts, limit=0)


def test_a_bad_general_prompts_file_names_the_line(tmp_path):
    from workbench.errors import InputError

    file = tmp_path / "q.jsonl"
    file.write_text(json.dumps(GENERAL[0]) + "\n" + json.dumps({"question_id": 3}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.jsonl:2: expected MT-bench \"turns\""):
        general_prompts(file)


def test_the_packaged_mt_bench_questions_are_the_default():
    from workbench.evaluate.prompts import default_general_file

    prompts = general_prompts(default_general_file())
    # 39 questions have references; question 133's first-turn reference is empty, so 38 count.
    assert len(prompts) == 80 and sum(1 for x in prompts if x["reference"]) == 38
    assert all(x["messages"][0]["role"] == "user" and len(x["messages"]) == 1 for x in prompts)


@pytest.mark.slow
def test_smollm2_answers_a_support_question():
    from workbench.train.model import resolve_base_model

    base = resolve_base_model("")
    model, tokenizer = load_model(Target("base", "base", base.path, base.label))
    torch.set_num_threads(1)
    encoded = encode_prompts(tokenizer, [{"messages": [{"role": "user", "content": "What is the capital of France?"}]},
                                         {"messages": [{"role": "user", "content": "Say hello in one word."}]}])
    (first, n1), (second, n2) = generate_batch(model, tokenizer, encoded, GenerationSettings(max_new_tokens=24))
    assert "Paris" in first and 0 < n1 <= 24
    assert second and 0 < n2 <= 24


def _asking(text: str) -> dict:
    return {"prompt_id": text, "category": "x", "messages": [{"role": "user", "content": "Where is my parcel?"},
                                                              {"role": "assistant", "content": "On its way."},
                                                              {"role": "user", "content": text}]}


def test_closers_greetings_and_one_word_turns_are_left_out_and_named():
    from workbench.evaluate.prompts import leave_out_trivial

    prompts = [_asking(t) for t in ("Thank u! Have a good one.", "Makes sense now. Cheers.", "Hi there!", "Hmm.",
                                    "Thanks, but my parcel never arrived.", "Can you explain that in more detail?",
                                    "Cancel plus please", "Great, thank you! Appreciate the quick help.")]
    kept, left_out = leave_out_trivial(prompts)
    assert [p["prompt_id"] for p in kept] == ["Thanks, but my parcel never arrived.",
                                              "Can you explain that in more detail?", "Cancel plus please"]
    assert left_out.describe() == "3 closers, 1 greeting, 1 too short left out"
    assert left_out.examples["closer"] == "Thank u! Have a good one."
    everything, none = leave_out_trivial(prompts, keep=True)  # the setting keeps them
    assert everything == prompts and none.describe() == ""


def test_generate_leaves_trivial_prompts_out_unless_the_project_keeps_them(eval_project, tmp_path):
    write_jsonl(tmp_path / "general.jsonl", GENERAL + [{"prompt": "Thank u! Have a good one."}])
    summary, _ = run_generate(eval_project, runs=[], limit=None)
    assert summary.left_out.describe() == "1 closer left out"
    config = eval_project / "workbench.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[eval]\nkeep_trivial = true\n", encoding="utf-8")
    kept, _ = run_generate(eval_project, runs=[], limit=None)
    assert kept.left_out.total == 0 and kept.prompts == summary.prompts + 1


def test_generate_help_says_trivial_prompts_are_left_out():
    from click.testing import CliRunner

    from workbench.commands.evaluate import generate as generate_command

    text = CliRunner().invoke(generate_command, ["--help"], terminal_width=200).output
    assert "--keep-trivial" in text and "Thank u! Have a good one." in text and "keep_trivial" in text
