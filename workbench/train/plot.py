"""Loss curves as braille text: each character cell holds 2 x 4 dots. No UI library needed.

`plot_lines` returns rows of (text, series) runs so that any front end can colour them: the
Train screen draws them with Textual, a terminal could print them with rich.
"""

from __future__ import annotations

from collections.abc import Sequence

# The dot at (column, row) inside a braille cell and its bit in the code point.
_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
BRAILLE = 0x2800
Points = Sequence[tuple[float, float]]


def _line(grid: list[list[int]], x0: int, y0: int, x1: int, y1: int) -> None:
    """Bresenham between two dots of a (rows x columns) dot grid."""
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    while True:
        if 0 <= y0 < len(grid) and 0 <= x0 < len(grid[0]):
            grid[y0][x0] = 1
        if x0 == x1 and y0 == y1:
            return
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def y_range(series: Sequence[Points]) -> tuple[float, float]:
    values = [y for points in series for _, y in points]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return low - 0.5, high + 0.5
    pad = (high - low) * 0.05
    return low - pad, high + pad


def plot_lines(series: Sequence[Points], width: int, height: int, x_max: float,
               y_limits: tuple[float, float] | None = None) -> list[list[tuple[str, int | None]]]:
    """Rows of (text, series index or None) for a width x height character plot.

    Later series are drawn over earlier ones where they share a cell, so give the sparse,
    important one (the holdout loss) last.
    """
    width, height = max(width, 1), max(height, 1)
    low, high = y_limits or y_range(series)
    dots_w, dots_h = width * 2, height * 4
    grids = []
    for points in series:
        grid = [[0] * dots_w for _ in range(dots_h)]
        prev = None
        for x, y in points:
            px = round(x / x_max * (dots_w - 1)) if x_max > 0 else 0
            py = round((high - y) / (high - low) * (dots_h - 1))
            py = min(max(py, 0), dots_h - 1)
            if prev is None:
                _line(grid, px, py, px, py)
            else:
                _line(grid, prev[0], prev[1], px, py)
            prev = (px, py)
        grids.append(grid)
    rows = []
    for cy in range(height):
        runs: list[tuple[str, int | None]] = []
        for cx in range(width):
            char, owner = " ", None
            for s, grid in enumerate(grids):
                bits = 0
                for dx in range(2):
                    for dy in range(4):
                        if grid[cy * 4 + dy][cx * 2 + dx]:
                            bits |= _DOT_BITS[dx][dy]
                if bits:
                    char, owner = chr(BRAILLE + bits), s
            if runs and runs[-1][1] == owner:
                runs[-1] = (runs[-1][0] + char, owner)
            else:
                runs.append((char, owner))
        rows.append(runs)
    return rows
