"""Inline SVG charts for the HTML report: win rates with interval bars, and loss curves.

Plain strings, drawn here so the report needs no plotting library and no external file; every
number is written with fixed precision, so the same data give the same bytes. The SVG is meant to
sit inside an HTML page (no XML declaration, no namespace needed there).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:12px"
WON, LOST, EVEN = "#3a7d44", "#b5483b", "#8a8a8a"
INK, MUTED, BAR_MARK = "#222", "#888", "#c77c02"


def _f(x: float) -> str:
    return f"{x:.1f}"


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" fill="{fill}" font-weight="{weight}">'
            f"{escape(text)}</text>")


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1.0, dash: str = "") -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}" '
            f'stroke-width="{width:g}"{extra}/>')


def win_rate_chart(rows: Sequence[dict[str, Any]], *, bar: float = 0.70, title: str = "") -> str:
    """One row per category: a bar to the win rate, the bootstrap 95% interval as a thick whisker,
    Wilson's as a thin one below it, and marks at 50% and at the bar.

    ``rows``: ``{"label", "rate", "n", "wilson": [lo, hi] | None, "bootstrap": [lo, hi] | None}``.
    """
    label_w, plot_w, value_w, row_h, top = 180, 420, 210, 30, 44
    width = label_w + plot_w + value_w
    height = top + row_h * len(rows) + 40

    def x(p: float) -> float:
        return label_w + p * plot_w

    out = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'style="{FONT}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(_line(x(p), top - 6, x(p), height - 34, "#ddd"))
        out.append(_text(x(p), top - 10, f"{p:.0%}", "middle", MUTED))
    out.append(_line(x(0.5), top - 6, x(0.5), height - 34, INK, 1.2, "4 3"))
    out.append(_line(x(bar), top - 6, x(bar), height - 34, BAR_MARK, 1.6))
    out.append(_text(x(bar) + 3, 14, f"{bar:.0%} bar", "start", BAR_MARK, "bold"))
    for i, row in enumerate(rows):
        y = top + i * row_h
        mid = y + row_h / 2
        weight = "bold" if i == 0 and row["label"] == "overall" else "normal"
        out.append(_text(label_w - 8, mid + 4, _clip(row["label"], 26), "end", INK, weight))
        rate = row.get("rate")
        if rate is None:
            out.append(_text(x(0) + 4, mid + 4, "no votes", "start", MUTED))
            continue
        colour = WON if rate > 0.5 else LOST if rate < 0.5 else EVEN
        out.append(f'<rect x="{_f(x(0))}" y="{_f(mid - 8)}" width="{_f(rate * plot_w)}" height="16" '
                   f'fill="{colour}" fill-opacity="0.35"/>')
        boot, wil = row.get("bootstrap"), row.get("wilson")
        if boot:
            out.append(_line(x(boot[0]), mid - 2, x(boot[1]), mid - 2, INK, 2.5))
            for end in boot:
                out.append(_line(x(end), mid - 7, x(end), mid + 3, INK, 2))
        if wil:
            out.append(_line(x(wil[0]), mid + 6, x(wil[1]), mid + 6, MUTED, 1.2))
            for end in wil:
                out.append(_line(x(end), mid + 3, x(end), mid + 9, MUTED, 1.2))
        out.append(f'<circle cx="{_f(x(rate))}" cy="{_f(mid - 2)}" r="3.5" fill="{colour}"/>')
        boot_text = f" [{boot[0]:.0%}–{boot[1]:.0%}]" if boot else ""
        out.append(_text(label_w + plot_w + 10, mid + 4, f"{rate:.1%}{boot_text}  n={row.get('n', 0)}", "start",
                         INK, weight))
    legend = height - 14
    out.append(_line(label_w, legend - 4, label_w + 24, legend - 4, INK, 2.5))
    out.append(_text(label_w + 30, legend, "bootstrap 95% (prompts resampled)", "start", MUTED))
    out.append(_line(label_w + 270, legend - 4, label_w + 294, legend - 4, MUTED, 1.2))
    out.append(_text(label_w + 300, legend, "Wilson 95%", "start", MUTED))
    out.append("</svg>")
    return "\n".join(out)


def loss_chart(series: Sequence[dict[str, Any]], *, title: str = "", width: int = 640, height: int = 240) -> str:
    """Lines of (step, loss) points, e.g. train and holdout loss of each run compared.

    ``series``: ``{"label", "points": [(step, loss), ...], "colour", "dots": bool, "dash": str}``.
    """
    left, right, top, bottom = 56, 16, 16, 54
    pts = [p for s in series for p in s["points"]]
    if not pts:
        return ""
    x_max = max(p[0] for p in pts) or 1
    lo, hi = min(p[1] for p in pts), max(p[1] for p in pts)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.06
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(step: float) -> float:
        return left + step / x_max * plot_w

    def y(loss: float) -> float:
        return top + (hi - loss) / (hi - lo) * plot_h

    out = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'style="{FONT}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for k in range(5):
        value = lo + (hi - lo) * k / 4
        out.append(_line(left, y(value), left + plot_w, y(value), "#eee"))
        out.append(_text(left - 6, y(value) + 4, f"{value:.2f}", "end", MUTED))
    for step in (0, x_max / 2, x_max):
        out.append(_text(x(step), top + plot_h + 16, f"{step:,.0f}", "middle", MUTED))
    out.append(_text(left + plot_w / 2, top + plot_h + 32, "step", "middle", MUTED))
    out.append(_line(left, top + plot_h, left + plot_w, top + plot_h, MUTED))
    out.append(_line(left, top, left, top + plot_h, MUTED))
    for s in series:
        if not s["points"]:
            continue
        coords = " ".join(f"{_f(x(a))},{_f(y(b))}" for a, b in s["points"])
        dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
        out.append(f'<polyline points="{coords}" fill="none" stroke="{s["colour"]}" stroke-width="1.6"{dash}/>')
        if s.get("dots"):
            out += [f'<circle cx="{_f(x(a))}" cy="{_f(y(b))}" r="2.5" fill="{s["colour"]}"/>' for a, b in s["points"]]
    lx = left
    for s in series:
        out.append(_line(lx, height - 10, lx + 18, height - 10, s["colour"], 2, s.get("dash", "")))
        out.append(_text(lx + 22, height - 6, s["label"], "start", INK))
        lx += 30 + 7 * len(s["label"])
    out.append("</svg>")
    return "\n".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
