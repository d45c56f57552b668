"""Rendering one support conversation from a scenario, and the similarity used to compare rows.

Human conversations follow a pattern (one exchange, a clarifying question first, a failed first
fix, a thank-you) and pick templates with ``choose``; synthetic ones wrap a scenario's generic
steps in chatbot framing. Every rendered turn is a list of segments, so PII spans stay exact.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

import support_content as C
from support_text import Segments, TemplateRow, apply_style, clean, plain_text


# -- similarity used for the manifest ---------------------------------------------------------

def normalize_text(text: str) -> str:
    """Same as workbench.records.normalize_text: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def shingles(contents: list[str], n: int = 5) -> frozenset:
    words = re.findall(r"\w+", normalize_text("\n".join(contents)))
    if len(words) < n:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# -- rows -------------------------------------------------------------------------------------

@dataclass
class Row:
    """One conversation as segments, plus what the generator knows about it."""

    turns: list[tuple[str, Segments]]  # (role, segments)
    category: str | None
    origin: str
    scenario: str
    recipe: dict  # what rendered it, so a paraphrase can be rendered again from the same facts
    flaws: list[dict] = field(default_factory=list)
    planted: dict | None = None  # for copies: {"kind", "of": base index, ...}
    category_key: str = "present"  # present | missing | null
    ticket_id: str = ""

    def contents(self) -> list[str]:
        return [plain_text(segs) for _, segs in self.turns]

    def shingles(self) -> frozenset:
        return shingles(self.contents())

    def normalized(self) -> tuple:
        return tuple((role, normalize_text(plain_text(segs))) for role, segs in self.turns)


def _join(parts: list[Segments], sep: str) -> Segments:
    out: Segments = []
    for part in parts:
        if not part:
            continue
        if out:
            out.append((sep, None))
        out.extend(part)
    return clean(out)


# -- human conversations ----------------------------------------------------------------------

PATTERNS = {"single": 0.52, "clarify": 0.15, "retry": 0.14, "thanks": 0.14, "retry_thanks": 0.05}
_CASE = re.compile(r"@(\w+) ")


def case_of(template: str) -> tuple[str | None, str]:
    """Templates may start with "@case ": a customer message and the answers that fit it share a case."""
    m = _CASE.match(template)
    return (m.group(1), template[m.end():]) if m else (None, template)


def choose(t: TemplateRow, templates: list[str], decides: bool = False) -> str | None:
    """Pick a template; the customer's message decides the case, later turns must match it.

    The picks are remembered, so that a paraphrase can say the same things (same templates)
    in other words (other alternatives inside them).
    """
    forced = t.cache.get("_forced")
    if forced:
        body = forced.pop(0)
    elif decides and "_case" not in t.cache:
        case, body = case_of(t.rng.choice(templates))
        t.cache["_case"] = case
    else:
        case = t.cache.get("_case")
        fitting = [body for c, body in map(case_of, templates) if c is None or c == case]
        body = t.rng.choice(fitting) if fitting else None
    t.cache.setdefault("_picks", []).append(body)
    return body


