"""What the Train tab draws: the loss curve, the next run's settings, a run's title, progress and
stats, and its row in the runs table, from what :mod:`workbench.services.training` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.widget import Widget

from ...train.config import describe
from ...train.estimate import Estimate, actual_text, duration, per_step
from ...train.plot import plot_lines, y_range
from ...train.runs import clock

if TYPE_CHECKING:
    from ...services.training import NextRun, RunProgress

STATUS_STYLE = {"finished": "$success", "running": "bold $accent", "starting": "$accent", "failed": "$error",
                "cancelled": "$warning", "interrupted": "$warning"}
SERIES_STYLE = ("$accent", "bold $warning")  # train, holdout
# What the loss curve says while a run has no steps to draw, by status.
EMPTY_CURVE = {"starting": "Loading the model and the export…", "running": "Waiting for the first step…"}


def _loss(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else ""


class LossCurve(Widget):
    """Train loss (every step) and holdout loss (each evaluation) against the step, in braille."""

    DEFAULT_CSS = """
    LossCurve { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.train: list[tuple[float, float]] = []
        self.holdout: list[tuple[float, float]] = []
        self.total = 0
        self.empty_text = "No steps yet."

    def show(self, rows: list[dict[str, Any]], total: int, empty_text: str = "No steps yet.") -> None:
        self.train = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None]
        self.holdout = [(r["step"], r["holdout_loss"]) for r in rows if r.get("holdout_loss") is not None]
        self.total = total
        self.empty_text = empty_text
        self.refresh()

    def render(self) -> Content:
        width, height = self.size
        if not (self.train or self.holdout):
            return Content.assemble((self.empty_text, "dim"))
        legend = Content.assemble(("━ train loss", SERIES_STYLE[0]), "   ", ("━ holdout loss", SERIES_STYLE[1]),
                                  (f"   (last: {_loss(self.train[-1][1]) if self.train else '–'} / "
                                   f"{_loss(self.holdout[-1][1]) if self.holdout else '–'})", "dim"))
        low, high = y_range([self.train, self.holdout])
        axis = 7
        plot_h = max(height - 3, 2)
        x_max = max(self.total, max(x for x, _ in self.train + self.holdout), 1)
        rows = plot_lines([self.train, self.holdout], max(width - axis - 1, 4), plot_h, x_max, (low, high))
        parts: list[Any] = [legend, "\n"]
        for i, runs in enumerate(rows):
            label = f"{high:>6.3f} " if i == 0 else f"{low:>6.3f} " if i == plot_h - 1 else " " * axis
            parts.append((label, "dim"))
            parts.append(("│", "dim"))
            for text, owner in runs:
                parts.append((text, SERIES_STYLE[owner]) if owner is not None else text)
            parts.append("\n")
        plot_w = max(width - axis - 1, 4)
        end = f"step {x_max}"
        parts.append((" " * axis + "└" + "0".ljust(max(plot_w - len(end), 1)) + end, "dim"))
        return Content.assemble(*parts)


