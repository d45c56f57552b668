"""The scanner's shortcuts skip only work that cannot find anything: switched off, the recognizers
find exactly what they find with them, on the test tables, the hand-written name sentences and the
held-out Presidio sentences. The shortcuts: the address anchors' street words and regex pieces
(address_shapes._WORD_NEEDS, _NEEDS), the needles of the cue and shape regexes
(recognizers.RegexGroupRecognizer, name_shapes._SHAPES), the windows the model reads built without
Span.as_doc (scan._window_doc), and the context enhancement left out of recognizers whose context
words are not in the text (scan.Scanner._enhanced)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from test_pii import KNOWN, NAMES_FOUND, NOT_NAMES
from test_pii_addresses import FOUND as ADDRESSES, NOT_ADDRESSES
from test_pii_names_unlisted import FOUND as UNLISTED, NOT_FOUND

from workbench.steps.pii.engine import import_presidio
from workbench.steps.pii.step import Pii

ROOT = Path(__file__).resolve().parents[1]

# What a regex matches in any case but str.lower() alone would not keep: "ſ", "ı", "İ", "K".
FOLDING = ["MY NAME İS Qarvendi", "I'm Zaveria, thıs is ſigned by Ukwendo", "Ste 5, 12 MAIN STREET",
           "KUNGSGATAN 44, 111 22 Stockholm", "call me Brastilov, ſent by Maelorin"]


def _texts() -> list[str]:
    texts = [t for t, *_ in KNOWN + NAMES_FOUND + ADDRESSES + UNLISTED] + NOT_NAMES + NOT_ADDRESSES + NOT_FOUND
    for line in (ROOT / "benchmarks" / "data" / "pii_names_hand.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["text"])
    for line in (ROOT / "sample_data" / "external" / "presidio-synth" / "held_out.jsonl").read_text(
            encoding="utf-8").splitlines():
        texts += [m["content"] for m in json.loads(line)["messages"]]
    return list(dict.fromkeys(texts + FOLDING))


TEXTS = _texts()


def _spans(results) -> list[tuple]:
    return sorted((r.start, r.end, r.entity_type, r.score) for r in results)


def test_folding_keeps_every_letter_a_case_insensitive_regex_takes_for_an_ascii_one():
    import_presidio()
    from workbench.steps.pii.recognizers import folded

    letters = re.findall("(?i)[a-z]", "".join(map(chr, range(sys.maxunicode + 1))))
    assert len(letters) == 56  # the 52 ASCII letters and "İ", "ı", "ſ", "K"
    for ch in letters:
        assert re.fullmatch("[a-z]", folded(ch)) and re.fullmatch(folded(ch), ch, re.IGNORECASE), ch


def test_the_address_anchors_skip_only_windows_where_they_cannot_match():
    import_presidio()
    from workbench.steps.pii.addresses import AddressRecognizer

    fast, slow = AddressRecognizer(), AddressRecognizer()
    slow.anchors = [(anchor, pattern, 0, None) for anchor, pattern, _, _ in slow.anchors]
    assert any(word or needs for _, _, word, needs in fast.anchors)
    for text in TEXTS:
        assert fast.find(text) == slow.find(text), text


def test_the_cue_and_shape_regexes_skip_only_texts_without_a_needle():
    import_presidio()
    from workbench.steps.pii.name_shapes import NameShapeRecognizer
    from workbench.steps.pii.patterns import PhoneGroupsRecognizer
    from workbench.steps.pii.recognizers import NameLineRecognizer, PersonCueRecognizer, SignOffRecognizer

    for kind in (PersonCueRecognizer, SignOffRecognizer, NameLineRecognizer, PhoneGroupsRecognizer):
        fast, slow = kind(), kind()
        slow.compiled = [(pattern, score, ()) for pattern, score, _ in slow.compiled]
        for text in TEXTS:
            assert _spans(fast.analyze(text, [])) == _spans(slow.analyze(text, [])), (kind.__name__, text)
    fast, slow = NameShapeRecognizer(), NameShapeRecognizer()
    slow.shapes = [(pattern, score, kind, ()) for pattern, score, kind, _ in slow.shapes]
    for text in TEXTS:
        assert _spans(fast.analyze(text, [])) == _spans(slow.analyze(text, [])), text


@pytest.fixture(scope="module")
def scanner():
    return Pii().scanner()


def test_a_window_doc_is_what_span_as_doc_makes_of_it(scanner):
    from spacy.attrs import NORM, ORTH, PREFIX, SHAPE, SPACY, SUFFIX

    from workbench.steps.pii.scan import _window_doc

    attrs = [ORTH, NORM, PREFIX, SUFFIX, SHAPE, SPACY]
    for text in TEXTS[:200]:
        doc = scanner.nlp.make_doc(text)
        array = doc.to_array(doc._get_array_attrs())
        for a, b in ((0, len(doc) // 2), (len(doc) // 3, len(doc))):
            if a < b:
                mine, theirs = _window_doc(doc, a, b, doc._get_array_attrs(), array), doc[a:b].as_doc()
                assert mine.text == theirs.text
                assert (mine.to_array(attrs) == theirs.to_array(attrs)).all()
                assert (mine.to_array(doc._get_array_attrs()) == theirs.to_array(doc._get_array_attrs())).all()


def test_context_enhancement_is_left_out_only_where_it_changes_nothing(scanner, monkeypatch):
    from workbench.steps.pii.scan import Scanner

    texts = TEXTS[:300]
    scanner.cache.clear()
    fast = scanner.scan(texts)
    monkeypatch.setattr(Scanner, "_enhanced", lambda self, text, results, artifacts, recognizers:
                        self.analyzer._enhance_using_context(text, results, artifacts, recognizers, None))
    scanner.cache.clear()
    try:
        assert scanner.scan(texts) == fast
    finally:
        scanner.cache.clear()
