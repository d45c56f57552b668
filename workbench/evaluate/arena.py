"""Blind A/B pairs and the votes on them.

A pair holds two replies to one prompt from two models (`model_a` < `model_b` by name). Which
one a rater sees on the left is drawn once per pair from a stored seed, so the layout can be
reproduced and position bias measured. The Arena is what a rating screen talks to: it hands out
the next pair without model names, commits each vote before it returns, and reveals the models
only when asked.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import WorkbenchError
from ..store import Store, default_rater

if TYPE_CHECKING:  # votes is owner B's module; imported at run time only where needed
    from .votes import Vote

CHOICES = ("left", "right", "tie", "both_bad", "skip")
UNDO = "undo"  # the reason of a vote row that withdraws the rater's earlier vote on a pair
SIDES = ("a", "b")  # a pair's `left`: the model shown on the left; '' for imported judgements (no layout)


@dataclass(frozen=True)
class PairView:
    """What a rater may see before voting: no model names."""

    pair_id: int
    prompt: list[dict]  # messages ending with the user turn
    reference: str | None
    category: str | None
    left: str  # the reply shown on the left
    right: str


def is_undo(vote: dict[str, Any]) -> bool:
    """Whether a vote row withdraws the rater's earlier vote on its pair (it is no vote itself)."""
    return vote["winner"] == "skip" and vote["reason"] == UNDO


def has_layout(pair: dict[str, Any]) -> bool:
    """Whether the pair says which model a rater sees on the left; imported judgements do not."""
    return pair["left"] in SIDES


def as_shown(pair: dict[str, Any], what: str = "reply") -> tuple[Any, Any]:
    """(left, right) of `what` ('reply' or 'model') as a rater sees the pair."""
    a, b = pair[f"{what}_a"], pair[f"{what}_b"]
    return (a, b) if pair["left"] == "a" else (b, a)


def resolve(choice: str, left: str) -> str:
    """The winner ('a', 'b', 'tie', 'both_bad', 'skip') of a key press, given which model was on the left."""
    if choice not in ("left", "right"):
        return choice
    if left not in SIDES:
        raise WorkbenchError("this pair was imported without a known layout; it cannot be voted left/right")
    shown_left = left == "a"
    return "a" if (choice == "left") == shown_left else "b"


