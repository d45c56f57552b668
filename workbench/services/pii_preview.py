"""A record on the PII tab as the export will write it: every span that is not kept replaced the
way the recipe's pii step replaces it, with the stand-ins the project already gave each value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pii_review import ReviewRecord
    from .project import Project


@dataclass(frozen=True)
class ExportedView:
    texts: list[str] | None  # each of the record's texts as exported; None: the row is dropped
    note: str  # how the values are replaced, in words


def exported_view(project: Project, rec: ReviewRecord) -> ExportedView:
    """`rec`'s texts with its pending, accepted and added spans replaced (rejected ones are kept).
    A value the project has not given a stand-in yet is numbered after the ones it has, as the
    next recipe run numbers it."""
    from ..recipe import StepSpec
    from ..steps.pii.keyed import purged_values
    from ..steps.pii.replace import StandIns, apply, merge

    spec = next((s for s in project.recipe().steps if s.name == "pii"), None)
    step = project.registry().build_step(spec or StepSpec("pii"), "recipe")
    scrubbed = [s for s in rec.spans if s.status != "rejected"]
    if step.mode == "drop_row":
        if scrubbed:
            return ExportedView(None, "the pii step's mode is drop_row: this row is left out of the export")
        return ExportedView([m["content"] for m in rec.messages], "nothing to scrub: exported as it is")
    sealed = purged_values(project.store)
    stand_ins = StandIns(step.mode, step.pseudonym_style, project.store.pii.pseudonyms(),
                         key_of=sealed.key.digest if sealed is not None and step.mode == "pseudonym" else None)
    texts = []
    for turn, message in enumerate(rec.messages):
        spans = [(s.start, s.end, s.entity, s.score) for s in scrubbed if s.turn == turn]
        texts.append(apply(message["content"], merge(spans), stand_ins) if spans else message["content"])
    how = ("placeholders such as <PERSON>" if step.mode == "placeholder"
           else f"pseudonyms ({step.pseudonym_style}), as the project has assigned them")
    kept = sum(1 for s in rec.spans if s.status == "rejected")
    return ExportedView(texts, f"{len(scrubbed)} span(s) replaced by {how}"
                               + (f"; {kept} kept as you decided" if kept else ""))
