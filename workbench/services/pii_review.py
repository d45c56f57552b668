"""The PII review queue, without any UI: records with their found spans and the reviewer's
decision for each, read from the project store; every decision is written back at once.

A span's status is `pending` (no decision yet: it will be scrubbed), `accepted`, `rejected`
(a false positive, left in the text) or `added` (a span the reviewer marked as missed).

A record's texts are its turns; in a preference pair, a KTO row or a conversation with tool calls
they are also the completions' turns and the calls' arguments (steps/pii/places.py), each shown
with where it is ("assistant (chosen)", "assistant: lookup arguments") and each span with its
place ("chosen[0]", "messages[1].tool_calls[0].arguments").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ..steps.pii.findings import parse_key, span_key
from ..steps.pii.places import place_labels, text_places

if TYPE_CHECKING:
    from .project import Project

STEP = "pii"


@dataclass
class ReviewSpan:
    turn: int
    start: int
    end: int
    entity: str
    score: float
    recognizer: str
    value: str
    status: str = "pending"  # pending | accepted | rejected | added
    place: str = ""  # where the text is in the record: "messages[2]", "chosen[0]", "...tool_calls[0].arguments"

    @property
    def key(self) -> str:
        return span_key(self.turn, self.start, self.end)


@dataclass
class ReviewRecord:
    id: str
    messages: list[dict[str, str]]  # the record's texts, numbered as the spans' `turn`: {role, content}
    source: str
    spans: list[ReviewSpan] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # where each of `messages` is in the record

    def place(self, turn: int) -> str:
        return self.places[turn] if 0 <= turn < len(self.places) else f"messages[{turn}]"

    @property
    def pending(self) -> int:
        return sum(1 for s in self.spans if s.status == "pending")


class ReviewQueue:
    """Every record with findings, in input order, and their spans in reading order."""

    def __init__(self, records: list[ReviewRecord]) -> None:
        self.records = records
        self.index = {r.id: i for i, r in enumerate(records)}

    @classmethod
    def load(cls, project: Project) -> "ReviewQueue":
        store = project.store
        rows = store.pii.findings()
        decisions = {(rid, target): d for (_, rid, target), d in store.decisions.standing(STEP).items() if target}
        if not rows and not decisions:
            return cls([])
        return cls.from_records(project.records(), rows, decisions)

    @classmethod
    def from_records(cls, records: pl.DataFrame, rows: list[dict[str, Any]],
                     decisions: dict[tuple[str, str], Any]) -> "ReviewQueue":
        """The queue of `records` for the stored findings `rows` and the reviewer's `decisions`
        ({(record id, span key): decision})."""
        ids = sorted({r["record_id"] for r in rows} | {rid for rid, _ in decisions})
        if not ids:
            return cls([])
        columns = [c for c in ("messages", "chosen", "rejected") if c in records.columns]
        found = records.filter(pl.col("id").is_in(ids)).select("id", *columns, "source_file", "source_line")
        by_id: dict[str, ReviewRecord] = {}
        for row in found.iter_rows(named=True):
            rid = row["id"]
            texts = text_places(row)
            labels = place_labels(row)
            by_id[rid] = ReviewRecord(rid, [{"role": label, "content": text} for label, (_, _, text) in zip(labels, texts)],
                                      f"{row['source_file']}:{row['source_line']}",
                                      places=[str(place) for place, _, _ in texts])
        for r in rows:
            rec = by_id.get(r["record_id"])
            if rec is None:
                continue
            rec.spans.append(ReviewSpan(r["turn"], r["span_start"], r["span_end"], r["entity"], r["score"],
                                        r["recognizer"], r["value"], place=rec.place(r["turn"])))
        for (rid, target), d in decisions.items():
            rec = by_id.get(rid)
            if rec is None:
                continue
            span = next((s for s in rec.spans if s.key == target), None)
            if d.action == "flag":
                if span is None:
                    span = _flag_span(rec, target, d.detail)
                    if span is None:
                        continue
                    rec.spans.append(span)
                span.status = "added"
            elif span is not None and d.action in ("accept", "reject"):
                span.status = "accepted" if d.action == "accept" else "rejected"
        ordered = [by_id[rid] for rid in found.get_column("id").to_list() if by_id[rid].spans]
        for rec in ordered:
            rec.spans.sort(key=lambda s: (s.turn, s.start, s.end))
        return cls(ordered)

    # -- what the screen shows ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def counts(self) -> dict[str, Counter]:
        """entity -> Counter of statuses (plus 'total')."""
        out: dict[str, Counter] = {}
        for rec in self.records:
            for s in rec.spans:
                c = out.setdefault(s.entity, Counter())
                c[s.status] += 1
                c["total"] += 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1]["total"], kv[0])))

    def first_pending(self) -> tuple[int, int]:
        """(record, span) of the first undecided span: where the reviewer stopped."""
        for i, rec in enumerate(self.records):
            for j, s in enumerate(rec.spans):
                if s.status == "pending":
                    return i, j
        return 0, 0

    def next_pending(self, record: int, span: int) -> tuple[int, int] | None:
        """The next undecided span after (record, span), wrapping around once."""
        n = len(self.records)
        for step in range(n + 1):
            i = (record + step) % n if n else 0
            spans = self.records[i].spans if n else []
            start = span + 1 if step == 0 else 0
            for j in range(start, len(spans)):
                if spans[j].status == "pending":
                    return i, j
        return None

    # -- decisions ----------------------------------------------------------------------------
    def decide(self, store: Any, record: int, span: int, action: str, reason: str = "") -> ReviewSpan:
        """Commit accept / reject for one span now."""
        rec = self.records[record]
        s = rec.spans[span]
        store.decisions.decide(STEP, rec.id, action, reason=reason, target=s.key, detail=_detail(rec, s))
        s.status = "accepted" if action == "accept" else "rejected"
        return s

    def reject_value(self, store: Any, value: str, reason: str = "allow list") -> int:
        """Reject every pending span holding this value (case ignored), in one transaction."""
        from ..records import Decision

        key = " ".join(value.split()).casefold()
        todo = [(rec, s) for rec in self.records for s in rec.spans
                if s.status == "pending" and " ".join(s.value.split()).casefold() == key]
        if todo:
            store.decisions.decide_many([
                Decision(rec.id, "reject", reason, _detail(rec, s), s.key, step=STEP)
                for rec, s in todo])
            for _, s in todo:
                s.status = "rejected"
        return len(todo)

    def undo(self, store: Any, record: int, span: int) -> ReviewSpan:
        """Withdraw the reviewer's decision on a span (a `revert` row; nothing is deleted)."""
        rec = self.records[record]
        s = rec.spans[span]
        store.decisions.decide(STEP, rec.id, "revert", target=s.key)
        if s.status == "added":
            rec.spans.remove(s)
        else:
            s.status = "pending"
        return s

    def mark_missed(self, store: Any, record: int, text: str, entity: str) -> list[ReviewSpan]:
        """Flag every occurrence of `text` in the record's turns as a missed span of `entity`."""
        rec = self.records[record]
        added = []
        for turn, m in enumerate(rec.messages):
            content = m["content"]
            start = content.find(text) if text else -1
            while start != -1:
                end = start + len(text)
                if not any(s.turn == turn and s.start < end and start < s.end and s.status != "rejected"
                           for s in rec.spans):
                    added.append(ReviewSpan(turn, start, end, entity, 1.0, "reviewer", text, "added",
                                            rec.place(turn)))
                start = content.find(text, end)
        if added:
            store.decisions.decide_many([_flag_decision(rec, s) for s in added])
            rec.spans.extend(added)
            rec.spans.sort(key=lambda s: (s.turn, s.start, s.end))
        return added

    def find(self, query: str, after: int = -1) -> int | None:
        """The first record after position `after` (wrapping around) whose id starts with `query`
        or whose text or found values hold it, ignoring case; None when none does."""
        q = query.strip().casefold()
        if not q or not self.records:
            return None
        n = len(self.records)
        for step in range(1, n + 1):
            i = (after + step) % n
            rec = self.records[i]
            if rec.id.casefold().startswith(q) or any(q in m["content"].casefold() for m in rec.messages) \
                    or any(q in s.value.casefold() for s in rec.spans):
                return i
        return None

    def pending_scores(self) -> dict[str, list[float]]:
        """The scores of the pending spans, by entity type: what a bulk accept would take."""
        scores: dict[str, list[float]] = {}
        for rec in self.records:
            for s in rec.spans:
                if s.status == "pending":
                    scores.setdefault(s.entity, []).append(s.score)
        return scores

    def bulk_accept(self, store: Any, entity: str | None, min_score: float) -> int:
        """Accept every pending span of `entity` (None: any) scored at least `min_score`."""
        from ..records import Decision

        todo = [(rec, s) for rec in self.records for s in rec.spans
                if s.status == "pending" and (entity is None or s.entity == entity) and s.score >= min_score]
        if todo:
            store.decisions.decide_many([
                Decision(rec.id, "accept", "bulk", {"entity": s.entity, "min_score": min_score}, s.key, step=STEP)
                for rec, s in todo])
            for _, s in todo:
                s.status = "accepted"
        return len(todo)


