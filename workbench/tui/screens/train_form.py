"""The Train tab's settings form: the settings an expert changes, checked as `workbench train`
checks them, with the estimate of the run they make, saved to workbench.toml [train]."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...errors import WorkbenchError
from ...services.train_settings import FORM_FIELDS, FORM_HELP, check_form, form_values, save_train_settings
from ...services.training import estimate_next_run
from .train_panels import estimate_lines


class TrainSettingsDialog(ModalScreen[dict[str, Any] | None]):
    """One line per setting; a refused value gets its message under it. enter or ctrl+s saves (and
    says what changed), esc closes without saving (and says so when something was typed)."""

    DEFAULT_CSS = """
    TrainSettingsDialog { align: center middle; }
    TrainSettingsDialog > Vertical { width: 90; max-width: 100%; height: auto; max-height: 100%;
                                     border: round $primary; padding: 0 1; background: $surface; }
    TrainSettingsDialog .row { height: 1; }
    TrainSettingsDialog .row Label { width: 21; }
    TrainSettingsDialog .row Input { width: 1fr; height: 1; border: none; padding: 0 1; background: $boost; }
    TrainSettingsDialog .row Input:focus { background: $primary 40%; }
    TrainSettingsDialog .row Input.refused { background: $error 30%; }
    TrainSettingsDialog .problem { color: $error; padding-left: 21; height: auto; display: none; }
    TrainSettingsDialog .problem.shown { display: block; }
    TrainSettingsDialog #form-help { color: $text-muted; height: auto; }
    TrainSettingsDialog #form-estimate { height: auto; margin-top: 1; }
    TrainSettingsDialog #form-keys { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close without saving"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, project) -> None:
        super().__init__()
        self.project = project
        self.start = form_values(project)
        self.problems: dict[str, str] = {}

    def compose(self):
        with Vertical(id="train-form"):
            yield Label(Content.styled("Training settings (workbench.toml [train])", "bold"))
            for name, label in FORM_FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(self.start[name], id=f"set-{name}", placeholder="SmolLM2-135M-Instruct"
                                if name == "base_model" else "")
                yield Static("", id=f"problem-{name}", classes="problem")
            yield Static("", id="form-help")
            yield Static("", id="form-estimate")
            yield Label("enter or ctrl+s: save · tab: next field · esc: close without saving", id="form-keys")

    def on_mount(self) -> None:
        self.query_one("#set-max_steps", Input).focus()
        self._show_estimate()

    # -- what is typed ------------------------------------------------------------------------
    def texts(self) -> dict[str, str]:
        return {name: self.query_one(f"#set-{name}", Input).value for name, _ in FORM_FIELDS}

    def _check(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, problems = check_form(self.texts(), self.project.config.get("train") or {}, self.project.path)
        for name, _ in FORM_FIELDS:
            box = self.query_one(f"#problem-{name}", Static)
            box.update(problems.get(name, ""))
            box.set_class(name in problems, "shown")
            self.query_one(f"#set-{name}", Input).set_class(name in problems, "refused")
        self.problems = problems
        return values, problems

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check()
        self._show_estimate()

    def on_descendant_focus(self, event) -> None:
        widget_id = getattr(event.widget, "id", "") or ""
        if widget_id.startswith("set-"):
            name = widget_id[4:]
            self.query_one("#form-help", Static).update(FORM_HELP.get(name, ""))

    def _show_estimate(self) -> None:
        values, problems = check_form(self.texts(), self.project.config.get("train") or {}, self.project.path)
        box = self.query_one("#form-estimate", Static)
        if problems:
            box.update(Content.styled(problems.get("_") or "Fix the marked value to see the estimate.", "$warning"))
            return
        est = estimate_next_run(self.project, values=values)
        box.update(estimate_lines(est, short=False))

    # -- save or close ------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        values, problems = self._check()
        if problems:
            first = next((n for n, _ in FORM_FIELDS if n in problems), None)
            if first:
                self.query_one(f"#set-{first}", Input).focus()
            what = ", ".join(dict(FORM_FIELDS).get(n, "settings") for n in problems if n != "_")
            self.notify(problems.get("_") or f"Not saved: fix {what}.", title="Not saved", severity="error",
                        markup=False)
            return
        try:
            changed = save_train_settings(self.project, values)
        except WorkbenchError as e:
            self.notify(str(e), title="Not saved", severity="error", timeout=15, markup=False)
            return
        self.dismiss(changed)

    def action_close(self) -> None:
        if self.texts() != self.start:
            self.notify("Nothing was saved; workbench.toml is as it was.", title="Closed", markup=False)
        self.dismiss(None)


__all__ = ["TrainSettingsDialog"]
