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
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, project: Project | None, where: Path | None = None, problem: str | None = None,
                 tab: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.where = where or Path.cwd()
        self.problem = problem
        self.tab = tab
        if project is not None:
            self.sub_title = project.name

    def get_default_screen(self) -> Screen:
        if self.project is None:
            return NoProjectScreen(self.where, self.problem)
        return ProjectScreen(self.project, TABS, initial=self.tab)

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
        if self.project is not None:
            self.project.close()


def tab_ids() -> list[str]:
    return [tab.TAB_ID for tab in TABS]


def make_app(project_path: str | Path | None = None, tab: str | None = None) -> WorkbenchApp:
    """The app for `project_path`, or for the current folder when it is a project.

    `tab` (a TAB_ID such as "compare") is the tab shown first; None shows the first tab.
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
    return WorkbenchApp(project, tab=tab)


def run_app(project_path: str | Path | None = None, tab: str | None = None) -> None:
    """Open the TUI (the CLI's `workbench`, `workbench PROJECT`, and `workbench compare` with tab="compare")."""
    make_app(project_path, tab=tab).run()