class Arena:
    """One rater's view of a set of pairs (one comparison, or every pair in the store)."""

    def __init__(self, store: Store, rater: str | None = None, comparison: str | None = None) -> None:
        self.store = store
        self.rater = rater or default_rater()
        self.comparison = comparison

    # -- what is there ------------------------------------------------------------------------
    def _pairs(self, texts: bool = True) -> list[dict[str, Any]]:
        # Imported judgements have no layout (left ''); they were judged elsewhere and are not rated here.
        return [p for p in self.store.arena.pairs(self.comparison, texts=texts) if has_layout(p)]

    def standing(self) -> dict[int, dict[str, Any]]:
        """This rater's standing vote per pair (undone votes removed)."""
        votes = self.store.arena.votes(self.comparison, rater=self.rater)
        return {v["pair_id"]: v for v in votes if not is_undo(v)}

    def last_vote(self) -> int | None:
        """The pair of this rater's newest standing vote in the set: the one an undo withdraws."""
        mine = self.standing()
        return max(mine.values(), key=lambda v: v["seq"])["pair_id"] if mine else None

    def comparisons(self) -> list[str]:
        return self.store.arena.comparisons()

    def progress(self) -> tuple[int, int]:
        """(pairs this rater has voted on, pairs in the set)."""
        pairs = self._pairs(texts=False)
        ids = {p["pair_id"] for p in pairs}
        return sum(1 for pid in self.standing() if pid in ids), len(pairs)

    # -- rating -------------------------------------------------------------------------------
    def next_pair(self) -> PairView | None:
        """A pair this rater has not voted on (a skip counts as seen), or None when none is left.

        Categories take turns: the next pair comes from the category in which this rater has
        voted least so far (ties by name), and within a category pairs come in the order they
        were made, so the order is the same after a restart.
        """
        pairs = self._pairs(texts=False)
        mine = self.standing()
        done: Counter[str] = Counter()
        waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in pairs:
            key = p["category"] or ""
            if p["pair_id"] in mine:
                done[key] += 1
            else:
                waiting[key].append(p)
        if not waiting:
            return None
        category = min(waiting, key=lambda c: (done[c], c))
        return self._view(self._pair(waiting[category][0]["pair_id"]))  # only the pair shown is read in full

    def view(self, pair_id: int) -> PairView | None:
        """A pair of the set as the rater sees it, by id, whether voted on or not; None when there is
        no such pair in the set or it has no layout."""
        pair = self.store.arena.pair(pair_id)
        if pair is None or not has_layout(pair) or self.comparison not in (None, pair["comparison"]):
            return None
        return self._view(pair)

    def _view(self, pair: dict[str, Any]) -> PairView:
        prompt = self.store.evals.prompt(pair["prompt_id"]) or {}
        left, right = as_shown(pair)
        return PairView(pair["pair_id"], prompt.get("messages") or [], prompt.get("reference"),
                        prompt.get("category"), left, right)

    def vote(self, pair_id: int, choice: str, reason: str = "") -> None:
        """Record this rater's vote on a pair; committed before this returns."""
        if choice not in CHOICES:
            raise WorkbenchError(f"unknown choice {choice!r}; expected one of {', '.join(CHOICES)}")
        pair = self._pair(pair_id)
        winner = resolve(choice, pair["left"])
        reason = " ".join(str(reason).split())  # one line
        if reason == UNDO and winner == "skip":
            reason = "undo (typed)"  # a typed reason must not read as an undo
        self.store.arena.add_vote(pair_id, self.rater, choice, winner, reason, "ui")

    def undo(self) -> int | None:
        """Withdraw this rater's most recent standing vote in the set; the pair comes back. Its id, or None."""
        last = self.last_vote()
        if last is not None:
            self.store.arena.add_vote(last, self.rater, "skip", "skip", UNDO, "ui")
        return last

    def _pair(self, pair_id: int) -> dict[str, Any]:
        pair = self.store.arena.pair(pair_id)
        if pair is None or (self.comparison is not None and pair["comparison"] != self.comparison):
            where = f" in comparison {self.comparison!r}" if self.comparison is not None else ""
            raise WorkbenchError(f"no pair {pair_id}{where}")
        return pair

    # -- after voting -------------------------------------------------------------------------
    def revealed(self) -> list[dict[str, Any]]:
        """For each pair this rater voted on, in voting order: which model was where and who won."""
        pairs = {p["pair_id"]: p for p in self._pairs()}
        out = []
        for v in sorted(self.standing().values(), key=lambda v: v["seq"]):
            p = pairs.get(v["pair_id"])
            if p is None:
                continue
            left_model, right_model = as_shown(p, "model")
            winner_model = {"a": p["model_a"], "b": p["model_b"]}.get(v["winner"])
            out.append({"pair_id": p["pair_id"], "category": p["category"], "left_model": left_model,
                        "right_model": right_model, "choice": v["choice"], "winner": v["winner"],
                        "winner_model": winner_model})
        return out


def comparison_name(model_a: str, model_b: str) -> str:
    """The default name of the set of pairs of two models: "<model> vs <model>", by name."""
    return " vs ".join(sorted((model_a, model_b)))


def left_side(seed: int, prompt_id: str) -> str:
    """Which model ('a' or 'b') a pair shows on the left: a fair coin seeded by (seed, prompt)."""
    return "a" if random.Random(f"{seed}:{prompt_id}").random() < 0.5 else "b"


def newest_settings(store: Store, model: str) -> str | None:
    """The settings of the newest replies stored for `model`."""
    rows = store.evals.generations(model)
    return rows[-1]["settings"] if rows else None


