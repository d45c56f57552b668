"""A table over a snapshot that draws only the rows on screen, straight from polars.

Why not a ready-made table: Textual's DataTable measures every cell before its first frame
(10-20 s at 100k rows). textual-fastdatatable (Arrow-backed) was measured against this widget
on the same 1,000,000-row snapshot, headless at 120x40 on the 2-core dev machine
(workbench/tui/_measure.py): it needs the display columns (first user turn, turns, file:line)
computed for every row and then measures every column's widest cell, so its first frame came
3.6-5.8 s after start against 0.5-1.7 s here (the machine was shared; ranges over runs), and a
page key took 106-153 ms against 10-40 ms. This widget fetches 64 rows from polars when it
first draws them (~1 ms) and nothing else: a Line API ScrollView, one `render_line` per
visible row.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..messages import RecordHighlighted
from ..records_view import RecordsView, TableRow

MIN_TURN_WIDTH = 30  # narrower than this, columns give way to the first user turn
PAGE = 64  # rows fetched from polars at once; a screenful is usually within one or two pages
CACHED_PAGES = 32

_CONTROL = {c: None for c in range(32)} | {127: None}


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    right: bool = False  # numbers line up on the right


def _fit(text: str, width: int, right: bool = False) -> str:
    """`text` in exactly `width` cells: truncated with an ellipsis, or padded."""
    if width <= 0:
        return ""
    text = text.translate(_CONTROL)
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    if right:
        return " " * (width - length) + text
    return text + " " * (width - length)


def _fit_source(source: str, width: int) -> str:
    """file:line in `width` cells, shortening the file name so the line number stays visible."""
    name, colon, line = source.rpartition(":")
    if cell_len(source) <= width or not colon or len(line) + 3 > width:
        return _fit(source, width)
    return _fit(name, width - len(line) - 1) + ":" + line


class RecordTable(ScrollView, can_focus=True):
    """Rows of a RecordsView with a cursor; posts RecordHighlighted when the cursor moves."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "record-table--header",
        "record-table--cursor",
        "record-table--number",
        "record-table--message",
    }

    DEFAULT_CSS = """
    RecordTable {
        overflow-x: hidden;
        overflow-y: scroll;
        & > .record-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .record-table--cursor { background: $foreground 15%; }
        &:focus > .record-table--cursor { background: $block-cursor-background;
                                           color: $block-cursor-foreground; text-style: bold; }
        & > .record-table--number { color: $text-muted; }
        & > .record-table--message { color: $text-muted; text-style: italic; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First row", show=False),
        Binding("end", "last", "Last row", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.view = RecordsView.empty()
        self.message = "Loading…"  # shown in place of rows while the view is empty
        self._pages: OrderedDict[int, list[TableRow]] = OrderedDict()
        self._columns: tuple[int, list[Column]] | None = None

    # -- data ---------------------------------------------------------------------------------
    def show(self, view: RecordsView, record_id: str | None = None, message: str = "") -> None:
        """Show `view`, keeping the cursor on `record_id` (and on its screen line) if it is there."""
        line = self.cursor - int(self.scroll_offset.y)
        self.view = view
        self.message = message
        self._pages.clear()
        self._columns = None
        self.virtual_size = Size(0, len(view) + 1)  # + the header line
        index = view.index_of(record_id) if record_id is not None else None
        top = max(0, index - line) if index is not None else 0
        self.scroll_to(y=top, animate=False, immediate=True)
        self.cursor = index if index is not None else 0
        self.refresh()

    @property
    def highlighted(self) -> dict | None:
        """The record under the cursor, or None when there are no rows."""
        return self.view.record(self.cursor) if len(self.view) else None

    def _row(self, index: int) -> TableRow:
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = self.view.page(page * PAGE, PAGE)
            self._pages[page] = rows
            if len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows[index - page * PAGE]

    # -- layout -------------------------------------------------------------------------------
    def columns(self, width: int) -> list[Column]:
        if self._columns is not None and self._columns[0] == width:
            return self._columns[1]
        view = self.view
        category = max((cell_len(c) for c in view.categories), default=8)
        columns = [
            Column("#", max(3, len(str(view.total))), right=True),
            Column("id", 8),
            Column("category", min(max(category, 8), 16)),
            Column("origin", 9),
            *([Column("split", 7)] if view.has_split else []),
            Column("first user turn", 0),
            Column("turns", 5, right=True),
            Column("source", min(max(view.source_width, 8), 28)),
        ]
        # On a narrow terminal the conversation matters more than where it came from.
        for title in ("source", "origin", "id", "turns"):
            if width - 1 - sum(c.width + 1 for c in columns) >= MIN_TURN_WIDTH:
                break
            columns = [c for c in columns if c.title != title]
        rest = max(width - 1 - sum(c.width + 1 for c in columns), 12)
        columns = [Column(c.title, rest) if c.title == "first user turn" else c for c in columns]
        self._columns = (width, columns)
        return columns

    # -- drawing ------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            columns = self.columns(width)
            text = " " + " ".join(_fit(c.title, c.width, c.right) for c in columns)
            style = base + self.get_component_rich_style("record-table--header")
            return Strip([Segment(set_cell_size(text, width), style)], width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.view):
            if y == 1 and not len(self.view) and self.message:
                style = base + self.get_component_rich_style("record-table--message")
                return Strip([Segment(set_cell_size(" " + self.message, width), style)], width)
            return Strip.blank(width, base)
        return self._render_row(self._row(index), index == self.cursor, width, base)

    def _render_row(self, row: TableRow, is_cursor: bool, width: int, base: Style) -> Strip:
        columns = self.columns(width)
        cells = {"id": row.id[:8], "category": row.category, "origin": row.origin, "split": row.split,
                 "first user turn": row.first_user_turn, "turns": str(row.turns), "source": row.source}
        number = _fit(str(row.number), columns[0].width, True)
        rest = " ".join(_fit_source(cells[c.title], c.width) if c.title == "source"
                        else _fit(cells[c.title], c.width, c.right) for c in columns[1:])
        rest = set_cell_size(" " + rest, width - 1 - columns[0].width)
        if is_cursor:
            style = base + self.get_component_rich_style("record-table--cursor")
            return Strip([Segment(" " + number + rest, style)], width)
        number_style = base + self.get_component_rich_style("record-table--number")
        return Strip([Segment(" ", base), Segment(number, number_style), Segment(rest, base)], width)

    # -- cursor -------------------------------------------------------------------------------
    @property
    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.view) - 1)) if len(self.view) else 0

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self._visible_rows:
            self.scroll_to(y=new - self._visible_rows + 1, animate=False, immediate=True)
        else:
            # The header stays on line 0 whatever the scroll, so row r is virtual line r + 1.
            self.refresh_lines(old + 1)
            self.refresh_lines(new + 1)
        self.post_message(RecordHighlighted(self.highlighted, new))

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def _move_by_page(self, pages: int) -> None:
        # Scroll a whole page and keep the cursor on its screen line, as DataTable does.
        line = self.cursor - int(self.scroll_offset.y)
        target = self.validate_cursor(self.cursor + pages * self._visible_rows)
        self.scroll_to(y=max(0, target - line), animate=False, immediate=True)
        self.cursor = target

    def action_page_up(self) -> None:
        self._move_by_page(-1)

    def action_page_down(self) -> None:
        self._move_by_page(1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.view) - 1

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.cursor = int(self.scroll_offset.y) + event.y - 1

    def on_resize(self) -> None:
        self._columns = None

    def on_focus(self) -> None:
        self.refresh()  # the cursor row is drawn brighter while the table has focus

    def on_blur(self) -> None:
        self.refresh()