def _detail(rec: ReviewRecord, s: ReviewSpan) -> dict[str, Any]:
    """A decision's detail about a span: where it is, and in a richer record the place by name."""
    detail: dict[str, Any] = {"entity": s.entity, "turn": s.turn, "start": s.start, "end": s.end}
    if s.place and s.place != f"messages[{s.turn}]":
        detail["place"] = s.place
    return detail


def _flag_decision(rec: ReviewRecord, s: ReviewSpan):
    from ..records import Decision

    return Decision(rec.id, "flag", "missed by the scan", _detail(rec, s), s.key, step=STEP)


def _flag_span(rec: ReviewRecord, target: str, detail: dict[str, Any]) -> ReviewSpan | None:
    parsed = parse_key(target)
    if parsed is None:
        return None
    turn, start, end = parsed
    if turn >= len(rec.messages) or end > len(rec.messages[turn]["content"]):
        return None
    return ReviewSpan(turn, start, end, str(detail.get("entity") or "PII"), 1.0, "reviewer",
                      rec.messages[turn]["content"][start:end], "added", rec.place(turn))


# -- what the PII tab runs ---------------------------------------------------------------------
def allow_list_path(project: Project):
    """The allow-list file of the recipe's pii step (or the default one)."""
    from ..errors import WorkbenchError
    from ..steps.pii.step import ALLOW_LIST_FILE, Pii

    try:
        specs = [s for s in project.recipe().steps if s.name == STEP]
        step = Pii.from_params(specs[-1].params) if specs else Pii()
    except WorkbenchError:
        step = Pii()
    return step.allow_file(project.path) or project.path / ALLOW_LIST_FILE


def scan_project(project: Project, progress: Any, cancelled: Any) -> str:
    """Find PII: the whole recipe when it has a pii step, else the step with its defaults.

    Returns a note for the user ("" when the recipe ran).
    """
    from ..errors import WorkbenchError
    from ..steps.pii.step import Pii
    from .rows import human_decisions, step_context

    recipe = project.recipe()
    if any(s.name == STEP for s in recipe.steps):
        project.run(progress=progress, cancelled=cancelled)
        return ""
    records = project.records()
    if records.height == 0:
        raise WorkbenchError("The project has no records yet; import a file first.")
    ctx = step_context(project, STEP, progress=progress, cancelled=cancelled, human=human_decisions(project, STEP))
    Pii().run(records, ctx)
    return ("The recipe has no pii step yet, so these findings come from its default settings. Add "
            "[[recipe.steps]] name = \"pii\" to workbench.toml so that exports scrub them.")
