"""The training loop: optimizer steps over seeded batches, holdout loss, early stopping, checkpoints.

A step is `grad_accum` forward passes whose loss is summed over assistant tokens and divided by
the number of those tokens in the whole step, so a long conversation weighs what its tokens
weigh whatever batch it lands in. The batch order is a function of the seed and the epoch, so a
resumed run continues with exactly the batches an uninterrupted run would have used.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Cancelled, WorkbenchError
from ..files import PRIVATE_FILE, make_dirs, set_mode
from .batches import Batch, collate, epoch_batches, eval_batches
from .config import TrainConfig
from .data import Encoded
from .model import DevicePlan
from .runs import Run

RowCallback = Callable[[dict[str, Any]], None]


def assistant_loss(model: Any, tensors: dict[str, Any], num_items: int) -> Any:
    """Summed cross-entropy over the target tokens, divided by `num_items`.

    The vocabulary projection runs only where the next token is trained on (logits_to_keep as a
    boolean mask): with assistant-only labels most positions are prompt, and for a small model
    the projection onto ~50k tokens and its softmax are the biggest cost of a step. Models that
    do not take a mask get the full logits and the same loss.
    """
    import torch
    import torch.nn.functional as F

    labels = tensors["labels"]
    inputs = {k: v for k, v in tensors.items() if k != "labels"}
    targets = labels[:, 1:]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = targets != -100
    if not getattr(model, "_workbench_full_logits", False):
        try:
            logits = model(**inputs, use_cache=False, logits_to_keep=keep).logits
            if logits.dim() == 2 and logits.shape[0] == int(keep.sum()):
                return F.cross_entropy(logits.float(), targets[keep[:, :-1]], reduction="sum") / num_items
        except (TypeError, RuntimeError, IndexError):
            pass
        model._workbench_full_logits = True  # remember: this model computes every position
    out = model(**inputs, labels=labels, use_cache=False, num_items_in_batch=num_items)
    return out.loss


def lr_factor(kind: str, warmup: int, total: int) -> Callable[[int], float]:
    """The learning rate of step s (0-based) as a share of the peak.

    Unlike transformers' schedules, neither the first step (warmup from 0) nor the last (decay
    to 0) gets a learning rate of exactly 0: on a CPU a step can take minutes, too long to waste.
    """
    def factor(s: int) -> float:
        if s < warmup:
            return (s + 1) / (warmup + 1)
        progress = (s - warmup) / max(1, total - warmup)
        if kind == "cosine":
            return 0.5 * (1 + math.cos(math.pi * progress))
        if kind == "linear":
            return 1 - progress
        return 1.0

    return factor


@dataclass
class LoopState:
    """What a checkpoint holds besides the weights and the optimizer."""

    step: int = 0
    elapsed: float = 0.0  # seconds of training and evaluation over all sessions of the run
    tokens: int = 0
    best_loss: float | None = None
    best_step: int | None = None
    evals_without_better: int = 0
    stopped_early: bool = False
    last_loss: float | None = None
    last_holdout: float | None = None


@dataclass
class Loop:
    model: Any
    cfg: TrainConfig
    plan: DevicePlan
    run: Run
    train: list[Encoded]
    holdout: list[Encoded]
    pad_id: int
    total_steps: int = 0  # 0: as many as cfg.max_steps or cfg.epochs make
    on_row: RowCallback | None = None
    stop_flag: Callable[[], bool] = lambda: False
    state: LoopState = field(default_factory=LoopState)

    def __post_init__(self) -> None:
        import torch

        self.lengths = [len(e) for e in self.train]
        self._epochs: dict[int, list[Batch]] = {}
        self.per_epoch = len(self.batches_of(0))
        if not self.total_steps:
            self.total_steps = self.cfg.max_steps or max(
                1, math.ceil(self.cfg.epochs * self.per_epoch / self.cfg.grad_accum))
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.plan.mode == "qlora":
            import bitsandbytes as bnb  # only on CUDA; see model.plan_device

            self.optimizer = bnb.optim.PagedAdamW8bit(params, lr=self.cfg.learning_rate,
                                                      weight_decay=self.cfg.weight_decay)
        else:
            self.optimizer = torch.optim.AdamW(params, lr=self.cfg.learning_rate, weight_decay=self.cfg.weight_decay)
        warmup = self.cfg.warmup if self.cfg.warmup >= 1 else self.cfg.warmup * self.total_steps
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_factor(self.cfg.lr_scheduler, int(math.ceil(warmup)), self.total_steps))
        self.eval_every = self.cfg.eval_every or max(1, math.ceil(self.total_steps / 10))
        self.best_weights: dict[str, Any] | None = None
        self.eval_seconds: list[float] = []
        self.session_start_step = 0
        self.session_train_seconds = 0.0

    # -- data ---------------------------------------------------------------------------------
    def batches_of(self, epoch: int) -> list[Batch]:
        if epoch not in self._epochs:
            self._epochs = {epoch: epoch_batches(
                self.lengths, self.cfg.batch_size, self.cfg.seed + epoch, packing=self.cfg.packing,
                group_by_length=self.cfg.group_by_length, capacity=self.cfg.max_seq_len)}
        return self._epochs[epoch]

    def micro_batches(self, step: int) -> list[tuple[float, Batch]]:
        """The forward passes of optimizer step `step` (0-based): (epoch position, batch)."""
        out = []
        for m in range(step * self.cfg.grad_accum, (step + 1) * self.cfg.grad_accum):
            epoch, index = divmod(m, self.per_epoch)
            out.append((m / self.per_epoch, self.batches_of(epoch)[index]))
        return out

    def _to_device(self, tensors: dict[str, Any]) -> dict[str, Any]:
        return {k: v.to(self.plan.device) for k, v in tensors.items()}

    def _autocast(self):
        import contextlib

        import torch

        if self.plan.compute_dtype == "bfloat16" and self.plan.device in ("cpu", "cuda"):
            return torch.autocast(self.plan.device, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- one optimizer step -------------------------------------------------------------------
    def train_step(self) -> dict[str, Any]:
        import torch

        self.model.train()
        passes = self.micro_batches(self.state.step)
        tensors = [collate(batch, self.train, self.pad_id) for _, batch in passes]
        targets = sum(int((t["labels"] != -100).sum()) for t in tensors)
        tokens = sum(batch.tokens(self.train) for _, batch in passes)
        started = time.perf_counter()
        loss_sum = 0.0
        for t in tensors:
            if self.stop_flag():
                self.optimizer.zero_grad(set_to_none=True)
                raise Cancelled("cancelled")
            with self._autocast():
                loss = assistant_loss(self.model, self._to_device(t), max(targets, 1))
            loss.backward()
            loss_sum += float(loss.detach())
        if self.cfg.max_grad_norm:
            torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad],
                                           self.cfg.max_grad_norm)
        lr = self.scheduler.get_last_lr()[0]
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - started
        self.state.step += 1
        self.state.elapsed += seconds
        self.state.tokens += tokens
        self.state.last_loss = round(loss_sum, 5)
        self.session_train_seconds += seconds
        return {"step": self.state.step, "total": self.total_steps, "epoch": round(passes[-1][0] + 1 / self.per_epoch, 4),
                "loss": round(loss_sum, 5), "lr": lr, "tokens": tokens,
                "tokens_per_s": round(tokens / seconds, 1) if seconds > 0 else None}

    # -- holdout ------------------------------------------------------------------------------
    def evaluate(self) -> float | None:
        """Mean loss per assistant token over the holdout rows."""
        import torch

        if not self.holdout:
            return None
        self.run.update(phase="evaluating the holdout")
        started = time.perf_counter()
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in eval_batches([len(e) for e in self.holdout], self.cfg.batch_size * 2):
                if self.stop_flag():
                    raise Cancelled("cancelled")
                t = collate(batch, self.holdout, self.pad_id)
                n = int((t["labels"] != -100).sum())
                with self._autocast():
                    total += float(assistant_loss(self.model, self._to_device(t), 1))  # a sum
                count += n
        seconds = time.perf_counter() - started
        self.run.update(phase="training")
        self.eval_seconds.append(seconds)
        self.state.elapsed += seconds
        return total / max(count, 1)

    def _after_eval(self, loss: float) -> None:
        s = self.state
        loss = round(loss, 5)
        s.last_holdout = loss
        if s.best_loss is None or loss < s.best_loss - 1e-6:
            s.best_loss, s.best_step, s.evals_without_better = loss, s.step, 0
            self.best_weights = self._lora_weights()
        else:
            s.evals_without_better += 1
            patience = self.cfg.early_stopping_patience
            if patience and s.evals_without_better >= patience:
                s.stopped_early = True

    def _remaining(self) -> float:
        done = self.state.step - self.session_start_step
        if done <= 0:
            return 0.0
        per_step = self.session_train_seconds / done
        left = self.total_steps - self.state.step
        evals_left = left // self.eval_every + 1 if self.holdout else 0
        per_eval = sum(self.eval_seconds) / len(self.eval_seconds) if self.eval_seconds else 0.0
        return per_step * left + per_eval * evals_left

    # -- the whole run ------------------------------------------------------------------------
    def fit(self) -> None:
        """Train from `state.step` to the end (or an early stop); raises Cancelled when asked to stop."""
        self.session_start_step = self.state.step
        self.run.update(phase="training")
        try:
            if self.state.step == 0 and self.holdout and self.state.last_holdout is None:
                loss = self.evaluate()  # where the base model starts, for the curve
                self._after_eval(loss)
                self._emit({"step": 0, "total": self.total_steps, "epoch": 0.0, "holdout_loss": round(loss, 5),
                            "elapsed": round(self.state.elapsed, 2), "remaining": None})
            while self.state.step < self.total_steps and not self.state.stopped_early:
                row = self.train_step()
                last = self.state.step == self.total_steps
                if self.holdout and (self.state.step % self.eval_every == 0 or last):
                    try:
                        loss = self.evaluate()
                    except Cancelled:
                        self._finish_row(row, last)  # the step itself is done and kept
                        raise
                    self._after_eval(loss)
                    row["holdout_loss"] = round(loss, 5)
                self._finish_row(row, last)
                if self.state.step % self.cfg.save_every == 0 and not last:
                    self.save_checkpoint()
                if self.stop_flag():
                    raise Cancelled("cancelled")
        except Cancelled:
            self.save_checkpoint()
            raise

    def _finish_row(self, row: dict[str, Any], last: bool) -> None:
        row["elapsed"] = round(self.state.elapsed, 2)
        row["remaining"] = 0.0 if last or self.state.stopped_early else round(self._remaining(), 1)
        self._emit(row)

    def _emit(self, row: dict[str, Any]) -> None:
        self.run.append_metrics(row)
        if self.on_row is not None:
            self.on_row(row)

    # -- weights and checkpoints --------------------------------------------------------------
    def _lora_weights(self) -> dict[str, Any]:
        from peft import get_peft_model_state_dict

        return {k: v.detach().to("cpu", copy=True) for k, v in get_peft_model_state_dict(self.model).items()}

    def restore_best(self) -> bool:
        """Put the weights with the lowest holdout loss back (when a later step did worse)."""
        if self.best_weights is None or self.state.best_step in (None, self.state.step):
            return False
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(self.model, self.best_weights)
        return True

    def save_checkpoint(self) -> None:
        import torch

        folder = self.run.checkpoint_file.parent
        make_dirs(folder)
        state = {
            "loop": dict(self.state.__dict__),
            "lora": self._lora_weights(),
            "best_weights": self.best_weights,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if self.plan.device == "cuda" else None,
            "eval_seconds": self.eval_seconds[-5:],
        }
        tmp = folder / f".state.pt.tmp-{os.getpid()}"
        torch.save(state, tmp)
        set_mode(tmp, PRIVATE_FILE)  # private, as the run folder it is in
        os.replace(tmp, self.run.checkpoint_file)

    def load_checkpoint(self) -> None:
        import torch
        from peft import set_peft_model_state_dict

        try:
            state = torch.load(self.run.checkpoint_file, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError) as e:
            raise WorkbenchError(f"{self.run.checkpoint_file}: cannot read the checkpoint ({e})") from None
        set_peft_model_state_dict(self.model, state["lora"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        if state.get("cuda_rng") is not None and self.plan.device == "cuda":
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.state = LoopState(**state["loop"])
        self.best_weights = state.get("best_weights")
        self.eval_seconds = list(state.get("eval_seconds") or [])
