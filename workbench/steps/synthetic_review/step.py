"""synthetic_review: synthetic rows reach training only once reviewers accepted them.

Verdicts are per reviewer (see workbench.steps.synthetic_review.verdicts): the step reads them from ctx.human
itself, because the recipe runner's generic keep/drop applies only to decisions without a
target. For every row whose origin is in ``origins``:

- with at least ``min_verdicts`` verdicts, ``rule`` decides: accepted rows stay (with the newest
  reviewer edit applied, and an "edit" decision), rejected rows are dropped as ``rejected``, tied
  ones as ``disputed``;
- with fewer, ``unreviewed = "hold"`` drops the row as ``unreviewed`` (it comes back once
  reviewed); ``"pass"`` lets it through unless the verdicts it has reject it.

Other rows pass untouched. The stats hold the counts, the reasons reviewers gave, and the
agreement between reviewers (Cohen's kappa for two, Fleiss' for more).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import polars as pl

from ...agreement import agreement
from ...records import MESSAGE, Decision
from ..base import Step, StepContext, StepResult
from .verdicts import EDITABLE, check_edit, combine, merged_turns, verdicts_by_record


@dataclass
class SyntheticReview(Step):
    name: ClassVar[str] = "synthetic_review"
    description: ClassVar[str] = "hold synthetic rows back until reviewers accept them; apply their edits"
    # Its drops carry out (or wait for) reviewers' verdicts, so the recipe runner lets them stand
    # even for rows a person decided on in another step (see recipe.protected_rows).
    review_gate: ClassVar[bool] = True

    origins: list[str] = field(default_factory=lambda: ["synthetic"])  # origins that need review
    unreviewed: Literal["hold", "pass"] = "hold"  # rows with too few verdicts: held back, or let through
    min_verdicts: int = 1  # verdicts a row needs before it is decided
    rule: Literal["majority", "unanimous"] = "majority"  # how several verdicts combine

    def check(self) -> None:
        if not self.origins:
            raise ValueError('origins is empty; give the origins that need review, e.g. ["synthetic"]')
        if not 1 <= self.min_verdicts <= 20:
            raise ValueError(f"min_verdicts must be from 1 to 20, got {self.min_verdicts}")

    def _status(self, by_rater: dict[str, Decision]) -> tuple[Any, str]:
        """(the combined outcome, what happens to the row: accepted/passed stay, the rest go)."""
        outcome = combine(by_rater, self.min_verdicts, self.rule)
        status = outcome.status
        if status == "pending" and self.unreviewed == "pass" and by_rater:
            status = combine(by_rater, 1, self.rule).status  # decided by the verdicts it has
        elif status == "pending" and self.unreviewed == "pass":
            status = "passed"
        return outcome, status

    def held_back(self, records: pl.DataFrame, ctx: StepContext) -> set[str]:
        """Ids of the rows this step will drop (unreviewed, rejected, disputed), wherever it runs:
        steps that count rows, such as balance, leave them out."""
        verdicts = verdicts_by_record(ctx.human)
        under_review = records.filter(pl.col("origin").is_in(list(self.origins))).get_column("id").to_list()
        return {rid for rid in under_review if self._status(verdicts.get(rid, {}))[1] not in ("accepted", "passed")}

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        self.check()
        verdicts = verdicts_by_record(ctx.human)
        under_review = records.filter(pl.col("origin").is_in(list(self.origins)))
        review_ids = under_review.get_column("id").to_list()
        drops: dict[str, Decision] = {}
        edits: dict[str, tuple[Decision, dict[str, list[dict[str, Any]]]]] = {}
        originals = _originals(under_review, verdicts)
        flags: dict[str, Decision] = {}
        counts: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        for rid in review_ids:
            by_rater = verdicts.get(rid, {})
            outcome, status = self._status(by_rater)
            counts[status] += 1
            summary = _summary(by_rater, outcome)
            if status == "pending":
                drops[rid] = Decision(rid, "drop", "unreviewed", summary, step=self.name)
            elif status in ("rejected", "disputed"):
                drops[rid] = Decision(rid, "drop", status, summary, step=self.name)
                if status == "rejected":
                    reasons.update(d.reason or "(no reason)" for d in by_rater.values() if d.action == "reject")
            elif status in ("accepted", "passed"):
                edit = _newest_edit(rid, by_rater, ctx)
                if edit is not None:
                    original = originals[rid]
                    merged = {c: merged_turns(original.get(c), edit.detail[c]) if isinstance(edit.detail[c], list)
                              else edit.detail[c] for c in EDITABLE if c in edit.detail}
                    problem = check_edit(merged, original.get("kind") or "sft")
                    if problem:
                        flags[rid] = Decision(rid, "flag", "bad_edit", {"rater": edit.rater, "problem": problem},
                                              step=self.name)
                    else:
                        edits[rid] = (edit, merged)
        kept = records.filter(~pl.col("id").is_in(list(drops))) if drops else records
        if edits:
            kept = _apply_edits(kept, {rid: merged for rid, (_, merged) in edits.items()})
        decisions = []
        for rid in records.get_column("id").to_list():
            if rid in drops:
                decisions.append(drops[rid])
            elif rid in edits:
                edit, merged = edits[rid]
                detail = {"rater": edit.rater, "turns": sum(len(turns) for turns in merged.values())}
                if edit.detail.get("note"):
                    detail["note"] = edit.detail["note"]
                decisions.append(Decision(rid, "edit", "reviewer_edit", detail, step=self.name))
            elif rid in flags:
                decisions.append(flags[rid])
        in_scope = {rid: verdicts[rid] for rid in review_ids if rid in verdicts}
        raters = Counter(r for by in in_scope.values() for r in by)
        stats: dict[str, Any] = {
            "under_review": under_review.height,
            "accepted": counts["accepted"], "edited": len(edits), "rejected": counts["rejected"],
            "disputed": counts["disputed"], "unreviewed": counts["pending"],
            "passed_unreviewed": counts["passed"],
            "min_verdicts": self.min_verdicts, "rule": self.rule,
            "reject_reasons": dict(sorted(reasons.items())),
            "reviewers": dict(sorted(raters.items())),
            "agreement": agreement({rid: {r: d.action for r, d in by.items()} for rid, by in in_scope.items()}).to_dict(),
        }
        return StepResult(kept, decisions, stats)


def _summary(by_rater: dict[str, Decision], outcome) -> dict[str, Any]:
    detail: dict[str, Any] = {"verdicts": outcome.verdicts}
    if by_rater:
        detail["by"] = {r: d.action + (f":{d.reason}" if d.reason else "") for r, d in sorted(by_rater.items())}
    notes = {r: d.detail["note"] for r, d in sorted(by_rater.items()) if d.detail.get("note")}
    if notes:
        detail["notes"] = notes
    return detail


def _newest_edit(rid: str, by_rater: dict[str, Decision], ctx: StepContext) -> Decision | None:
    editors = {r: d for r, d in by_rater.items() if d.action == "edit"}
    if len(editors) <= 1:
        return next(iter(editors.values()), None)
    if ctx.store is not None:  # the newest standing edit, by the store's sequence numbers
        newest = None
        for row in ctx.store.decisions.history(rid):
            if row["step"] == SyntheticReview.name and row["target"] in editors and row["action"] == "edit":
                newest = row["target"]
        if newest is not None:
            return editors[newest]
    return editors[max(editors)]


def _originals(rows: pl.DataFrame, verdicts: dict[str, dict[str, Decision]]) -> dict[str, dict[str, Any]]:
    """The turns (and kind) of the rows some reviewer edited, by id: what an edit's turns take
    their other fields from."""
    edited = [rid for rid, by in verdicts.items() if any(d.action == "edit" for d in by.values())]
    if not edited:
        return {}
    picked = rows.filter(pl.col("id").is_in(pl.Series(edited, dtype=pl.String).implode()))
    return {row["id"]: row for row in picked.select("id", "kind", *EDITABLE).iter_rows(named=True)}


def _apply_edits(records: pl.DataFrame, edits: dict[str, dict[str, list[dict[str, Any]]]]) -> pl.DataFrame:
    """`records` with the edited turns of the edited rows replaced (same ids, same order); each
    edit holds the columns it changes (messages, chosen, rejected), its turns whole."""
    columns = [c for c in EDITABLE if any(c in e for e in edits.values())]
    replacement = pl.DataFrame(
        {"id": list(edits), **{f"__{c}": [e.get(c) for e in edits.values()] for c in columns}},
        schema={"id": pl.String, **{f"__{c}": pl.List(MESSAGE) for c in columns}})
    out = records.join(replacement, on="id", how="left", maintain_order="left")
    return out.with_columns([
        pl.when(pl.col(f"__{c}").is_not_null()).then(pl.col(f"__{c}")).otherwise(pl.col(c)).alias(c)
        for c in columns
    ]).drop([f"__{c}" for c in columns])
