"""Agreement between reviewers: Cohen's kappa for two raters, Fleiss' kappa for more.

Kappa compares how often raters agree with how often they would agree by chance given how often
each label is used: 1 is perfect agreement, 0 is chance level, below 0 is worse than chance.
Verdicts are compared as what they mean for training: ``accept`` and ``edit`` both let the row
in, so both count as "accept"; ``reject`` is "reject".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# Landis and Koch (1977), the usual words for a kappa value.
_BANDS = ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
          (1.0, "almost perfect"))


def verdict_label(action: str) -> str:
    """The label agreement is computed on: accept (accept or edit) or reject."""
    return "reject" if action == "reject" else "accept"


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items (None when chance agreement is 1)."""
    if len(a) != len(b):
        raise ValueError("both raters need a label for every item")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected >= 1.0:
        return None  # both raters used one and the same label throughout: kappa is undefined
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(items: Sequence[Mapping[str, int]]) -> float | None:
    """Fleiss' kappa from per-item label counts, e.g. ``[{"accept": 2, "reject": 1}, ...]``.

    Items need at least two ratings each. With the same number of ratings per item this is
    Fleiss (1971); with different numbers each item's agreement is taken over its own rating
    pairs and the label shares over all ratings (the usual extension).
    """
    rated = [item for item in items if sum(item.values()) >= 2]
    if not rated:
        return None
    totals: Counter[str] = Counter()
    per_item = []
    for item in rated:
        n = sum(item.values())
        totals.update(item)
        per_item.append(sum(c * (c - 1) for c in item.values()) / (n * (n - 1)))
    observed = sum(per_item) / len(per_item)
    ratings = sum(totals.values())
    expected = sum((c / ratings) ** 2 for c in totals.values())
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def describe_kappa(kappa: float | None) -> str:
    if kappa is None:
        return "undefined"
    if kappa < 0:
        return "poor (below chance)"
    for upper, words in _BANDS:
        if kappa <= upper:
            return words
    return "almost perfect"


@dataclass
class Agreement:
    """How much the reviewers agree on the rows that more than one of them judged."""

    method: str  # "cohen", "fleiss", or "none" when no row has two verdicts
    kappa: float | None
    observed: float | None  # share of agreeing rater pairs
    items: int  # rows with at least two verdicts
    raters: list[str]
    words: str  # Landis and Koch's name for the kappa value

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("kappa", "observed"):
            if out[key] is not None:
                out[key] = round(out[key], 4)
        return out

    def line(self) -> str:
        """One line for the screen and the data card."""
        if self.method == "none":
            return "agreement: no row has verdicts from two reviewers yet"
        name = "Cohen's" if self.method == "cohen" else "Fleiss'"
        kappa = "undefined (one label throughout)" if self.kappa is None else f"{self.kappa:.2f} ({self.words})"
        rows = f"{self.items:,} row{'' if self.items == 1 else 's'}"
        return f"{name} kappa {kappa} over {rows}, {len(self.raters)} reviewers; raw agreement {self.observed:.0%}"


def agreement(verdicts: Mapping[Any, Mapping[str, str]],
              label: Callable[[str], str] = verdict_label) -> Agreement:
    """Agreement from ``{item: {rater: verdict}}``; `label` maps a verdict to the label compared
    (by default a review action: accept / edit / reject as accept or reject).

    Two raters in all: Cohen's kappa over the items both judged. Three or more: Fleiss' kappa
    over every item with at least two verdicts.
    """
    multi = {item: {r: label(a) for r, a in by_rater.items()}
             for item, by_rater in sorted(verdicts.items()) if len(by_rater) >= 2}
    raters = sorted({r for by_rater in multi.values() for r in by_rater})
    if not multi:
        return Agreement("none", None, None, 0, raters, describe_kappa(None))
    pairs = agree = 0
    for labels in multi.values():
        values = list(labels.values())
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                pairs += 1
                agree += values[i] == values[j]
    observed = agree / pairs
    if len(raters) == 2:
        first, second = raters
        rows = sorted(multi)
        kappa = cohen_kappa([multi[r][first] for r in rows], [multi[r][second] for r in rows])
        return Agreement("cohen", kappa, observed, len(multi), raters, describe_kappa(kappa))
    kappa = fleiss_kappa([Counter(labels.values()) for labels in multi.values()])
    return Agreement("fleiss", kappa, observed, len(multi), raters, describe_kappa(kappa))
