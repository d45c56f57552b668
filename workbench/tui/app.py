"""The Workbench app: a project window with one tab per feature, or a welcome screen.

`make_app` is shared by the CLI (through `run_app`) and the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ..errors import WorkbenchError
from ..services.project import Project, is_project
from ..services.raters import rate_as, remember_rater, remembered_rater, suggested_rater
from ..store import default_rater
from .rater import RaterScreen
from .screens.balance import BalanceTab
from .screens.base import ProjectTab
from .screens.compare import CompareTab
from .screens.data import DataTab
from .screens.dedup import DedupTab
from .screens.pii import PiiTab
from .screens.project import ProjectScreen
from .screens.report import ReportTab
from .screens.review import ReviewTab
from .screens.train import TrainTab
from .screens.welcome import NoProjectScreen

# The tabs of the project window, in order; digit n on the keyboard shows the n-th.
# A new feature adds its ProjectTab subclass here (see screens/base.py).
TABS: list[type[ProjectTab]] = [
    DataTab, DedupTab, PiiTab, BalanceTab, ReviewTab, TrainTab, CompareTab, ReportTab,
]


# app.tcss first, then one stylesheet per feature (dedup.tcss, ...), each beside this file.
STYLESHEETS = ["app.tcss"] + sorted(p.name for p in Path(__file__).parent.glob("*.tcss") if p.name != "app.tcss")


class WorkbenchApp(App):
    CSS_PATH = STYLESHEETS
    TITLE = "Workbench"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit (every decision is already saved)"),
    ]

    def __init__(self, project: Project | None, where: Path | None = None, problem: str | None = None,
                 tab: str | None = None, rater: str | None = None, ask_rater: bool = False) -> None:
        super().__init__()
        self.project = project
        self.where = where or Path.cwd()
        self.problem = problem
        self.tab = tab
        self.rater_option = rater  # --rater: remembered as this person's name in the project
        self.ask_rater = ask_rater
        self.rater: str | None = None  # who the decisions of this session are stored for
        if project is not None:
            self.sub_title = project.name

    def get_default_screen(self) -> Screen:
        if self.project is None:
            return NoProjectScreen(self.where, self.problem)
        name = self._known_rater()
        if name is None:  # the first time this person opens the project: ask before any tab decides
            return RaterScreen(self.project.name, suggested_rater(self.rater_option), self._rater_answered)
        return self._project_screen(name)

    def _known_rater(self) -> str | None:
        """--rater, else the name this login gave in this project; else None: ask. Tests and
        other callers that do not ask get the store's default ($WORKBENCH_RATER, else the login)."""
        if self.rater_option:
            return remember_rater(self.project, self.rater_option)
        name = remembered_rater(self.project)
        if name is not None:
            rate_as(name)
            return name
        if self.ask_rater:
            return None
        rate_as(None)
        return default_rater()

    def _project_screen(self, name: str) -> ProjectScreen:
        self.rater = name
        self.sub_title = f"{self.project.name} · rating as {name}"
        return ProjectScreen(self.project, TABS, initial=self.tab)

    def _rater_answered(self, name: str) -> None:
        # Pushed over the question, which stays below it unseen (the default screen cannot be switched).
        self.push_screen(self._project_screen(remember_rater(self.project, name)))

    def on_mount(self) -> None:
        if self.project is not None:
            self.run_worker(self._warn_about_plugins, thread=True, group="plugins", exit_on_error=False)

    def _warn_about_plugins(self) -> None:
        """Name the plugins that were refused or failed to load on start, as the CLI does on stderr."""
        from ..plugins import report_errors

        def warn(message: str, severity: str = "warning") -> None:
            self.call_from_thread(self.notify, message, title="Plugins", severity=severity, timeout=20,
                                  markup=False)

        try:
            registry = self.project.registry()
        except WorkbenchError as e:
            warn(str(e), "error")
            return
        report_errors(registry, warn)

    def action_quit(self) -> None:
        # A running recipe stops at its next progress report; nothing half-written is kept.
        self.workers.cancel_all()
        self.exit()

    def on_unmount(self) -> None:
        rate_as(None)  # the name was this session's
        if self.project is not None:
            self.project.close()


def tab_ids() -> list[str]:
    return [tab.TAB_ID for tab in TABS]


def make_app(project_path: str | Path | None = None, tab: str | None = None, rater: str | None = None,
             ask_rater: bool = False) -> WorkbenchApp:
    """The app for `project_path`, or for the current folder when it is a project.

    `tab` (a TAB_ID such as "compare") is the tab shown first; None shows the first tab.
    `rater` is who rates (remembered for this login in the project); with `ask_rater` a person
    who has not given their name in this project yet is asked for it first.
    """
    if tab is not None and tab not in tab_ids():
        raise WorkbenchError(f"no tab named {tab!r}; the tabs are {', '.join(tab_ids())}")
    if project_path is None:
        here = Path.cwd()
        if not is_project(here):
            return WorkbenchApp(None, where=here)
        project_path = here
    try:
        project = Project.open(project_path)
    except WorkbenchError as e:
        return WorkbenchApp(None, where=Path(project_path), problem=str(e))
    return WorkbenchApp(project, tab=tab, rater=rater, ask_rater=ask_rater)


def run_app(project_path: str | Path | None = None, tab: str | None = None, rater: str | None = None) -> None:
    """Open the TUI (the CLI's `workbench`, `workbench PROJECT`, and `workbench compare` with tab="compare")."""
    make_app(project_path, tab=tab, rater=rater, ask_rater=True).run()