def shared_settings(store: Store, a: str, b: str) -> str | None:
    """The settings under which both models answered the most prompts (the newest on a tie), so a
    quick trial with other settings does not replace a full set; None when they share none."""
    seen: dict[str, dict[str, tuple[set[str], int]]] = {}
    for g in store.evals.generations():  # oldest first: the last rowid seen is the newest
        if g["model"] in (a, b):
            ids, _ = seen.setdefault(g["settings"], {}).get(g["model"], (set(), 0))
            ids.add(g["prompt_id"])
            seen[g["settings"]][g["model"]] = (ids, g["rowid"])
    ranked = [(len(by[a][0] & by[b][0]), max(by[a][1], by[b][1]), key) for key, by in seen.items()
              if a in by and b in by]
    return max(ranked)[2] if ranked and max(ranked)[0] else None


def make_pairs(store: Store, model_a: str, model_b: str, *, comparison: str | None = None,
               per_category: int | None = None, seed: int = 0, settings: str | None = None) -> int:
    """Pairs for the prompts both models answered; returns how many are new (existing pairs are kept).

    `settings` picks the generation settings (default: those under which both answered the most
    prompts, else each model's newest). `per_category` caps
    the prompts per category (existing pairs count towards it), sampled with `seed`.
    """
    if model_a == model_b:
        raise WorkbenchError(f"cannot compare {model_a!r} with itself; give two different models")
    a, b = sorted((model_a, model_b))
    if per_category is not None and per_category < 1:
        raise WorkbenchError(f"--per-category must be at least 1, got {per_category}")
    comparison = comparison or comparison_name(a, b)
    shared = settings or shared_settings(store, a, b)
    replies: dict[str, dict[str, str]] = {}
    for model in (a, b):
        chosen = shared or newest_settings(store, model)
        rows = store.evals.generations(model, chosen) if chosen else []
        if not rows:
            known = ", ".join(sorted({g["model"] for g in store.evals.generations()})) or "none yet"
            raise WorkbenchError(f"no replies stored for {model!r}" + (" with those settings" if settings else "")
                                 + f"; run `workbench generate` first (models with replies: {known})")
        replies[model] = {g["prompt_id"]: g["reply"] for g in rows}  # newest last, so it wins
    common = sorted(set(replies[a]) & set(replies[b]))
    if not common:
        raise WorkbenchError(f"{a!r} and {b!r} have no prompt in common with stored replies; generate both "
                             "with the same prompts")
    prompts = {p["prompt_id"]: p for p in store.evals.prompts()}
    chosen_ids = common
    if per_category is not None:
        existing = {p["prompt_id"] for p in store.arena.pairs(comparison) if (p["model_a"], p["model_b"]) == (a, b)}
        by_category: dict[str, list[str]] = defaultdict(list)
        for pid in common:
            by_category[(prompts.get(pid) or {}).get("category") or ""].append(pid)
        chosen_ids = []
        for category, ids in sorted(by_category.items()):
            have = [pid for pid in ids if pid in existing]
            fresh = [pid for pid in ids if pid not in existing]
            random.Random(f"{seed}:sample:{category}").shuffle(fresh)
            chosen_ids += have + fresh[: max(0, per_category - len(have))]
        chosen_ids.sort()
    return store.arena.add_pairs(
        {"comparison": comparison, "prompt_id": pid, "model_a": a, "model_b": b, "reply_a": replies[a][pid],
         "reply_b": replies[b][pid], "left": left_side(seed, pid), "seed": seed}
        for pid in chosen_ids)


def load_votes(store: Store, comparison: str | None = None, with_metric: bool = True) -> list[Vote]:
    """The standing vote per (pair, rater), skips included (the statistics drop them).

    With `with_metric`, each vote says which reply ROUGE-L against the reference prefers
    (None where the prompt has no reference).
    """
    from .votes import Vote

    rows = [v for v in store.arena.votes(comparison) if not is_undo(v)]
    preferred: dict[int, str | None] = {}
    if with_metric:
        from .metrics import metric_winner

        for v in rows:
            if v["pair_id"] not in preferred:
                preferred[v["pair_id"]] = metric_winner(v["reply_a"], v["reply_b"], v["reference"])
    return [Vote(pair_id=v["pair_id"], prompt_id=v["prompt_id"], category=v["category"], model_a=v["model_a"],
                 model_b=v["model_b"], winner=v["winner"], left=v["left"] or None, rater=v["rater"],
                 metric_winner=preferred.get(v["pair_id"]))
            for v in rows]
