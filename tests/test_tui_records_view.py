"""What the Data screen shows of a snapshot, without starting the app: filters, pages, positions."""

from __future__ import annotations

import polars as pl

from workbench.records import make_frame
from workbench.tui.records_view import UNCATEGORIZED, RecordsView, RowFilter


def record(n: int, *turns: str, category: str | None = "billing", split: str | None = None) -> dict:
    roles = ["user", "assistant"] * len(turns)
    return {"id": f"r{n:03d}", "messages": [{"role": r, "content": t} for r, t in zip(roles, turns)],
            "category": category, "origin": "human", "source_file": "data/in.jsonl", "source_line": n,
            "meta": "{}"}


def view() -> RecordsView:
    return RecordsView(make_frame([
        record(1, "Où est mon COLIS ?", "Il arrive demain."),
        record(2, "Refund please", "Done: 3-5 days (case 12).", category="refunds"),
        record(3, "hello", "hi", "and my colis?", "Tomorrow.", category=None),
        record(4, "Price of a+b?", "It is 10 €.\nThanks\tbye", category="refunds"),
    ]))


def numbers(v: RecordsView) -> list[int]:
    return [row.number for row in v.page(0, 100)]


def test_text_filter_ignores_case_and_reads_every_turn():
    v = view()
    assert numbers(v.filtered(RowFilter("colis"))) == [1, 3]  # row 3 only in its second user turn
    assert numbers(v.filtered(RowFilter("OÙ EST"))) == [1]  # case folding beyond ASCII
    assert numbers(v.filtered(RowFilter("DEMAIN"))) == [1]  # assistant turns count too


def test_text_is_literal_not_a_pattern():
    v = view()
    assert numbers(v.filtered(RowFilter("a+b"))) == [4]
    assert numbers(v.filtered(RowFilter("(case 12)"))) == [2]
    assert numbers(v.filtered(RowFilter("3-5 days (case 12)."))) == [2]
    assert numbers(v.filtered(RowFilter("?"))) == [1, 3, 4]
    assert numbers(v.filtered(RowFilter("10 €.\nthanks"))) == [4]


def test_category_filter_and_the_uncategorized_rows():
    v = view()
    assert v.categories == ["billing", "refunds", UNCATEGORIZED]
    assert numbers(v.filtered(RowFilter(category="refunds"))) == [2, 4]
    assert numbers(v.filtered(RowFilter(category=UNCATEGORIZED))) == [3]
    assert numbers(v.filtered(RowFilter("please", category="refunds"))) == [2]
    assert numbers(v.filtered(RowFilter("please", category="billing"))) == []
    assert numbers(v.filtered(RowFilter())) == [1, 2, 3, 4]


def test_positions_and_records_follow_the_filter():
    filtered = view().filtered(RowFilter(category="refunds"))
    assert len(filtered) == 2 and filtered.total == 4
    assert filtered.record(1)["id"] == "r004"
    assert filtered.index_of("r004") == 1
    assert filtered.index_of("r001") is None  # filtered out
    assert filtered.categories == ["billing", "refunds", UNCATEGORIZED]  # choices stay the same


def test_page_cells_fit_on_one_line():
    rows = view().page(0, 100)
    assert rows[3].first_user_turn == "Price of a+b?"
    assert rows[2].turns == 4 and rows[2].category == "" and rows[2].split == ""
    assert rows[0].source == "in.jsonl:1"  # the file name; the detail pane shows the full path
    long = RecordsView(make_frame([record(1, "line one\nline\ttwo\x1b[31m " + "x" * 1000, "ok")]))
    cell = long.page(0, 1)[0].first_user_turn
    assert cell.startswith("line one line two[31m x") and "\x1b" not in cell and len(cell) <= 400


def test_split_column_when_the_snapshot_has_one():
    frame = make_frame([record(1, "a", "b"), record(2, "c", "d")]).with_columns(
        pl.Series("split", ["train", "holdout"]))
    v = RecordsView(frame)
    assert v.has_split
    assert [row.split for row in v.page(0, 10)] == ["train", "holdout"]
    assert not view().has_split
