"""The Review tab: synthetic examples one at a time, with the signals that help judge them.

a accepts, r rejects (a number picks the reason), e edits the reply; each verdict is committed to
the store before the next example shows. The tab opens at the first example this reviewer has
not judged, so leaving and coming back resumes. Filters: c category, s signal, v which rows.
l switches to the rows whose category the categorize step left for a person (review_labels.py).
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...errors import Cancelled, WorkbenchError
from ...services.synthetic_queue import SHOW, ReviewQueue, position_after
from ...steps.synthetic_review.signals import SIGNALS
from ...store import default_rater
from .base import ProjectTab
from .review_dialogs import EditDialog, RejectDialog, Rejection
from .review_labels import LabelReview
from .review_panels import (
    Conversation,
    NearestFound,
    NearestProgressed,
    NearestUnavailable,
    ReviewLoadFailed,
    ReviewQueueLoaded,
    describe_conversation,
    describe_empty,
    describe_filters,
    describe_progress,
    describe_signals,
    describe_verdicts,
)


class ReviewTab(ProjectTab):
    TAB_ID = "review"
    JUDGES_ITEMS = True
    TITLE = "Review"

    DEFAULT_CSS = """
    ReviewTab #review-synthetic { height: 1fr; }
    ReviewTab #review-labels { display: none; }
    ReviewTab.-labels #review-labels { display: block; }
    ReviewTab.-labels #review-synthetic { display: none; }
    ReviewTab #review-top { height: 1; }
    ReviewTab #review-status { width: 1fr; padding: 0 1; }
    ReviewTab #review-progress { width: 30; }
    ReviewTab #review-filters { height: 1; padding: 0 1; color: $text-muted; }
    ReviewTab #review-body { height: 1fr; }
    ReviewTab #review-conversation { width: 3fr; border: round $primary 50%; padding: 0 1; }
    ReviewTab #review-conversation:focus { border: round $primary; }
    ReviewTab #review-side { width: 2fr; min-width: 40; border: round $primary 50%; padding: 0 1; }
    ReviewTab #review-empty { padding: 1 2; color: $text-muted; display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "Accept"),
        Binding("r", "reject", "Reject"),
        Binding("e", "edit", "Edit"),
        Binding("u", "undo", "Undo"),
        Binding("n,right", "move(1)", "Next"),
        Binding("p,left", "move(-1)", "Prev"),
        Binding("c", "cycle_category", "Category"),
        Binding("s", "cycle_signal", "Signal"),
        Binding("v", "cycle_show", "Show"),
        Binding("l", "toggle_labels", "Labels"),
        Binding("slash", "find", "Find"),
    ]
    SYNTHETIC_ONLY = frozenset({"accept", "reject", "edit", "undo", "move", "cycle_category", "cycle_signal",
                                "cycle_show"})

    def __init__(self, project) -> None:
        super().__init__(project)
        self.rater = default_rater()
        self.queue: ReviewQueue | None = None
        self.listed: list[int] = []
        self.pos = 0
        self.last_find = ""  # what / looked for last
        self.category: str | None = None
        self.signal: str | None = None
        self.show_mode = SHOW[0]
        self.history: list[str] = []  # record ids judged in this session, for undo
        self.nearest_state = "computing…"
        self.started = False

    def compose(self):
        with Vertical(id="review-synthetic"):
            with Horizontal(id="review-top"):
                yield Label("loading the rows to review…", id="review-status")
                yield ProgressBar(id="review-progress", show_eta=True, total=None)
            yield Label("", id="review-filters")
            yield Static("", id="review-empty")
            with Horizontal(id="review-body"):
                yield Conversation(id="review-conversation")
                with VerticalScroll(id="review-side"):
                    yield Static("", id="review-signals")
                    yield Static("", id="review-verdicts")
        yield LabelReview(self.project, self.rater, id="review-labels")

    def on_mount(self) -> None:
        self.query_one("#review-conversation").border_title = "Example"
        self.query_one("#review-side").border_title = "Signals and verdicts"

    def on_show(self) -> None:
        if not self.started:
            self.started = True
            self.load_queue()

    def focus_default(self) -> None:
        if self.has_class("-labels"):
            self.query_one(LabelReview).start()
        else:  # at once, not on the next idle: the next key is a verdict
            self.screen.set_focus(self.query_one("#review-conversation", Conversation))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.SYNTHETIC_ONLY and self.has_class("-labels"):
            return False
        return True

    def action_toggle_labels(self) -> None:
        """Switch between the synthetic examples and the rows whose category needs a person."""
        self.toggle_class("-labels")
        self.refresh_bindings()
        self.focus_default()

    # -- loading ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="review-load", exit_on_error=False)
    def load_queue(self) -> None:
        worker = get_current_worker()
        try:
            queue = ReviewQueue.load(self.project, self.rater)
        except WorkbenchError as e:
            self.post_message(ReviewLoadFailed(str(e)))
            return
        self.post_message(ReviewQueueLoaded(queue))
        # The first example is on screen already; measure the rest for the signal filter.
        queue.compute_signals(cancelled=lambda: worker.is_cancelled)

    def on_review_queue_loaded(self, event: ReviewQueueLoaded) -> None:
        self.queue = event.queue
        self._refilter(keep=None)
        if len(self.queue):
            self.nearest_state = "computing…"
            self.find_nearest(self.queue)
        else:
            self.query_one("#review-progress", ProgressBar).display = False

    def on_review_load_failed(self, event: ReviewLoadFailed) -> None:
        self.query_one("#review-progress", ProgressBar).display = False
        self._status(Content.styled(f"Could not load the rows to review: {event.problem}", "$error"))

    @work(thread=True, exclusive=True, group="review-nearest", exit_on_error=False)
    def find_nearest(self, queue: ReviewQueue) -> None:
        """Embed prompts (cached after the first time) to find each row's nearest human example."""
        worker = get_current_worker()

        def report(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise Cancelled("review: cancelled")
            self.post_message(NearestProgressed(done, total))

        try:
            vectors, reference = queue.prompt_vectors(self.project, report=report)
        except Cancelled:
            return
        except WorkbenchError as e:
            self.post_message(NearestUnavailable(str(e)))
            return
        self.post_message(NearestFound(queue, vectors, reference))

    def on_nearest_progressed(self, event: NearestProgressed) -> None:
        self.nearest_state = f"embedding prompts {event.done:,}/{event.total:,}…"
        self.query_one("#review-progress", ProgressBar).update(total=max(event.total, 1), progress=event.done)
        self._show_side()

    def on_nearest_found(self, event: NearestFound) -> None:
        if event.queue is not self.queue:
            return
        self.query_one("#review-progress", ProgressBar).display = False
        if len(event.reference):
            self.queue.set_nearest(event.vectors, event.reference)
            self.nearest_state = ""
        else:
            self.nearest_state = "no human rows to compare with"
        self._show_side()
        self._filters_line()

    def on_nearest_unavailable(self, event: NearestUnavailable) -> None:
        self.query_one("#review-progress", ProgressBar).display = False
        self.nearest_state = f"unavailable: {event.problem}"
        self._show_side()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group.startswith("review"):
            error = event.worker.error
            self.query_one("#review-progress", ProgressBar).display = False
            self.notify(f"{type(error).__name__}: {error}", title="Unexpected error", severity="error",
                        timeout=20, markup=False)

    # -- what is shown ------------------------------------------------------------------------
    @property
    def index(self) -> int | None:
        if self.queue is None or not self.listed:
            return None
        return self.listed[min(self.pos, len(self.listed) - 1)]

    def _refilter(self, keep: int | None) -> None:
        """Recompute the rows shown; stay on row `keep` when it still matches, else start at the top."""
        assert self.queue is not None
        self.listed = self.queue.matching(self.category, self.signal, self.show_mode)
        self.pos = self.listed.index(keep) if keep is not None and keep in self.listed else 0
        self._show()

    def _status(self, content: Content | str) -> None:
        self.query_one("#review-status", Label).update(content)

    def _filters_line(self) -> None:
        if self.queue is None:
            return
        shown = f"{min(self.pos + 1, len(self.listed))} of {len(self.listed):,}" if self.listed else "0"
        self.query_one("#review-filters", Label).update(describe_filters(self.show_mode, self.category, self.signal,
                                                                         shown))

    def _show(self) -> None:
        queue = self.queue
        if queue is None:
            return
        self._status(describe_progress(queue, self.rater))
        self._filters_line()
        empty = self.query_one("#review-empty", Static)
        body = self.query_one("#review-body")
        index = self.index
        if index is None:
            body.display = False
            empty.display = True
            empty.update(describe_empty(queue, self.show_mode, self.category is not None or self.signal is not None))
            return
        body.display = True
        empty.display = False
        conversation = describe_conversation(queue.row(index), f"#{index + 1}", queue.edited(index))
        self.query_one("#review-conversation", Conversation).show(conversation)
        self._show_side()

    def _show_side(self) -> None:
        index = self.index
        if self.queue is None or index is None:
            return
        s = self.queue.signal(index)
        nearest = self.queue.reference_row(s.nearest_id) if s.nearest_id else None
        self.query_one("#review-signals", Static).update(describe_signals(s, self.nearest_state, nearest))
        verdicts = describe_verdicts(self.queue, index, self.queue.agreement())
        fate = self.queue.fate(index)
        if fate is not None:  # judged, yet the last run dropped it in another step: say so here
            verdicts = Content.assemble(verdicts, ("last run: ", "bold $warning"), (fate, "$warning"), "\n")
        self.query_one("#review-verdicts", Static).update(verdicts)

    # -- moving and filtering -----------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if not self.listed:
            return
        self.pos = max(0, min(self.pos + delta, len(self.listed) - 1))
        self._show()

    def action_find(self) -> None:
        """Jump to the next row of the list whose id starts with, or whose text holds, what is typed."""
        if self.queue is None or not self.listed:
            return
        from ..widgets.find_dialog import FindDialog

        def found(query: str | None) -> None:
            if query is None:
                return
            self.last_find = query
            at = self.queue.find(query, self.listed, self.pos)
            if at is None:
                self.notify(f"No row in this list matches {query!r}.", severity="warning", markup=False)
                return
            self.pos = at
            self._show()

        self.app.push_screen(FindDialog("Find a row in this list: its id (or the first characters) or a word of "
                                        "its text. Enter finds the next match.", self.last_find,
                                        "e.g. 6b586c74 or refund"), found)

    def action_cycle_category(self) -> None:
        if self.queue is None:
            return
        names = [None, *self.queue.category_names()]
        self.category = names[(names.index(self.category) + 1) % len(names)]
        self._refilter(self.index)

    def action_cycle_signal(self) -> None:
        if self.queue is None:
            return
        names = [None, *SIGNALS]
        self.signal = names[(names.index(self.signal) + 1) % len(names)]
        self._refilter(self.index)

    def action_cycle_show(self) -> None:
        if self.queue is None:
            return
        self.show_mode = SHOW[(SHOW.index(self.show_mode) + 1) % len(SHOW)]
        self._refilter(self.index)

    # -- verdicts -----------------------------------------------------------------------------
    def _commit(self, index: int, action: str, **kwargs) -> None:
        """Store the verdict (one committed transaction), then show the next example."""
        assert self.queue is not None
        try:
            self.queue.judge(self.project.store, index, action, **kwargs)
        except ValueError as e:
            self.notify(str(e), title="Not saved", severity="error", markup=False)
            return
        self.history.append(self.queue.ids[index])
        self._advance_from(index)

    def _advance_from(self, index: int) -> None:
        """After a verdict: the next row in the list (the judged one may have left a 'to review' list)."""
        assert self.queue is not None
        self.listed = self.queue.matching(self.category, self.signal, self.show_mode)
        self.pos = position_after(self.listed, index, self.show_mode, self.pos)
        self._show()

    def action_accept(self) -> None:
        if self.index is not None:
            self._commit(self.index, "accept")

    def action_reject(self) -> None:
        index = self.index
        if index is None:
            return

        def done(result: Rejection | None) -> None:
            if result is not None:
                self._commit(index, "reject", reason=result.reason, note=result.note)

        self.app.push_screen(RejectDialog(), done)

    def action_edit(self) -> None:
        index = self.index
        if index is None or self.queue is None:
            return
        current = self.queue.edited(index)
        current = current if current is not None else self.queue.row(index)["messages"]

        def done(result: list[dict[str, str]] | None) -> None:
            if result is not None:
                self._commit(index, "edit", messages=result)

        self.app.push_screen(EditDialog(current), done)

    def action_undo(self) -> None:
        if self.queue is None:
            return
        rid = self.queue.to_undo(self.index, self.show_mode, self.history)
        if rid is None:
            self.notify("Nothing to undo in this session.", severity="warning")
            return
        self._refilter(keep=self.queue.withdraw(self.project.store, rid))
        self.notify("Your verdict was withdrawn; the row is back in your list.", title="Undone")

