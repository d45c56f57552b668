"""`?` on every tab: the keys of the tab shown, one line each, and the keys that work everywhere.

The lines are made from the BINDINGS of the tab (those hidden from the footer too) and of the
workbench widgets that hold the focus inside it (the label queue of the Review tab, the record
table of the Data tab), so a key added to a tab is listed without editing this module. A binding
with a ``tooltip`` gets it as its line; otherwise its description. The footer puts "? Help" first,
so that it is never cut off on a narrow terminal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.actions import parse
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

HELP_KEY = Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key of this tab")


@dataclass(frozen=True)
class KeyLine:
    """One line of the help: the keys, what they do, and whether they work right now."""

    keys: str
    text: str
    enabled: bool = True


def own_bindings(node: DOMNode | type[DOMNode]) -> list[Binding]:
    """The bindings that workbench's own classes declare for `node`, base classes first; a key
    a subclass binds again replaces the base class's (as Textual does)."""
    cls = node if isinstance(node, type) else type(node)
    by_key: dict[str, Binding] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("workbench"):
            continue
        for item in klass.__dict__.get("BINDINGS", ()):
            binding = item if isinstance(item, Binding) else Binding(*item)
            by_key[binding.key] = binding
    return list(by_key.values())


def key_names(app, binding: Binding) -> str:
    """'n / →' for a binding of "n,right": every key as the footer writes it (a binding's own
    key_display names its first key only when it has several)."""
    keys = [k.strip() for k in binding.key.split(",") if k.strip()]
    if len(keys) == 1:
        return app.get_key_display(binding)
    return " / ".join(app.get_key_display(dataclasses.replace(binding, key=k, key_display=None)) for k in keys)


def _enabled(node: DOMNode, binding: Binding) -> bool:
    _, name, params = parse(binding.action)
    try:
        return node.check_action(name, params) is not False
    except Exception:  # a check that fails while the tab is half loaded: list the key as usable
        return True


def lines_for(node: DOMNode, skip: Iterable[str] = ()) -> list[KeyLine]:
    app = node.app
    skipped = set(skip)
    return [KeyLine(key_names(app, b), b.tooltip or b.description or b.action, _enabled(node, b))
            for b in own_bindings(node) if parse(b.action)[1] not in skipped]


def focused_widgets(tab: DOMNode) -> list[DOMNode]:
    """Workbench widgets between the focused widget and `tab` (innermost last), when `tab` has the
    focus inside it: their keys work on this tab too."""
    focused = tab.screen.focused if tab.is_attached else None
    if focused is None:
        return []
    chain = []
    for node in focused.ancestors_with_self:
        if node is tab:
            return list(reversed(chain))
        if type(node).__module__.startswith("workbench") and own_bindings(node):
            chain.append(node)
    return []


class HelpScreen(ModalScreen[None]):
    """The keys of one tab; esc, ? or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", key_display="esc"),
    ]

    def __init__(self, title: str, sections: list[tuple[str, list[KeyLine]]]) -> None:
        super().__init__()
        self.title_text = title
        self.sections = sections

    def compose(self):
        with Vertical(id="help-box"):
            with VerticalScroll(id="help-body"):
                yield Static(self.table(), id="help-keys")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = self.title_text
        box.border_subtitle = "↑/↓ scroll · esc, ? or q closes"
        self.query_one("#help-body").focus()

    def table(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(ratio=1)
        for n, (heading, lines) in enumerate(self.sections):
            if n:
                grid.add_row("", "")
            grid.add_row("", Text(heading, style="bold underline"))
            for line in lines:
                if line.enabled:
                    grid.add_row(Text(line.keys, style="bold"), Text(line.text))
                else:
                    grid.add_row(Text(line.keys, style="dim"), Text(f"{line.text} (not here now)", style="dim"))
        return grid

    def plain_text(self) -> str:
        """What the help says, for tests and for reading aloud: one line per key."""
        out = []
        for heading, lines in self.sections:
            out.append(heading)
            out.extend(f"{line.keys}  {line.text}{'' if line.enabled else ' (not here now)'}" for line in lines)
        return "\n".join(out)

    def action_close(self) -> None:
        self.dismiss(None)


class HelpFooter(Footer):
    """The footer, with "? Help" first: on a narrow terminal the keys that follow are cut, and
    help lists them all. (Workbench uses no binding groups, whose keys could not be reordered.)"""

    def compose(self):
        widgets = list(super().compose())
        first = [w for w in widgets if getattr(w, "action", None) == HELP_KEY.action]
        yield from first + [w for w in widgets if w not in first]
