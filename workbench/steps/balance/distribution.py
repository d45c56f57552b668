"""How many rows of each category the balance step keeps: caps, shares and deficits.

Pure arithmetic over category counts, so the Balance screen can redraw the plan on every
keystroke; which rows go is decided afterwards by :mod:`.sampling`.

- ``max_per_category`` caps a category (an int for every category, or a table per category
  where "*" gives the number for the categories it does not name);
- ``min_per_category`` is a floor: balancing never cuts a category below it, and a category that
  has fewer rows is reported with its deficit (the workbench never invents rows);
- ``target_share`` gives named categories a share of the balanced task rows. Over-represented
  ones are cut down to it; the total is the largest one at which every named category is at most
  its share, so under-represented ones keep all their rows and are reported with the rows they
  lack. When every category present has a share, the shares are read as proportions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ...records import UNLABELLED

UnlabelledPolicy = Literal["keep", "drop", "balance"]
DEFAULT_KEY = "*"  # in a per-category table, the number for categories not named


def category_key(category: str | None) -> str:
    return UNLABELLED if category is None else category


@dataclass(frozen=True)
class Targets:
    max_per_category: int | dict[str, int] | None = None
    min_per_category: int | dict[str, int] | None = None
    target_share: dict[str, float] = field(default_factory=dict)
    unlabelled: UnlabelledPolicy = "keep"  # keep untouched, drop, or balance as one more category

    def max_for(self, category: str) -> int | None:
        return _per_category(self.max_per_category, category)

    def min_for(self, category: str) -> int | None:
        if category == UNLABELLED:
            return None  # nobody wants a minimum of unlabelled rows
        return _per_category(self.min_per_category, category)

    def named(self) -> set[str]:
        """Categories the targets mention by name (they are planned even when absent)."""
        names = set(self.target_share)
        for table in (self.max_per_category, self.min_per_category):
            if isinstance(table, dict):
                names |= set(table) - {DEFAULT_KEY}
        return names

    def check(self) -> None:
        """Raise ValueError naming the setting that cannot work."""
        for setting in ("max_per_category", "min_per_category"):
            value = getattr(self, setting)
            items = value.items() if isinstance(value, dict) else [("", value)]
            for name, number in items:
                where = f"{setting}.{name}" if name else setting
                if number is None:
                    continue
                if isinstance(number, bool) or not isinstance(number, int):
                    raise ValueError(f"{where} must be a whole number, got {number!r}")
                if number < (1 if setting == "max_per_category" else 0):
                    raise ValueError(f"{where} must be at least {1 if setting == 'max_per_category' else 0}, "
                                     f"got {number}")
        for name, share in self.target_share.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
                raise ValueError(f"target_share.{name} must be a fraction above 0 and at most 1, got {share!r}")
        total = sum(self.target_share.values())
        if total > 1 + 1e-9:
            raise ValueError(f"target_share adds up to {total:.2f}; shares of the balanced rows can add up to 1 at most")
        pairs = [("", _scalar(self.min_per_category), _scalar(self.max_per_category))]
        pairs += [(name, self.min_for(name), self.max_for(name)) for name in sorted(self.named())]
        for name, low, high in pairs:
            if low is not None and high is not None and low > high:
                where = f" for {name}" if name else ""
                raise ValueError(f"min_per_category ({low}) is above max_per_category ({high}){where}")


def _per_category(value: int | dict[str, int] | None, category: str) -> int | None:
    """The number for `category`: a plain number, or its entry in a table ("*" for the rest)."""
    if isinstance(value, dict):
        return value.get(category, value.get(DEFAULT_KEY))
    return value


def _scalar(value: int | dict[str, int] | None) -> int | None:
    return value.get(DEFAULT_KEY) if isinstance(value, dict) else value


@dataclass
class CategoryPlan:
    category: str
    before: int
    after: int
    cap: int | None = None  # the most rows kept; None when the category is not cut
    minimum: int | None = None
    share: float | None = None  # its target share of the balanced task rows
    pinned: int = 0  # rows a person decided on (always kept)
    over_cap: int | None = None  # the cap the pinned rows alone exceed (they are all kept)
    deficit: int = 0  # rows missing to reach the minimum or the share
    deficit_of: str | None = None  # "min_per_category" or "target_share"
    dropped_as: str = "balance"  # the reason its dropped rows get

    @property
    def dropped(self) -> int:
        return self.before - self.after


@dataclass
class BalancePlan:
    categories: list[CategoryPlan]
    general: int = 0  # general-instruction rows to mix in
    general_wanted: int = 0
    general_available: int = 0
    shares_as_proportions: bool = False

    @property
    def total_before(self) -> int:
        return sum(c.before for c in self.categories)

    @property
    def total_after(self) -> int:
        return sum(c.after for c in self.categories) + self.general

    def get(self, category: str | None) -> CategoryPlan | None:
        key = category_key(category)
        return next((c for c in self.categories if c.category == key), None)

    def deficits(self) -> list[CategoryPlan]:
        return [c for c in self.categories if c.deficit]

    def to_stats(self) -> dict[str, Any]:
        """The plan as it goes into report.json (under the balance step's stats)."""
        before = {c.category: c.before for c in self.categories}
        after = {c.category: c.after for c in self.categories}
        stats: dict[str, Any] = {
            "before": before, "after": after,
            "shares_before": _shares(before), "shares_after": _shares(after),
            "caps": {c.category: c.cap for c in self.categories if c.cap is not None},
            "deficits": {c.category: {"have": c.after, "missing": c.deficit, "target": c.deficit_of,
                                      "need": c.after + c.deficit} for c in self.deficits()},
        }
        over = {c.category: {"cap": c.over_cap, "protected": c.pinned} for c in self.categories
                if c.over_cap is not None}
        if over:
            stats["over_cap"] = over
        if self.general_wanted or self.general:
            stats["general"] = {"added": self.general, "wanted": self.general_wanted,
                                "available": self.general_available,
                                "missing": max(0, self.general_wanted - self.general)}
        return stats


def _shares(counts: Mapping[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(v / total, 4) if total else 0.0 for k, v in counts.items()}


def plan_balance(counts: Mapping[str | None, int], targets: Targets, *,
                 pinned: Mapping[str | None, int] | None = None, general_available: int = 0,
                 general_share: float = 0.0) -> BalancePlan:
    """The balance plan for category counts (None is the unlabelled category).

    `pinned` counts rows per category that a reviewer chose to keep: they stay whatever the
    caps say. `general_share` is the share general-instruction rows should have of the output.
    """
    pinned = {category_key(k): v for k, v in (pinned or {}).items()}
    before = {category_key(k): int(v) for k, v in counts.items()}
    for name in targets.named():
        before.setdefault(name, 0)
    plans = {name: CategoryPlan(name, n, n, minimum=targets.min_for(name),
                                share=targets.target_share.get(name), pinned=pinned.get(name, 0))
             for name, n in before.items()}

    # 1. unlabelled rows: left alone, dropped, or balanced like a category
    loose = plans.get(UNLABELLED)
    if loose is not None and targets.unlabelled != "balance":
        loose.minimum, loose.share = None, None
        if targets.unlabelled == "drop":
            loose.after, loose.cap, loose.dropped_as = loose.pinned, 0, "unlabelled"
    balanced = {k: p for k, p in plans.items() if not (k == UNLABELLED and targets.unlabelled != "balance")}

    # 2. hard caps
    for p in balanced.values():
        cap = targets.max_for(p.category)
        if cap is not None and p.before > cap:
            p.cap, p.after = cap, max(cap, p.pinned)

    # 3. shares of the balanced task rows
    shared = {k: p for k, p in balanced.items() if p.share is not None}
    shares_as_proportions = False
    if shared:
        others = sum(p.after for k, p in plans.items() if k not in shared)
        shares = {k: p.share for k, p in shared.items()}
        if others == 0 and sum(shares.values()) < 1:
            total = sum(shares.values())
            shares = {k: s / total for k, s in shares.items()}
            shares_as_proportions = True
        total = _largest_total({k: p.after for k, p in shared.items()}, shares, others)
        for k, p in shared.items():
            wanted = shares[k] * total
            cap = math.floor(wanted + 1e-9)
            if p.after > cap:
                p.cap, p.after = cap, max(cap, p.pinned)
            elif p.after < wanted - 1e-9:
                p.deficit, p.deficit_of = math.ceil(wanted - 1e-9) - p.after, "target_share"

    # 4. never below the minimum; report what is missing to reach it
    for p in balanced.values():
        if p.minimum is None:
            continue
        if p.after < p.minimum:
            p.after = min(p.before, p.minimum)
            if p.cap is not None:
                p.cap = max(p.cap, p.after)
        missing = p.minimum - p.after
        if missing > p.deficit:
            p.deficit, p.deficit_of = missing, "min_per_category"
    for p in plans.values():
        if p.cap is not None and p.pinned > p.cap:
            p.over_cap = p.cap  # the pinned rows alone exceed it: all stay, and that is reported
        if p.cap is not None and p.after >= p.before:
            p.cap = None  # not cut after all

    plan = BalancePlan(sorted(plans.values(), key=lambda p: (-p.before, p.category)),
                       shares_as_proportions=shares_as_proportions)
    # 5. general-instruction rows at their share of the output
    if general_share > 0:
        task_rows = sum(p.after for p in plans.values())
        plan.general_wanted = round(general_share / (1 - general_share) * task_rows)
        plan.general_available = general_available
        plan.general = min(plan.general_wanted, general_available)
    return plan


def _largest_total(rows: Mapping[str, int], shares: Mapping[str, float], others: int) -> float:
    """The largest output size T with others + sum(min(rows_c, share_c * T)) >= T.

    That function minus T is concave (its slope falls as categories run out of rows), so the
    set of totals that work is an interval starting at 0 and bisection finds its end.
    """
    def room(total: float) -> float:
        return others + sum(min(n, shares[k] * total) for k, n in rows.items()) - total

    high = float(others + sum(rows.values()))
    if room(high) >= -1e-9:
        return high
    low = 0.0
    for _ in range(100):
        mid = (low + high) / 2
        if room(mid) >= -1e-9:
            low = mid
        else:
            high = mid
    return low


def plan_to_dict(plan: BalancePlan) -> dict[str, Any]:
    return {"categories": [asdict(c) for c in plan.categories], "general": plan.general}
