"""The leak check: after an export, read back its train and holdout files and look for what the
pii step should have removed.

Two questions, answered in report.json's `leak_check` (counts and file:line places only, never
the values):
- still found: spans of the scrubbed entity types that a fresh scan of the exported text finds
  (stand-ins, allow-listed terms and values a reviewer marked as no PII are not counted);
- originals found: values recorded as findings and scrubbed that appear verbatim (as whole
  words) anywhere in those files.
Values shorter than MIN_VALUE characters are not looked up verbatim (they match everywhere).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import LeakFound
from .entities import NER_ENTITIES, STAND_IN
from .findings import carried_everywhere

MIN_VALUE = 3
MAX_PLACES = 20
_WORD = re.compile(r"\w+")


def exported_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line or row number, string) for every string value in an exported file."""
    if path.suffix == ".parquet":
        import polars as pl

        for i, row in enumerate(pl.read_parquet(path).to_dicts(), 1):
            for text in _strings(row):
                yield i, text
        return
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                yield i, line.rstrip("\n")
                continue
            for text in _strings(value):
                yield i, text


_SKIP_KEYS = {"role", "from", "id", "origin", "category"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in _SKIP_KEYS:
                yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def scrubbed_values(findings: Iterable[tuple[str, str, str, str, str]],
                    rejected: set[tuple[str, str]]) -> tuple[dict[str, str], int]:
    """{value: entity} to look up verbatim, and how many values a reviewer both kept and scrubbed.

    `findings` are (record_id, entity, value, span key, found_by); `rejected` holds the
    (record_id, span key) pairs a reviewer rejected. Looked up: every scrubbed value of a
    pattern type (emails, cards, ...) and the full names the step carried to their other
    occurrences (see findings.carried_everywhere). A single word the language model took for
    a name is not: "Tom" elsewhere is most likely another Tom. A value rejected in one place
    and scrubbed in another is a conflict only the reviewer can settle; it is counted.
    """
    rows = list(findings)
    carried = {value.strip() for _, _, value, _, by in rows if by == "propagated"}
    scrubbed: dict[str, str] = {}
    kept: set[str] = set()
    for record_id, entity, value, key, found_by in rows:
        value = value.strip()
        if (record_id, key) in rejected:
            kept.add(value)
        elif len(value) >= MIN_VALUE and carried_everywhere(entity, value) \
                and (entity not in NER_ENTITIES or value in carried or found_by == "reviewer"):
            scrubbed.setdefault(value, entity)
    conflicts = sum(1 for v in kept if v in scrubbed)
    for v in kept:
        scrubbed.pop(v, None)
    return scrubbed, conflicts


def check_files(files: list[Path], scanner: Any, originals: dict[str, str], *, ignore: set[str] = frozenset(),
                entities: Iterable[str] = ()) -> dict[str, Any]:
    """Scan the files; count what is still found and which recorded values appear verbatim."""
    wanted = set(entities) or set(scanner.config.entities)
    entries: list[tuple[str, int, str]] = []
    for path in files:
        entries += [(path.name, line, text) for line, text in exported_texts(path)]
    found = scanner.scan([text for _, _, text in entries])
    still: Counter[str] = Counter()
    places: list[dict[str, Any]] = []
    for (name, line, text), spans in zip(entries, found):
        stand_ins = [m.span() for m in STAND_IN.finditer(text)] if spans else []
        for s in spans:
            value = text[s.start:s.end]
            if s.entity not in wanted or value.strip() in ignore \
                    or any(a <= s.end and s.start <= b for a, b in stand_ins):
                continue
            still[s.entity] += 1
            if len(places) < MAX_PLACES:
                places.append({"file": name, "line": line, "entity": s.entity, "kind": "still_found"})

    by_first: dict[str, list[str]] = defaultdict(list)
    for value in originals:
        words = _WORD.findall(value)
        if words:
            by_first[words[0]].append(value)
    seen: dict[str, str] = {}
    for name, line, text in entries:
        words = set(_WORD.findall(text))
        for w in words & by_first.keys():
            for value in by_first[w]:
                if value not in seen and _contains_word(text, value):
                    seen[value] = originals[value]
                    if len(places) < MAX_PLACES:
                        places.append({"file": name, "line": line, "entity": originals[value], "kind": "original"})
    by_entity = Counter(seen.values())
    return {
        "files": [p.name for p in files],
        "texts_scanned": len(entries),
        "still_found": dict(sorted(still.items())),
        "originals_checked": len(originals),
        "originals_found": len(seen),
        "originals_found_by_entity": dict(sorted(by_entity.items())),
        "places": places,
        "leaked": bool(seen) or sum(still.values()) > 0,
    }


def _contains_word(text: str, value: str) -> bool:
    start = text.find(value)
    while start != -1:
        end = start + len(value)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        start = text.find(value, start + 1)
    return False


# -- wiring into an export ---------------------------------------------------------------------
def check_export(result: Any, recipe: Any, registry: Any, *, store: Any = None, records: Any = None,
                 project_dir: Path | None = None, allow_leaks: bool = False) -> dict[str, Any] | None:
    """Run the leak check on a written export when the recipe has a pii step.

    Adds `leak_check` to report.json and raises LeakFound (unless allow_leaks) when a value
    the step should have removed is in train or holdout. With a project the findings and the
    reviewer's decisions come from the store; without one the input records are scanned again.
    """
    specs = [s for s in recipe.steps if s.name == "pii"]
    if not specs:
        return None
    step = registry.build_step(specs[-1], recipe.source)
    scanner = step.scanner(project_dir, registry)
    if store is not None:
        rejected = {(rid, target) for (_, rid, target), d in store.decisions("pii").items() if d.action == "reject"}
        rows = [(r["record_id"], r["entity"], r["value"], f"{r['turn']}:{r['span_start']}:{r['span_end']}",
                 r["found_by"]) for r in store.pii_findings()]
        stand_ins = set(store.pseudonyms().values())
    else:
        from . import findings as pf

        turns = pf.scanned_turns(records, pf.ROLES[step.turns])
        rows = [(f.record_id, f.entity, f.value, f.key, f.found_by) for f in pf.find(turns, scanner)]
        rejected, stand_ins = set(), set()
    originals, conflicts = scrubbed_values(rows, rejected)
    ignore = stand_ins | {value.strip() for rid, _, value, key, _ in rows if (rid, key) in rejected}
    files = [result.out_dir / name for name in result.report["files"]
             if name not in ("removed.jsonl", "quarantine.jsonl")]
    section = check_files(files, scanner, originals, ignore=ignore)
    section["values_kept_by_reviewer_and_scrubbed_elsewhere"] = conflicts
    section["allowed"] = bool(allow_leaks and section["leaked"])
    result.report["leak_check"] = section
    _rewrite_report(result.out_dir / "report.json", result.report)
    if section["leaked"] and not allow_leaks:
        still = sum(section["still_found"].values())
        where = ", ".join(f"{p['file']}:{p['line']}" for p in section["places"][:5])
        raise LeakFound(
            f"leak check failed for {result.out_dir}: {section['originals_found']} recorded personal "
            f"value(s) appear verbatim and {still} span(s) of scrubbed types are still found "
            f"(first at {where}; see leak_check in report.json). Review them on the PII screen, or "
            "pass --allow-leaks to keep this export as it is.")
    return section


def _rewrite_report(path: Path, report: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
    os.replace(tmp, path)
