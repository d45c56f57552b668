"""The project window: header, one tab per feature, the guidelines panel, footer with the keys.

Keys that work on every tab live here: digits show a tab, `?` lists the keys of the tab shown
(help.py), `g` shows the annotation guidelines on the tabs that judge items (ProjectTab.JUDGES_ITEMS).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane

from ..guidelines import GuidelinesPanel
from ..help import HELP_KEY, HelpFooter, HelpScreen, KeyLine, focused_widgets, lines_for
from .base import ProjectTab

if TYPE_CHECKING:
    from ...services.project import Project

GUIDELINES_KEY = Binding("g", "guidelines", "Guidelines",
                         tooltip="Show or hide the project's annotation guidelines beside the item being judged")


class ProjectScreen(Screen):
    """Tabs are given as ProjectTab classes; digit n shows the n-th tab. `initial` is the TAB_ID
    shown first (None or an unknown id: the first tab)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        HELP_KEY,
        GUIDELINES_KEY,
        *[Binding(str(n), f"show_tab({n})", f"Tab {n}", show=False) for n in range(1, 10)],
    ]
    # Below 120 columns the guidelines cover the tab instead of sharing the width with it.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    def __init__(self, project: Project, tabs: list[type[ProjectTab]], initial: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.tabs = tabs
        ids = [tab.TAB_ID for tab in tabs]
        self.initial = initial if initial in ids else ids[0]
        self.guidelines_open = False

    def compose(self):
        yield Header()
        with Horizontal(id="project-body"):
            with TabbedContent(initial=self.initial):
                for number, tab in enumerate(self.tabs, 1):
                    with TabPane(f"{number} {tab.TITLE}", id=tab.TAB_ID):
                        yield tab(self.project)
            yield GuidelinesPanel(id="guidelines")
        yield HelpFooter()

    def on_mount(self) -> None:
        self.active_tab().focus_default()

    def active_tab(self) -> ProjectTab:
        tabbed = self.query_one(TabbedContent)
        return tabbed.get_pane(tabbed.active).query_one(ProjectTab)

    def action_show_tab(self, number: int) -> None:
        if 1 <= number <= len(self.tabs):
            self.query_one(TabbedContent).active = self.tabs[number - 1].TAB_ID
            self.active_tab().focus_default()
            self._tab_changed()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # A click on a tab leaves the focus on the tab strip; the keys of the tab work anyway
        # once its content has focus, so hand it over.
        event.pane.query_one(ProjectTab).focus_default()
        self._tab_changed()

    def _tab_changed(self) -> None:
        self._show_guidelines()
        self.refresh_bindings()  # `g` comes and goes with the tab

    # -- keys that work everywhere ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "guidelines":
            return self.active_tab().JUDGES_ITEMS
        return True

    def action_guidelines(self) -> None:
        self.guidelines_open = not self.guidelines_open
        panel = self.query_one(GuidelinesPanel)
        if self.guidelines_open:
            panel.load(self.project)
        self._show_guidelines()
        # Beside the item the keys keep deciding; over it (a narrow terminal) ↑/↓ read on, and
        # closing the guidelines hands the keys back to the tab.
        if self.guidelines_open and self.has_class("-narrow"):
            panel.focus()
        elif not self.guidelines_open and panel.has_focus:
            self.active_tab().focus_default()

    def _show_guidelines(self) -> None:
        shown = self.guidelines_open and self.active_tab().JUDGES_ITEMS
        self.query_one(GuidelinesPanel).set_class(shown, "-open")

    def action_help(self) -> None:
        tab = self.active_tab()
        number = self.tabs.index(type(tab)) + 1 if type(tab) in self.tabs else ""
        sections = [(f"The {tab.TITLE} tab", lines_for(tab))]
        for widget in focused_widgets(tab):
            name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(widget).__name__).capitalize()
            sections.append((f"{name} (where the cursor is)", lines_for(widget)))
        sections.append(("On every tab", self.everywhere()))
        self.app.push_screen(HelpScreen(f"Keys of tab {number} {tab.TITLE}", sections))

    def everywhere(self) -> list[KeyLine]:
        """The keys of the window and the app: the digits as one line, then the others."""
        names = " · ".join(f"{n} {tab.TITLE}" for n, tab in enumerate(self.tabs, 1))
        digits = KeyLine(f"1…{len(self.tabs)}", f"show a tab: {names}")
        return [digits, *lines_for(self, skip=("show_tab",)), *lines_for(self.app)]
