"""The Data tab: the current snapshot as a table, the record under the cursor, the pipeline's
counts, search and category filters, and running the recipe."""

from __future__ import annotations

import time
from typing import ClassVar

import polars as pl
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Select
from textual.worker import Worker, WorkerState, get_current_worker

from ...errors import Cancelled, WorkbenchError
from ..messages import (
    FilterDismissed,
    RecipeFinished,
    RecipeProgressed,
    RecipeStopped,
    RecordHighlighted,
    RowsFiltered,
    SnapshotLoaded,
    SnapshotLoadFailed,
)
from ..records_view import RecordsView, RowFilter
from ..summary import pipeline_summary
from ..widgets.filter_bar import FilterBar
from ..widgets.pipeline_panel import PipelinePanel
from ..widgets.record_detail import RecordDetail
from ..widgets.record_table import RecordTable
from ..widgets.run_progress import RunProgress
from .base import ProjectTab

# Above this many rows a filter waits a moment before it starts, so that typing a word runs
# one scan of the snapshot instead of one per letter.
DEBOUNCE_ROWS = 200_000
DEBOUNCE_S = 0.15
# A snapshot bigger than this shows its first rows before it has been read to the end.
PREVIEW_ROWS = 1_000


class DataTab(ProjectTab):
    TAB_ID = "data"
    TITLE = "Data"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("c", "cycle_category", "Category"),
        Binding("r", "run_recipe", "Run recipe"),
        Binding("enter", "open_record", "Open record"),
        Binding("escape", "cancel_run", "Cancel run"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.full_view: RecordsView | None = None  # the snapshot unfiltered; filters start here
        self.running = False

    def compose(self):
        yield FilterBar(id="filter-bar")
        yield RecordTable(id="records")
        with Horizontal(id="data-lower"):
            yield RecordDetail(id="record-detail")
            yield PipelinePanel(id="pipeline")
        yield RunProgress(id="run-progress")

    def on_mount(self) -> None:
        self.query_one(RecordDetail).border_title = "Record"
        self.query_one(PipelinePanel).border_title = "Pipeline"
        self.query_one(FilterBar).show_loading()
        self.load_snapshot()

    def focus_default(self) -> None:
        self.query_one(RecordTable).focus()

    def action_open_record(self) -> None:
        """The record under the cursor on the whole screen (the pane is small on a small terminal)."""
        from ..widgets.record_modal import RecordScreen

        record = self.query_one(RecordTable).highlighted
        if record is not None:
            self.app.push_screen(RecordScreen(record))

    def on_show(self) -> None:
        """Coming back to the tab: a newer snapshot (an export or a recipe run from another tab or
        from the command line) is loaded, so the rows and counts agree with what was written."""
        if self.running or self.full_view is None:
            return
        try:
            latest = self.project.latest()
        except (WorkbenchError, OSError):
            return
        if latest is not None and latest.id != self.full_view.snapshot_id:
            self.query_one(FilterBar).show_loading()
            self.load_snapshot()

    # -- loading ------------------------------------------------------------------------------
    def _read_snapshot(self) -> None:
        """Read the newest snapshot and the pipeline summary; runs in a worker thread.

        A big snapshot first sends its opening rows, so the table paints while the rest loads
        (a million rows take about half a second to read on two cores, more when busy).
        """
        try:
            snapshot = self.project.latest()
            summary = pipeline_summary(self.project)
            if snapshot is None:
                self.post_message(SnapshotLoaded(RecordsView.empty(), summary))
                return
            scan = pl.scan_parquet(snapshot.path)
            total = scan.select(pl.len()).collect().item()
            if "split" in scan.collect_schema():
                counts = scan.group_by("split").len().collect().rows()
                summary.split = {"train": 0, "holdout": 0} | {name: n for name, n in counts if name is not None}
            if total > PREVIEW_ROWS:
                head = pl.read_parquet(snapshot.path, n_rows=PREVIEW_ROWS)
                self.post_message(SnapshotLoaded(RecordsView(head, snapshot.id), summary, total=total))
            # One chunk: gathering filtered rows from a multi-chunk frame costs ~100x more.
            view = RecordsView(snapshot.records().rechunk(), snapshot.id).prepare()
        except (WorkbenchError, OSError, pl.exceptions.PolarsError) as e:
            self.post_message(SnapshotLoadFailed(str(e)))
            return
        self.post_message(SnapshotLoaded(view, summary))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_snapshot(self) -> None:
        self._read_snapshot()

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        table = self.query_one(RecordTable)
        bar = self.query_one(FilterBar)
        self.query_one(PipelinePanel).show(message.summary)
        current = table.highlighted
        if message.total is not None:  # the opening rows of a big snapshot; the rest follows
            table.show(message.view, current["id"] if current else None)
            bar.show_loading(message.total)
            return
        self.full_view = message.view
        bar.set_categories(message.view.categories)
        if bar.row_filter.active:
            self._apply_filter()  # keep the user's filter across a recipe run
            return
        empty = f"No records yet: add a file with `workbench import {self.project.path} FILE`."
        table.show(message.view, current["id"] if current else None, message="" if len(message.view) else empty)
        bar.show_count(len(message.view), message.view.total)

    def on_snapshot_load_failed(self, message: SnapshotLoadFailed) -> None:
        self.query_one(RecordTable).show(RecordsView.empty(), message=f"Could not read the snapshot: {message.problem}")
        self.notify(message.problem, title="Could not read the snapshot", severity="error", timeout=10,
                    markup=False)

    # -- the record under the cursor ---------------------------------------------------------
    def on_record_highlighted(self, message: RecordHighlighted) -> None:
        self.query_one(RecordDetail).show(message.record)

    # -- search and category -----------------------------------------------------------------
    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_cycle_category(self) -> None:
        self.query_one(FilterBar).cycle_category()

    @on(Input.Changed, "#search")
    @on(Select.Changed, "#category")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one(RecordTable).focus()

    def on_filter_dismissed(self, message: FilterDismissed) -> None:
        self.query_one(RecordTable).focus()

    def _apply_filter(self) -> None:
        if self.full_view is None:
            return  # still loading; the load applies the filter when it lands
        bar = self.query_one(FilterBar)
        bar.show_count(len(self.query_one(RecordTable).view), self.full_view.total, busy=True)
        self.filter_rows(self.full_view, bar.row_filter)

    @work(thread=True, exclusive=True, group="filter", exit_on_error=False)
    def filter_rows(self, view: RecordsView, row_filter: RowFilter) -> None:
        worker = get_current_worker()
        if view.total > DEBOUNCE_ROWS:
            time.sleep(DEBOUNCE_S)
        if worker.is_cancelled:
            return
        result = view.filtered(row_filter)
        if not worker.is_cancelled:
            self.post_message(RowsFiltered(result))

    def on_rows_filtered(self, message: RowsFiltered) -> None:
        bar = self.query_one(FilterBar)
        if message.view.filter != bar.row_filter or message.view.records is not getattr(
            self.full_view, "records", None
        ):
            return  # an older filter, or an older snapshot, finished late
        table = self.query_one(RecordTable)
        current = table.highlighted
        message_text = "No rows match the filter." if message.view.filter.active else ""
        table.show(message.view, current["id"] if current else None, message=message_text)
        bar.show_count(len(message.view), message.view.total)

    # -- running the recipe ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.running
        return True

    def action_run_recipe(self) -> None:
        if self.running:
            self.notify("The recipe is already running; esc cancels it.")
            return
        self.running = True
        self.refresh_bindings()
        try:
            steps = [step.name for step in self.project.recipe().steps]
        except WorkbenchError:
            steps = []  # the run below reports the problem
        self.query_one(RunProgress).start(steps)
        self.run_recipe()

    def action_cancel_run(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "recipe")
            self.query_one(RunProgress).waiting("cancelling…")

    @work(thread=True, exclusive=True, group="recipe", exit_on_error=False)
    def run_recipe(self) -> None:
        worker = get_current_worker()

        def progress(label: str, done: int, total: int) -> None:
            self.post_message(RecipeProgressed(label, done, total))

        try:
            outcome = self.project.run(progress=progress, cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            self.post_message(RecipeStopped("Recipe run cancelled; no new snapshot was written.", cancelled=True))
            return
        except WorkbenchError as e:
            self.post_message(RecipeStopped(str(e)))
            return
        self.post_message(RecipeProgressed(f"loading {outcome.snapshot_id}", 0, 0))
        self._read_snapshot()
        self.post_message(RecipeFinished(outcome.snapshot_id or "", outcome.rows_in, outcome.kept.height))

    def on_recipe_progressed(self, message: RecipeProgressed) -> None:
        if not self.running:
            return
        progress = self.query_one(RunProgress)
        if message.total:
            progress.advance(message.label, message.done, message.total)
        else:
            progress.waiting(message.label + "…")

    def on_recipe_finished(self, message: RecipeFinished) -> None:
        self._run_ended()
        self.notify(f"{message.rows_in:,} rows in, {message.rows_out:,} kept; snapshot {message.snapshot_id}.",
                    title="Recipe finished", markup=False)

    def on_recipe_stopped(self, message: RecipeStopped) -> None:
        self._run_ended()
        if message.cancelled:
            self.notify(message.problem, title="Cancelled", severity="warning", markup=False)
        else:
            # Error texts quote config sections like "[recipe]": never read them as markup.
            self.notify(message.problem, title="The recipe could not run", severity="error", timeout=15,
                        markup=False)

    def _run_ended(self) -> None:
        self.running = False
        self.refresh_bindings()
        self.query_one(RunProgress).stop()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug (not a WorkbenchError) in a worker: tell the user, keep the app running."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        self.log.error(f"worker {event.worker.name} failed", error)
        if event.worker.group == "recipe":
            self._run_ended()
        self.notify(f"{type(error).__name__}: {error}", title=f"Unexpected error ({event.worker.group})",
                    severity="error", timeout=20, markup=False)
