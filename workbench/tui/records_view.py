"""What the Data screen shows of a snapshot: filtered rows, one page at a time.

No textual here: this is plain polars, so it can be tested and timed without the app, and
the filtering runs in a worker thread while the table keeps drawing from the old view.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath
from typing import Any

import polars as pl

# A category filter value meaning "rows without a category" (a real category is never this).
UNCATEGORIZED = "\x00uncategorized"


@dataclass(frozen=True)
class RowFilter:
    """Case-insensitive text over every turn, and one category (None = all)."""

    text: str = ""
    category: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.text) or self.category is not None


@dataclass(frozen=True)
class TableRow:
    """One table line, already reduced to what fits on a line."""

    number: int  # 1-based position in the snapshot, so a row keeps its number under a filter
    id: str
    category: str
    origin: str
    split: str
    first_user_turn: str
    turns: int
    source: str


_FIRST_USER_TURN = (
    pl.col("messages")
    .list.eval(pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content"))
    .list.first()
    .str.slice(0, 400)  # a table cell never shows more; keeps the regex below cheap
    .str.replace_all(r"\s+", " ")
    .str.replace_all(r"\p{Cc}", "")  # a stray escape sequence must not reach the terminal
    .str.strip_chars()
)


def text_match(text: str) -> pl.Expr:
    """True where any turn contains `text`, ignoring case (Unicode-aware, vectorised)."""
    pattern = "(?i)" + pl.escape_regex(text)
    return (
        pl.col("messages")
        .list.eval(pl.element().struct.field("content").str.contains(pattern))
        .list.any()
        .fill_null(False)
    )


class RecordsView:
    """A snapshot's records and the positions (into them) that pass the current filter."""

    def __init__(self, records: pl.DataFrame, snapshot_id: str | None = None,
                 rows: pl.Series | None = None, row_filter: RowFilter = RowFilter()) -> None:
        self.records = records
        self.snapshot_id = snapshot_id
        self.rows = rows  # UInt32 positions into `records`; None means every row, in order
        self.filter = row_filter

    @classmethod
    def empty(cls) -> "RecordsView":
        from ..records import empty_frame

        return cls(empty_frame())

    # -- sizes --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.records.height if self.rows is None else self.rows.len()

    @property
    def total(self) -> int:
        return self.records.height

    @property
    def has_split(self) -> bool:
        return "split" in self.records.columns

    @cached_property
    def categories(self) -> list[str]:
        """The distinct categories, sorted; UNCATEGORIZED last when some rows have none."""
        if not self.records.height:
            return []
        column = self.records.get_column("category")
        names = sorted(column.drop_nulls().unique().to_list())
        if column.null_count():
            names.append(UNCATEGORIZED)
        return names

    @cached_property
    def source_width(self) -> int:
        """Cells the widest `file:line` of this snapshot needs (file names only)."""
        if not self.records.height:
            return 6
        widths = self.records.select(
            pl.col("source_file").unique().map_elements(lambda f: len(PurePath(f).name),
                                                        return_dtype=pl.Int64).max(),
            pl.col("source_line").max(),
        ).row(0)
        return (widths[0] or 0) + 1 + len(str(widths[1] or 0))

    def prepare(self) -> "RecordsView":
        """Compute what the table needs first (in a worker), so the UI thread never waits on it."""
        _ = self.categories, self.source_width
        return self

    # -- rows ---------------------------------------------------------------------------------
    def position(self, index: int) -> int:
        """The row of `records` shown at `index` of this view."""
        return index if self.rows is None else int(self.rows[index])

    def record(self, index: int) -> dict[str, Any]:
        """Every field of the record shown at `index`, as Python values."""
        return self.records.row(self.position(index), named=True)

    def index_of(self, record_id: str) -> int | None:
        """Where the record with this id sits in this view, or None when filtered out."""
        if not self.records.height:
            return None
        positions = self.records.select(pl.arg_where(pl.col("id") == record_id)).to_series()
        if not positions.len():
            return None
        position = positions[0]
        if self.rows is None:
            return position
        found = self.rows.search_sorted(position)
        if found < self.rows.len() and self.rows[found] == position:
            return found
        return None

    def page(self, start: int, count: int) -> list[TableRow]:
        """Rows start .. start+count of this view, reduced to table cells."""
        start = max(0, start)
        if self.rows is None:
            numbers = pl.int_range(start, min(start + count, self.records.height), eager=True)
            frame = self.records.slice(start, count)
        else:
            numbers = self.rows.slice(start, count)
            frame = self.records.select(pl.all().gather(numbers))
        split = pl.col("split") if self.has_split else pl.lit("")
        cells = frame.select(
            pl.col("id"),
            pl.col("category").fill_null(""),
            pl.col("origin").fill_null(""),
            split.fill_null("").alias("split"),
            _FIRST_USER_TURN.fill_null("").alias("first_user_turn"),
            pl.col("messages").list.len().alias("turns"),
            pl.col("source_file").fill_null(""),
            pl.col("source_line"),
        )
        return [
            TableRow(number + 1, rid, category, origin, split_, first, turns,
                     f"{PurePath(file).name}:{line}" if line is not None else PurePath(file).name)
            for number, (rid, category, origin, split_, first, turns, file, line)
            in zip(numbers.to_list(), cells.iter_rows())
        ]

    # -- filtering ----------------------------------------------------------------------------
    def filtered(self, row_filter: RowFilter) -> "RecordsView":
        """A new view over the same records with `row_filter` applied (vectorised in polars)."""
        if not row_filter.active or not self.records.height:
            return RecordsView(self.records, self.snapshot_id, None, row_filter)
        conditions = []
        if row_filter.category == UNCATEGORIZED:
            conditions.append(pl.col("category").is_null())
        elif row_filter.category is not None:
            conditions.append(pl.col("category") == row_filter.category)
        if row_filter.text:
            conditions.append(text_match(row_filter.text))
        mask = pl.all_horizontal(conditions)
        rows = self.records.select(pl.arg_where(mask).cast(pl.UInt32).alias("row")).to_series()
        view = RecordsView(self.records, self.snapshot_id, rows, row_filter)
        for name in ("categories", "source_width"):  # same records: reuse what was computed
            if name in self.__dict__:
                view.__dict__[name] = self.__dict__[name]
        return view
