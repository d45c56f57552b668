"""Search text and category filter over the table, with the "N of M rows" count."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select

from ..messages import FilterDismissed
from ..records_view import UNCATEGORIZED, RowFilter


class FilterBar(Horizontal):
    """Changes to the Input or Select bubble up as their own Changed messages."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back to table", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.categories: list[str] = []

    def compose(self):
        yield Input(placeholder="/ search every turn", id="search", compact=True)
        yield Select([], prompt="all categories", id="category", compact=True)
        yield Label("", id="row-count")

    @property
    def row_filter(self) -> RowFilter:
        category = self.query_one("#category", Select).value
        return RowFilter(self.query_one("#search", Input).value,
                         None if category == Select.NULL else category)

    def set_categories(self, categories: list[str]) -> None:
        self.categories = list(categories)
        select = self.query_one("#category", Select)
        current = select.value
        options = [("(no category)" if c == UNCATEGORIZED else c, c) for c in categories]
        select.set_options(options)
        if current != Select.NULL and current in categories:
            select.value = current

    def cycle_category(self) -> None:
        """Select the next category; after the last one, all categories again."""
        select = self.query_one("#category", Select)
        values = self.categories
        if not values:
            return
        if select.value == Select.NULL:
            select.value = values[0]
        elif select.value == values[-1]:
            select.clear()
        else:
            select.value = values[values.index(select.value) + 1]

    def show_count(self, shown: int, total: int, busy: bool = False) -> None:
        text = f"searching {total:,} rows…" if busy else f"{shown:,} of {total:,} rows"
        self.query_one("#row-count", Label).update(text)

    def show_loading(self, total: int | None = None) -> None:
        text = f"reading {total:,} rows…" if total is not None else "reading the snapshot…"
        self.query_one("#row-count", Label).update(text)

    def action_leave(self) -> None:
        self.post_message(FilterDismissed())
