"""The Balance tab's bar chart: one bar per category, before and after balancing in one line.

Each bar is as long as the category's rows before balancing; the solid part is what stays, the
shaded part what the step would drop, and a tick marks the minimum. The numbers beside it give
counts and shares before → after and, in red, the rows a category lacks to reach its target.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...steps.balance.distribution import BalancePlan, CategoryPlan

FULL, SHADE, EMPTY, TICK = "█", "░", " ", "│"


def bar(c: CategoryPlan, width: int, biggest: int) -> list[tuple[str, str]]:
    """The bar of one category, `width` cells for `biggest` rows."""
    scale = width / biggest if biggest else 0
    kept = round(c.after * scale)
    total = max(round(c.before * scale), kept)
    if c.after and not kept:
        kept = total = max(total, 1)  # a category with rows never disappears from the chart
    cells = [FULL] * kept + [SHADE] * (total - kept) + [EMPTY] * (width - total)
    if c.minimum:
        at = min(width - 1, round(c.minimum * scale))
        cells[at] = TICK
    text = "".join(cells)
    return [(text[:kept], "$success"), (text[kept:total], "$error 60%"), (text[total:], "$error")]


def category_line(c: CategoryPlan, plan: BalancePlan, name_width: int, bar_width: int, biggest: int) -> Content:
    before_total = plan.total_before or 1
    after_total = (plan.total_after - plan.general) or 1
    name = c.category if len(c.category) <= name_width else c.category[:name_width - 1] + "…"
    parts: list[str | tuple[str, str]] = [f"{name:<{name_width}} ", *bar(c, bar_width, biggest)]
    parts += [f" {c.before:>7,} → ", (f"{c.after:<7,}", "bold")]
    parts += [(f" {c.before / before_total:>5.1%} → {c.after / after_total:>5.1%}", "dim")]
    if c.dropped:
        parts += [(f"  −{c.dropped:,}", "$error") if c.dropped_as == "balance" else (f"  −{c.dropped:,} unlabelled", "$error")]
    if c.deficit:
        target = f"min {c.minimum:,}" if c.deficit_of == "min_per_category" else f"share {c.share:.0%}"
        parts += [(f"  ▲ {c.deficit:,} short of {target}", "bold $warning")]
    return Content.assemble(*parts)


class BalanceChart(OptionList):
    """The categories as bars; the highlighted one is the one the other panels talk about."""

    def show(self, plan: BalancePlan, bar_width: int = 30) -> None:
        highlighted = self.highlighted_option.id if self.highlighted_option is not None else None
        biggest = max((c.before for c in plan.categories), default=0)
        name_width = min(26, max((len(c.category) for c in plan.categories), default=8))
        self.clear_options()
        self.add_options([Option(category_line(c, plan, name_width, bar_width, biggest), id=c.category)
                          for c in plan.categories])
        if plan.categories:
            ids = [c.category for c in plan.categories]
            self.highlighted = ids.index(highlighted) if highlighted in ids else 0

    @property
    def category(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None
