"""Replies from the base model and trained adapters to the evaluation prompts.

Prompts are sorted by length and answered in batches with left padding (a decoder-only model
continues from the right edge, so the padding must be on the left). Each finished batch is
committed to the store at once, keyed by (prompt, model, settings): a second run with the same
settings skips what is there, and Ctrl-C loses at most the batch in flight.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import Cancelled, ConfigError, WorkbenchError
from .project import EvalProject
from .prompts import LeftOut

Echo = Callable[[str], None]
Progress = Callable[[str, int, int], None]
TokenProgress = Callable[[str, int, int], None]  # (model, tokens of the batch in flight, max_new_tokens)

BASE = "base"


@dataclass(frozen=True)
class GenerationSettings:
    """How replies are produced. Greedy by default; sampling is seeded."""

    max_new_tokens: int = 256
    do_sample: bool = False
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int = 0
    batch_size: int = 16

    def check(self) -> None:
        if self.max_new_tokens < 1:
            raise ConfigError(f"--max-new-tokens must be at least 1, got {self.max_new_tokens}")
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.do_sample and not self.temperature > 0:
            raise ConfigError(f"--temperature must be above 0 when sampling, got {self.temperature}")
        if self.do_sample and not 0 < self.top_p <= 1:
            raise ConfigError(f"--top-p must be in (0, 1], got {self.top_p}")

    def key(self) -> str:
        """The canonical JSON stored with each reply. Greedy replies ignore the sampling knobs, so
        they are left out (null) and do not split greedy replies into different sets."""
        data = asdict(self)
        if not self.do_sample:
            data.update(temperature=None, top_p=None, seed=None)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


@dataclass
class Target:
    """A model to answer with: the base, or the base with a run's adapter."""

    model: str  # "base" or "run:<id>"
    kind: str  # "base" | "adapter"
    base_path: str
    base_label: str
    adapter_dir: Path | None = None
    export: dict[str, Any] = field(default_factory=dict)  # the run's export identity (adapters)

    def detail(self) -> dict[str, Any]:
        d: dict[str, Any] = {"base_label": self.base_label, "base_path": self.base_path}
        if self.adapter_dir is not None:
            d.update(run=self.model.removeprefix("run:"), adapter=str(self.adapter_dir),
                     export=self.export.get("folder"), snapshot=self.export.get("snapshot"))
        return d


@dataclass
class GenerateSummary:
    prompts: int = 0
    new: dict[str, int] = field(default_factory=dict)  # model -> replies made now
    stored: dict[str, int] = field(default_factory=dict)  # model -> replies already there
    too_long: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    left_out: LeftOut = field(default_factory=LeftOut)  # prompts too trivial to judge


# -- which models -------------------------------------------------------------------------------------

def resolve_targets(project: EvalProject, runs: Sequence[str], base: bool, echo: Echo | None = None) -> list[Target]:
    """The base model and each run's adapter. The runs must share one base model; with no run,
    the base is the project's [train] base_model."""
    from ..train.runs import Run

    if not runs and not base:
        raise WorkbenchError("nothing to generate with: give --run RUN_ID (repeatable) and/or --base")
    targets: list[Target] = []
    bases: dict[str, list[str]] = {}
    for run_id in dict.fromkeys(runs):
        run = Run.open(project.path, run_id)
        record = run.read()
        if not (run.adapter_dir / "adapter_config.json").is_file():
            raise WorkbenchError(f"run {run_id} has no saved adapter (status: {run.status(record)}); "
                                 "generate with a finished run")
        info = record.get("base_model") or {}
        if not info.get("path"):
            raise WorkbenchError(f"{run.record_file}: does not say which base model the run trained on")
        bases.setdefault(info["path"], []).append(run_id)
        targets.append(Target(f"run:{run_id}", "adapter", info["path"], info.get("label") or info["path"],
                              run.adapter_dir, record.get("export") or {}))
    if len(bases) > 1:
        described = "; ".join(f"{', '.join(ids)} on {path}" for path, ids in bases.items())
        raise WorkbenchError(f"the runs were trained on different base models ({described}); "
                             "generate for runs of one base model at a time")
    if base:
        if targets:
            first = targets[0]
            base_target = Target(BASE, "base", first.base_path, first.base_label)
        else:
            from ..train.config import build_config
            from ..train.model import resolve_base_model

            setting = build_config(project.config.get("train", {}),
                                   toml_where=f"{project.path / 'workbench.toml'} [train]").base_model
            resolved = resolve_base_model(setting, project.path, echo)
            base_target = Target(BASE, "base", resolved.path, resolved.label)
        known = project.store.evals.models().get(BASE)
        if known and known["detail"].get("base_path") not in (None, base_target.base_path):
            raise WorkbenchError(
                f"'base' already has replies from {known['detail'].get('base_label')} "
                f"({known['detail'].get('base_path')}), not {base_target.base_label} ({base_target.base_path}); "
                "judge the runs of one base model per project")
        targets.insert(0, base_target)
    return targets


