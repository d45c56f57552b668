"""The new-comparison form of the Compare tab: two models, the prompt set, how many prompts.

It previews what would be drawn ("20 prompts (14 holdout, 6 general); 3 closers left out") before
anything starts; g or enter starts, esc closes without starting anything (and says so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

if TYPE_CHECKING:
    from ...services.compare_job import ComparisonRequest, ModelChoice

PROMPT_SETS = [("holdout prompts (held out of training)", "holdout"),
               ("general prompts (MT-bench: catch forgetting)", "general"), ("both", "both")]


class CountInput(Input):
    """A whole number; letters are left to the form's keys, so g starts from this field too."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isdigit()

    async def _on_key(self, event) -> None:
        if event.is_printable and not (event.character or "").isdigit():
            event.prevent_default()  # Input's own handler would take it; it goes on to the form's keys


class NewComparisonDialog(ModalScreen["ComparisonRequest | None"]):
    """Ask for a comparison; dismissed with the request to start, or None."""

    # Here rather than in compare.tcss only because that file is not this change's to edit.
    DEFAULT_CSS = """
    NewComparisonDialog { align: center middle; }
    #compare-form {
        width: 90%; max-width: 96; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    #compare-form-title, #compare-form-norun { width: 1fr; margin-bottom: 1; }
    .compare-form-row { height: auto; margin-bottom: 1; }
    .compare-form-label { width: 10; }
    .compare-form-row Select, .compare-form-row Input { width: 1fr; }
    #compare-form-preview { width: 1fr; height: auto; margin: 1 0; }
    .compare-form-buttons { height: auto; align-horizontal: right; }
    .compare-form-buttons Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "start", "Start"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, project, choices: list[ModelChoice], keep_trivial: bool) -> None:
        super().__init__()
        self.project = project
        self.choices = choices
        self.keep_trivial = keep_trivial

    def compose(self):
        options = [(c.label, c.value) for c in self.choices]
        runs = [c.value for c in self.choices if c.value != "base"]
        with Vertical(id="compare-form"):
            yield Label(Content.assemble(("New comparison", "bold"), ": replies of two models to the same prompts, "
                                         "paired for blind votes"), id="compare-form-title")
            if not runs:
                yield Label(Content.styled("No finished run yet: train one in the Train tab first.", "$warning"),
                            id="compare-form-norun")
            with Horizontal(classes="compare-form-row"):
                yield Label("Model A", classes="compare-form-label")
                yield Select(options, value="base", allow_blank=False, compact=True, id="compare-form-a")
            with Horizontal(classes="compare-form-row"):
                yield Label("Model B", classes="compare-form-label")
                yield Select(options, value=runs[0] if runs else "base", allow_blank=False, compact=True,
                             id="compare-form-b")
            with Horizontal(classes="compare-form-row"):
                yield Label("Prompts", classes="compare-form-label")
                yield Select(PROMPT_SETS, value="both", allow_blank=False, compact=True, id="compare-form-set")
            with Horizontal(classes="compare-form-row"):
                yield Label("How many", classes="compare-form-label")
                yield CountInput("20", type="integer", placeholder="prompts to answer", compact=True,
                            id="compare-form-limit")
            yield Checkbox("keep prompts too trivial to judge (greetings, thanks, closers)", self.keep_trivial,
                           compact=True, id="compare-form-trivial")
            yield Label("", id="compare-form-preview")
            with Horizontal(classes="compare-form-buttons"):
                yield Button("Start (g)", variant="primary", compact=True, id="compare-form-start")
                yield Button("Close (esc)", compact=True, id="compare-form-close")

    def on_mount(self) -> None:
        self.query_one("#compare-form-b", Select).focus()
        self._refresh_preview()

    def request(self) -> ComparisonRequest | None:
        from ...services.compare_job import ComparisonRequest

        raw = self.query_one("#compare-form-limit", Input).value.strip()
        try:
            limit = int(raw)
        except ValueError:
            return None
        return ComparisonRequest(model_a=str(self.query_one("#compare-form-a", Select).value),
                                 model_b=str(self.query_one("#compare-form-b", Select).value),
                                 prompt_set=str(self.query_one("#compare-form-set", Select).value), limit=limit,
                                 keep_trivial=self.query_one("#compare-form-trivial", Checkbox).value)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._refresh_preview()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._refresh_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._refresh_preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "compare-form-start":
            self.action_start()
        else:
            self.action_close()

    def _refresh_preview(self) -> None:
        request = self.request()
        label = self.query_one("#compare-form-preview", Label)
        if request is None:
            label.update(Content.styled("How many: a whole number of prompts, 1 or more.", "$warning"))
            return
        label.update(Content.styled("counting the prompts…", "dim"))
        self.count_prompts(request)

    @work(thread=True, exclusive=True, group="compare-preview", exit_on_error=False)
    def count_prompts(self, request: ComparisonRequest) -> None:
        from ...services.compare_job import preview

        seen = preview(self.project, request)
        self.app.call_from_thread(self._show_preview, seen)

    def _show_preview(self, seen) -> None:
        style = "$warning" if seen.problem else ""
        self.query_one("#compare-form-preview", Label).update(
            Content.assemble(("Will answer: ", "bold"), (seen.describe(), style)))

    def action_start(self) -> None:
        request = self.request()
        if request is None:
            self.notify("How many prompts: type a whole number, 1 or more.", severity="warning")
            return
        try:
            request.check()
        except Exception as e:  # a WorkbenchError: the two models are the same, ...
            self.notify(str(e), title="Not started", severity="warning", markup=False)
            return
        self.dismiss(request)

    def action_close(self) -> None:
        self.dismiss(None)


class JobLine(Label):
    """The comparison being generated: "12 of 40 replies, about 3 min left · 5 pairs ready".

    It re-reads the job's record every second while the job runs; `changed(pairs)` is called when
    more pairs are ready, and once when the job ends.
    """

    POLL_S = 1.0
    DEFAULT_CSS = """
    JobLine { height: auto; width: 1fr; padding: 0 1; }
    """

    def __init__(self, changed, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.changed = changed
        self.job = None
        self.pairs = 0
        self.active = False

    def on_mount(self) -> None:
        self.display = False
        self.set_interval(self.POLL_S, self.poll)

    def follow(self, job) -> None:
        """Show this job (one started here, or found running when the tab opened)."""
        self.job, self.pairs = job, 0
        self.poll()

    def poll(self) -> None:
        if self.job is None:
            return
        from ...services.compare_job import ACTIVE, describe

        record = self.job.read()
        status = self.job.status(record)
        was_active, self.active = self.active, status in ACTIVE
        style = {"failed": "$error", "interrupted": "$warning", "cancelled": "$warning", "finished": "$success"}
        hint = ("  (esc stops; what is done is kept)", "dim") if self.active else ("", "")
        self.update(Content.assemble(("New comparison: ", "bold"), (describe(record, status), style.get(status, "")),
                                     hint))
        self.display = True
        pairs = int(record.get("pairs") or 0)
        if pairs != self.pairs or (was_active and not self.active):
            self.pairs = pairs
            self.changed(pairs)

    def cancel(self) -> bool:
        """Ask the running job to stop; False when none runs."""
        if self.job is None or not self.active:
            return False
        self.job.request_cancel()
        return True
