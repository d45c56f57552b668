"""What every tab of the project window is: a widget that gets the open project."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.widget import Widget

if TYPE_CHECKING:
    from ...services.project import Project


class ProjectTab(Widget):
    """The content of one tab. Subclasses set TAB_ID and TITLE and compose their widgets.

    A tab that needs to load something when the user first opens it can handle Textual's
    `Show` event (``def on_show(self)``); ``focus_default`` is called each time it is shown.
    """

    TAB_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    # True on a tab where a person judges items (a cluster, a span, an example, a pair): there `g`
    # shows the project's annotation guidelines beside the item (see screens/project.py).
    JUDGES_ITEMS: ClassVar[bool] = False

    def __init__(self, project: Project) -> None:
        super().__init__(classes="project-tab")
        self.project = project

    def focus_default(self) -> None:
        """Put the keyboard focus where the user most likely wants to start."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