def collect_prompts(project: EvalProject, targets: Sequence[Target], general: bool, general_file: Path | None,
                    limit: int | None, per_category: int | None, echo: Echo | None = None, *,
                    holdout: bool = True, keep_trivial: bool | None = None,
                    left_out: LeftOut | None = None) -> list[dict[str, Any]]:
    """Holdout prompts of the export(s) the runs trained on (the newest export when only the base
    answers), plus general prompts; stored in the project, trivial ones left out (counted in
    `left_out`) unless `keep_trivial` (default: [eval] keep_trivial), and cut by limit/per_category."""
    from .prompts import leave_out_trivial, select, trivial_settings

    keep_setting, min_words = trivial_settings(project.config)
    keep = keep_setting if keep_trivial is None else keep_trivial
    prompts = gather_prompts(project, targets, general, general_file, echo, holdout)
    project.store.evals.add_prompts(prompts.values())
    # Answer what the store holds for each id (an id keeps its first text).
    stored = {p["prompt_id"]: p for p in project.store.evals.prompts()}
    kept, dropped = leave_out_trivial([stored[pid] for pid in sorted(prompts)], keep, min_words)
    if left_out is not None:
        left_out.counts.update(dropped.counts)
        left_out.examples.update(dropped.examples)
    if dropped.total and echo:
        echo(f"{dropped.describe()} as too trivial to judge (e.g. {next(iter(dropped.examples.values()))!r}); "
             "--keep-trivial keeps them")
    if not kept:
        raise WorkbenchError("every prompt is too short or too trivial to judge; --keep-trivial keeps them")
    return select(kept, limit, per_category)


def gather_prompts(project: EvalProject, targets: Sequence[Target], general: bool, general_file: Path | None,
                   echo: Echo | None = None, holdout: bool = True) -> dict[str, dict[str, Any]]:
    """Every prompt the targets could be judged on, by id, before trivial ones are left out and the cut."""
    from ..train.data import latest_export
    from .prompts import default_general_file, general_prompts, holdout_prompts

    if not holdout and not general:
        raise WorkbenchError("no prompts to answer: choose the holdout prompts, the general ones, or both")
    exports: dict[str, str | None] = {}
    for t in targets:
        if t.kind == "adapter" and t.export.get("folder"):
            exports.setdefault(t.export["folder"], t.export.get("snapshot"))
    if not exports and holdout:
        exports[str(latest_export(project.path))] = None
    if len(exports) > 1 and echo:
        echo(f"the runs trained on {len(exports)} different exports; using the holdout of each (a prompt held "
             "out of one may be in another's training data)")
    prompts: dict[str, dict[str, Any]] = {}
    for folder, snapshot in (exports.items() if holdout else ()):
        if not Path(folder).is_dir():
            raise WorkbenchError(f"{folder}: the export the run trained on is gone; its holdout prompts are "
                                 "needed to judge it")
        for p in holdout_prompts(project.path, Path(folder), snapshot, echo):
            prompts.setdefault(p["prompt_id"], p)
    if general:
        file = general_file or default_general_file(project.config, project.path)
        for p in general_prompts(file):
            prompts.setdefault(p["prompt_id"], p)
    if not prompts:
        raise WorkbenchError("no prompts to answer: the export has no holdout rows and general prompts are off")
    return prompts


