"""One training run from start to record: settings, export, model, loop, adapter, merge.

`train` is what `workbench train` (and the process the TUI starts) calls. Whatever happens, the
run's run.json ends in a final status: finished, cancelled, or failed with a message a person
can act on (an unknown model path, rank 0, no train rows, prompts longer than max_seq_len, out
of memory).
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import Cancelled, WorkbenchError
from ..files import PRIVATE_DIR, PRIVATE_FILE, set_tree_modes
from ..train.config import TrainConfig, build_config, config_from_record
from ..train.data import ExportData, encode_all, latest_export, load_export
from ..train.runs import Run, now

if TYPE_CHECKING:
    from .project import Project

Echo = Callable[[str], None]
RowCallback = Callable[[dict[str, Any]], None]


@dataclass
class TrainRequest:
    project_dir: Path
    overrides: dict[str, Any]
    data: Path | None = None  # an export folder; default: the project's newest
    run_id: str | None = None  # a run folder made beforehand (the TUI does this)
    resume: str | None = None  # continue this run from its checkpoint


def versions() -> dict[str, str]:
    out = {"workbench": __version__, "python": platform.python_version()}
    for package in ("torch", "transformers", "peft", "accelerate", "bitsandbytes", "gguf", "safetensors"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    return out


def train(request: TrainRequest, on_row: RowCallback | None = None, echo: Echo | None = None) -> Run:
    """Run (or resume) one training run; its record says how it ended. Raises WorkbenchError on failure."""
    from .project import Project

    echo = echo or (lambda message: None)
    project = Project.open(request.project_dir)
    try:
        run = _open_run(project, request)
        stop = _StopFlag(run)
        try:
            with stop.signals():
                config, export = _prepare(project, run, request, echo)
                # One atomic write of the record: from here on a resume finds the settings and the
                # very files this run reads; before it, a resume starts the run afresh.
                run.update(status="running", phase="loading the model and the data", pid=os.getpid(),
                           host=socket.gethostname(), started_at=now(), ended_at=None, error=None,
                           command=sys.argv[1:], config=config.to_dict(), versions=versions(),
                           export=export.identity())
                project.store.log("train_started", {"run": run.id, "resume": bool(request.resume)})
                _train(project, run, request, config, export, stop, on_row, echo)
        except Cancelled:
            run.update(status="cancelled", phase=None, ended_at=now(), pid=None)
            run.clear_cancel()
            project.store.log("train_cancelled", {"run": run.id})
            raise Cancelled(f"run {run.id} cancelled; resume it with `workbench train {project.path} "
                            f"--resume {run.id}`") from None
        except KeyboardInterrupt:  # a second Ctrl+C: stop now, without a new checkpoint
            run.update(status="cancelled", phase=None, ended_at=now(), pid=None)
            run.clear_cancel()
            project.store.log("train_cancelled", {"run": run.id})
            raise
        except WorkbenchError as e:
            _fail(project, run, str(e))
            raise
        except BaseException as e:
            memory = _memory_message(e, run)
            _fail(project, run, memory or f"{type(e).__name__}: {e}")
            if memory:
                raise WorkbenchError(memory) from None
            raise
        project.store.log("train_finished", {"run": run.id, "result": run.read().get("result")})
        return run
    finally:
        project.close()


def _fail(project: Project, run: Run, message: str) -> None:
    run.update(status="failed", phase=None, ended_at=now(), error=message, pid=None)
    run.clear_cancel()
    project.store.log("train_failed", {"run": run.id, "error": message})


def _open_run(project: Project, request: TrainRequest) -> Run:
    """The run folder: a new one, the one the TUI made, or the one to resume (owned from here)."""
    here = {"pid": os.getpid(), "host": socket.gethostname()}
    if request.resume:
        run = Run.open(project.path, request.resume)
        record = run.read()
        if run.status(record) in ("starting", "running") and run.owner_pid(record) != os.getpid():
            raise WorkbenchError(f"run {run.id} is still running (pid {record.get('pid')}); cancel it first")
        run.clear_cancel()
        run.update(status="starting", **here)  # killed from here on, it shows as interrupted
        return run
    if request.run_id:
        run = Run.create(project.path, request.run_id, **here)
        if run.read().get("status") != "starting":
            raise WorkbenchError(f"run {request.run_id} already exists; resume it with --resume {request.run_id}")
        return run
    return Run.create(project.path, **here)


def _prepare(project: Project, run: Run, request: TrainRequest, echo: Echo) -> tuple[TrainConfig, ExportData]:
    """The settings and the export of a run, checked before anything is trained.

    A resumed run keeps what its record holds. A run killed before its record held them (it had
    trained nothing) takes them as a new run would.
    """
    record = run.read() if request.resume else {}
    if "config" in record:
        config = config_from_record(record["config"], request.overrides)
    else:
        config = build_config(project.config.get("train", {}), request.overrides,
                              toml_where=f"{project.path / 'workbench.toml'} [train]")
    recorded = record.get("export") or {}
    if recorded.get("folder"):
        folder = Path(recorded["folder"])
        if not folder.is_dir():
            raise WorkbenchError(f"run {run.id} trained on {folder}, which no longer exists; start a new run")
        export = load_export(folder, recorded=recorded.get("files"))
    elif request.data is not None:
        export = load_export(request.data)
    else:
        skipped: list[str] = []
        folder = latest_export(project.path, skipped)
        for line in skipped:
            echo(f"skipped {line}")
        export = load_export(folder)
    if (export.report.get("leak_check") or {}).get("leaked"):
        echo(f"note: {export.folder} failed its personal-data leak check and was kept with --allow-leaks")
    return config, export


class _StopFlag:
    """True once a cancel was asked for: a CANCEL file, SIGTERM, or Ctrl+C in the terminal."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.signalled = False

    def __call__(self) -> bool:
        return self.signalled or self.run.cancel_requested()

    @contextmanager
    def signals(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self.signalled and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl+C stops at once
            self.signalled = True

        previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, h in previous.items():
                signal.signal(s, h)


def _memory_message(error: BaseException, run: Run) -> str | None:
    text = str(error)
    oom = isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError" or (
        isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text
                                             or "not enough memory" in text))
    if not oom:
        return None
    cfg = run.read().get("config") or {}
    return (f"out of memory (batch_size = {cfg.get('batch_size')}, max_seq_len = {cfg.get('max_seq_len')}, "
            f"packing = {str(cfg.get('packing')).lower()}): lower batch_size or max_seq_len and raise grad_accum "
            "to keep the same effective batch")


