"""The Report tab's win-rate chart: one bar per category, drawn with block characters.

A bar runs from 0% to the win rate. The cells inside the bootstrap 95% interval are shaded, so
the interval shows as a lighter end on the bar (▓ below the estimate, ░ past it). A dotted rule
marks 50% and a solid one the bar (70%) in every row; the axis above names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.content import Content
from textual.widget import Widget

SOLID, INSIDE, BEYOND, EMPTY = "█", "▓", "░", " "
HALF_MARK, BAR_MARK, BAR_MARK_ON = "┊", "│", "┃"
LEGEND = f"{SOLID} win rate   {INSIDE}{BEYOND} bootstrap 95% interval   {HALF_MARK} 50%   {BAR_MARK} the bar"


def _cell(p: float, width: int) -> int:
    """The cell (0 … width−1) that holds the share p."""
    return min(width - 1, max(0, int(p * width)))


def bar_cells(rate: float, interval: Sequence[float] | None, width: int, bar: float = 0.70) -> list[tuple[str, str]]:
    """(text, style) runs of one bar, `width` cells for 0–100%."""
    filled = round(rate * width)
    lo, hi = (interval[0], interval[1]) if interval else (rate, rate)
    lo_cell, hi_cell = round(lo * width), round(hi * width)
    style_on = "$success" if rate > 0.5 else "$error" if rate < 0.5 else "$text-muted"
    cells: list[tuple[str, str]] = []
    for i in range(width):
        if i < filled:
            char = INSIDE if i >= lo_cell else SOLID
            style = style_on
        elif i < hi_cell:
            char, style = BEYOND, style_on
        else:
            char, style = EMPTY, ""
        on_bar = char != EMPTY
        if i == _cell(0.5, width):  # the marks cross the bar too, drawn on its colour
            char, style = HALF_MARK, f"$background on {style_on}" if on_bar else "$text-muted"
        elif i == _cell(bar, width):
            char, style = BAR_MARK_ON if on_bar else BAR_MARK, f"bold $warning on {style_on}" if on_bar else "$warning"
        cells.append((char, style))
    runs: list[tuple[str, str]] = []
    for char, style in cells:
        if runs and runs[-1][1] == style:
            runs[-1] = (runs[-1][0] + char, style)
        else:
            runs.append((char, style))
    return runs


def axis(label_width: int, width: int, bar: float) -> Content:
    """The scale above the bars: 0%, 50%, the bar and 100% at their cells."""
    line = [" "] * (width + 4)
    for p, text in ((0.0, "0%"), (0.5, "50%"), (bar, f"{bar:.0%}"), (1.0, "100%")):
        at = _cell(p, width) if p < 1 else width - len(text) + 1
        start = max(0, min(at - (len(text) // 2 if 0 < p < 1 else 0), len(line) - len(text)))
        line[start:start + len(text)] = list(text)
    return Content.assemble(" " * (label_width + 1), ("".join(line).rstrip(), "$text-muted"))


def chart_lines(rows: Sequence[dict[str, Any]], width: int, bar: float = 0.70, min_votes: int = 1) -> list[Content]:
    """The chart for `width` columns; rows are {"label", "rate", "n", "bootstrap", "wilson"}. A row
    with fewer than `min_votes` votes says "too few votes" instead of drawing an interval."""
    label_width = min(28, max(12, width // 5), max((len(r["label"]) for r in rows), default=8))
    bar_width = max(10, width - label_width - 30)
    out = [axis(label_width, bar_width, bar)]
    for i, row in enumerate(rows):
        label = row["label"] if len(row["label"]) <= label_width else row["label"][: label_width - 1] + "…"
        weight = "bold" if i == 0 and row["label"] == "overall" else ""
        parts: list[str | tuple[str, str]] = [(f"{label:<{label_width}} ", weight)]
        if row["rate"] is None:
            parts.append(("no votes", "$text-muted"))
        else:
            few = row["n"] < min_votes
            interval = None if few else row.get("bootstrap") or row.get("wilson")
            parts += bar_cells(row["rate"], interval, bar_width, bar)
            span = f" [{interval[0]:.0%}–{interval[1]:.0%}]" if interval else " too few votes" if few else ""
            parts += [(f" {row['rate']:>6.1%}", f"bold {weight}".strip()), (span, "$text-muted"),
                      (f" n={row['n']}", "$text-muted")]
        out.append(Content.assemble(*parts))
    out.append(Content.styled(" " * (label_width + 1) + LEGEND, "$text-muted"))
    return out


class WinRateChart(Widget, can_focus=False):
    """Win rates per category with their intervals; redrawn to the widget's width."""

    DEFAULT_CSS = """
    WinRateChart { height: auto; }
    """

    def __init__(self, rows: Sequence[dict[str, Any]], bar: float = 0.70, min_votes: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = list(rows)
        self.bar = bar
        self.min_votes = min_votes

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.rows) + 2

    def render(self) -> Content:
        width = self.size.width or 100
        return Content("\n").join(chart_lines(self.rows, width, self.bar, self.min_votes))