# -- generating ---------------------------------------------------------------------------------------

def default_threads() -> int:
    """torch threads for generation: half the cores, at most 8, as for training.

    Measured with benchmarks/generate.py on the shared 2-core machine: SmolLM2 answered 2.8-3.2x
    faster with one thread than with two (batched greedy, load about 4).
    """
    from ..train.config import auto_threads

    return auto_threads()


def load_model(target: Target, device: str = "cpu") -> tuple[Any, Any]:
    """(model in eval mode, tokenizer set up for left padding) for a target."""
    import warnings

    import torch
    import transformers

    from ..train.model import FALLBACK_CHAT_TEMPLATE, load_adapter, load_tokenizer

    transformers.utils.logging.disable_progress_bar()
    # peft asks transformers a deprecated question on every model; not the user's concern.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    if target.adapter_dir is not None:
        model, tokenizer = load_adapter(target.adapter_dir, device, target.base_path)
        if not tokenizer.chat_template:
            tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    else:
        from transformers import AutoModelForCausalLM

        tokenizer, _ = load_tokenizer(target.base_path)
        try:
            model = AutoModelForCausalLM.from_pretrained(target.base_path, dtype=torch.float32).to(device)
        except (OSError, ValueError) as e:
            raise ConfigError(f"base model {target.base_path}: cannot load it ({type(e).__name__}: {e})") from None
    model.eval()
    tokenizer.padding_side = "left"
    return model, tokenizer


def _stop_ids(tokenizer: Any) -> list[int]:
    ids = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return sorted(i for i in ids if i is not None)


