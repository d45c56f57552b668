"""How long a run will take on this machine, before it starts: steps, tokens, and measured speed.

Steps follow the loop's own arithmetic (batches per epoch from the train rows and batch_size,
optimizer steps from grad_accum, epochs or max_steps). Tokens per row are estimated without a
tokenizer: the characters of every message / 4, plus 5 per message for the chat template's role
markers. The speed is measured, not guessed: a calibration loads the base model with its LoRA
adapter in a process of its own and times a few forward+backward passes of batch_size sequences
of the run's typical length on the run's device and threads; it is cached per model, device,
threads, batch and length in the project. Nothing here imports torch except the calibration.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError
from ..files import make_dirs, write_atomically
from .config import TrainConfig
from .runs import clock, now

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 5
SPEED_FILE = "train_speed.json"
HOUR_S = 3600


def row_tokens(messages: list[dict[str, Any]]) -> int:
    """A tokenizer-free token count of one conversation (characters / 4, plus role markers)."""
    chars = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
        chars += len(content or "") + len(json.dumps(m.get("tool_calls"))) * bool(m.get("tool_calls"))
    return math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages)


def train_steps(rows: int, cfg: TrainConfig, sequences: int | None = None) -> int:
    """Optimizer steps of a run: as the loop counts them (`sequences`: packed sequences, if packing)."""
    per_epoch = math.ceil((sequences if sequences is not None else rows) / cfg.batch_size)
    return cfg.max_steps or max(1, math.ceil(cfg.epochs * per_epoch / cfg.grad_accum))


def evaluations(steps: int, cfg: TrainConfig, holdout_rows: int) -> int:
    """Holdout evaluations of a run: one before the first step, then every eval_every steps and at the end."""
    if not holdout_rows:
        return 0
    every = cfg.eval_every or max(1, math.ceil(steps / 10))
    return 1 + steps // every + (steps % every != 0)


def calibration_length(lengths: list[int], cfg: TrainConfig) -> int:
    """The sequence length a calibration times: the mean row (cut at max_seq_len), rounded up to 32."""
    mean = sum(min(n, cfg.max_seq_len) for n in lengths) / max(len(lengths), 1)
    return max(16, min(cfg.max_seq_len, 32 * math.ceil(mean / 32)))


@dataclass
class Speed:
    """One calibration: seconds per forward+backward pass of `batch_size` sequences of `seq` tokens."""

    seconds_per_pass: float
    seq: int
    batch_size: int
    device: str
    memory_gb: float | None = None  # peak on a GPU
    measured_at: str = ""
    source: str = "measured"


def speed_key(cfg: TrainConfig, seq: int) -> str:
    return "|".join([cfg.base_model or "smollm2", cfg.device, cfg.mode, cfg.precision, cfg.gradient_checkpointing,
                     f"threads {cfg.resolved_threads()}", f"batch {cfg.batch_size}", f"seq {seq}"])


def cached_speed(cache: Path, cfg: TrainConfig, seq: int) -> Speed | None:
    try:
        entry = json.loads((cache / SPEED_FILE).read_text(encoding="utf-8"))[speed_key(cfg, seq)]
        return Speed(**entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_speed(cache: Path, cfg: TrainConfig, speed: Speed) -> None:
    path = cache / SPEED_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    known[speed_key(cfg, speed.seq)] = asdict(speed)
    make_dirs(cache)
    write_atomically(path, json.dumps(known, indent=1) + "\n")


@dataclass
class Estimate:
    """What a run on this export with these settings will take, and what that is based on."""

    rows: int
    holdout_rows: int
    steps: int
    evaluations: int
    tokens_per_row: float
    tokens_per_step: int
    seq: int  # the calibration length
    seconds_per_step: float | None = None
    seconds: float | None = None  # steps and evaluations, not loading the model
    memory_gb: float | None = None
    speed_source: str | None = None  # "measured" or "run <id>"
    seconds_per_eval: float | None = None  # one pass over the holdout rows
    basis: str = ""

    @property
    def over_an_hour(self) -> bool:
        return self.seconds is not None and self.seconds > HOUR_S

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """"about 41 min (1,230 steps × ~2.0 s/step, measured)", or the steps alone when unmeasured."""
        if self.seconds is None or self.seconds_per_step is None:
            return f"{self.steps:,} steps; time not measured yet"
        return f"about {duration(self.seconds)} ({self.parts()}, {self.speed_source or 'measured'})"

    def parts(self) -> str:
        """"1,230 steps × ~2.0 s/step + 11 holdout evaluations × ~2 min": what the time is made of."""
        text = f"{self.steps:,} steps × ~{per_step(self.seconds_per_step or 0)}/step"
        if self.evaluations and self.seconds_per_eval:
            text += f" + {self.evaluations} holdout evaluations × ~{duration(self.seconds_per_eval)}"
        return text

    @property
    def mostly_evaluations(self) -> bool:
        """Evaluating the holdout takes at least a third of a run longer than ten minutes."""
        return bool(self.seconds and self.seconds > 600 and self.seconds_per_eval
                    and self.seconds_per_eval * self.evaluations >= self.seconds / 3)


def per_step(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def duration(seconds: float) -> str:
    """A length of time in words a person reads at a glance: 40 s, 41 min, 3 h 10 min."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def estimate(cfg: TrainConfig, train_lengths: list[int], holdout_rows: int, speed: Speed | None) -> Estimate:
    """The steps, tokens and (with a measured speed) the time of a run over rows of `train_lengths` tokens."""
    from .batches import pack

    rows = len(train_lengths)
    capped = [min(n, cfg.max_seq_len) for n in train_lengths]
    sequences = len(pack(capped, cfg.max_seq_len)) if cfg.packing else None
    steps = train_steps(rows, cfg, sequences)
    tokens_per_row = sum(capped) / max(rows, 1)
    per_pass_rows = cfg.batch_size * (rows / sequences if sequences else 1)
    tokens_per_step = round(tokens_per_row * per_pass_rows * cfg.grad_accum)
    evals = evaluations(steps, cfg, holdout_rows)
    seq = calibration_length(train_lengths, cfg)
    basis = (f"{rows:,} train rows, ~{tokens_per_row:,.0f} tokens each (characters / {CHARS_PER_TOKEN}); "
             f"{cfg.batch_size} × {cfg.grad_accum} rows per step")
    est = Estimate(rows, holdout_rows, steps, evals, round(tokens_per_row, 1), tokens_per_step, seq, basis=basis)
    if speed is None:
        return est
    # A pass costs about what its tokens cost: scale the measured pass to this step's tokens.
    scale = tokens_per_step / (cfg.grad_accum * speed.batch_size * speed.seq)
    est.seconds_per_step = speed.seconds_per_pass * cfg.grad_accum * scale
    eval_rows = min(holdout_rows, cfg.eval_rows) if cfg.eval_rows else holdout_rows
    # A holdout pass is a forward pass only. With LoRA the backward pass computes no gradients for the
    # frozen weights, so it costs about what the forward does: a forward is about half of a pass.
    per_eval = eval_rows * tokens_per_row / (speed.batch_size * speed.seq) * speed.seconds_per_pass / 2
    est.seconds = est.seconds_per_step * steps + per_eval * evals
    est.seconds_per_eval = per_eval if evals else None
    est.memory_gb = speed.memory_gb
    est.speed_source = speed.source
    est.basis += (f"; {per_step(speed.seconds_per_pass)} per pass of {speed.batch_size} × {speed.seq} tokens "
                  f"on {speed.device} ({speed.source}{' ' + speed.measured_at[:10] if speed.measured_at else ''})")
    return est


