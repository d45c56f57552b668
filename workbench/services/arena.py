"""Arena views and votes: what the Compare tab and `workbench compare` ask for, without any UI.

One rater's session on a set of pairs (one comparison, or every pair): the next pair to show,
votes (A better, B better, tie, both bad, skip), undo of the rater's newest vote, and the reveal of
which model wrote which reply. The rules are the Arena's (:mod:`workbench.evaluate.arena`): the
undo convention, which reply is on the left, the standing vote. What this adds is the record of
what was revealed to whom, so that an undo never reopens a pair whose models the rater has seen,
and the sets worth offering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import WorkbenchError
from ..evaluate.arena import Arena, PairView, comparison_name, has_layout, make_pairs
from ..store import Store

__all__ = ["REVEAL_EVENT", "ArenaSession", "PairView", "Reveal", "Undone", "UndoRefused", "default_models",
           "make_set", "note_reveal", "rateable_sets", "revealed_to"]

REVEAL_EVENT = "compare_reveal"  # the audit-log event that says which pairs' models a rater has seen


class UndoRefused(WorkbenchError):
    """The vote an undo would withdraw is on a pair whose models the rater has seen: it stands."""


@dataclass(frozen=True)
class Undone:
    pair_id: int  # the pair whose vote was withdrawn
    pair: PairView | None  # what to show now: that pair again (else the next one to rate)


@dataclass(frozen=True)
class Reveal:
    rows: list[dict[str, Any]]  # Arena.revealed(): the models and the winner of each pair voted on
    details: dict[int, dict[str, Any]]  # pair_id -> {"question": ..., "reason": ...}


# -- the sets -------------------------------------------------------------------------------------
def rateable_sets(store: Store) -> tuple[list[str], bool]:
    """The comparison sets that hold pairs to rate here, and whether the store holds only imported ones.

    Imported judgements have no known layout: the Arena leaves them out, and a set made only of
    them would show an empty screen, so it is not offered.
    """
    names, imported = set(), False
    for pair in store.arena.pairs(texts=False):
        if has_layout(pair):
            names.add(pair["comparison"])
        else:
            imported = True
    return sorted(names), imported and not names


def default_models(store: Store, a: str | None, b: str | None) -> tuple[str, str]:
    """The two models to compare: those given, else base (or the first by name) and the newest run."""
    with_replies = sorted({g["model"] for g in store.evals.generations()})
    if len(with_replies) < 2:
        raise WorkbenchError("fewer than two models have replies (" + (", ".join(with_replies) or "none")
                             + "); run `workbench generate PROJECT --base --run RUN_ID` first")
    a = a or ("base" if "base" in with_replies else with_replies[0])
    if b is None:
        others = [m for m in with_replies if m != a]
        runs = [m for m in others if m.startswith("run:")]
        b = (runs or others)[-1]  # the newest run: run ids are time stamps
    for model in (a, b):
        if model not in with_replies:
            raise WorkbenchError(f"no replies stored for {model!r}; models with replies: {', '.join(with_replies)}")
    return a, b


def make_set(store: Store, a: str, b: str, *, per_category: int | None = None, seed: int = 0) -> tuple[str, int, int]:
    """Pairs of two models' replies in their default set: (the set's name, new pairs, pairs in the set)."""
    name = comparison_name(a, b)
    new = make_pairs(store, a, b, comparison=name, per_category=per_category, seed=seed)
    return name, new, len(store.arena.pairs(name, texts=False))


# -- what was revealed to whom --------------------------------------------------------------------
def note_reveal(store: Store, rater: str, pair_ids: list[int]) -> None:
    """Keep in the audit log which pairs' models were shown to this rater."""
    if pair_ids:
        store.log(REVEAL_EVENT, {"pairs": sorted(pair_ids)}, who=rater)


def revealed_to(store: Store, rater: str) -> set[int]:
    """Every pair whose models this rater has seen, in any session."""
    seen: set[int] = set()
    for row in store.audit(REVEAL_EVENT):
        if row["who"] == rater:
            seen.update(json.loads(row["detail"]).get("pairs", []))
    return seen


# -- one rater's session --------------------------------------------------------------------------
class ArenaSession:
    """One rater on one set of pairs (`comparison`, or None for every pair in the store)."""

    def __init__(self, store: Store, rater: str | None = None, comparison: str | None = None) -> None:
        self.store = store
        self.arena = Arena(store, rater=rater, comparison=comparison)

    @property
    def rater(self) -> str:
        return self.arena.rater

    @property
    def comparison(self) -> str | None:
        return self.arena.comparison

    def progress(self) -> tuple[int, int]:
        """(pairs this rater has voted on, pairs in the set)."""
        return self.arena.progress()

    def next_pair(self) -> PairView | None:
        """The next pair this rater has not voted on, without model names; None when none is left."""
        return self.arena.next_pair()

    def vote(self, pair_id: int, choice: str, reason: str = "") -> None:
        """Record the vote ('left', 'right', 'tie', 'both_bad' or 'skip'); committed before this returns."""
        self.arena.vote(pair_id, choice, reason)

    def seen(self) -> set[int]:
        """The pairs whose models this rater has seen."""
        return revealed_to(self.store, self.rater)

    def undo(self) -> Undone | None:
        """Withdraw this rater's newest standing vote in the set; None when there is none.

        Raises UndoRefused when the rater has seen that pair's models: voting on it again with the
        names known would not be blind, so the vote stands.
        """
        newest = self.arena.last_vote()
        if newest is not None and newest in self.seen():
            raise UndoRefused("the models of that pair have been revealed to you, so your vote on it stands")
        pair_id = self.arena.undo()
        if pair_id is None:
            return None
        return Undone(pair_id, self.arena.view(pair_id) or self.arena.next_pair())

    def reveal(self) -> Reveal:
        """Which model wrote which reply in each pair this rater voted on, noted as seen by them."""
        rows = self.arena.revealed()
        details = self._details()
        note_reveal(self.store, self.rater, [row["pair_id"] for row in rows])
        return Reveal(rows, details)

    def _details(self) -> dict[int, dict[str, Any]]:
        """pair_id -> the question (the last user turn, on one line) and the rater's reason."""
        details: dict[int, dict[str, Any]] = {}
        for pair in self.store.arena.pairs(self.comparison):
            question = next((m.get("content") or "" for m in reversed(pair["messages"]) if m.get("role") == "user"),
                            "")
            details[pair["pair_id"]] = {"question": " ".join(question.split()), "reason": ""}
        for pair_id, vote in self.arena.standing().items():
            if pair_id in details:
                details[pair_id]["reason"] = vote["reason"]
        return details