def _train(project: Project, run: Run, request: TrainRequest, config: TrainConfig, export: ExportData,
           stop: _StopFlag, on_row: RowCallback | None, echo: Echo) -> None:
    resuming = request.resume is not None

    import warnings

    import torch

    from ..train.model import add_lora, load_base, load_tokenizer, plan_device, resolve_base_model

    # peft asks transformers a deprecated question on every model; not the user's concern.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    threads = config.resolved_threads()
    torch.set_num_threads(threads)
    plan = plan_device(config)
    run.update(device=plan.device_label, mode=plan.label, threads=threads)
    echo(f"run {run.id}: {plan.label} on {plan.device_label}")
    echo(f"training on {export.folder} ({len(export.train):,} train, {len(export.holdout):,} holdout rows)")
    base = resolve_base_model(config.base_model, project.path, echo)
    tokenizer, template = load_tokenizer(base.path)
    run.update(base_model={"setting": base.setting, "label": base.label, "path": base.path, "source": base.source,
                           "chat_template": template})
    train_rows, train_stats = encode_all(tokenizer, export.train, config.max_seq_len, "train")
    holdout_src = export.holdout[: config.eval_rows] if config.eval_rows else export.holdout
    holdout_rows, holdout_stats = encode_all(tokenizer, holdout_src, config.max_seq_len, "holdout")
    if train_stats.prompt_too_long:
        echo(f"{train_stats.prompt_too_long:,} train rows left out: their prompt is longer than "
             f"max_seq_len = {config.max_seq_len}")

    from ..train.loop import Loop

    model = load_base(base, plan)
    model, adapted = add_lora(model, config, plan)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    loop = Loop(model, config, plan, run, train_rows, holdout_rows, pad_id, on_row=on_row, stop_flag=stop)
    total = loop.total_steps
    run.update(data={"train": train_stats.to_dict(), "holdout": holdout_stats.to_dict(),
                     "batches_per_epoch": loop.per_epoch, "skipped_rows": export.skipped},
               lora={"modules": adapted, "trainable_parameters": trainable}, steps_total=total)
    if "estimate" not in run.read():  # started from the command line: estimated as the Train tab would
        estimated = _estimate(project, config, export)
        run.update(estimate=estimated.to_dict())
        echo(f"estimate: {estimated.summary()}"
             + ("" if estimated.seconds is not None else " (the Train tab's n measures this machine's speed)"))
    if resuming and run.checkpoint_file.exists():
        loop.load_checkpoint()
        run.truncate_metrics(loop.state.step)
        echo(f"resumed from step {loop.state.step} of {total}")
    elif resuming:
        run.truncate_metrics(-1)  # nothing was kept: start over in the same folder, step 0 included
    if torch.cuda.is_available() and plan.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    if loop.state.step < total:
        loop.fit()
    restored = loop.restore_best()
    trained = (loop.state.tokens, loop.session_train_seconds, loop.state.step)  # the speed of this session
    run.update(phase="saving the adapter")
    _save_adapter(model, tokenizer, run)
    result = {
        "step": loop.state.step, "steps_total": total, "train_loss": loop.state.last_loss,
        "holdout_loss": loop.state.last_holdout, "best_holdout_loss": loop.state.best_loss,
        "best_step": loop.state.best_step, "adapter_from_step": loop.state.best_step if restored else loop.state.step,
        "stopped_early": loop.state.stopped_early, "adapter": str(run.adapter_dir),
        "tokens": loop.state.tokens, "seconds": round(loop.state.elapsed, 3),
        "tokens_per_s": round(loop.state.tokens / loop.state.elapsed, 1) if loop.state.elapsed else None,
        "peak_memory_gb": _peak_memory(plan.device),
    }
    if config.merge:
        from ..train.model import merge_adapter

        del loop, model
        echo("merging the adapter into the base model…")
        run.update(phase="merging the adapter into the base model")
        result["merged"] = str(merge_adapter(run.adapter_dir, run.folder / "merged", base.path))
    run.update(status="finished", phase=None, ended_at=now(), result=result, pid=None)
    if not resuming:
        _remember_run_speed(project, config, export, run, *trained)
    echo(f"run {run.id} finished: adapter in {run.adapter_dir}")


