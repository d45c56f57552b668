"""What the Compare tab reads from the store beyond the Arena's interface (no textual here).

The Arena hands out unvoted pairs only and reveals every voted pair; the tab also needs a voted
pair back after an undo, the sets worth offering, the prompt and reason beside each revealed
vote, and a record of what was revealed to whom, so that an undo never reopens a pair whose
models the rater has already seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...evaluate.arena import PairView
    from ...store import Store

REVEAL_EVENT = "compare_reveal"
UNDO = "undo"  # the reason of the vote row an undo writes (the Arena's convention)


def rateable_sets(store: Store) -> tuple[list[str], bool]:
    """The comparison sets that hold pairs to rate here, and whether the store holds only imported ones.

    Imported judgements have no known layout (left ''): the Arena leaves them out, and a set made
    only of them would show an empty screen, so it is not offered.
    """
    names, imported = set(), False
    for pair in store.pairs():
        if pair["left"] in ("a", "b"):
            names.add(pair["comparison"])
        else:
            imported = True
    return sorted(names), imported and not names


def pair_view(store: Store, pair_id: int) -> PairView | None:
    """A pair as the rater sees it, by id, whether voted on or not."""
    from ...evaluate.arena import PairView

    pair = store.pair(pair_id)
    if pair is None or pair["left"] not in ("a", "b"):
        return None
    prompt = store.eval_prompt(pair["prompt_id"]) or {}
    left, right = (pair["reply_a"], pair["reply_b"]) if pair["left"] == "a" else (pair["reply_b"], pair["reply_a"])
    return PairView(pair_id, prompt.get("messages") or [], prompt.get("reference"), prompt.get("category"),
                    left, right)


def last_vote(store: Store, rater: str, comparison: str | None) -> int | None:
    """The pair of this rater's newest standing vote in the set: the one an undo withdraws."""
    standing = [v for v in store.votes(comparison, rater=rater) if not (v["winner"] == "skip" and v["reason"] == UNDO)]
    return max(standing, key=lambda v: v["seq"])["pair_id"] if standing else None


def note_reveal(store: Store, rater: str, pair_ids: list[int]) -> None:
    """Keep in the audit log which pairs' models were shown to this rater."""
    if pair_ids:
        store.log(REVEAL_EVENT, {"pairs": sorted(pair_ids)}, who=rater)


def revealed_to(store: Store, rater: str) -> set[int]:
    """Every pair whose models this rater has seen, in any session."""
    import json

    seen: set[int] = set()
    for row in store.audit(REVEAL_EVENT):
        if row["who"] == rater:
            seen.update(json.loads(row["detail"]).get("pairs", []))
    return seen


def reveal_details(store: Store, rater: str, comparison: str | None) -> dict[int, dict[str, Any]]:
    """pair_id -> the question (the last user turn, on one line) and the rater's reason."""
    details: dict[int, dict[str, Any]] = {}
    for pair in store.pairs(comparison):
        question = next((m.get("content") or "" for m in reversed(pair["messages"]) if m.get("role") == "user"), "")
        details[pair["pair_id"]] = {"question": " ".join(question.split()), "reason": ""}
    for vote in store.votes(comparison, rater=rater):
        if vote["pair_id"] in details:
            details[vote["pair_id"]]["reason"] = vote["reason"]
    return details
