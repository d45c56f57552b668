"""The annotation guidelines panel: the project's Markdown guidelines beside the item being judged
(over it on a narrow terminal), shown and hidden with `g` on the tabs that judge items."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from ..services.guidelines import Guidelines, read_guidelines


class GuidelinesPanel(VerticalScroll):
    """Reads the guidelines again each time it opens, so an edit to the file shows at once."""

    def compose(self):
        yield Static("", id="guidelines-problem")
        yield Markdown("", id="guidelines-text")

    def load(self, project) -> Guidelines:
        found = read_guidelines(project)
        problem = self.query_one("#guidelines-problem", Static)
        text = self.query_one("#guidelines-text", Markdown)
        name = found.path.name if found.path else "none"
        self.border_title = f"Guidelines · {name}"
        self.border_subtitle = "g hides"
        problem.display = found.markdown is None
        text.display = found.markdown is not None
        if found.markdown is None:
            problem.update(Text(found.problem or "", style="italic"))
            text.update("")
        else:
            text.update(found.markdown)
        self.scroll_home(animate=False)
        return found
