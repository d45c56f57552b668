"""The Compare tab: blind A/B votes, one pair of replies to the same prompt at a time.

The prompt is on top, the two replies side by side labelled A (left) and B (right). Model names
appear nowhere on this tab: not in the replies' titles, not in the set names (the default name of
a set is "<model> vs <model>"). v reveals them in a dialog, and only for the pairs this rater has
voted on. a / b / t / x (or 0) / s vote; each vote is committed before the next pair is drawn,
so a quit or a crash loses nothing and reopening resumes at the first unvoted pair. c writes a
one-line reason that stays with its pair until that pair's vote. u withdraws the newest vote and
shows its pair again, unless the rater has seen that pair's models. p opens the new-comparison
form: the replies are generated and paired in a process of their own
(:mod:`workbench.services.compare_job`), the tab shows its progress and takes the pairs as they
are ready, and esc stops it. The rules behind all of this are the arena use-case's
(:mod:`workbench.services.arena`); this module only shows and asks.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static

from ...errors import WorkbenchError
from ...store import default_rater
from .base import ProjectTab
from .compare_form import JobLine, NewComparisonDialog
from .compare_panels import CHOICE_WORDS, describe_reference, describe_reply, describe_turns, split_prompt
from .compare_reveal import RevealDialog

if TYPE_CHECKING:
    from ...services.arena import ArenaSession, PairView

class ReplyPane(VerticalScroll):
    """One reply; scrolls on its own with the mouse, and together with the other by keys."""

    def compose(self):
        yield Static("", classes="compare-text")

    def show(self, content: Content) -> None:
        self.query_one(Static).update(content)
        self.scroll_home(animate=False)


class CompareTab(ProjectTab, can_focus=True):
    TAB_ID = "compare"
    JUDGES_ITEMS = True  # g shows the project's annotation guidelines beside the pair
    TITLE = "Compare"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "vote('left')", "A better"),
        Binding("b", "vote('right')", "B better"),
        Binding("t", "vote('tie')", "Tie"),
        Binding("x,0", "vote('both_bad')", "Both bad"),
        Binding("s", "vote('skip')", "Skip"),
        Binding("c", "reason", "Reason"),
        Binding("u", "undo", "Undo"),
        Binding("f", "reference", "Reference"),
        Binding("v", "reveal", "Reveal"),
        Binding("n", "next_set", "Set"),
        Binding("p", "new_comparison", "New pairs"),
        Binding("down,j", "scroll_replies('down')", "Scroll", show=False),
        Binding("up,k", "scroll_replies('up')", "Scroll up", show=False),
        Binding("pagedown,space", "scroll_replies('page_down')", "Page down", show=False),
        Binding("pageup", "scroll_replies('page_up')", "Page up", show=False),
        Binding("home", "scroll_replies('home')", "Top", show=False),
        Binding("end", "scroll_replies('end')", "End", show=False),
        Binding("shift+down", "scroll_prompt(3)", "Prompt down", show=False),
        Binding("shift+up", "scroll_prompt(-3)", "Prompt up", show=False),
        Binding("escape", "leave_reason", "Back", show=False),
        Binding("escape", "stop_comparison", "Stop generating"),
    ]
    VOTING = frozenset({"vote", "reason", "reference", "scroll_replies", "scroll_prompt"})

    def __init__(self, project) -> None:
        super().__init__(project)
        self.rater = default_rater()
        self.arena: ArenaSession | None = None
        self.pair: PairView | None = None
        self.sets: list[str] = []
        self.comparison: str | None = None  # the set being rated; None: every pair in the store
        self.drafts: dict[int, str] = {}  # pair_id -> a reason not yet stored with a vote
        self.last_vote = ""
        self.problem = ""
        self.imported_only = False

    def compose(self):
        yield Label("", id="compare-status")
        yield JobLine(self._job_changed, id="compare-job")
        yield Static("", id="compare-empty")
        with Vertical(id="compare-body"):
            with VerticalScroll(id="compare-prompt"):
                yield Static("", id="compare-prompt-earlier", classes="compare-text")
                yield Static("", id="compare-prompt-text", classes="compare-text")
            with VerticalScroll(id="compare-reference"):
                yield Static("", id="compare-reference-text", classes="compare-text")
            with Horizontal(id="compare-replies"):
                yield ReplyPane(id="compare-left", classes="compare-reply")
                yield ReplyPane(id="compare-right", classes="compare-reply")
            yield Input(placeholder="a one-line reason, stored with your vote on this pair (enter: keep it)",
                        id="compare-reason")

    def on_mount(self) -> None:
        self.query_one("#compare-prompt").border_title = "Prompt"
        self.query_one("#compare-reference").border_title = "Reference answer"
        self.query_one("#compare-left").border_title = "A"
        self.query_one("#compare-right").border_title = "B"
        self.query_one("#compare-reason").border_title = "Reason: goes with your vote on this pair"
        for pane in self.query(".compare-reply, #compare-prompt, #compare-reference"):
            pane.can_focus = False  # the keys scroll them; the tab keeps the focus for the votes
        self._show()
        from ...services.compare_job import ACTIVE, latest_job

        job = latest_job(self.project.path)  # one started earlier (maybe by another window) still runs
        if job is not None and job.status() in ACTIVE:
            self.query_one(JobLine).follow(job)

    def on_show(self) -> None:
        # Every time the tab is shown: pairs may have been made (`workbench compare`) meanwhile.
        self.load()

    def focus_default(self) -> None:
        self.screen.set_focus(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.VOTING and self.pair is None:
            return False  # nothing to vote on: the footer shows only what works
        if action == "next_set":
            return len(self.sets) > 1
        if action == "leave_reason":
            return self.query_one("#compare-reason", Input).has_focus
        if action == "stop_comparison":
            return self.query_one(JobLine).active
        return True

    # -- loading ------------------------------------------------------------------------------
    def load(self) -> None:
        """(Re)read the pairs of the chosen set and show the first one this rater has not voted on."""
        # The evaluation package loads when the tab is first shown.
        from ...services.arena import ArenaSession, rateable_sets

        store = self.project.store
        try:
            self.sets, self.imported_only = rateable_sets(store)
            if self.comparison not in self.sets:
                self.comparison = None
            self.arena = ArenaSession(store, rater=self.rater, comparison=self.comparison)
            self.pair = self.arena.next_pair()
            self.problem = ""
        except WorkbenchError as e:
            self.arena, self.pair, self.problem = None, None, str(e)
        self._show()

    @property
    def set_index(self) -> int:
        """0 while every set is rated together, else the set's number (1-based; its name stays hidden)."""
        return self.sets.index(self.comparison) + 1 if self.comparison in self.sets else 0

    def _next_pair(self) -> None:
        assert self.arena is not None
        try:
            self.pair = self.arena.next_pair()
        except WorkbenchError as e:
            self.pair, self.problem = None, str(e)
        self._show()

    # -- what is shown ------------------------------------------------------------------------
    def _status(self) -> Content:
        parts: list[str | tuple[str, str]] = [("Rating as ", "dim"), (self.rater, "bold")]
        if self.arena is not None:
            voted, total = self.arena.progress()
            parts += [("  ·  ", "dim"), f"{voted:,} of {total:,} voted by {self.rater}"]
        if len(self.sets) > 1:
            which = f"set {self.set_index} of {len(self.sets)}" if self.set_index else f"all {len(self.sets)} sets"
            parts += [("  ·  ", "dim"), which, (" (n switches)", "dim")]
        if self.last_vote:
            parts += [("  ·  ", "dim"), ("saved: ", "dim"), (self.last_vote, "$success")]
        return Content.assemble(*parts)

    def _show(self) -> None:
        self.query_one("#compare-status", Label).update(self._status())
        empty = self.query_one("#compare-empty", Static)
        body = self.query_one("#compare-body")
        pair = self.pair
        if pair is None:
            body.display = False
            empty.display = True
            empty.update(self._empty_text())
            self.refresh_bindings()
            return
        empty.display = False
        body.display = True
        prompt = self.query_one("#compare-prompt")
        prompt.border_title = Content.assemble("Prompt", ("  ·  category ", "dim"), pair.category or "(none)")
        earlier, last = split_prompt(pair)
        self.query_one("#compare-prompt-earlier", Static).update(describe_turns(earlier))
        self.query_one("#compare-prompt-earlier", Static).display = bool(earlier)
        self.query_one("#compare-prompt-text", Static).update(describe_turns(last))
        self.call_after_refresh(self._place_prompt)
        self.query_one("#compare-reference-text", Static).update(describe_reference(pair.reference))
        self.query_one("#compare-reference").scroll_home(animate=False)
        self.query_one("#compare-left", ReplyPane).show(describe_reply(pair.left))
        self.query_one("#compare-right", ReplyPane).show(describe_reply(pair.right))
        self._show_reason()
        self.refresh_bindings()

    def _place_prompt(self) -> None:
        """Start at the user turn the replies answer; earlier turns are a scroll up."""
        prompt = self.query_one("#compare-prompt", VerticalScroll)
        last = self.query_one("#compare-prompt-text", Static)
        earlier = self.query_one("#compare-prompt-earlier", Static)
        if earlier.display and prompt.max_scroll_y > 0:
            prompt.scroll_to_widget(last, animate=False, top=True)
        else:
            prompt.scroll_home(animate=False)
        prompt.border_subtitle = "shift+↑↓ scrolls the prompt" if prompt.max_scroll_y > 0 else ""

    def _empty_text(self) -> Content:
        if self.problem:
            return Content.assemble(("Could not read the pairs: ", "bold $error"), self.problem)
        total = self.arena.progress()[1] if self.arena is not None else 0
        if not total and self.imported_only:
            return Content.assemble(("No pairs to rate here", "bold"), ": this project holds only imported judgements, "
                                    "which were judged elsewhere. `workbench eval report` shows their statistics; "
                                    "run `workbench generate` and `workbench compare` to rate replies here.")
        if not total:
            if self.query_one(JobLine).active:
                return Content.assemble(("No pairs yet", "bold"), ": the first ones appear here as soon as both "
                                        "models have answered a batch of prompts.")
            return Content.assemble(("No pairs yet", "bold"), ": press p to choose a trained run, the model to hold it "
                                    "against and the prompts; their replies are generated and paired here.")
        more = "\n\nPress n for another set." if len(self.sets) > 1 else ""
        return Content.assemble(("Nothing left to rate", "bold $success"),
                                " — press v to reveal which model wrote which reply in the pairs you voted on.",
                                (more, ""))

    def _show_reason(self) -> None:
        field = self.query_one("#compare-reason", Input)
        draft = self.drafts.get(self.pair.pair_id, "") if self.pair is not None else ""
        if field.value != draft:
            field.value = draft
        # The field stays in sight while it holds a reason, so the rater sees what goes with the vote.
        field.display = bool(draft) or field.has_focus

    # -- voting -------------------------------------------------------------------------------
    def action_vote(self, choice: str) -> None:
        pair, arena = self.pair, self.arena
        if pair is None or arena is None:
            return
        reason = self.drafts.get(pair.pair_id, "").strip()
        try:
            arena.vote(pair.pair_id, choice, reason)
        except (WorkbenchError, sqlite3.Error) as e:  # e.g. another rater's long write holds the database
            self.notify(f"{e}. Press the key again to retry.", title="Vote not saved", severity="error",
                        markup=False)
            return
        # Committed: only now may the next pair load.
        self.drafts.pop(pair.pair_id, None)
        self.last_vote = CHOICE_WORDS[choice] + (" + reason" if reason else "")
        self._next_pair()

    def action_reason(self) -> None:
        if self.pair is None:
            return
        field = self.query_one("#compare-reason", Input)
        field.display = True
        field.focus()
        field.cursor_position = len(field.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        # Kept as it is typed: leaving the field any way at all loses nothing.
        if event.input.id == "compare-reason" and self.pair is not None:
            text = " ".join(event.value.split())
            if text:
                self.drafts[self.pair.pair_id] = event.value
            else:
                self.drafts.pop(self.pair.pair_id, None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "compare-reason":
            event.stop()
            self.action_leave_reason()

    def action_stop_comparison(self) -> None:
        if self.query_one(JobLine).cancel():
            self.notify("Stopping the comparison: every reply and pair made so far is kept.", markup=False)

    def action_leave_reason(self) -> None:
        # The field stays in sight with its title ("goes with your vote on this pair") while it holds text.
        self.focus_default()
        self._show_reason()

    def action_undo(self) -> None:
        """Withdraw the newest vote of this rater in the set and show that pair again."""
        if self.arena is None:
            return
        from ...services.arena import UndoRefused

        try:
            undone = self.arena.undo()
        except UndoRefused:  # voting again with the names known would not be blind
            self.notify("You have seen which models wrote that pair (v), so your vote on it stands.",
                        title="Cannot undo", severity="warning")
            return
        except WorkbenchError as e:
            self.notify(str(e), title="Undo", severity="error", markup=False)
            return
        if undone is None:
            self.notify("You have no vote to undo here.", severity="warning")
            return
        self.pair = undone.pair
        self.last_vote = "vote withdrawn"
        self._show()

    # -- a new comparison ---------------------------------------------------------------------
    def action_new_comparison(self) -> None:
        from ...services.compare_job import model_choices
        from ...evaluate.prompts import trivial_settings

        if self.query_one(JobLine).active:
            self.notify("A comparison is still being generated; esc stops it.", severity="warning", markup=False)
            return
        try:
            keep = trivial_settings(self.project.config)[0]
        except WorkbenchError:
            keep = False
        self.app.push_screen(NewComparisonDialog(self.project, model_choices(self.project.path), keep),
                             self._start_comparison)

    def _start_comparison(self, request) -> None:
        if request is None:
            self.notify("No comparison started.", markup=False)
            return
        from ...services.compare_job import start

        try:
            job = start(self.project.path, request, self.rater)
        except WorkbenchError as e:
            self.notify(str(e), title="Not started", severity="error", markup=False)
            return
        self.query_one(JobLine).follow(job)
        self._show()

    def _job_changed(self, pairs: int) -> None:
        """More pairs are ready (or the job ended): take them without moving off the pair shown."""
        if self.pair is None or self.arena is None:
            self.load()
            return
        from ...services.arena import rateable_sets

        self.sets, self.imported_only = rateable_sets(self.project.store)
        self.query_one("#compare-status", Label).update(self._status())
        self.refresh_bindings()

    # -- other keys ---------------------------------------------------------------------------
    def action_reference(self) -> None:
        self.toggle_class("-reference")

    def action_reveal(self) -> None:
        if self.arena is None:
            return
        try:
            reveal = self.arena.reveal()  # noted as seen by this rater: an undo no longer reopens those pairs
        except WorkbenchError as e:
            self.notify(str(e), title="Reveal", severity="error", markup=False)
            return
        self.app.push_screen(RevealDialog(self.rater, reveal.rows, reveal.details, self.sets, self.set_index))

    def action_next_set(self) -> None:
        if len(self.sets) > 1:
            following = self.set_index + 1  # after the last set: every set together again
            self.comparison = self.sets[following - 1] if following <= len(self.sets) else None
            self.load()

    def action_scroll_replies(self, how: str) -> None:
        for pane in self.query(ReplyPane):
            if how in ("down", "up"):
                pane.scroll_relative(y=1 if how == "down" else -1, animate=False)
            elif how == "page_down":
                pane.scroll_page_down(animate=False)
            elif how == "page_up":
                pane.scroll_page_up(animate=False)
            elif how == "home":
                pane.scroll_home(animate=False)
            else:
                pane.scroll_end(animate=False)

    def action_scroll_prompt(self, delta: int) -> None:
        self.query_one("#compare-prompt").scroll_relative(y=delta, animate=False)