def encode_prompts(tokenizer: Any, prompts: Sequence[dict[str, Any]]) -> list[list[int]]:
    """Token ids of each prompt rendered with the chat template and the assistant header."""
    texts = [tokenizer.apply_chat_template(p["messages"], tokenize=False, add_generation_prompt=True)
             for p in prompts]
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def _step_reporter(prompt_len: int, on_token: Callable[[int], None]) -> Any:
    """A stopping criterion that never stops: it tells `on_token` how many tokens the batch has."""
    import torch
    from transformers import StoppingCriteria

    class StepReporter(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            on_token(input_ids.shape[1] - prompt_len)
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StepReporter()


def generate_batch(model: Any, tokenizer: Any, batch: Sequence[list[int]], settings: GenerationSettings,
                   seed_key: str = "", on_token: Callable[[int], None] | None = None) -> list[tuple[str, int]]:
    """Replies (text, new tokens) for a batch of encoded prompts, left-padded together.

    `on_token(n)` is called after each decoding step with the tokens generated so far.
    """
    import torch
    from transformers import GenerationConfig, StoppingCriteriaList

    padded = tokenizer.pad({"input_ids": list(batch)}, padding=True, return_tensors="pt")
    device = next(model.parameters()).device
    input_ids, mask = padded["input_ids"].to(device), padded["attention_mask"].to(device)
    stops = _stop_ids(tokenizer)
    options: dict[str, Any] = {"max_new_tokens": settings.max_new_tokens, "do_sample": settings.do_sample,
                               "pad_token_id": tokenizer.pad_token_id, "eos_token_id": stops}
    if settings.do_sample:
        options.update(temperature=settings.temperature, top_p=settings.top_p, top_k=0)
        # One seed per batch, from the settings' seed and the batch's prompts: the same batch
        # samples the same replies again.
        digest = hashlib.sha256(f"{settings.seed}:{seed_key}".encode()).digest()
        torch.manual_seed(int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF)
    extra: dict[str, Any] = {}
    if on_token is not None:
        extra["stopping_criteria"] = StoppingCriteriaList([_step_reporter(input_ids.shape[1], on_token)])
    with torch.inference_mode():
        out = model.generate(input_ids=input_ids, attention_mask=mask, generation_config=GenerationConfig(**options),
                             **extra)
    replies = []
    for row in out[:, input_ids.shape[1]:].tolist():
        n = len(row)
        for i, token in enumerate(row):
            if token in stops:
                n = i + 1
                break
        text = tokenizer.decode(row[:n], skip_special_tokens=True).strip()
        replies.append((text, n))
    return replies


def context_limit(model: Any) -> int | None:
    return getattr(model.config, "max_position_embeddings", None)


def generate(project: EvalProject, runs: Sequence[str] = (), base: bool = False, *, general: bool = True,
             general_file: Path | None = None, limit: int | None = None, per_category: int | None = None,
             settings: GenerationSettings | None = None, threads: int | None = None, device: str = "cpu",
             progress: Progress | None = None, echo: Echo | None = None,
             should_stop: Callable[[], bool] | None = None,
             on_token: TokenProgress | None = None, holdout: bool = True,
             keep_trivial: bool | None = None) -> GenerateSummary:
    """Answer the evaluation prompts with the base model and/or each run's adapter; store the replies.

    `progress(model, prompts done, prompts to do)` is called per batch, `on_token(model, tokens,
    max_new_tokens)` per decoding step of the batch in flight. Prompts too trivial to judge are
    left out (counted in the summary) unless `keep_trivial` (default: [eval] keep_trivial).
    """
    settings = settings or GenerationSettings()
    settings.check()
    echo = echo or (lambda message: None)
    targets = resolve_targets(project, runs, base, echo)
    left_out = LeftOut()
    prompts = collect_prompts(project, targets, general, general_file, limit, per_category, echo,
                              holdout=holdout, keep_trivial=keep_trivial, left_out=left_out)
    summary = GenerateSummary(prompts=len(prompts), left_out=left_out)
    key = settings.key()
    store = project.store
    todo_by_model = {}
    for t in targets:
        done = store.evals.generated_prompt_ids(t.model, key)
        todo_by_model[t.model] = [p for p in prompts if p["prompt_id"] not in done]
        summary.stored[t.model] = len(prompts) - len(todo_by_model[t.model])
        summary.new[t.model] = 0
    if not any(todo_by_model.values()):
        return summary

    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: torch sees no CUDA GPU on this machine")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("--device mps: this machine has no Apple GPU that torch can use")
    torch.set_num_threads(threads or default_threads())
    for t in targets:
        todo = todo_by_model[t.model]
        store.evals.add_model(t.model, t.kind, t.detail())
        if not todo:
            continue
        label = t.model
        model, tokenizer = load_model(t, device)
        started = time.perf_counter()
        encoded = encode_prompts(tokenizer, todo)
        limit_tokens = context_limit(model)
        items = []
        for p, ids in zip(todo, encoded):
            if limit_tokens and len(ids) + settings.max_new_tokens > limit_tokens:
                summary.too_long += 1
                continue
            items.append((p, ids))
        # Shortest first: prompts of similar length share a batch and waste little padding.
        items.sort(key=lambda item: (len(item[1]), item[0]["prompt_id"]))
        if progress:
            progress(label, 0, len(items))
        done = 0
        for start in range(0, len(items), settings.batch_size):
            if should_stop and should_stop():
                raise Cancelled(f"generation stopped; {summary.new[t.model]} replies of {t.model} kept, "
                                "run the same command again to go on")
            chunk = items[start:start + settings.batch_size]
            seed_key = ",".join(p["prompt_id"] for p, _ in chunk)
            tick = (lambda n, m=t.model: on_token(m, n, settings.max_new_tokens)) if on_token else None
            replies = generate_batch(model, tokenizer, [ids for _, ids in chunk], settings, seed_key, tick)
            store.evals.add_generations((p["prompt_id"], t.model, key, text, n)
                                        for (p, _), (text, n) in zip(chunk, replies))
            summary.new[t.model] += len(chunk)
            done += len(chunk)
            if progress:
                progress(label, done, len(items))
        summary.seconds[t.model] = time.perf_counter() - started
        del model
    if summary.too_long:
        echo(f"{summary.too_long} prompt(s) left out: with --max-new-tokens {settings.max_new_tokens} they do not "
             "fit the model's context")
    return summary