def render_human(rng: random.Random, sc: C.Scenario, recipe: dict, cache: dict | None = None) -> Row:
    t = TemplateRow(rng, [sc.slots, C.SLOTS], cache)
    pii, pattern, style = recipe["pii"], recipe["pattern"], recipe["style"]
    turns: list[tuple[str, Segments]] = []
    if recipe["system"]:
        turns.append(("system", t.render(rng.choice(C.SYSTEM_PROMPTS))))

    pii_parts = C.PII_USER.get(sc.category, C.PII_USER["default"])
    pii_in_user = pii and recipe["pii_where"] != "agent_only"

    def user(template: str, with_pii: bool, first: bool) -> Segments:
        parts = [t.render(template)]
        if first and rng.random() < 0.45:
            context = t.render(rng.choice(C.USER_CONTEXT[sc.category]))
            parts = [context, parts[0]] if rng.random() < 0.5 else [parts[0], context]
        if with_pii:
            extra = t.render(rng.choice(pii_parts))
            parts = [extra, *parts] if rng.random() < 0.3 else [*parts, extra]
        segs = _join(parts, " ")
        if first and rng.random() < 0.45:
            greeting = t.render(rng.choice(C.GREETINGS))
            segs = _join([greeting, segs], "\n" if plain_text(greeting).endswith(",") else " ")
        if first and rng.random() < 0.2:
            signoff = t.render(rng.choice(C.USER_SIGNOFFS_NAMED if pii else C.USER_SIGNOFFS))
            segs = _join([segs, signoff], "\n\n")
        return apply_style(rng, segs, style)

    def agent(template: str, final: bool, answer: bool = True) -> Segments:
        parts = [t.render(template)]
        if answer and rng.random() < 0.12:
            parts.insert(0, t.render(rng.choice(C.AGENT_LEADINS)))
        if final and answer and rng.random() < 0.3:
            parts.append(t.render(rng.choice(C.AGENT_CLOSERS)))
        if final and pii_in_user and rng.random() < 0.3:
            echo = C.echo_for(t, rng)
            if echo:
                parts.append(t.render(echo))
        if final:
            signed = pii and (recipe["pii_where"] == "agent_only" or rng.random() < 0.15)
            pool = C.AGENT_SIGNOFFS_NAMED if signed else C.AGENT_SIGNOFFS
            if signed or rng.random() < 0.25:
                parts.append(t.render(rng.choice(pool)))
        return _join(parts, "\n\n")

    if pattern == "clarify" and sc.vague:
        turns.append(("user", user(choose(t, sc.vague), False, True)))
        turns.append(("assistant", agent(choose(t, sc.clarify), False, answer=False)))
        turns.append(("user", user(choose(t, sc.details, decides=True), pii_in_user, False)))
        turns.append(("assistant", agent(choose(t, sc.answer), True)))
        return Row(turns, sc.category, "human", sc.key, dict(recipe, cache=t.cache))
    turns.append(("user", user(choose(t, sc.user, decides=True), pii_in_user, True)))
    answer = choose(t, sc.answer)
    retry = choose(t, sc.retry) if "retry" in pattern else None
    if "retry" in pattern and retry is None:
        pattern = "thanks"  # nothing more to try for this case
    turns.append(("assistant", agent(answer, pattern in ("single", "clarify"))))
    if retry is not None:
        turns.append(("user", user(retry, False, False)))
        turns.append(("assistant", agent(choose(t, sc.escalate), pattern == "retry")))
    if pattern in ("thanks", "retry_thanks"):
        turns.append(("user", user(choose(t, C.THANKS_USER), False, False)))
        turns.append(("assistant", agent(choose(t, C.THANKS_AGENT), True, answer=False)))
    return Row(turns, sc.category, "human", sc.key, dict(recipe, cache=t.cache))


# -- synthetic conversations ------------------------------------------------------------------

def render_synthetic(rng: random.Random, sc: C.Scenario, recipe: dict, cache: dict | None = None) -> Row:
    t = TemplateRow(rng, [sc.slots, C.SLOTS], cache)
    syn = sc.synth
    turns: list[tuple[str, Segments]] = []
    if recipe["system"]:
        turns.append(("system", t.render(rng.choice(C.SYNTH_SYSTEM_PROMPTS))))
    ask = t.render(rng.choice(syn["asks"]))
    t.cache["ask"] = plain_text(ask)
    user = t.render(rng.choice(C.SYNTH_USER))
    if recipe["pii"]:
        user = _join([user, t.render(rng.choice(C.SYNTH_PII))], " ")
    keep = sorted(rng.sample(range(len(syn["steps"])), k=min(len(syn["steps"]), rng.choice((3, 4, 4, 5)))))
    steps = [syn["steps"][i] for i in keep]
    numbered = rng.random() < 0.7
    lines = []
    for i, (title, body) in enumerate(steps, 1):
        head = f"{i}." if numbered else "-"
        lines.append(t.render(f"{head} **{title}:** {body}"))
    t.cache["steps"] = plain_text(_join(lines, "\n"))
    t.cache["topic"] = syn["topic"]
    t.cache["topic_cap"] = syn["topic"][0].upper() + syn["topic"][1:]
    answer = t.render(rng.choice(C.SYNTH_ANSWERS))
    turns.append(("user", user))
    turns.append(("assistant", answer))
    if recipe["pattern"] == "followup":
        question, reply = rng.choice(C.SYNTH_FOLLOWUPS)
        turns.append(("user", [(question, None)]))
        turns.append(("assistant", [(reply, None)]))
    return Row(turns, sc.category, "synthetic", sc.key, dict(recipe, cache=t.cache))
