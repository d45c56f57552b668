"""The Train tab: start a LoRA run in its own process, follow its progress and loss curve, cancel
or resume it, and see every run of the project.

A run is `python -m workbench.commands train PROJECT --run-id ID`, started in a new session: closing
Workbench (or its terminal) does not stop it. This tab only reads what the run writes
(runs/<id>/run.json and metrics.jsonl, polled once a second) and asks it to stop through a
CANCEL file, so it shows runs started from the command line just the same.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Label, ProgressBar, Static

from ...errors import WorkbenchError
from ...train.config import build_config, describe
from ...train.data import latest_export
from ...train.plot import plot_lines, y_range
from ...train.runs import RESUMABLE_STATUSES, MetricsTail, Run, clock, launch, list_runs, now
from .base import ProjectTab

POLL_S = 1.0
STATUS_STYLE = {"finished": "$success", "running": "bold $accent", "starting": "$accent", "failed": "$error",
                "cancelled": "$warning", "interrupted": "$warning"}
SERIES_STYLE = ("$accent", "bold $warning")  # train, holdout


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


class TrainTab(ProjectTab):
    TAB_ID = "train"
    TITLE = "Train"

    DEFAULT_CSS = """
    TrainTab #train-upper { height: 1fr; }
    TrainTab #train-main { width: 1fr; padding: 0 1; }
    TrainTab #train-settings { width: 50; border: round $primary 50%; border-title-color: $text; padding: 0 1; }
    TrainTab #train-title { height: auto; }
    TrainTab #train-progress-row { height: 1; }
    TrainTab #train-bar { width: 1fr; }
    TrainTab #train-eta { width: auto; min-width: 30; padding: 0 1; color: $text-muted; }
    TrainTab #train-stats { height: auto; color: $text-muted; }
    TrainTab #train-runs { height: 9; border: round $primary 50%; border-title-color: $text; }
    TrainTab #train-runs:focus { border: round $primary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_run", "New run"),
        Binding("c", "cancel_run", "Cancel run"),
        Binding("r", "resume_run", "Resume run"),
        Binding("e", "export", "Export data"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.runs: dict[str, Run] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, str] = {}
        self.tails: dict[str, MetricsTail] = {}
        self.metrics: dict[str, list[dict[str, Any]]] = {}
        self.selected: str | None = None
        self.processes: dict[str, Any] = {}  # runs this window started: reaped as they end
        self._table_rows: list[tuple] = []
        self.exporting = False
        self.export_status = ""

    def compose(self):
        with Horizontal(id="train-upper"):
            with Vertical(id="train-main"):
                yield Static("", id="train-title")
                with Horizontal(id="train-progress-row"):
                    yield ProgressBar(total=None, show_eta=False, id="train-bar")
                    yield Label("", id="train-eta")
                yield Static("", id="train-stats")
                yield LossCurve(id="loss-curve")
            yield Static("", id="train-settings")
        yield DataTable(id="train-runs", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        self.query_one("#train-settings", Static).border_title = "Next run (n)"
        table = self.query_one("#train-runs", DataTable)
        table.border_title = "Runs"
        for name, width in (("run", 17), ("status", 11), ("step", 11), ("loss", 7), ("holdout", 7), ("mode", 22),
                            ("device", 18), ("base model", 24)):
            table.add_column(name, key=name, width=width)
        self.refresh_runs()
        self.set_interval(POLL_S, self._tick)

    def _tick(self) -> None:
        # Hidden behind another tab there is nothing to draw; still reap the runs started here.
        if self.is_on_screen:
            self.refresh_runs()
        else:
            self._reap()

    def on_show(self) -> None:
        self.show_settings()
        self.refresh_runs()

    def focus_default(self) -> None:
        self.query_one("#train-runs", DataTable).focus()

    # -- the settings the next run will use ---------------------------------------------------
    def _next_run_problem(self) -> str | None:
        try:
            build_config(self.project.config.get("train", {}), toml_where="workbench.toml [train]")
            latest_export(self.project.path)
        except WorkbenchError as e:
            return str(e)
        return None

    def show_settings(self) -> None:
        panel = self.query_one("#train-settings", Static)
        try:
            cfg = build_config(self.project.config.get("train", {}), toml_where="workbench.toml [train]")
        except WorkbenchError as e:
            panel.update(Content.assemble(("Settings problem", "bold $error"), "\n", str(e)))
            return
        parts: list[Any] = []
        for name, value in describe(cfg):
            parts += [(f"{name:<9}", "dim"), value, "\n"]
        parts.append("\n")
        if self.exporting:
            parts += [("Exporting: ", "bold $accent"), self.export_status or "starting…", "\n"]
        try:
            export = latest_export(self.project.path)
            parts += [("data     ", "dim"), f"exports/{export.name}", "\n"]
            try:
                splits = json.loads((export / "report.json").read_text(encoding="utf-8"))["splits"]
                parts += ["         ", f"{splits['train']:,} train · {splits['holdout']:,} holdout rows", "\n"]
            except (OSError, ValueError, KeyError):
                pass
            parts += [("         the newest export; e makes a new one", "dim")]
        except WorkbenchError:
            parts += [("No export yet. ", "bold $warning"), "Press ", ("e", "bold $accent"),
                      " to run the recipe and export train and holdout files."]
        parts += ["\n\n", ("Edit workbench.toml [train] to change these.", "dim")]
        panel.update(Content.assemble(*parts))

    def action_export(self) -> None:
        if self.exporting:
            self.notify("The export is still running.", markup=False)
            return
        self.exporting = True
        self.export_status = ""
        self.show_settings()
        self.export_now()

    @work(thread=True, exclusive=True, group="train-export", exit_on_error=False)
    def export_now(self) -> None:
        from ...services.headless import export_project

        shown = [0.0]

        def progress(label: str, done: int, total: int) -> None:
            self.export_status = f"{label} {done:,}/{total:,}" if total else label
            if time.monotonic() - shown[0] > 0.2:  # the recipe reports far more often than a screen needs
                shown[0] = time.monotonic()
                self.app.call_from_thread(self.show_settings)

        try:
            result = export_project(self.project.path, progress=progress)
        except WorkbenchError as e:
            self.app.call_from_thread(self._exported, None, str(e))
            return
        splits = result.report["splits"]
        self.app.call_from_thread(self._exported, result.out_dir,
                                  f"{splits['train']:,} train and {splits['holdout']:,} holdout rows")

    def _exported(self, out_dir, text: str) -> None:
        self.exporting = False
        self.export_status = ""
        if out_dir is None:
            self.notify(text, title="Export failed", severity="error", timeout=15, markup=False)
        else:
            self.notify(f"{text} in exports/{out_dir.name}. Press n to train on them.", title="Exported",
                        markup=False)
        self.show_settings()
        self.show_selected()

    # -- runs ---------------------------------------------------------------------------------
    def _reap(self) -> None:
        """Wait for the processes this window started that have ended; one that died at once failed."""
        for run_id, proc in list(self.processes.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.processes[run_id]
            run = Run(self.project.path / "runs" / run_id)
            if code != 0 and run.read().get("status") == "starting":
                log = run.log_file.read_text(encoding="utf-8", errors="replace") if run.log_file.exists() else ""
                run.update(status="failed", ended_at=now(),
                           error=f"the run process ended before it started (exit {code}): {log[-300:].strip()}")

    def _row_for(self, run_id: str) -> tuple:
        rec, rows = self.records[run_id], self.metrics.get(run_id, [])
        status = self.statuses[run_id]
        step = rows[-1]["step"] if rows else 0
        train_loss = next((r["loss"] for r in reversed(rows) if r.get("loss") is not None), None)
        holdout = next((r["holdout_loss"] for r in reversed(rows) if r.get("holdout_loss") is not None), None)
        total = rec.get('steps_total')
        return (run_id, status, f"{step}/{total}" if total else "–", _loss(train_loss), _loss(holdout),
                rec.get("mode", ""), rec.get("device", ""), (rec.get("base_model") or {}).get("label", ""))

    def refresh_runs(self) -> None:
        """Read every run's record (and new metrics of runs that are active) and redraw."""
        self._reap()
        self.runs = {run.id: run for run in list_runs(self.project.path)}
        for run_id, run in self.runs.items():
            rec = run.read()
            self.records[run_id] = rec
            self.statuses[run_id] = run.status(rec)
            tail = self.tails.setdefault(run_id, MetricsTail(run.metrics_file))
            new = tail.read_new()  # nothing to read (one stat) unless the run wrote a row
            if new or tail.was_reset or run_id not in self.metrics:
                self.metrics[run_id] = new if tail.was_reset else self.metrics.get(run_id, []) + new
        rows = [self._row_for(run_id) for run_id in reversed(list(self.runs))]
        if rows != self._table_rows:
            self._show_table(rows)
        if self.selected not in self.runs:
            self.selected = rows[0][0] if rows else None
        self.show_selected()
        self.refresh_bindings()

    def _show_table(self, rows: list[tuple]) -> None:
        """Update changed cells in place; rebuild only when runs came or went (keeps the cursor still)."""
        table = self.query_one("#train-runs", DataTable)
        columns = list(table.columns)

        def cell(i: int, value: str) -> Any:
            return Content.styled(value, STATUS_STYLE.get(value, "")) if i == 1 else value

        if [r[0] for r in rows] == [r[0] for r in self._table_rows]:
            for old, new in zip(self._table_rows, rows):
                for i, (a, b) in enumerate(zip(old, new)):
                    if a != b:
                        table.update_cell(new[0], columns[i], cell(i, b))
        else:
            table.clear()
            for row in rows:
                table.add_row(*(cell(i, v) for i, v in enumerate(row)), key=row[0])
            if self.selected in self.runs:
                table.move_cursor(row=[r[0] for r in rows].index(self.selected), animate=False)
        self._table_rows = rows

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        run_id = event.row_key.value if event.row_key is not None else None
        if run_id and run_id != self.selected and run_id in self.runs:
            self.selected = run_id
            self.show_selected()
            self.refresh_bindings()

    def show_selected(self) -> None:
        title = self.query_one("#train-title", Static)
        bar = self.query_one("#train-bar", ProgressBar)
        eta = self.query_one("#train-eta", Label)
        stats = self.query_one("#train-stats", Static)
        curve = self.query_one(LossCurve)
        row = self.query_one("#train-progress-row")
        row.display = self.selected is not None
        if self.selected is None:
            try:
                latest_export(self.project.path)
                first = ["Press ", ("n", "bold $accent"), " to train a LoRA adapter on the newest export"]
            except WorkbenchError:
                first = ["Press ", ("e", "bold $accent"), " to export the curated data, then ", ("n", "bold $accent"),
                         " to train a LoRA adapter on it"]
            title.update(Content.assemble(
                ("No runs yet. ", "bold"), *first, " (settings on the right). A run is a process of its own: it "
                "keeps going if you close Workbench, and you can follow it here."))
            stats.update("")
            curve.show([], 0, "")
            return
        run = self.runs[self.selected]
        rec = self.records[self.selected]
        status = self.statuses[self.selected]
        rows = self.metrics.get(self.selected, [])
        total = rec.get("steps_total") or (rows[-1]["total"] if rows else 0)
        base = (rec.get("base_model") or {}).get("label") or (rec.get("config") or {}).get("base_model") or "…"
        how = f"{rec.get('mode', '…')} on {rec.get('device', '…')}"
        title.update(Content.assemble(("run ", "dim"), (run.id, "bold"), "  ", (status, STATUS_STYLE.get(status, "")),
                                      ("  ·  ", "dim"), how, ("  ·  ", "dim"), base))
        step = rows[-1]["step"] if rows else 0
        if total:
            bar.update(total=total, progress=step)
        else:
            bar.update(total=None)
        last = rows[-1] if rows else {}
        if status == "finished":
            eta.update(f"step {step}/{total} · done in {clock(last.get('elapsed'))}")
        elif status in ("starting", "running"):
            left = last.get("remaining")
            phase = rec.get("phase") or "starting"
            if phase != "training" or not left:
                eta.update(f"step {step}/{total} · {phase}…" if total else f"{phase}…")
            else:
                eta.update(f"step {step}/{total} · {clock(left)} left")
        else:
            eta.update(f"step {step}/{total} · {status}")
        stats.update(self._stats_text(rec, status, rows))
        empty = {"starting": "Loading the model and the export…", "running": "Waiting for the first step…"}
        curve.show(rows, total, empty.get(status, "No steps were recorded."))

    def _stats_text(self, rec: dict[str, Any], status: str, rows: list[dict[str, Any]]) -> Content:
        train = next((r for r in reversed(rows) if r.get("loss") is not None), None)
        holdout = next((r for r in reversed(rows) if r.get("holdout_loss") is not None), None)
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
        if status in RESUMABLE_STATUSES and self._resumable(rec):
            parts += ["\n", ("Press r to resume from the last checkpoint.", "dim")]
        return Content.assemble(*parts)

    # -- actions ------------------------------------------------------------------------------
    def _resumable(self, rec: dict[str, Any]) -> bool:
        return "config" in rec and self.selected is not None and (
            self.runs[self.selected].checkpoint_file.exists() or rec.get("status") != "failed")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_run", "export"):
            return True
        if self.selected is None or self.selected not in self.runs:
            return False
        status = self.statuses.get(self.selected, "")
        if action == "cancel_run":
            return status in ("starting", "running")
        if action == "resume_run":
            return status in RESUMABLE_STATUSES and self._resumable(self.records.get(self.selected) or {})
        return True

    def _another_is_training(self) -> bool:
        active = [run_id for run_id, status in self.statuses.items() if status in ("starting", "running")]
        if active:
            # Two runs would share the same cores (or GPU) and each take twice as long.
            self.notify(f"Run {active[-1]} is still training; wait for it or cancel it (c) first.",
                        title="One run at a time", severity="warning", markup=False)
        return bool(active)

    def action_new_run(self) -> None:
        if self._another_is_training():
            return
        problem = self._next_run_problem()
        if problem:
            self.notify(problem, title="Cannot start a run", severity="error", timeout=15, markup=False)
            return
        run = Run.create(self.project.path, requested_by="tui")
        self.processes[run.id] = launch(self.project.path, ["--run-id", run.id], run)
        self.notify(f"Run {run.id} started in its own process; it keeps going if you close Workbench.",
                    title="Training", markup=False)
        self.selected = run.id
        self.refresh_runs()

    def action_cancel_run(self) -> None:
        if self.selected is None:
            return
        self.runs[self.selected].request_cancel()
        self.notify("The run stops after the current step and saves a checkpoint (r resumes it).",
                    title="Cancelling", markup=False)

    def action_resume_run(self) -> None:
        if self.selected is None or self._another_is_training():
            return
        run = self.runs[self.selected]
        run.update(status="starting", pid=None, error=None)
        self.processes[run.id] = launch(self.project.path, ["--resume", run.id], run)
        self.notify(f"Resuming run {run.id} from its last checkpoint.", title="Training", markup=False)
        self.refresh_runs()


__all__ = ["TrainTab", "LossCurve"]
