"""One blind A/B vote as the statistics read it, and how it scores: a vote scores 1 for the model
it prefers and 0 for the other; a tie and "both bad" score ½ each, a skip is left out. Also the
rounding every published figure gets. Pure Python: no numpy, no store access.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DECIMALS = 6
WINNERS = ("a", "b", "tie", "both_bad", "skip")
_SCORE = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
_FLIP = {"a": "b", "b": "a"}


@dataclass(frozen=True)
class Vote:
    pair_id: int
    prompt_id: str
    category: str | None
    model_a: str
    model_b: str
    winner: str  # 'a' | 'b' | 'tie' | 'both_bad' | 'skip'
    left: str | None  # 'a' | 'b' | None (unknown)
    rater: str
    metric_winner: str | None = None  # 'a' | 'b' | 'tie' | None: the reply the automated metric (ROUGE-L) prefers

    def oriented(self) -> Vote:
        """The same vote with model_a < model_b, as the store keeps pairs."""
        if self.model_a <= self.model_b:
            return self
        return Vote(self.pair_id, self.prompt_id, self.category, self.model_b, self.model_a,
                    _FLIP.get(self.winner, self.winner), _FLIP.get(self.left or "", self.left), self.rater,
                    _FLIP.get(self.metric_winner or "", self.metric_winner))


def _decided(votes: Iterable[Vote]) -> list[Vote]:
    return [v for v in votes if v.winner in _SCORE]


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), DECIMALS)


def _interval(lo_hi: tuple[float, float] | None) -> list[float] | None:
    return None if lo_hi is None else [_round(lo_hi[0]), _round(lo_hi[1])]
