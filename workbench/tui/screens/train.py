"""The Train tab: start a LoRA run in its own process, follow its progress and loss curve, cancel
or resume it, and see every run of the project.

A run is `python -m workbench.commands train PROJECT --run-id ID`, started in a new session: closing
Workbench (or its terminal) does not stop it. This tab only reads what the run writes
(runs/<id>/run.json and metrics.jsonl, polled once a second) and asks it to stop through a
CANCEL file, so it shows runs started from the command line just the same.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Label, ProgressBar, Static

from ...errors import WorkbenchError
from ...services.training import (Estimate, RunBoard, RunInProgress, estimate_next_run, has_export,
                                  measure_next_run, next_run)
from .base import ProjectTab
from .train_form import TrainSettingsDialog
from .train_panels import (EMPTY_CURVE, STATUS_STYLE, LossCurve, eta_text, no_runs_text, run_row, settings_text,
                           stats_text, suggested_steps, title_text)

POLL_S = 1.0
COMPACT_BELOW = 36  # terminal rows: below this the settings panel shows only what matters most


class TrainTab(ProjectTab):
    TAB_ID = "train"
    TITLE = "Train"

    DEFAULT_CSS = """
    TrainTab #train-upper { height: 1fr; }
    TrainTab #train-main { width: 1fr; padding: 0 1; }
    TrainTab #train-settings { width: 45%; max-width: 54; min-width: 36; border: round $primary 50%;
                               border-title-color: $text; padding: 0 1; }
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
        Binding("s", "settings", "Settings"),
        Binding("escape", "stop_measuring", "Stop measuring"),
        Binding("c", "cancel_run", "Cancel run"),
        Binding("r", "resume_run", "Resume run"),
        Binding("e", "export", "Export data"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.board = RunBoard(project)  # every run as last read, and the processes this window started
        self.selected: str | None = None
        self._table_rows: list[tuple] = []
        self.exporting = False
        self.export_status = ""
        self.estimate: Estimate | None = None
        self.measuring = ""  # what the speed measurement is doing ("" when it is not running)
        self.start_after_measuring = False
        self.long_run_confirmed: tuple | None = None  # the long estimate that n was pressed on once
        self._training: str | None = None  # the run training when the tab last looked

    @property
    def processes(self) -> dict[str, Any]:
        """The run processes this window started (until they end)."""
        return self.board.processes

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
            self.board.reap()

    def on_show(self) -> None:
        self.show_settings()
        self.refresh_runs()

    def on_resize(self, event) -> None:
        self.show_settings()  # the compact panel or the whole one, as the terminal allows

    def focus_default(self) -> None:
        self.query_one("#train-runs", DataTable).focus()

    # -- the settings the next run will use ---------------------------------------------------
    def show_settings(self) -> None:
        panel = self.query_one("#train-settings", Static)
        nxt = next_run(self.project)
        self.estimate = estimate_next_run(self.project, nxt)
        compact = self.app.size.height < COMPACT_BELOW
        panel.update(settings_text(nxt, self.exporting, self.export_status, self.estimate, self.measuring, compact))

    def action_settings(self) -> None:
        def saved(changed) -> None:
            if changed:
                said = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in changed.items())
                self.notify(f"Saved to workbench.toml [train]: {said}.", title="Settings saved", markup=False)
            elif changed is not None:
                self.notify("Nothing changed.", title="Settings", markup=False)
            self.long_run_confirmed = None
            self.show_settings()

        self.app.push_screen(TrainSettingsDialog(self.project), saved)

    # -- measuring this machine's speed for the estimate ---------------------------------------
    def action_stop_measuring(self) -> None:
        if self.measuring:
            self.workers.cancel_group(self, "train-measure")
            self.start_after_measuring = False
            self.measuring = ""
            self.notify("Stopped measuring; no run was started.", title="Estimate", markup=False)
            self.show_settings()
            self.refresh_bindings()

    def measure(self, then_start: bool) -> None:
        self.measuring = "loading the model, timing 3 passes"
        self.start_after_measuring = then_start
        self.show_settings()
        self.refresh_bindings()
        self.measure_now()

    @work(thread=True, exclusive=True, group="train-measure", exit_on_error=False)
    def measure_now(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            est = measure_next_run(self.project, cancelled=lambda: worker.is_cancelled)
        except WorkbenchError as e:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._measured, None, str(e))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._measured, est, "")

    def _measured(self, est: Estimate | None, error: str) -> None:
        start, self.start_after_measuring = self.start_after_measuring, False
        self.measuring = ""
        self.show_settings()
        self.refresh_bindings()
        if est is None:
            self.notify(f"{error.rstrip('.')}. No run was started.", title="Cannot estimate", severity="error",
                        timeout=15, markup=False)
        elif start:
            self.action_new_run()

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
            # Training is supervised fine-tuning: a project that also holds preference or KTO rows
            # exports its sft rows here (report.json counts the others).
            result = export_project(self.project.path, progress=progress, kind="sft")
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
    def refresh_runs(self) -> None:
        """Read every run's record (and new metrics of runs that are active) and redraw."""
        self.board.refresh()
        runs = self.board.runs
        rows = [run_row(run_id, self.board.statuses[run_id], self.board.progress(run_id))
                for run_id in reversed(list(runs))]
        if rows != self._table_rows:
            self._show_table(rows)
        if self.selected not in runs:
            self.selected = rows[0][0] if rows else None
        self.show_selected()
        self.refresh_bindings()
        training = self.board.training()
        if training != self._training:  # a run ended: the next estimate goes by the speed it trained at
            self._training = training
            self.show_settings()

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
            if self.selected in self.board.runs:
                table.move_cursor(row=[r[0] for r in rows].index(self.selected), animate=False)
        self._table_rows = rows

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        run_id = event.row_key.value if event.row_key is not None else None
        if run_id and run_id != self.selected and run_id in self.board.runs:
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
            title.update(no_runs_text(has_export(self.project.path)))
            stats.update("")
            curve.show([], 0, "")
            return
        status, progress = self.board.statuses[self.selected], self.board.progress(self.selected)
        title.update(title_text(self.selected, status, progress))
        if progress.total:
            bar.update(total=progress.total, progress=progress.step)
        else:
            bar.update(total=None)
        eta.update(eta_text(status, progress))
        stats.update(stats_text(status, progress, self.board.can_resume(self.selected)))
        curve.show(progress.rows, progress.total, EMPTY_CURVE.get(status, "No steps were recorded."))

    # -- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_run", "export", "settings"):
            return True
        if action == "stop_measuring":
            return bool(self.measuring)
        if self.selected is None or self.selected not in self.board.runs:
            return False
        if action == "cancel_run":
            return self.board.can_cancel(self.selected)
        if action == "resume_run":
            return self.board.can_resume(self.selected)
        return True

    def _refused(self, error: WorkbenchError, title: str) -> None:
        if isinstance(error, RunInProgress):
            # Two runs would share the same cores (or GPU) and each take twice as long.
            self.notify(f"Run {error.run_id} is still training; wait for it or cancel it (c) first.",
                        title="One run at a time", severity="warning", markup=False)
        else:
            self.notify(str(error), title=title, severity="error", timeout=15, markup=False)

    def action_new_run(self) -> None:
        """Start a run once its estimate is known: measure first when needed, and ask again when it is long."""
        if self.measuring:
            self.notify("Still measuring this machine's speed; the run starts when the estimate is ready "
                        "(esc stops).", title="Estimate", markup=False)
            return
        if (active := self.board.training()) is not None:
            self._refused(RunInProgress(active), "Cannot start a run")
            return
        nxt = next_run(self.project)
        est = estimate_next_run(self.project, nxt) if not nxt.problem else None
        if est is not None and est.seconds is None:
            self.notify(f"Measuring how fast this machine trains {nxt.config.base_model or 'SmolLM2-135M-Instruct'} "
                        "before the run starts (esc stops).", title="Estimate", markup=False)
            self.measure(then_start=True)
            return
        if est is not None and est.over_an_hour:
            key = (est.steps, est.seconds)
            if self.long_run_confirmed != key:
                self.long_run_confirmed = key
                steps = suggested_steps(est)
                self.notify(f"This run would take {est.summary()}. Press s and set max steps"
                            + (f" to about {steps:,} for a ~30 min run" if steps else "")
                            + ", or press n again to start it anyway.",
                            title="Over an hour", severity="warning", timeout=20, markup=False)
                self.show_settings()
                return
        try:
            run = self.board.start(requested_by="tui", estimate=est)
        except WorkbenchError as e:
            self._refused(e, "Cannot start a run")
            return
        self.long_run_confirmed = None
        said = f" It will take {est.summary()}." if est is not None and est.seconds is not None else ""
        self.notify(f"Run {run.id} started in its own process; it keeps going if you close Workbench.{said}",
                    title="Training", markup=False)
        self.selected = run.id
        self.refresh_runs()

    def action_cancel_run(self) -> None:
        if self.selected is None:
            return
        try:
            self.board.cancel(self.selected)
        except WorkbenchError as e:
            self.notify(str(e), title="Cannot cancel", severity="warning", markup=False)
            return
        self.notify("The run stops after the current step and saves a checkpoint (r resumes it).",
                    title="Cancelling", markup=False)

    def action_resume_run(self) -> None:
        if self.selected is None:
            return
        try:
            run = self.board.resume(self.selected)
        except WorkbenchError as e:
            self._refused(e, "Cannot resume the run")
            return
        self.notify(f"Resuming run {run.id} from its last checkpoint.", title="Training", markup=False)
        self.refresh_runs()


__all__ = ["TrainTab", "LossCurve"]