def actual_text(record: dict[str, Any]) -> str | None:
    """"estimated 41 min, took 47 min" for a finished run whose record holds both; None otherwise."""
    est = record.get("estimate") or {}
    took = (record.get("result") or {}).get("seconds")
    if est.get("seconds") is None and took is None:
        return None
    said = f"estimated {duration(est['seconds'])}" if est.get("seconds") is not None else "no time estimate"
    return said + (f", took {duration(took)}" if took is not None else "")


# -- the calibration, in a process of its own --------------------------------------------------------
def measure_speed(cfg: TrainConfig, seq: int, project_dir: Path, cancelled=lambda: False) -> Speed:
    """Time a few passes in a child process (its torch threads and memory go away with it)."""
    args = json.dumps({"config": cfg.to_dict(), "seq": seq, "project": str(project_dir)})
    proc = subprocess.Popen([sys.executable, "-m", "workbench.train.estimate", args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env=_quiet_env())
    while proc.poll() is None:
        if cancelled():
            proc.kill()
            proc.wait()
            raise WorkbenchError("the speed measurement was stopped")
        time.sleep(0.1)
    out, err = proc.communicate()
    lines = out.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise WorkbenchError(f"the speed measurement failed: {(err or out).strip()[-300:]}") from None
    if "error" in result:
        raise WorkbenchError(result["error"])
    return Speed(**result)


def _quiet_env() -> dict[str, str]:
    import os

    return {**os.environ, "TQDM_DISABLE": "1", "TRANSFORMERS_VERBOSITY": "error", "PYTHONUNBUFFERED": "1"}


def _calibrate(cfg: TrainConfig, seq: int, project_dir: Path | None, passes: int = 3) -> Speed:
    import contextlib

    import torch

    from .loop import assistant_loss
    from .model import add_lora, load_base, plan_device, resolve_base_model

    torch.set_num_threads(cfg.resolved_threads())
    plan = plan_device(cfg)
    model = load_base(resolve_base_model(cfg.base_model, project_dir), plan)
    model, _ = add_lora(model, cfg, plan)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-9)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (cfg.batch_size, seq), generator=gen)
    labels = ids.clone()
    labels[:, : seq // 2] = -100  # about half of a typical row is prompt
    tensors = {"input_ids": ids.to(plan.device), "attention_mask": torch.ones_like(ids).to(plan.device),
               "labels": labels.to(plan.device)}
    autocast = (torch.autocast(plan.device, dtype=torch.bfloat16)
                if plan.compute_dtype == "bfloat16" and plan.device in ("cpu", "cuda") else contextlib.nullcontext())
    if plan.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(passes):  # the first pass warms up allocators and kernels: not counted
        started = time.perf_counter()
        with autocast:
            loss = assistant_loss(model, tensors, max(int((labels != -100).sum()), 1))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if plan.device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    memory = round(torch.cuda.max_memory_allocated() / 2**30, 2) if plan.device == "cuda" else None
    return Speed(round(statistics.median(times[1:]), 4), seq, cfg.batch_size, plan.device_label, memory, now())


def main(argv: list[str]) -> int:
    import warnings

    from .config import build_config

    warnings.filterwarnings("ignore")
    request = json.loads(argv[0])
    try:
        cfg = build_config(request["config"], toml_where="calibration")
        speed = _calibrate(cfg, int(request["seq"]), Path(request["project"]) if request.get("project") else None)
        print(json.dumps(asdict(speed)))
    except WorkbenchError as e:
        print(json.dumps({"error": str(e)}))
    except Exception as e:  # the message goes to the tab, never a traceback
        print(json.dumps({"error": f"the speed measurement failed: {type(e).__name__}: {e}"}))
    return 0


__all__ = ["Estimate", "Speed", "actual_text", "cached_speed", "calibration_length", "clock", "duration",
           "estimate", "evaluations", "measure_speed", "remember_speed", "row_tokens", "train_steps"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