def _estimate(project: Project, config: TrainConfig, export: ExportData) -> Any:
    from ..layout import cache_dir
    from ..train.estimate import cached_speed, calibration_length, estimate, row_tokens

    lengths = [row_tokens(chat.messages) for chat in export.train]
    speed = cached_speed(cache_dir(project.path), config, calibration_length(lengths, config))
    return estimate(config, lengths, len(export.holdout), speed)


def _remember_run_speed(project: Project, config: TrainConfig, export: ExportData, run: Run, tokens: int,
                        seconds: float, steps: int) -> None:
    """The speed this run trained at, for the next estimate of the same model and settings (a real run
    says more than a calibration of a few passes)."""
    from ..layout import cache_dir
    from ..train.estimate import Speed, calibration_length, remember_speed, row_tokens

    if steps < 3 or not tokens or seconds <= 0:
        return
    seq = calibration_length([row_tokens(chat.messages) for chat in export.train], config)
    device = run.read().get("device") or config.device
    per_pass = config.batch_size * seq * seconds / tokens
    remember_speed(cache_dir(project.path), config,
                   Speed(round(per_pass, 4), seq, config.batch_size, device, None, now(), f"run {run.id}"))


def _save_adapter(model: Any, tokenizer: Any, run: Run) -> None:
    import shutil

    tmp = run.folder / f".adapter.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)  # the chat template travels with the adapter
    set_tree_modes(tmp, PRIVATE_DIR, PRIVATE_FILE)  # private, as the run folder it is in
    shutil.rmtree(run.adapter_dir, ignore_errors=True)
    os.replace(tmp, run.adapter_dir)


def _peak_memory(device: str) -> float | None:
    if device == "cuda":
        import torch

        return round(torch.cuda.max_memory_allocated() / 2**30, 2)
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)  # KiB on Linux
    except (ImportError, OSError):
        return None


__all__ = ["TrainRequest", "train"]
