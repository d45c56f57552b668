"""The Review tab's second queue: rows the categorize step could not label with confidence, and
rows whose label conflicts with a near-identical prompt. One row at a time; a takes the
suggestion, e picks a category, k keeps the label as it is. Each choice is a committed decision
(step "categorize", action "edit", detail {"category": ...}) that the next recipe run applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...errors import Cancelled, WorkbenchError
from ...records import Decision
from ...services.label_queue import decide_label, label_queue, suggestion, withdraw_label
from .review_panels import Conversation, describe_conversation

NO_CATEGORY = "(no category)"


@dataclass
class LabelQueueLoaded(Message):
    rows: pl.DataFrame  # flagged rows, input order
    flags: dict[str, Decision]  # record id -> the step's flag
    categories: list[str]
    others: dict[str, dict]  # conflicting row id -> that row
    chosen: dict[str, str | None]  # record id -> the category a person chose before


@dataclass
class LabelQueueFailed(Message):
    problem: str


@dataclass
class LabelQueueProgressed(Message):
    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LabelQueueProgressed)


class CategoryDialog(ModalScreen[str | None]):
    """Pick a category: the suggestion first; enter chooses, escape cancels."""

    DEFAULT_CSS = """
    CategoryDialog { align: center middle; }
    CategoryDialog > Vertical { width: 50; height: auto; max-height: 80%; border: round $accent; padding: 0 1; background: $surface; }
    CategoryDialog OptionList, CategoryDialog OptionList:focus { height: auto; max-height: 20; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, categories: list[str], first: str | None) -> None:
        super().__init__()
        self.choices = ([first] if first else []) + [c for c in categories if c != first] + [NO_CATEGORY]

    def compose(self):
        with Vertical():
            yield Label(Content.styled("Category for this row", "bold"))
            yield OptionList(*[Option(c, id=c) for c in self.choices])
            yield Label(Content.styled("enter chooses · esc cancels", "dim"))

    def on_mount(self) -> None:
        self.screen.set_focus(self.query_one(OptionList))
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(str(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LabelReview(Vertical):
    """Rows whose category needs a person, one at a time."""

    DEFAULT_CSS = """
    LabelReview { height: 1fr; }
    LabelReview #labels-status { height: 1; padding: 0 1; }
    LabelReview #labels-body { height: 1fr; }
    LabelReview #labels-conversation { width: 3fr; border: round $accent 50%; padding: 0 1; }
    LabelReview #labels-conversation:focus { border: round $accent; }
    LabelReview #labels-side { width: 2fr; min-width: 40; border: round $accent 50%; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "take_suggestion", "Take suggestion"),
        Binding("e", "choose", "Choose category"),
        Binding("k", "keep", "Keep label"),
        Binding("u", "undo", "Undo"),
        Binding("n,right", "move(1)", "Next"),
        Binding("p,left", "move(-1)", "Prev"),
    ]

    def __init__(self, project, rater: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.project = project
        self.rater = rater
        self.rows: pl.DataFrame | None = None
        self.flags: dict[str, Decision] = {}
        self.others: dict[str, dict] = {}
        self.categories: list[str] = []
        self.decided: dict[str, str | None] = {}  # record id -> category chosen in this session
        self.pos = 0
        self.loaded = False

    def compose(self):
        yield Label("", id="labels-status")
        with Horizontal(id="labels-body"):
            yield Conversation(id="labels-conversation")
            with VerticalScroll(id="labels-side"):
                yield Static("", id="labels-detail")

    def on_mount(self) -> None:
        self.query_one("#labels-conversation").border_title = "Row to label"
        self.query_one("#labels-side").border_title = "Why it needs you"

    def start(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.query_one("#labels-status", Label).update("running the steps up to categorize…")
            self.load()
        self.screen.set_focus(self.query_one(Conversation))

    @work(thread=True, exclusive=True, group="review-labels", exit_on_error=False)
    def load(self) -> None:
        worker = get_current_worker()

        def progress(label: str, done: int, total: int) -> None:
            self.post_message(LabelQueueProgressed(label, done, total))

        try:
            queue = label_queue(self.project, progress=progress, cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        except WorkbenchError as e:
            self.post_message(LabelQueueFailed(str(e)))
            return
        self.post_message(LabelQueueLoaded(queue.rows, queue.flags, queue.categories, queue.others, queue.chosen))

    def on_label_queue_progressed(self, event: LabelQueueProgressed) -> None:
        self.query_one("#labels-status", Label).update(f"{event.label} {event.done:,}/{event.total:,}…")

    def on_label_queue_failed(self, event: LabelQueueFailed) -> None:
        self.loaded = False
        self.query_one("#labels-status", Label).update(Content.styled(event.problem, "$error"))

    def on_label_queue_loaded(self, event: LabelQueueLoaded) -> None:
        self.rows, self.flags, self.categories, self.others = event.rows, event.flags, event.categories, event.others
        self.decided = {**event.chosen, **self.decided}  # choices of earlier sessions, shown as such
        self.pos = 0
        self._show()

    # -- showing ------------------------------------------------------------------------------
    def _show(self) -> None:
        status = self.query_one("#labels-status", Label)
        detail = self.query_one("#labels-detail", Static)
        if self.rows is None:
            return
        total = self.rows.height
        status.update(Content.assemble(
            ("Labels to check: ", "dim"), f"{len(self.decided):,} of {total:,} decided",
            ("  ·  l goes back to the synthetic examples", "dim")))
        body = self.query_one("#labels-body")
        if total == 0:
            body.display = False
            status.update(Content.assemble(("No labels need you: ", "bold $success"),
                                           "categorize labelled every row with confidence and found no conflicts.",
                                           ("  ·  l goes back", "dim")))
            return
        body.display = True
        self.pos = max(0, min(self.pos, total - 1))
        row = self.rows.row(self.pos, named=True)
        chosen = self.decided.get(row["id"], "")
        # The header says the category the row will have: the person's choice, once made.
        shown = row if chosen == "" else {**row, "category": f"{chosen or NO_CATEGORY} (your choice)"}
        self.query_one(Conversation).show(describe_conversation(shown, f"{self.pos + 1} of {total}"))
        flag = self.flags[row["id"]]
        parts: list[str | tuple[str, str]] = []
        if flag.reason == "low_confidence":
            suggested = flag.detail.get("suggested")
            # Rounded down, so that a confidence just under the bar never reads as reaching it.
            confidence = math.floor(flag.detail.get("confidence", 0) * 100) / 100
            needed = flag.detail.get("needed")
            parts += [("Not labelled: the guess is unsure", "bold $warning"), "\n",
                      f"method {flag.detail.get('method')}, confidence {confidence:.2f}"
                      + (f" (labelling needs {needed:.2f})" if needed is not None else ""), "\n",
                      "suggestion: ", (suggested or "none", "bold"), "\n"]
        else:
            other = self.others.get(flag.detail.get("conflicts_with"))
            parts += [("Label conflict", "bold $warning"), "\n",
                      f"labelled {flag.detail.get('category')}, but a near-identical prompt "
                      f"(cosine {flag.detail.get('similarity', 0):.2f}) is labelled ",
                      (str(flag.detail.get("other_category")), "bold"), "\n"]
            if other is not None:
                prompt = " ".join(next((m["content"] for m in other["messages"] if m["role"] == "user"), "").split())
                parts += [("“" + prompt[:160] + ("…" if len(prompt) > 160 else "") + "”", "italic"),
                          (f"  {other['source_file']}:{other['source_line']}", "dim"), "\n"]
        if chosen != "":
            parts += ["\n", ("your choice: ", "bold"), (chosen or NO_CATEGORY, "bold $success"), "\n"]
        parts += ["\n", ("a", "bold"), " take the suggestion   ", ("e", "bold"), " choose   ",
                  ("k", "bold"), " keep as it is"]
        detail.update(Content.assemble(*parts))

    # -- deciding -----------------------------------------------------------------------------
    def _current(self) -> tuple[dict, Decision] | None:
        if self.rows is None or self.rows.height == 0:
            return None
        row = self.rows.row(self.pos, named=True)
        return row, self.flags[row["id"]]

    def _decide(self, category: str | None) -> None:
        current = self._current()
        if current is None:
            return
        row, _ = current
        decide_label(self.project.store, row["id"], category, self.rater)
        self.decided[row["id"]] = category
        if self.pos < self.rows.height - 1:
            self.pos += 1
        self._show()

    def action_take_suggestion(self) -> None:
        current = self._current()
        if current is None:
            return
        suggested = suggestion(current[1])
        if suggested is None:
            self.notify("There is no suggestion for this row; e chooses a category.", severity="warning")
            return
        self._decide(suggested)

    def action_keep(self) -> None:
        current = self._current()
        if current is not None:
            self._decide(current[0].get("category"))

    def action_choose(self) -> None:
        current = self._current()
        if current is None:
            return

        def done(choice: str | None) -> None:
            if choice is not None:
                self._decide(None if choice == NO_CATEGORY else choice)

        self.app.push_screen(CategoryDialog(self.categories, suggestion(current[1])), done)

    def action_undo(self) -> None:
        current = self._current()
        if current is None:
            return
        row, _ = current
        if row["id"] not in self.decided and self.pos > 0:
            self.pos -= 1
            row = self.rows.row(self.pos, named=True)
        if row["id"] in self.decided:
            withdraw_label(self.project.store, row["id"], self.rater)
            del self.decided[row["id"]]
            self._show()

    def action_move(self, delta: int) -> None:
        if self.rows is not None and self.rows.height:
            self.pos = max(0, min(self.pos + delta, self.rows.height - 1))
            self._show()
