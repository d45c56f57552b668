"""The project window: header, one tab per feature, footer with the keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from .base import ProjectTab

if TYPE_CHECKING:
    from ...services.project import Project


class ProjectScreen(Screen):
    """Tabs are given as ProjectTab classes; digit n shows the n-th tab. `initial` is the TAB_ID
    shown first (None or an unknown id: the first tab)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(str(n), f"show_tab({n})", f"Tab {n}", show=False) for n in range(1, 10)
    ]

    def __init__(self, project: Project, tabs: list[type[ProjectTab]], initial: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.tabs = tabs
        ids = [tab.TAB_ID for tab in tabs]
        self.initial = initial if initial in ids else ids[0]

    def compose(self):
        yield Header()
        with TabbedContent(initial=self.initial):
            for number, tab in enumerate(self.tabs, 1):
                with TabPane(f"{number} {tab.TITLE}", id=tab.TAB_ID):
                    yield tab(self.project)
        yield Footer()

    def on_mount(self) -> None:
        self.active_tab().focus_default()

    def active_tab(self) -> ProjectTab:
        tabbed = self.query_one(TabbedContent)
        return tabbed.get_pane(tabbed.active).query_one(ProjectTab)

    def action_show_tab(self, number: int) -> None:
        if 1 <= number <= len(self.tabs):
            self.query_one(TabbedContent).active = self.tabs[number - 1].TAB_ID
            self.active_tab().focus_default()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # A click on a tab leaves the focus on the tab strip; the keys of the tab work anyway
        # once its content has focus, so hand it over.
        event.pane.query_one(ProjectTab).focus_default()
