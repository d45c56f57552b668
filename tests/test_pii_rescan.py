"""Scrubbing to a fixed point: what a scan of the scrubbed text finds is scrubbed too, in the
original text's offsets, stored as a finding like the first scan's, and a reviewer's reject holds."""

from __future__ import annotations

import re
from types import SimpleNamespace

from workbench.records import Decision
from workbench.steps.pii.findings import Finding
from workbench.steps.pii.replace import StandIns, apply_mapped, merge, to_original
from workbench.steps.pii.rescan import rescan
from workbench.steps.pii.scan import Span


class ContextScanner:
    """Finds "Jo" only when the word before it is a placeholder, as a model reading the scrubbed
    sentence might ("<PERSON> and Jo"), and "Sam Reed" always."""

    config = SimpleNamespace(entities=("PERSON", "PHONE_NUMBER"))

    def scan(self, texts, report=None, processes=1):
        out = []
        for text in texts:
            spans = [Span(m.start(), m.end(), "PERSON", 0.85, "fake") for m in re.finditer(r"Sam Reed", text)]
            spans += [Span(m.start(1), m.end(1), "PERSON", 0.6, "fake")
                      for m in re.finditer(r"<PERSON(?:_\d+)?> and (Jo)\b", text)]
            out.append(tuple(spans))
        return out


def test_pieces_map_the_new_text_back_to_the_original():
    text = "Call Sam Reed and Jo today."
    new, pieces = apply_mapped(text, merge([(5, 13, "PERSON", 0.9)]), StandIns("placeholder"))
    assert new == "Call <PERSON> and Jo today."
    jo = new.index("Jo")
    assert to_original(pieces, jo, jo + 2) == (text.index("Jo"), text.index("Jo") + 2)
    assert to_original(pieces, 5, 13) is None  # the stand-in itself


def test_a_name_only_the_second_scan_sees_is_scrubbed_and_recorded_in_original_offsets():
    text = "Sam Reed and Jo called about the order."
    first = [Finding("r1", 1, 0, 8, "PERSON", 0.85, "fake", "Sam Reed")]
    added, passes = rescan(first, {("r1", 1): text}, ContextScanner(), StandIns("placeholder"), {}, set())
    assert [(f.start, f.end, f.value, f.found_by) for f in added] == [(13, 15, "Jo", "rescan")]
    assert passes == 2  # the pass that found Jo, and the one that found nothing more
    final, _ = apply_mapped(text, merge([(f.start, f.end, f.entity, f.score) for f in first + added]),
                            StandIns("placeholder"))
    assert final == "<PERSON> and <PERSON> called about the order."


def test_a_reviewers_reject_of_a_rescan_finding_holds():
    text = "Sam Reed and Jo called."
    first = [Finding("r1", 1, 0, 8, "PERSON", 0.85, "fake", "Sam Reed")]
    human = {("r1", "1:13:15"): Decision("r1", "reject", target="1:13:15", rater="ann", step="pii")}
    added, _ = rescan(first, {("r1", 1): text}, ContextScanner(), StandIns("placeholder"), human, set())
    assert added == []


def test_pseudonyms_stay_the_same_across_passes():
    text = "Sam Reed and Jo called."
    stand_ins = StandIns("pseudonym")
    first = [Finding("r1", 1, 0, 8, "PERSON", 0.85, "fake", "Sam Reed")]
    added, _ = rescan(first, {("r1", 1): text}, ContextScanner(), stand_ins, {}, set())
    assert [f.value for f in added] == ["Jo"]
    final, _ = apply_mapped(text, merge([(f.start, f.end, f.entity, f.score) for f in first + added]), stand_ins)
    assert final == "<PERSON_1> and <PERSON_2> called."
    assert [(e, orig, s) for e, _, orig, s in stand_ins.new] == [("PERSON", "Sam Reed", "<PERSON_1>"),
                                                               ("PERSON", "Jo", "<PERSON_2>")]
