"""Scrubbing to a fixed point: scan the scrubbed text again and scrub what that scan finds.

Replacing a name changes the sentence a language model reads ("<PERSON> and Sam met" reads
differently from "Jo and Sam met"), so a second scan of the scrubbed text can find names the first
one did not, and the export's leak check, which scans the exported text, would find them too.
The step therefore scans the scrubbed turns again together with the unchanged ones (the scanner
caches those), maps each new span back to the original text and scrubs it as well, pass after
pass until a pass finds nothing new (at most MAX_PASSES). New
spans are findings like the first scan's (found_by "rescan"), stored and shown to the reviewer,
whose reject leaves them as for any other span.

What counts is what the leak check counts: spans of the scanned entity types that touch no
stand-in and are not a stand-in, an allow-listed term, an entity type's name or a value a
reviewer rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .findings import Finding, scan_texts
from .leak import ENTITY_NAMES, still_found
from .replace import Piece, apply_mapped, merge, to_original

MAX_PASSES = 3


def rescan(scrub: list[Finding], texts: dict[tuple[str, int], str], scanner: Any, stand_ins: Any,
           human: dict[tuple[str, str], Any], never: set[str],
           report: Callable[[int, int], None] | None = None) -> tuple[list[Finding], int]:
    """(the findings later passes added, the passes run) for the spans `scrub` replaces.

    `texts` holds each scanned turn's original text by (record id, turn); `stand_ins` is the
    step's StandIns (the same value gets the same stand-in in every pass and in the export);
    `never` the values reviewers rejected anywhere.
    """
    wanted = set(scanner.config.entities)
    ignore = set(never) | ENTITY_NAMES | wanted
    added: list[Finding] = []
    current = list(scrub)
    passes = 0
    for _ in range(MAX_PASSES):
        spans_by_turn: dict[tuple[str, int], list[tuple[int, int, str, float]]] = defaultdict(list)
        for f in current:
            spans_by_turn[(f.record_id, f.turn)].append((f.start, f.end, f.entity, f.score))
        # Every turn, scrubbed or not, as the leak check reads the export: its rules about brands
        # and product names weigh a word over all the texts, so a turn left as it was can read
        # differently once others changed. Unchanged turns come from the scanner's cache.
        keys = list(texts)
        replaced = [apply_mapped(texts[k], merge(spans_by_turn[k]), stand_ins) if k in spans_by_turn
                    else (texts[k], [Piece(0, len(texts[k]), 0, len(texts[k]), False)]) for k in keys]
        ignore |= set(getattr(stand_ins, "known", {}).values())
        passes += 1
        found = scan_texts(scanner, [text for text, _ in replaced], report=report)
        taken = {(f.record_id, f.key) for f in current}
        new: list[Finding] = []
        for (rid, turn), (text, pieces), spans in zip(keys, replaced, found):
            for s in still_found(text, spans, wanted, ignore):
                where = to_original(pieces, s.start, s.end)
                if where is None:
                    continue
                f = Finding(rid, turn, where[0], where[1], s.entity, s.score, s.recognizer,
                            texts[(rid, turn)][where[0]:where[1]], "rescan")
                decided = human.get((rid, f.key))
                if (rid, f.key) in taken or (decided is not None and decided.action == "reject"):
                    continue
                taken.add((rid, f.key))
                new.append(f)
        if not new:
            break
        added += new
        current += new
    return added, passes
