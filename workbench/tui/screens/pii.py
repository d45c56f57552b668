"""The PII tab: counts by entity type, a queue of records with their found spans highlighted in
place, and one key per decision (accept, reject, reject and allow-list, mark a missed span,
bulk accept). Every decision is committed before the next span shows; the tab opens on the
first undecided span, so the reviewer resumes where they stopped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, OptionList, ProgressBar, Static
from textual.worker import get_current_worker

from ...errors import Cancelled, WorkbenchError
from ...services.pii_review import ReviewQueue, allow_list_path, scan_project
from ..widgets.pii_queue import PiiQueueList
from ..widgets.pii_record import PiiRecordView
from .base import ProjectTab
from ..widgets.find_dialog import FindDialog
from .pii_dialogs import BulkAcceptDialog, MarkSpanDialog


EMPTY_HELP = (
    "Press s to scan every turn for personal data: names, emails, phone numbers, cards, addresses.\n\n"
    "The records with findings then appear here one at a time, each span highlighted. "
    "a accepts a span (it is scrubbed), x rejects it (a false positive, left in the text), "
    "w rejects it and adds its text to the allow list, m marks a span the scan missed, "
    "b accepts many at once. Every decision is saved as you press the key; export applies them, "
    "and a span you have not decided is scrubbed.")


@dataclass
class PiiQueueLoaded(Message):
    queue: ReviewQueue
    note: str = ""


@dataclass
class PiiScanFailed(Message):
    problem: str
    cancelled: bool = False


@dataclass
class PiiScanProgressed(Message):
    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PiiScanProgressed)


class PiiTab(ProjectTab):
    TAB_ID = "pii"
    JUDGES_ITEMS = True
    TITLE = "PII"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "decide('accept')", "Accept"),
        Binding("x", "decide('reject')", "Reject"),
        Binding("w", "allow", "Reject+allow-list"),
        Binding("m", "mark", "Mark missed"),
        Binding("b", "bulk", "Bulk accept"),
        Binding("e", "exported", "As exported"),
        Binding("slash", "find", "Find"),
        Binding("u", "undo", "Undo"),
        Binding("right,l", "span(1)", "Next span"),
        Binding("left,h", "span(-1)", "Prev span", show=False),
        Binding("n", "record(1)", "Next record", show=False),
        Binding("p", "record(-1)", "Prev record", show=False),
        Binding("s", "scan", "Scan"),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.queue: ReviewQueue | None = None
        self.record = 0
        self.span = 0
        self.started = False
        self.scanning = False
        self.note = ""
        self.as_exported = False  # e: the record as the export will write it
        self.last_find = ""  # what / looked for last

    def compose(self):
        with Horizontal(id="pii-top"):
            yield Label("", id="pii-status")
            yield ProgressBar(id="pii-progress", show_eta=False)
        yield Static("", id="pii-counts")
        with Horizontal(id="pii-body"):
            yield PiiQueueList(id="pii-queue")
            yield PiiRecordView(id="pii-view")

    def on_show(self) -> None:
        if not self.started:
            self.started = True
            self._status("loading findings…")
            self.load_queue()

    def focus_default(self) -> None:
        self.query_one("#pii-queue", OptionList).focus()

    # -- loading and scanning -----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="pii-load", exit_on_error=False)
    def load_queue(self) -> None:
        try:
            self.post_message(PiiQueueLoaded(ReviewQueue.load(self.project)))
        except WorkbenchError as e:
            self.post_message(PiiScanFailed(str(e)))

    def action_scan(self) -> None:
        if self.scanning:
            self.notify("The scan is already running; esc cancels it.")
            return
        self.scanning = True
        self.query_one("#pii-progress", ProgressBar).display = True
        self._status("scanning…")
        if not self.queue:
            self.query_one(PiiRecordView).show_message(
                "Scanning every turn for personal data; the first run loads the language model. esc cancels.")
        self.scan()

    @work(thread=True, exclusive=True, group="pii-scan", exit_on_error=False)
    def scan(self) -> None:
        worker = get_current_worker()

        def progress(label: str, done: int, total: int) -> None:
            self.post_message(PiiScanProgressed(label, done, total))

        try:
            note = scan_project(self.project, progress, lambda: worker.is_cancelled)
            queue = ReviewQueue.load(self.project)
        except Cancelled:
            self.post_message(PiiScanFailed("scan cancelled; s to scan again", cancelled=True))
            return
        except WorkbenchError as e:
            self.post_message(PiiScanFailed(str(e)))
            return
        self.post_message(PiiQueueLoaded(queue, note))

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "pii-scan")

    def on_pii_scan_progressed(self, event: PiiScanProgressed) -> None:
        self.query_one("#pii-progress", ProgressBar).update(total=max(event.total, 1), progress=event.done)
        self._status(f"{event.label} {event.done:,}/{event.total:,}")

    def on_pii_scan_failed(self, event: PiiScanFailed) -> None:
        self.scanning = False
        self.query_one("#pii-progress", ProgressBar).display = False
        self._status(event.problem)
        if not event.cancelled:
            self.notify(event.problem, title="PII scan", severity="error", timeout=15, markup=False)

    def on_pii_queue_loaded(self, event: PiiQueueLoaded) -> None:
        self.scanning = False
        self.query_one("#pii-progress", ProgressBar).display = False
        self.queue = event.queue
        self.note = event.note
        self.record, self.span = self.queue.first_pending()  # resume where the reviewer stopped
        self._refresh_list()
        self._show()
        if event.note:
            self.notify(event.note, title="PII scan", timeout=12, markup=False)

    # -- showing ------------------------------------------------------------------------------
    def _status(self, text: str) -> None:
        self.query_one("#pii-status", Label).update(Text(text))

    def _sealed_note(self) -> str | None:
        from ...services.pii_purge import sealed_note

        return sealed_note(self.project, "pii")

    def _summary(self) -> str:
        q = self.queue
        if q is None or not len(q):
            if self._sealed_note():
                return "No findings among the rows imported since the originals were purged."
            return ("No findings yet: press s to scan the records for personal data "
                    "(names, emails, phones, cards, addresses).")
        pending = sum(r.pending for r in q.records)
        spans = sum(len(r.spans) for r in q.records)
        return (f"{len(q):,} records with personal data, {spans:,} spans · {pending:,} not reviewed "
                "(scrubbed unless rejected)")

    def _refresh_list(self) -> None:
        if self.queue is not None:
            self.query_one(PiiQueueList).fill(self.queue.records, self.record)
        self._refresh_counts()
        self._status(self._summary())

    def _refresh_counts(self) -> None:
        counts = self.queue.counts() if self.queue else {}
        parts: list[str | tuple[str, str]] = []
        for entity, c in counts.items():
            parts += [(entity, "bold"), f" {c['total']:,}"]
            detail = [f"{c[k]:,} {k}" for k in ("pending", "accepted", "rejected", "added") if c[k]]
            parts += [(f" ({', '.join(detail)})", "dim"), "   "]
        self.query_one("#pii-counts", Static).update(Content.assemble(*parts) if parts else "")

    def _current(self):
        if not self.queue or not len(self.queue):
            return None, None
        rec = self.queue.records[self.record]
        span = rec.spans[self.span] if rec.spans and self.span < len(rec.spans) else None
        return rec, span

    def _show(self) -> None:
        rec, span = self._current()
        if rec is None:
            note = self._sealed_note()
            self.query_one(PiiRecordView).show_message(f"{note}\n\n{EMPTY_HELP}" if note else EMPTY_HELP)
        elif self.as_exported:
            from ...services.pii_preview import exported_view

            self.query_one(PiiRecordView).show_exported(rec, exported_view(self.project, rec))
        else:
            self.query_one(PiiRecordView).show(rec, span, self.span)

    def action_find(self) -> None:
        """Jump to the next record whose id, text or found values hold what the reviewer types."""
        if not self.queue or not len(self.queue):
            return

        def found(query: str | None) -> None:
            if query is None:
                return
            self.last_find = query
            at = self.queue.find(query, self.record)
            if at is None:
                self.notify(f"No record matches {query!r}.", severity="warning", markup=False)
                return
            self.record, self.span = at, 0
            self.query_one(PiiQueueList).highlighted = at
            self._show()

        self.app.push_screen(FindDialog("Find a record: its id (or the first characters), a word of its text, "
                                        "or a value found in it. Enter finds the next match.",
                                        self.last_find, "e.g. 6b586c74 or Ana Dias"), found)

    def action_exported(self) -> None:
        """Toggle between the spans to review and the record as the export will write it."""
        self.as_exported = not self.as_exported
        self._show()

    # -- moving -------------------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.queue is None or event.option_index == self.record:
            return
        self.record = event.option_index
        rec = self.queue.records[self.record]
        self.span = next((j for j, s in enumerate(rec.spans) if s.status == "pending"), 0)
        self._show()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_decide("accept")

    def action_span(self, delta: int) -> None:
        rec, _ = self._current()
        if rec is None:
            return
        j = self.span + delta
        if 0 <= j < len(rec.spans):
            self.span = j
            self._show()
        else:
            self.action_record(1 if delta > 0 else -1, at_end=delta < 0)

    def action_record(self, delta: int, at_end: bool = False) -> None:
        if not self.queue or not len(self.queue):
            return
        self.record = (self.record + delta) % len(self.queue)
        self.span = max(0, len(self.queue.records[self.record].spans) - 1) if at_end else 0
        self.query_one("#pii-queue", OptionList).highlighted = self.record
        self._show()

    def _advance(self) -> None:
        """After a decision: the next undecided span, here or in a later record."""
        nxt = self.queue.next_pending(self.record, self.span)
        if nxt is None:
            self.notify("Every span is reviewed. Export applies the decisions.", title="PII")
        else:
            self.record, self.span = nxt
        self._refresh_option(self.record)
        self.query_one("#pii-queue", OptionList).highlighted = self.record
        self._refresh_counts()
        self._status(self._summary())
        self._show()

    def _refresh_option(self, index: int) -> None:
        self.query_one(PiiQueueList).refresh_records(self.queue.records, (index, self._last_decided_record))

    _last_decided_record = 0

    # -- deciding -----------------------------------------------------------------------------
    def action_decide(self, action: str) -> None:
        rec, span = self._current()
        if span is None:
            return
        if span.status == "added" and action == "reject":
            self.action_undo()
            return
        self.queue.decide(self.project.store, self.record, self.span, action)
        self._last_decided_record = self.record
        self._advance()

    def action_allow(self) -> None:
        rec, span = self._current()
        if span is None:
            return
        from ...steps.pii.step import add_to_allow_list

        path = allow_list_path(self.project)
        added = add_to_allow_list(path, span.value)
        self.queue.decide(self.project.store, self.record, self.span, "reject", reason="allow list")
        others = self.queue.reject_value(self.project.store, span.value)  # the same value elsewhere
        self._last_decided_record = self.record
        where = path.relative_to(self.project.path) if path.is_relative_to(self.project.path) else path
        also = f" and {others:,} other span(s) with it rejected" if others else ""
        self.notify(f"{span.value!r} {'added to' if added else 'is already in'} {where}{also}; "
                    "scans leave it from now on.", title="Allow list", markup=False)
        self._refresh_list()
        self._advance()

    def action_undo(self) -> None:
        rec, span = self._current()
        if span is None or span.status == "pending":
            return
        self.queue.undo(self.project.store, self.record, self.span)
        self.span = min(self.span, max(0, len(rec.spans) - 1))
        self._refresh_option(self.record)
        self._refresh_counts()
        self._status(self._summary())
        self._show()

    def action_mark(self) -> None:
        rec, _ = self._current()
        if rec is None:
            self.notify("Scan first (s): a missed span is marked in a record of the queue.")
            return
        selected = (self.screen.get_selected_text() or "").strip() if hasattr(self.screen, "get_selected_text") else ""
        entities = sorted({s.entity for r in self.queue.records for s in r.spans})

        def marked(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            text, entity = result
            added = self.queue.mark_missed(self.project.store, self.record, text, entity)
            if not added:
                self.notify(f"{text!r} is not in this record (or is already marked).", severity="warning",
                            markup=False)
                return
            self.span = rec.spans.index(added[0])
            self.notify(f"Marked {len(added)} occurrence(s) as {entity}.", title="PII", markup=False)
            self._refresh_option(self.record)
            self._refresh_counts()
            self._status(self._summary())
            self._show()

        self.app.push_screen(MarkSpanDialog(selected, entities), marked)

    def action_bulk(self) -> None:
        if not self.queue or not len(self.queue):
            return
        pending = self.queue.pending_scores()
        if not pending:
            self.notify("Nothing is pending.")
            return
        _, span = self._current()

        def chosen(result: tuple[str | None, float] | None) -> None:
            if result is None:
                return
            entity, score = result
            n = self.queue.bulk_accept(self.project.store, entity, score)
            self.notify(f"Accepted {n:,} span(s) of {entity or 'every type'} scored {score:.2f} or more.",
                        title="PII", markup=False)
            self._refresh_list()
            _, here = self._current()
            if here is not None and here.status != "pending":
                self._advance()
            else:
                self._show()

        self.app.push_screen(BulkAcceptDialog(pending, span.entity if span else None), chosen)

