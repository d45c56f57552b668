"""The Balance tab: categories before and after balancing, editable targets, a live preview.

The rows are the ones that reach the balance step in the recipe (the steps before it are run,
without writing a snapshot). Every edit of a target redraws the chart at once; the panel below
lists the rows the step would drop from the highlighted category (their diverse selection needs
the sentence embeddings, cached after the first time). w writes the targets into workbench.toml.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import polars as pl
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, OptionList, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...errors import Cancelled, WorkbenchError
from ...services import balance_targets as targets
from ...services.balance_targets import per_category
from ...steps.balance.distribution import BalancePlan
from .balance_chart import BalanceChart
from .balance_panels import (
    BalanceLoadFailed,
    BalanceProgressed,
    DropsPreviewed,
    RowsReachedBalance,
    describe_category,
    describe_choices,
    describe_drops,
    describe_problem,
    describe_status,
)
from .base import ProjectTab

PREVIEW_DELAY_S = 0.25  # typing a number redraws the chart at once; the row preview waits a moment


class BalanceTab(ProjectTab):
    TAB_ID = "balance"
    TITLE = "Balance"

    DEFAULT_CSS = """
    BalanceTab #balance-top { height: 1; }
    BalanceTab #balance-status { width: 1fr; padding: 0 1; }
    BalanceTab #balance-progress { width: 30; }
    BalanceTab #balance-body { height: 1fr; }
    BalanceTab #balance-targets { width: 34; border: round $primary 50%; padding: 0 1; }
    BalanceTab #balance-targets Input { height: 1; border: none; padding: 0 1; margin-bottom: 1; background: $boost; }
    BalanceTab #balance-targets Input:focus { background: $primary 30%; }
    BalanceTab #balance-targets .target-label { color: $text-muted; }
    BalanceTab #balance-problem { color: $error; }
    BalanceTab #balance-chart { width: 1fr; border: round $primary 50%; }
    BalanceTab #balance-chart:focus { border: round $primary; }
    BalanceTab #balance-preview { height: 40%; min-height: 6; border: round $primary 50%; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "edit('max')", "Max"),
        Binding("n", "edit('min')", "Min"),
        Binding("t", "edit('cap')", "Cap this"),
        Binding("h", "edit('share')", "Share this"),
        Binding("l", "cycle_unlabelled", "Unlabelled"),
        Binding("d", "cycle_select", "Selection"),
        Binding("w", "write", "Write recipe"),
        Binding("f", "reload", "Recompute"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.records: pl.DataFrame | None = None
        self.params: dict[str, Any] = {}
        self.human: dict = {}
        self.protected: dict[str, str] = {}  # rows people decided on: kept first
        self.held_back: frozenset[str] = frozenset()  # rows the review step holds back: not counted
        self.load_cancelled = False  # esc stopped the computation: late progress is not shown
        self.in_recipe = False
        self.plan: BalancePlan | None = None
        self.started = False
        self.filling = False  # inputs being set from code: not an edit

    def compose(self):
        with Horizontal(id="balance-top"):
            yield Label("", id="balance-status")
            yield ProgressBar(id="balance-progress", show_eta=True, total=None)
        with Horizontal(id="balance-body"):
            with Vertical(id="balance-targets"):
                yield Label("m  max rows per category", classes="target-label")
                yield Input(placeholder="no cap", id="target-max", restrict=r"[0-9,_]*")
                yield Label("n  min rows per category", classes="target-label")
                yield Input(placeholder="no minimum", id="target-min", restrict=r"[0-9,_]*")
                yield Label("t  cap for this category", classes="target-label", id="cap-label")
                yield Input(placeholder="the max above", id="target-cap", restrict=r"[0-9,_]*")
                yield Label("h  share for this category", classes="target-label", id="share-label")
                yield Input(placeholder="none (e.g. 0.2 or 20%)", id="target-share", restrict=r"[0-9.%]*")
                yield Static("", id="balance-choices")
                yield Static("", id="balance-problem")
            yield BalanceChart(id="balance-chart")
        with VerticalScroll(id="balance-preview"):
            yield Static("", id="balance-preview-body")

    def on_mount(self) -> None:
        self.query_one("#balance-targets").border_title = "Targets"
        self.query_one("#balance-chart").border_title = "Rows per category: before → after"
        self.query_one("#balance-preview").border_title = "What the step would drop"

    def on_show(self) -> None:
        if not self.started:
            self.started = True
            self.action_reload()

    def focus_default(self) -> None:
        self._focus(self.query_one(BalanceChart))

    def _focus(self, widget) -> None:
        # At once, not on the next idle as widget.focus() does: keys typed right after m (say
        # "m300") must reach the input, however busy the app is.
        self.screen.set_focus(widget)

    # -- the rows that reach balance ----------------------------------------------------------
    def action_reload(self) -> None:
        self.load_cancelled = False
        self.query_one("#balance-progress", ProgressBar).display = True
        self._status("running the steps before balance… (esc cancels)")
        self.load_rows()

    @work(thread=True, exclusive=True, group="balance-load", exit_on_error=False)
    def load_rows(self) -> None:
        worker = get_current_worker()
        try:
            loaded = targets.rows_at_balance(
                self.project, progress=lambda label, done, total: self.post_message(BalanceProgressed(label, done, total)),
                cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        except WorkbenchError as e:
            self.post_message(BalanceLoadFailed(str(e)))
            return
        self.post_message(RowsReachedBalance(*loaded))

    def on_balance_progressed(self, event: BalanceProgressed) -> None:
        if self.load_cancelled:
            return
        self.query_one("#balance-progress", ProgressBar).display = True
        self.query_one("#balance-progress", ProgressBar).update(total=max(event.total, 1), progress=event.done)
        self._status(f"{event.label} {event.done:,}/{event.total:,} (esc cancels)")

    def on_balance_load_failed(self, event: BalanceLoadFailed) -> None:
        self.query_one("#balance-progress", ProgressBar).display = False
        self._status(Content.styled(f"Could not compute the rows that reach balance: {event.problem}", "$error"))

    def on_rows_reached_balance(self, event: RowsReachedBalance) -> None:
        self.query_one("#balance-progress", ProgressBar).display = False
        self.records, self.params, self.in_recipe, self.human = event.records, event.params, event.in_recipe, event.human
        try:
            self.protected, self.held_back = targets.decided_rows(self.project, self.records)
        except WorkbenchError as e:
            self._status(Content.styled(f"Could not read the reviewers' decisions: {e}", "$error"))
            return
        self._fill_inputs()
        self._replan()

    # -- planning -----------------------------------------------------------------------------
    def _replan(self) -> None:
        problem = self.query_one("#balance-problem", Static)
        if self.records is None:
            return
        try:
            step = targets.targets_step(self.params)
        except WorkbenchError as e:
            problem.update(describe_problem(e))
            return
        problem.update("")
        self.plan = step.plan(self.records, targets.plan_context(self.human, self.protected, self.held_back))
        chart = self.query_one(BalanceChart)
        names = min(26, max((len(c.category) for c in self.plan.categories), default=8))
        # name, bar, counts and shares (~40 cells), and room for "▲ 1,234 short of min 1,500"
        chart.show(self.plan, bar_width=max(8, min(40, chart.size.width - names - 72)))
        self._show_status()
        self._show_choices()
        self._sync_category_inputs()
        self._preview()

    def _show_status(self) -> None:
        if self.plan is not None and self.records is not None:
            self._status(describe_status(self.plan, self.records.height, self.in_recipe))

    def _show_choices(self) -> None:
        self.query_one("#balance-choices", Static).update(describe_choices(self.params))

    def _status(self, text: Content | str) -> None:
        self.query_one("#balance-status", Label).update(text)

    # -- editing ------------------------------------------------------------------------------
    def _fill_inputs(self) -> None:
        self.filling = True
        try:
            for name, key in (("target-max", "max_per_category"), ("target-min", "min_per_category")):
                value = per_category(self.params.get(key))
                self.query_one(f"#{name}", Input).value = "" if value is None else str(value)
        finally:
            self.filling = False

    def _sync_category_inputs(self) -> None:
        category = self.query_one(BalanceChart).category
        self.filling = True
        try:
            cap = self.query_one("#target-cap", Input)
            share = self.query_one("#target-share", Input)
            name = category or "this category"
            self.query_one("#cap-label", Label).update(f"t  cap for {name}")
            self.query_one("#share-label", Label).update(f"h  share for {name}")
            if not cap.has_focus:
                value = per_category(self.params.get("max_per_category"), category) if category else None
                cap.value = "" if value is None else str(value)
            if not share.has_focus:
                value = (self.params.get("target_share") or {}).get(category) if category else None
                share.value = "" if value is None else f"{value:g}"
        finally:
            self.filling = False

    def action_edit(self, which: str) -> None:
        self._focus(self.query_one(f"#target-{which}", Input))

    def action_back(self) -> None:
        """esc: stops the computation of the rows that reach balance while it runs; otherwise
        leaves a target field for the chart."""
        loading = [w for w in self.workers if w.group == "balance-load" and w.is_running]
        if loading:
            self.workers.cancel_group(self, "balance-load")
            self.load_cancelled = True  # progress the worker sent before it stopped is not shown
            self.query_one("#balance-progress", ProgressBar).display = False
            self._status("Cancelled: the rows that reach balance were not computed; f computes them again.")
            return
        self._focus(self.query_one(BalanceChart))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_back()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.filling or self.records is None:
            return
        category = self.query_one(BalanceChart).category
        which = (event.input.id or "").removeprefix("target-")
        try:
            self.params = targets.with_target(self.params, which, category, event.value)
        except ValueError:
            self.query_one("#balance-problem", Static).update(f"{event.value!r} is not a number")
            return
        self._replan()

    def action_cycle_unlabelled(self) -> None:
        self.params = targets.with_next_choice(self.params, "unlabelled")
        self._replan()

    def action_cycle_select(self) -> None:
        self.params = targets.with_next_choice(self.params, "select")
        self._replan()

    def action_write(self) -> None:
        try:
            targets.write_targets(self.project, self.params)
        except WorkbenchError as e:
            self.notify(str(e), title="Not written", severity="error", markup=False, timeout=15)
            return
        self.in_recipe = True
        self._show_status()
        self.notify("The balance targets are in workbench.toml; the next recipe run or export applies them.",
                    title="Recipe updated")

    # -- which rows would go ------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.plan is not None:
            self._sync_category_inputs()
            self._preview()

    def _preview(self) -> None:
        category = self.query_one(BalanceChart).category
        body = self.query_one("#balance-preview-body", Static)
        plan = self.plan
        if plan is None or category is None or self.records is None:
            body.update("")
            return
        c = plan.get(category)
        body.update(describe_category(category, c))
        if c.dropped:
            self.preview_drops(category, dict(self.params))

    @work(thread=True, exclusive=True, group="balance-preview", exit_on_error=False)
    def preview_drops(self, category: str, params: dict[str, Any]) -> None:
        worker = get_current_worker()
        time.sleep(PREVIEW_DELAY_S)
        if worker.is_cancelled or self.records is None:
            return
        try:
            dropped = targets.rows_dropped(
                self.project, self.records, category, params, human=self.human, protected=self.protected,
                held_back=self.held_back, cancelled=lambda: worker.is_cancelled,
                progress=lambda label, done, total: self.post_message(BalanceProgressed(label, done, total)))
        except Cancelled:
            return
        except WorkbenchError as e:
            self.post_message(BalanceLoadFailed(str(e)))
            return
        self.post_message(DropsPreviewed(category, params, dropped))

    def on_drops_previewed(self, event: DropsPreviewed) -> None:
        self.query_one("#balance-progress", ProgressBar).display = False
        if event.category != self.query_one(BalanceChart).category or event.params != self.params:
            return  # the user moved on meanwhile
        self._show_status()
        c = self.plan.get(event.category)
        self.query_one("#balance-preview-body", Static).update(
            describe_drops(event.category, c, event.dropped, self.params.get("select", "diverse")))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group.startswith("balance"):
            error = event.worker.error
            self.query_one("#balance-progress", ProgressBar).display = False
            self.notify(f"{type(error).__name__}: {error}", title="Unexpected error", severity="error",
                        timeout=20, markup=False)
