"""What the Balance tab draws besides its chart: the status line, the choices under the targets,
the preview of what the step would drop from a category, and the messages its workers send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from textual.content import Content
from textual.message import Message

from ...steps.balance.distribution import BalancePlan

Parts = list[str | tuple[str, str]]
CHOICE_WORDS = {"keep": "kept as they are", "drop": "dropped", "balance": "capped like a category"}


@dataclass
class RowsReachedBalance(Message):
    records: pl.DataFrame
    params: dict[str, Any]
    in_recipe: bool
    human: dict


@dataclass
class BalanceLoadFailed(Message):
    problem: str


@dataclass
class BalanceProgressed(Message):
    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BalanceProgressed)


@dataclass
class DropsPreviewed(Message):
    category: str
    params: dict[str, Any]
    dropped: pl.DataFrame  # the rows of `category` the step would drop


def describe_problem(error: Exception) -> str:
    """A problem with the targets, without the prefix that names the step."""
    return (str(error).replace("Balance targets: step 'balance': ", "")
            .replace("Balance targets: step 'balance' ", ""))


def describe_status(plan: BalancePlan, rows: int, in_recipe: bool) -> Content:
    """The line above: rows in and out, what falls short, what is not counted. `rows`: all that reach balance."""
    deficits = plan.deficits()
    parts: Parts = [f"{plan.total_before:,} rows reach balance → ", (f"{plan.total_after:,}", "bold"),
                    f" kept, {plan.total_before - plan.total_after + plan.general:,} dropped"]
    if deficits:
        parts += ["  ·  ", (f"{len(deficits)} categor{'y is' if len(deficits) == 1 else 'ies are'} short of target", "bold $warning")]
    over = [c for c in plan.categories if c.over_cap is not None]
    if over:
        parts += ["  ·  ", (f"{len(over)} over its cap: rows people decided on stay", "bold $warning")]
    held = rows - plan.total_before
    if held > 0:
        parts += [("  ·  ", "dim"), (f"{held:,} synthetic rows not counted (held back until accepted)", "dim")]
    if not in_recipe:
        parts += [("  ·  balance is not in the recipe: w adds it", "$warning")]
    return Content.assemble(*parts)


def describe_choices(params: dict[str, Any]) -> Content:
    unlabelled = params.get("unlabelled", "keep")
    select = params.get("select", "diverse")
    return Content.assemble(
        ("l  ", "bold"), "unlabelled rows: ", (unlabelled, "bold"), (f" ({CHOICE_WORDS[unlabelled]})", "dim"), "\n",
        ("d  ", "bold"), "rows kept: ", (select, "bold"),
        (" (by embedding coverage)" if select == "diverse" else " (seeded random)", "dim"), "\n\n",
        ("w  writes these targets to workbench.toml", "dim"))


def describe_category(category: str, c) -> Content:
    """The preview's first lines for one category of the plan, before its rows are known."""
    lines: Parts = [(category, "bold"), f": {c.before:,} rows"]
    if c.deficit:
        target = f"its minimum of {c.minimum:,}" if c.deficit_of == "min_per_category" else f"its share of {c.share:.0%}"
        lines += ["\n", (f"▲ {c.deficit:,} rows short of {target}. ", "bold $warning"),
                  "Balancing never invents rows: add real examples, or accept more synthetic ones in Review."]
    lines += pinned_lines(c)
    if not c.dropped:
        lines += ["\n", ("nothing is dropped from this category", "dim")]
    else:
        lines += ["\n", f"would drop {c.dropped:,} and keep {c.after:,}", (" · working out which…", "dim")]
    return Content.assemble(*lines)


def describe_drops(category: str, c, dropped: pl.DataFrame, select: str) -> Content:
    """The preview once the rows are known: a line per row the step would drop (the first 200)."""
    parts: Parts = [(category, "bold"), f": {c.before:,} rows, would drop {dropped.height:,} and keep {c.after:,}",
                    (f" ({select} selection)", "dim"), *pinned_lines(c), "\n"]
    for row in dropped.head(200).iter_rows(named=True):
        prompt = next((m["content"] for m in row["messages"] if m["role"] == "user"), "")
        prompt = " ".join(prompt.split())
        parts += [("− ", "$error"), (f"{row['source_line'] or '':>6} ", "dim"),
                  prompt[:140] + ("…" if len(prompt) > 140 else ""), "\n"]
    if dropped.height > 200:
        parts += [(f"… and {dropped.height - 200:,} more", "dim")]
    return Content.assemble(*parts)


def pinned_lines(c) -> Parts:
    """What the preview says about the rows people decided on: kept first, even over the cap."""
    if c.over_cap is not None:
        return ["\n", (f"▲ {c.pinned:,} rows people accepted, edited or kept exceed its cap of {c.over_cap:,}: "
                       "all of them stay, so the cap is exceeded.", "bold $warning")]
    if c.pinned:
        return ["\n", (f"{c.pinned:,} rows people accepted, edited or kept are kept first", "dim")]
    return []
