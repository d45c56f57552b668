"""Planting: synthetic-data flaws, exact copies, near copies (edits) and paraphrases of rows."""

from __future__ import annotations

import random

import support_content as C
from support_render import Row, jaccard, plain_text, render_human, render_synthetic, shingles
from support_text import edit_words, respace, unicode_variant


def add_flaw(rng: random.Random, row: Row, flaw: str, variant: int = 0) -> None:
    """Spoil a synthetic row in one of the ways synthetic review should catch."""
    first_agent = next(i for i, (role, _) in enumerate(row.turns) if role == "assistant")
    first_user = first_agent - 1
    role, segs = row.turns[first_agent]
    text = plain_text(segs)
    detail: dict = {"type": flaw, "turn": first_agent}
    if flaw == "ai_boilerplate":
        if rng.random() < 0.6:
            new = rng.choice(C.AI_BOILERPLATE_OPENERS) + "\n\n" + text
        else:
            new = text + "\n\n" + rng.choice(C.AI_BOILERPLATE_CLOSERS)
    elif flaw == "repeats_prompt":
        prompt = plain_text(row.turns[first_user][1])
        new = prompt if rng.random() < 0.35 else prompt + "\n\n" + text
    elif flaw == "wrong_policy":
        fitting = [p for p in C.WRONG_POLICIES if row.category in p[2]] or C.WRONG_POLICIES
        claim, truth, _ = rng.choice(fitting)
        paragraphs = text.split("\n\n")
        paragraphs.insert(max(1, len(paragraphs) - 1), claim)
        new = "\n\n".join(paragraphs)
        detail.update(claim=claim, actual_policy=truth)
    elif flaw == "placeholder":
        opener, closer = rng.choice(C.PLACEHOLDERS)
        new = (opener + "\n\n" if opener else "") + text + ("\n\n" + closer if closer else "")
    elif flaw == "truncated":
        cut = text.rfind(" ", 0, int(len(text) * rng.uniform(0.45, 0.7)))
        new = text[:cut].rstrip(" ,.:*-")
    elif flaw == "off_topic":
        user, reply = C.OFF_TOPIC[variant % len(C.OFF_TOPIC)]  # each used once: no accidental twins
        if user:
            row.turns[first_user] = ("user", [(user, None)])
            detail["turn"] = [first_user, first_agent]
        new = reply
        row.turns = row.turns[: first_agent + 1]
    else:  # pragma: no cover
        raise ValueError(flaw)
    row.turns[first_agent] = (role, [(new, None)])
    row.flaws.append(detail)


# -- planting ---------------------------------------------------------------------------------

def exact_copy(rng: random.Random, row: Row, variant: str) -> Row:
    """A copy that a normalized exact dedup must catch: identical, or differing only in form."""
    turns = [(role, list(segs)) for role, segs in row.turns]
    if variant == "case":
        how = rng.choice(("lower_all", "upper_user", "lower_user"))
        for i, (role, segs) in enumerate(turns):
            if how == "lower_all" or role == "user":
                f = str.upper if how == "upper_user" else str.lower
                turns[i] = (role, [(f(s), tag) for s, tag in segs])
    elif variant == "whitespace":
        for i, (role, segs) in enumerate(turns):
            turns[i] = (role, respace(rng, segs))
    elif variant == "unicode":
        for i, (role, segs) in enumerate(turns):
            turns[i] = (role, unicode_variant(rng, segs))
    copy = Row(turns, row.category, row.origin, row.scenario, row.recipe, list(row.flaws))
    copy.category_key = row.category_key
    return copy


def near_copy(rng: random.Random, row: Row) -> tuple[Row, float, list[str]] | None:
    """A copy with a few words swapped, inserted or deleted: Jaccard of word 5-grams 0.7-0.95."""
    target = rng.uniform(0.70, 0.95)
    base = row.shingles()
    for _attempt in range(20):
        turns = [(role, list(segs)) for role, segs in row.turns]
        edits: list[str] = []
        score = 1.0
        while score > target and len(edits) < 40:
            agent_turns = [i for i, (r, _) in enumerate(turns) if r == "assistant"]
            user_turns = [i for i, (r, _) in enumerate(turns) if r == "user"]
            i = rng.choice(agent_turns if rng.random() < 0.8 or not user_turns else user_turns)
            role, segs = turns[i]
            new, edit = edit_words(rng, segs, role)
            if edit is None:
                continue
            turns[i] = (role, new)
            edits.append(f"turn {i}: {edit}")
            score = jaccard(base, shingles([plain_text(s) for _, s in turns]))
        if 0.66 <= score <= 0.96:
            copy = Row(turns, row.category, row.origin, row.scenario, row.recipe, list(row.flaws))
            copy.category_key = row.category_key
            return copy, score, edits
    return None


def paraphrase(
    rng: random.Random, row: Row, scenarios: dict, others: list[frozenset], limit: float
) -> tuple[Row, float] | None:
    """The same facts and slots rendered with other wording: a semantic, not a lexical, duplicate.

    ``others`` are the other rows of the scenario; the paraphrase stays below Jaccard ``limit``
    with each of them, so it is a near duplicate of its original only.
    """
    sc = scenarios[row.scenario]
    base = row.shingles()
    best = None
    for _ in range(12):
        recipe = {k: v for k, v in row.recipe.items() if k != "cache"}
        cache = dict(row.recipe["cache"])
        for k in ("ask", "steps", "topic"):
            cache.pop(k, None)
        cache["_forced"] = list(cache.pop("_picks", []))
        render = render_human if row.origin == "human" else render_synthetic
        other = render(rng, sc, recipe, cache)
        sh = other.shingles()
        score = jaccard(base, sh)
        if any(jaccard(sh, o) >= limit for o in others):
            continue
        if other.normalized() != row.normalized() and (best is None or score < best[1]):
            best = (other, score)
    if best is None or best[1] >= 0.5:
        return None
    other = best[0]
    other.category = row.category
    other.category_key = row.category_key
    other.flaws = []
    return other, best[1]
