"""The verdict of the blind A/B votes in plain words, for people who are not statisticians.

"The tuned model (run:x) is better than base in 5 of 8 categories; in 3 there are too few votes
to tell (about 6 more each would settle it)." Works on the dict `stats.analyze` returns.

The words count only the votes that picked a side: a tie or "both bad" is not half a win here,
it is stated beside the figure ("4 of 11 votes (36%): both replies unusable"). A category is
better (or worse) when the 95% Wilson interval of its share of those votes lies wholly above (or
below) 50%; a category with fewer than `min_votes` votes says "too few votes" and no interval.
"About N more" assumes the next votes go like the ones so far (the same shares won, lost, tied
and both bad) and counts them until that interval clears 50% (for the bar: clears the bar).
The intervals with ties as half, Bradley-Terry and the rest stay in `stats` for those who want
them.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .intervals import wilson
from .stats import speaker_view

MIN_VOTES = 5  # [eval] min_votes: fewer votes in a category than this say "too few votes"
ORDER = ("better", "worse", "not settled", "too few votes", "no side picked")
MOST = 100_000  # more votes than this to settle it: "more than 100,000" (in practice, never)


def min_votes_setting(config: dict[str, Any] | None) -> int:
    """workbench.toml [eval] min_votes (default 5), checked."""
    value = ((config or {}).get("eval") or {}).get("min_votes", MIN_VOTES)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise ConfigError(f"workbench.toml [eval] min_votes = {value!r}: should be a whole number from 1 to 10000 "
                          "(categories with fewer votes say \"too few votes\")")
    return value


def settled(wins: float, decisive: float, threshold: float = 0.5) -> int:
    """+1 when the Wilson 95% interval of wins/decisive lies wholly above `threshold`, -1 below, 0 neither."""
    interval = wilson(wins, decisive)
    if interval is None:
        return 0
    return 1 if interval[0] > threshold else -1 if interval[1] < threshold else 0


def votes_to_settle(wins: int, losses: int, votes: int, threshold: float = 0.5, least: int = 1) -> int | None:
    """How many more votes, split like these `votes` (of which `wins` + `losses` picked a side), until
    the interval of the share won lies wholly on one side of `threshold` and there are `least` votes.

    0 when it already does; None when it never would at this rate (an even split, no vote picking a
    side) or only past MOST votes.
    """
    decisive = wins + losses
    if decisive == 0 or votes == 0 or wins == threshold * decisive:
        return None
    rate, share = wins / decisive, decisive / votes

    def enough(extra: int) -> bool:
        d = decisive + extra * share
        return votes + extra >= least and settled(rate * d, d, threshold) != 0

    if enough(0):
        return 0
    high = 1
    while not enough(high):
        high *= 2
        if high > MOST:
            return None
    low = high // 2  # enough(low) is False (or low is 0, checked above)
    while high - low > 1:  # the interval narrows as votes grow at a fixed rate
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


# -- one comparison --------------------------------------------------------------------------
def category_words(name: str, e: dict[str, Any], min_votes: int) -> dict[str, Any]:
    """{"category", "status", "words", "more"} for one category (or "overall") of a view."""
    wins, losses, n = e["wins"], e["losses"], e["n"]
    decisive = wins + losses
    more = votes_to_settle(wins, losses, n, least=min_votes)
    side = _side_counts(e)
    if n < min_votes:
        status = "too few votes"
        words = f"too few votes ({_votes(n)}" + (f", {side}" if side else "") + (
            f"; about {more:,} more would settle it)" if more else "; split evenly so far)" if decisive else ")")
    elif decisive == 0:
        status = "no side picked"
        words = f"no vote picked a side ({side})"
    else:
        status = {1: "better", -1: "worse", 0: "not settled"}[settled(wins, decisive)]
        share = f"won {wins} of {decisive} ({wins / decisive:.0%})"  # of the votes that picked a side
        words = f"{status} — {share}" + (f"; {side}" if side else "")
        if status == "not settled":
            words += f"; about {more:,} more votes would settle it" if more else "; the votes so far are split evenly"
    return {"category": name, "status": status, "words": words, "more": more, "votes": n}


def _votes(n: int) -> str:
    return f"{n} vote{'s' * (n != 1)}"


def _side_counts(e: dict[str, Any]) -> str:
    parts = []
    if e["ties"]:
        parts.append(f"{e['ties']} tie{'s' * (e['ties'] != 1)}")
    if e["both_bad"]:
        parts.append(f"{e['both_bad']} both bad")
    return ", ".join(parts)


def _about(open_: list[dict[str, Any]]) -> str:
    """' (about 4 more each would settle it)' for the categories left open; those split evenly (or
    with no vote picking a side) have no such number and are said apart."""
    numbers = [c["more"] for c in open_ if c["more"]]
    if not numbers:
        return " (the votes so far are even)" if open_ else ""
    lo, hi = min(numbers), max(numbers)
    each = " each" if len(numbers) > 1 else ""
    span = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
    rest = len(open_) - len(numbers)
    if not rest:
        return f" (about {span} more{each} would settle it)"
    return (f" (about {span} more{each} would settle {len(numbers)} of them; "
            f"{rest} {'is' if rest == 1 else 'are'} even so far)")


def pair_words(entry: dict[str, Any], min_votes: int = MIN_VOTES, bar: float = 0.70,
               baseline: str = "base") -> dict[str, Any]:
    """The plain verdict of one model pair: headline, overall, the bar, and a line per category."""
    view = speaker_view(entry)  # the tuned model's side, or for two tuned models the one ahead
    hero, other = view["model"], view["baseline"]
    who = f"The tuned model ({hero})" if hero.startswith("run:") and other == baseline else hero
    out: dict[str, Any] = {"model": hero, "baseline": other, "categories": []}
    if not view["n"]:
        out.update(headline=f"{who} vs {other}: no votes yet", overall="", bar="", tone="none")
        return out
    cats = [category_words(c, e, min_votes) for c, e in view["categories"].items() if e["n"]]
    cats.sort(key=lambda c: (ORDER.index(c["status"]), c["category"]))  # settled first, then what needs votes
    out["categories"] = cats
    better = sum(c["status"] == "better" for c in cats)
    worse = sum(c["status"] == "worse" for c in cats)
    open_ = [c for c in cats if c["status"] in ("too few votes", "not settled")]
    unsided = sum(c["status"] == "no side picked" for c in cats)
    noun = "category" if len(cats) == 1 else "categories"
    headline = f"{who} is better than {other} in {better} of {len(cats)} {noun}"
    if worse:
        headline += f" and worse in {worse}"
    if open_:
        where = "" if len(cats) == 1 else f" in {len(open_)}"
        headline += f";{where} there are too few votes to tell{_about(open_)}"
    if unsided:
        headline += f"; in {unsided} no vote picked a side"
    if open_ and len(open_) == len(cats):  # nothing settled anywhere: say so first
        its = "its one category" if len(cats) == 1 else f"any of its {len(cats)} categories"
        whom = "the" + who[3:] if who.startswith("The ") else who
        headline = f"There are too few votes yet to tell whether {whom} is better than {other} in {its}{_about(open_)}"
    out["headline"] = headline + "."
    wins, losses, n = view["wins"], view["losses"], view["n"]
    decisive = wins + losses
    if decisive:
        overall = f"Overall {hero} won {wins} of {decisive} votes that picked a side ({wins / decisive:.0%})"
    else:
        overall = f"Overall no vote picked a side between {hero} and {other}"
    if view["ties"]:
        t = view["ties"]
        overall += f"; {t} of {n} votes {'was a tie' if t == 1 else 'were ties'}"
    overall += "."
    if view["both_bad"]:
        overall += f" {view['both_bad'] / n:.0%} of votes ({view['both_bad']} of {n}): both replies unusable."
    out["overall"] = overall
    out["bar"], out["tone"] = _bar_words(wins, losses, n, bar, min_votes)
    return out


def _bar_words(wins: int, losses: int, n: int, bar: float, min_votes: int) -> tuple[str, str]:
    decisive = wins + losses
    if not decisive:
        return "", "none"
    where = settled(wins, decisive, bar)
    more = votes_to_settle(wins, losses, n, bar, least=min_votes)
    sure = f" (at this rate, about {more:,} more votes would settle it)" if more else ""
    strong = f"the {bar:.0%} bar for a strong signal"
    if where > 0:
        return f"That clears {strong}, even at the low end of its 95% interval.", "above"
    if wins / decisive >= bar:
        return f"That reaches {strong}, but there are too few votes to be sure{sure}.", "above"
    if where < 0:
        return f"That is below {strong}.", "below"
    return f"That is below {strong}; more votes could still change that{sure}.", "below"


# -- everything ------------------------------------------------------------------------------
def plain_verdict(stats: dict[str, Any], min_votes: int = MIN_VOTES) -> dict[str, Any]:
    """The words the Report tab, the report files and `workbench report` show first."""
    s = stats.get("settings") or {}
    bar, baseline = s.get("bar", 0.70), s.get("baseline", "base")
    pairs = [pair_words(p, min_votes, bar, baseline) for p in stats.get("pairs", [])]
    first = pairs[0] if pairs else {"headline": "No votes yet.", "overall": "", "bar": "", "tone": "none",
                                    "categories": []}
    return {"headline": first["headline"], "overall": first["overall"], "bar": first["bar"],
            "tone": first["tone"], "categories": first["categories"], "pairs": pairs, "min_votes": min_votes,
            "basis": basis(min_votes, bar)}


def basis(min_votes: int, bar: float = 0.70) -> str:
    """How the plain words are decided, in one paragraph."""
    return ("Only votes that picked a side count towards “won”: ties and “both bad” are shown beside it. "
            "A category is better (or worse) when the 95% Wilson interval of the share won lies wholly above "
            f"(or below) 50%; one with fewer than {min_votes} votes ([eval] min_votes in workbench.toml) shows "
            "“too few votes” instead. “About N more” assumes the next votes split like the ones so far (the same shares won, "
            f"lost, tied and both bad) and counts them until that interval lies wholly on one side of 50% "
            f"(for the bar, of {bar:.0%}) with at least {min_votes} votes.")


def text_lines(words: dict[str, Any]) -> list[str]:
    """The plain verdict as lines of text (`workbench report`, `workbench eval report`)."""
    lines = [words["headline"]]
    lines += [line for line in (words["overall"], words["bar"]) if line]
    if words["categories"]:
        lines += [""] + [f"  {c['category']}: {c['words']}" for c in words["categories"]]
    for other in words["pairs"][1:]:
        lines += ["", other["headline"]] + [line for line in (other["overall"], other["bar"]) if line]
    return lines