def suggested_steps(est: Estimate, minutes: int = 30) -> int | None:
    """Max steps that make a run of about `minutes` at the measured speed."""
    if not est.seconds_per_step:
        return None
    return max(1, int(minutes * 60 / est.seconds_per_step) // 10 * 10 or 1)


def estimate_lines(est: Estimate | None, short: bool = True, measuring: str = "", compact: bool = False) -> Content:
    """The estimate of the next run, what it is based on, and a warning in words when it is long."""
    if est is None:
        return Content.styled("No estimate: export the data first (e), with valid settings.", "dim")
    parts: list[Any] = [("estimate ", "dim")]
    if est.seconds is None:
        parts += [f"{est.steps:,} steps", "\n"]
        if measuring:
            parts += [("         ", "dim"), ("measuring this machine's speed…", "bold $accent"), "\n",
                      ("         ", "dim"), (f"{measuring} · esc stops", "dim"), "\n"]
        else:
            parts += [("         time not measured yet: n first", "dim"), "\n",
                      ("         times a few passes of the model", "dim"), "\n"]
    else:
        parts += [(f"about {duration(est.seconds)}", "bold"), (f" ({est.speed_source or 'measured'})", "dim"), "\n",
                  ("         ", "dim"), f"{est.steps:,} steps × ~{per_step(est.seconds_per_step or 0)}/step", "\n"]
        if est.evaluations and est.seconds_per_eval:
            parts += [("         ", "dim"), f"+ {est.evaluations} holdout evals × ~{duration(est.seconds_per_eval)}",
                      "\n"]
        if est.memory_gb:
            parts += [("         ", "dim"), f"GPU memory about {est.memory_gb:.1f} GB", "\n"]
    if short and not compact:
        parts += [("         ", "dim"),
                  (f"{est.rows:,} rows, ~{est.tokens_per_row:,.0f} tokens each (chars/4)", "dim"), "\n"]
    if not short:
        parts += [("basis    ", "dim"), (est.basis, "dim"), "\n"]
    if est.mostly_evaluations:
        parts += [("Holdout evaluations take much of it: ", "$warning"),
                  "raise Holdout eval every or lower Holdout rows" + (" (s)." if short else "."), "\n"]
    if est.over_an_hour:
        steps = suggested_steps(est)
        parts += [("Over an hour on this machine. ", "bold $warning"),
                  f"Set max steps to about {steps:,} for a ~30 min run" if steps else "Set max steps",
                  " (s), or press n twice to start anyway." if short else ".", "\n"]
    return Content.assemble(*parts)


def settings_text(next_run: NextRun, exporting: bool, export_status: str, est: Estimate | None = None,
                  measuring: str = "", compact: bool = False) -> Content:
    """The settings panel: what the next run takes, the export it trains on (or how to make one),
    and how long it will take. `compact`: the few lines a short terminal has room for."""
    if next_run.config is None:
        return Content.assemble(("Settings problem", "bold $error"), "\n", next_run.settings_problem or "",
                                "\n\nPress ", ("s", "bold $accent"), " to change the settings.")
    if compact:
        return _compact_settings(next_run, exporting, export_status, est, measuring)
    parts: list[Any] = []
    for name, value in describe(next_run.config):
        parts += [(f"{name:<9}", "dim"), value, "\n"]
    parts.append("\n")
    if exporting:
        parts += [("Exporting: ", "bold $accent"), export_status or "starting…", "\n"]
    if next_run.export is not None:
        parts += [("data     ", "dim"), f"exports/{next_run.export.name}", "\n"]
        if next_run.splits:
            splits = next_run.splits
            parts += ["         ", f"{splits['train']:,} train · {splits['holdout']:,} holdout rows", "\n"]
        parts += [("         the newest export; e makes a new one", "dim"), "\n\n"]
        parts.append(estimate_lines(est, measuring=measuring))
    else:
        parts += [("No export yet. ", "bold $warning"), "Press ", ("e", "bold $accent"),
                  " to run the recipe and export train and holdout files.", "\n"]
    parts += ["\n", "Press ", ("s", "bold $accent"), " to change these settings."]
    return Content.assemble(*parts)


def _compact_settings(next_run: NextRun, exporting: bool, export_status: str, est: Estimate | None,
                      measuring: str) -> Content:
    """Lines of at most ~32 characters: model, length, data, estimate, the key that changes them."""
    cfg = next_run.config
    assert cfg is not None
    length = f"{cfg.max_steps} steps" if cfg.max_steps else f"{cfg.epochs:g} epochs"
    parts: list[Any] = [cfg.base_model.rstrip("/").rsplit("/", 1)[-1] or "SmolLM2-135M-Instruct", "\n",
                        f"{length} · lr {cfg.learning_rate:g} · rank {cfg.r}", "\n"]
    if exporting:
        parts += [("Exporting: ", "bold $accent"), export_status or "starting…", "\n"]
    if next_run.export is None:
        parts += [("No export yet: ", "bold $warning"), "e exports.", "\n"]
    elif next_run.splits:
        parts += [(f"{next_run.splits['train']:,} train · {next_run.splits['holdout']:,} holdout rows", "dim"), "\n"]
    if next_run.export is not None:
        if est is None:
            pass
        elif est.seconds is None:
            parts += [f"{est.steps:,} steps; ", ("measuring speed…" if measuring else "n measures speed first",
                                                 "bold $accent" if measuring else "dim"), "\n"]
        else:
            parts += [(f"about {duration(est.seconds)}", "bold"), (f" ({est.speed_source or 'measured'})", "dim"),
                      "\n", f"{est.steps:,} steps × ~{per_step(est.seconds_per_step or 0)}/step", "\n"]
            if est.evaluations and est.seconds_per_eval:
                parts += [f"+ {est.evaluations} evals × ~{duration(est.seconds_per_eval)}", "\n"]
            if est.over_an_hour:
                parts += [("Over an hour: lower max steps", "bold $warning"), "\n"]
            elif est.mostly_evaluations:
                parts += [("Evals take much of it: see s", "$warning"), "\n"]
    parts += [("s", "bold $accent"), " changes these settings"]
    return Content.assemble(*parts)


def no_runs_text(has_export: bool) -> Content:
    """The title while the project has no runs: how to make the first one."""
    if has_export:
        first = ["Press ", ("n", "bold $accent"), " to train a LoRA adapter on the newest export"]
    else:
        first = ["Press ", ("e", "bold $accent"), " to export the curated data, then ", ("n", "bold $accent"),
                 " to train a LoRA adapter on it"]
    return Content.assemble(
        ("No runs yet. ", "bold"), *first, " (settings on the right). A run is a process of its own: it "
        "keeps going if you close Workbench, and you can follow it here.")


def run_row(run_id: str, status: str, progress: RunProgress) -> tuple:
    """A run's row in the runs table (its cells as text)."""
    rec, total = progress.record, progress.steps_total
    return (run_id, status, f"{progress.step}/{total}" if total else "–", _loss(progress.train_loss),
            _loss(progress.holdout_loss), rec.get("mode", ""), rec.get("device", ""), progress.base_label)


def title_text(run_id: str, status: str, progress: RunProgress) -> Content:
    rec = progress.record
    how = f"{rec.get('mode', '…')} on {rec.get('device', '…')}"
    return Content.assemble(("run ", "dim"), (run_id, "bold"), "  ", (status, STATUS_STYLE.get(status, "")),
                            ("  ·  ", "dim"), how, ("  ·  ", "dim"), progress.base_model or "…")


def eta_text(status: str, progress: RunProgress) -> str:
    """Where the run is, next to its progress bar: done in, time left, or what it is doing."""
    step, total, last = progress.step, progress.total, progress.last
    if status == "finished":
        return f"step {step}/{total} · done in {clock(last.get('elapsed'))}"
    if status in ("starting", "running"):
        left = last.get("remaining")
        phase = progress.record.get("phase") or "starting"
        if phase != "training" or not left:
            return f"step {step}/{total} · {phase}…" if total else f"{phase}…"
        return f"step {step}/{total} · {clock(left)} left"
    return f"step {step}/{total} · {status}"


def stats_text(status: str, progress: RunProgress, resumable: bool) -> Content:
    """The latest losses, speed and time of a run; its adapter, its error, or that it can be resumed."""
    rec, rows = progress.record, progress.rows
    train, holdout = progress.train, progress.holdout
    facts = []
    if train:
        facts.append(f"loss {train['loss']:.3f}")
    if holdout:
        facts.append(f"holdout {holdout['holdout_loss']:.3f} (step {holdout['step']})")
    if train and train.get("tokens_per_s"):
        facts += [f"{train['tokens_per_s']:,.0f} tokens/s", f"lr {train['lr']:.2g}"]
    if rows and rows[-1].get("elapsed"):
        facts.append(f"{clock(rows[-1]['elapsed'])} elapsed")
    parts: list[Any] = []
    for i, fact in enumerate(facts):
        parts += [("  ·  ", "dim")] * bool(i) + [fact]
    result = rec.get("result") or {}
    if status == "finished" and result:
        parts += ["\n", ("adapter ", "dim"), str(result.get("adapter", ""))]
        if result.get("stopped_early"):
            parts += [("  (stopped early; best holdout at step ", "$warning"),
                      (f"{result.get('best_step')})", "$warning")]
    timing = actual_text(rec) if status == "finished" else None
    if timing:
        parts += ["\n", ("time     ", "dim"), timing]
    elif (rec.get("estimate") or {}).get("seconds") is not None:
        parts += ["\n", ("estimated ", "dim"), duration(rec["estimate"]["seconds"])]
    if status == "failed" and rec.get("error"):
        parts += ["\n", ("failed: ", "bold $error"), rec["error"]]
    if resumable:
        parts += ["\n", ("Press r to resume from the last checkpoint.", "dim")]
    return Content.assemble(*parts)


__all__ = ["EMPTY_CURVE", "STATUS_STYLE", "LossCurve", "estimate_lines", "eta_text", "no_runs_text", "run_row",
           "settings_text", "stats_text", "suggested_steps", "title_text"]
