"""What the Train tab draws: the loss curve, the next run's settings, a run's title, progress and
stats, and its row in the runs table, from what :mod:`workbench.services.training` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.widget import Widget

from ...train.config import describe
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


def settings_text(next_run: NextRun, exporting: bool, export_status: str) -> Content:
    """The settings panel: what the next run takes, and the export it trains on (or how to make one)."""
    if next_run.config is None:
        return Content.assemble(("Settings problem", "bold $error"), "\n", next_run.settings_problem or "")
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
        parts += [("         the newest export; e makes a new one", "dim")]
    else:
        parts += [("No export yet. ", "bold $warning"), "Press ", ("e", "bold $accent"),
                  " to run the recipe and export train and holdout files."]
    parts += ["\n\n", ("Edit workbench.toml [train] to change these.", "dim")]
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
    if status == "failed" and rec.get("error"):
        parts += ["\n", ("failed: ", "bold $error"), rec["error"]]
    if resumable:
        parts += ["\n", ("Press r to resume from the last checkpoint.", "dim")]
    return Content.assemble(*parts)


__all__ = ["EMPTY_CURVE", "STATUS_STYLE", "LossCurve", "eta_text", "no_runs_text", "run_row", "settings_text",
           "stats_text", "title_text"]
