"""The leak check: after an export, read back its train, holdout and quarantine files and look
for what the pii step should have removed.

quarantine.jsonl keeps the first characters of every unreadable input row; with a pii step in
the recipe they are scanned and scrubbed too (scrub_quarantine) before the export is written.

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
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ...errors import LeakFound
from .entities import DEFAULT_ENTITIES, NER_ENTITIES, STAND_IN
from .findings import carried_everywhere, scan_texts
from .occurrences import index_by_first_word, values_in, word_occurrences

MIN_VALUE = 3
MAX_PLACES = 20
_WORD = re.compile(r"\w+")
_NOTE_TAIL = re.compile(r"[A-Z0-9_, ]*\)")
# Entity type names are never a person's data, wherever they appear.
ENTITY_NAMES = frozenset(DEFAULT_ENTITIES) | NER_ENTITIES


def still_found(text: str, spans: Iterable[Any], wanted: set[str], ignore: set[str]) -> list[Any]:
    """The spans of `text` that count as personal data left in it: of a `wanted` entity type, not
    touching a stand-in the step wrote, and not a value in `ignore` (stand-ins, entity type names,
    values a reviewer rejected). The leak check and the step's re-scan (rescan.py) count alike."""
    spans = list(spans)
    marks = [m.span() for m in STAND_IN.finditer(text)] if spans else []
    return [s for s in spans if s.entity in wanted and text[s.start:s.end].strip() not in ignore
            and not any(a <= s.end and s.start <= b for a, b in marks)]


def exported_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line or row number, string) for every string value in an exported file (for
    quarantine.jsonl: the reason and the raw text)."""
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
            if path.name == "quarantine.jsonl" and isinstance(value, dict):
                value = {k: value.get(k) for k in _QUARANTINE_KEYS}
                value["reason"] = without_note(value.get("reason"))
            for text in _strings(value):
                yield i, text


# Keys whose values are workbench's or the format's own words, not data: roles, ids, the row's
# origin and category. Inside tool schemas and tool-call arguments every key is the user's own
# ("id" may be a customer id), so nothing is skipped there.
_SKIP_KEYS = {"role", "from", "id", "origin", "category", "tool_call_id"}
_READ_ALL = {"tools", "function", "parameters", "arguments"}
# Columns of a Parquet export that hold JSON text: read as the JSON inside (a tool call's
# arguments as their own text, as the pii step scanned them).
_JSON_TEXT = {"tool_calls", "parts"}
# quarantine.jsonl: the input file's path and the line number are the user's own, not data.
_QUARANTINE_KEYS = ("reason", "raw")


def without_note(reason: Any) -> Any:
    """A quarantine reason less the note scrub_quarantine appended: that note is workbench's own
    words (entity type names such as PHONE_NUMBER), and scanning it found "persons" in them."""
    if not isinstance(reason, str):
        return reason
    cut = reason.rfind(QUARANTINE_NOTE)
    if cut >= 0 and _NOTE_TAIL.fullmatch(reason, cut + len(QUARANTINE_NOTE)):
        return reason[:cut].rstrip()
    return reason


def _strings(value: Any, skip: frozenset[str] | set[str] = _SKIP_KEYS) -> Iterator[str]:
    """Every text in an exported value: turns, completions (prompt, chosen, rejected, completion,
    preferred_output, ...), tool calls' names and arguments, tool results, tool schemas (also as
    JSON text, as sharegpt writes `tools` and function_call values); not the bytes of an inline
    image or audio part."""
    if isinstance(value, str):
        if not _is_inline_data(value):
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in skip or (k == "data" and "format" in value):  # input_audio: {data, format}
                continue
            if k in _JSON_TEXT and isinstance(v, str):
                try:
                    v = json.loads(v)
                except json.JSONDecodeError:
                    pass
            elif k == "arguments" and isinstance(v, (dict, list)):  # as its JSON text, as the step read it
                v = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            yield from _strings(v, frozenset() if k in _READ_ALL else skip)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v, skip)


def _is_inline_data(text: str) -> bool:
    """An image or audio part given inline (a base64 data URL): bytes, not text."""
    return text.startswith("data:") and ";base64," in text[:100]


def scrubbed_values(findings: Iterable[tuple[str, str, str, str, str]],
                    rejected: set[tuple[str, str]]) -> tuple[dict[str, str], int]:
    """{value: entity} to look up verbatim, and how many values a reviewer both kept and scrubbed.

    `findings` are (record_id, entity, value, span key, found_by); `rejected` holds the
    (record_id, span key) pairs a reviewer rejected. Looked up: every scrubbed value of a
    pattern type (emails, cards, ...) and the full names the step carried to other
    conversations (see findings.carried_everywhere). A name carried only within its own
    conversation is not, nor a single word the language model took for a name: "Tom"
    elsewhere is most likely another Tom, nor a part of a name ("Okafor" of "Sam Okafor"),
    which the step carries only to where it stands as a name, not to "the Okafor plan". A value
    rejected in one place and scrubbed in another is a conflict only the reviewer can settle;
    it is counted.
    """
    rows = list(findings)
    found_in: dict[str, list[str]] = defaultdict(list)  # record -> values found there, not carried
    for record_id, _, value, _, by in rows:
        if by != "propagated":
            found_in[record_id].append(value)
    # Carried to another conversation: into a record where neither it nor a name holding it
    # ("Okafor" of "Sam Okafor") was found; a value found somewhere, not a part of one.
    found = {value.strip() for values in found_in.values() for value in values}
    carried = {value.strip() for record_id, _, value, _, by in rows
               if by == "propagated" and value.strip() in found
               and not any(value.strip() in v for v in found_in[record_id])}
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


class _Ignored:
    """The values a fresh scan may find without a leak: `plain` ones, and after a purge those a
    reviewer kept, known by their keyed hash only."""

    def __init__(self, plain: set[str], sealed: Any = None) -> None:
        self.plain, self.sealed = plain, sealed

    def __contains__(self, value: object) -> bool:
        return value in self.plain or (self.sealed is not None and self.sealed.is_kept(str(value)))


def check_files(files: list[Path], scanner: Any, originals: dict[str, str], *, ignore: set[str] = frozenset(),
                entities: Iterable[str] = (), by_file: dict[str, dict[str, Any]] | None = None,
                sealed: Any = None) -> dict[str, Any]:
    """Scan the files; count what is still found and which recorded values appear verbatim.

    `by_file`, when given, receives per file the spans still found by entity and the number of
    recorded values found verbatim (the files are scanned together: the brand and thing-name
    rules look at all their texts at once, so a file alone could be judged differently).
    `sealed` (keyed.SealedValues) adds the values a purge left as keyed hashes."""
    wanted = set(entities) or set(scanner.config.entities)
    ignore = _Ignored(set(ignore) | ENTITY_NAMES | set(scanner.config.entities), sealed)
    entries: list[tuple[str, int, str]] = []
    for path in files:
        entries += [(path.name, line, text) for line, text in exported_texts(path)]
    found = scan_texts(scanner, [text for _, _, text in entries])
    still: Counter[str] = Counter()
    places: list[dict[str, Any]] = []
    for (name, line, text), spans in zip(entries, found):
        for s in still_found(text, spans, wanted, ignore):
            still[s.entity] += 1
            if by_file is not None:
                by_file.setdefault(name, {"still_found": Counter(), "originals": set()})["still_found"][s.entity] += 1
            if len(places) < MAX_PLACES:
                places.append({"file": name, "line": line, "entity": s.entity, "kind": "still_found"})

    by_first = index_by_first_word(originals)
    seen: dict[str, str] = {}

    def note(name: str, line: int, value: str, entity: str) -> None:
        if by_file is not None:
            by_file.setdefault(name, {"still_found": Counter(), "originals": set()})["originals"].add(value)
        if value in seen:
            return
        seen[value] = entity
        if len(places) < MAX_PLACES:
            places.append({"file": name, "line": line, "entity": entity, "kind": "original"})

    for name, line, text in entries:
        for value in values_in(by_first, set(_WORD.findall(text))):
            if (value not in seen or by_file is not None) and next(word_occurrences(text, value), None) is not None:
                note(name, line, value, originals[value])
        for _, _, value_hash, entity in sealed.occurrences(text) if sealed is not None else ():
            note(name, line, "\0" + value_hash, entity)  # "\0": never a plain value
    by_entity = Counter(seen.values())
    checked = len(originals)
    if sealed is not None:  # a value both recorded since and purged before counts once
        checked += sealed.scrubbed - sum(1 for v in originals if sealed.is_scrubbed(v))
    return {
        "files": [p.name for p in files],
        "texts_scanned": len(entries),
        "still_found": dict(sorted(still.items())),
        "originals_checked": checked,
        "originals_found": len(seen),
        "originals_found_by_entity": dict(sorted(by_entity.items())),
        "places": places,
        "leaked": bool(seen) or sum(still.values()) > 0,
    }


# -- wiring into an export ---------------------------------------------------------------------
def leak_check(recipe: Any, registry: Any, *, store: Any = None, records: Any = None,
               project_dir: Path | None = None,
               allow_leaks: bool = False) -> Callable[[Path, dict[str, Any]], None] | None:
    """The leak check of an export whose recipe has a pii step (None without one).

    `write_export` runs it on the written files in its temporary folder, before the report and
    the data card are written: it adds `leak_check` to the report. With a project the findings
    and the reviewer's decisions come from the store; without one the input records are scanned
    again. `raise_on_leak` then stops a leaking export.
    """
    specs = [s for s in recipe.steps if s.name == "pii"]
    if not specs:
        return None

    def check(folder: Path, report: dict[str, Any]) -> None:
        step = registry.build_step(specs[-1], recipe.source)
        scanner = step.scanner(project_dir, registry)
        sealed = None
        if store is not None:
            from .keyed import purged_values

            rows, rejected, stand_ins = store_findings(store)
            sealed = purged_values(store)
        else:
            from . import findings as pf

            turns = pf.scanned_turns(records, pf.ROLES[step.turns])
            rows = [(f.record_id, f.entity, f.value, f.key, f.found_by) for f in pf.find(turns, scanner)]
            rejected, stand_ins = set(), set()
        section = check_export(folder, list(report["files"]), scanner, rows, rejected, stand_ins, sealed=sealed)
        section["allowed"] = bool(allow_leaks and section["leaked"])
        report["leak_check"] = section

    return check


def store_findings(store: Any) -> tuple[list[tuple[str, str, str, str, str]], set[tuple[str, str]], set[str]]:
    """A project's recorded findings, the spans a reviewer rejected, and the stand-ins given out."""
    rejected = {(rid, target) for (_, rid, target), d in store.decisions.standing("pii").items() if d.action == "reject"}
    rows = [(r["record_id"], r["entity"], r["value"], f"{r['turn']}:{r['span_start']}:{r['span_end']}",
             r["found_by"]) for r in store.pii.findings()]
    return rows, rejected, set(store.pii.pseudonyms().values())


def check_export(folder: Path, names: list[str], scanner: Any, rows: list[tuple[str, str, str, str, str]],
                 rejected: set[tuple[str, str]], stand_ins: set[str],
                 by_file: dict[str, dict[str, Any]] | None = None, sealed: Any = None) -> dict[str, Any]:
    """The leak check's report section for an export folder's files (removed.jsonl is left out:
    it lists what was dropped, by id). `by_file` as in check_files, with counts only; `sealed`
    the values a purge kept as keyed hashes (keyed.purged_values)."""
    originals, conflicts = scrubbed_values(rows, rejected)
    ignore = stand_ins | {value.strip() for rid, _, value, key, _ in rows if (rid, key) in rejected}
    files = [folder / name for name in names if name != "removed.jsonl"]
    section = check_files(files, scanner, originals, ignore=ignore, by_file=by_file, sealed=sealed)
    conflicts += sealed.conflicts if sealed is not None else 0
    for tally in (by_file or {}).values():
        tally["still_found"] = dict(sorted(tally["still_found"].items()))
        tally["originals"] = len(tally["originals"])  # counts only: the values stay in the store
    section["values_kept_by_reviewer_and_scrubbed_elsewhere"] = conflicts
    section["quarantine_rows_scrubbed"] = _scrubbed_rows(folder / "quarantine.jsonl")
    return section


def raise_on_leak(result: Any) -> None:
    """LeakFound when the export's leak check found something and --allow-leaks was not given."""
    section = result.report.get("leak_check")
    if not section or not section["leaked"] or section["allowed"]:
        return
    still = sum(section["still_found"].values())
    where = ", ".join(f"{p['file']}:{p['line']}" for p in section["places"][:5])
    raise LeakFound(
        f"leak check failed for {result.out_dir}: {section['originals_found']} recorded personal "
        f"value(s) appear verbatim and {still} span(s) of scrubbed types are still found "
        f"(first at {where}; see leak_check in report.json). Review them on the PII screen, or "
        "pass --allow-leaks to keep this export as it is.")


def _scrubbed_rows(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if QUARANTINE_NOTE in line)


# -- the data card ---------------------------------------------------------------------------
def data_card_lines(report: dict[str, Any]) -> list[str]:
    """The data card's section on the leak check (none when the export had no pii step)."""
    check = report.get("leak_check")
    if not check:
        return []
    files = ", ".join(f"`{name}`" for name in check["files"])
    still = check["still_found"]
    lines = ["## Personal data leak check", "",
             f"After the export, {files} were read back ({check['texts_scanned']:,} texts) and scanned "
             "again with the pii step's settings.", ""]
    if not check["leaked"]:
        lines.append(f"Passed: none of the {check['originals_checked']:,} personal values recorded and scrubbed "
                     "by the pii step appears in them, and a fresh scan finds no span of a scrubbed type.")
    else:
        verdict = "kept anyway (`--allow-leaks`)" if check.get("allowed") else "failed"
        lines.append(f"**Leak check {verdict}**: {check['originals_found']:,} of the "
                     f"{check['originals_checked']:,} recorded personal values appear verbatim, and a fresh "
                     f"scan still finds {sum(still.values()):,} span(s) of scrubbed types.")
    if still or check["originals_found_by_entity"]:
        lines += ["", "| entity | spans still found | recorded values found verbatim |", "|---|---:|---:|"]
        for entity in sorted(set(still) | set(check["originals_found_by_entity"])):
            lines.append(f"| {entity} | {still.get(entity, 0):,} | "
                         f"{check['originals_found_by_entity'].get(entity, 0):,} |")
    if check["places"]:
        where = ", ".join(f"`{p['file']}:{p['line']}`" for p in check["places"][:10])
        lines += ["", f"First places (values are never written here): {where}."]
    conflicts = check.get("values_kept_by_reviewer_and_scrubbed_elsewhere", 0)
    if conflicts:
        lines += ["", f"{conflicts:,} value(s) a reviewer kept in one place were scrubbed in another; "
                  "they are not counted as leaks."]
    quarantined = check.get("quarantine_rows_scrubbed")
    if quarantined:
        lines += ["", f"Personal data was removed from the raw text of {quarantined:,} quarantined row(s)."]
    return lines + [""]


# -- quarantined rows --------------------------------------------------------------------------
QUARANTINE_NOTE = "(personal data removed from the raw text by the pii step: "


def scrub_quarantine(quarantine: list[dict[str, Any]], recipe: Any, registry: Any,
                     project_dir: Path | None = None) -> list[dict[str, Any]]:
    """The quarantine with personal data replaced in each row's raw text and reason.

    A quarantined row never reached the recipe, but its first characters are exported for the
    user to fix it; with a pii step in the recipe they go through the same scanner. Found spans
    become placeholders (`<PERSON>`); in drop_row mode the raw text is withheld. The reason of a
    scrubbed row says so (QUARANTINE_NOTE). Without a pii step the quarantine is unchanged.
    """
    specs = [s for s in recipe.steps if s.name == "pii"]
    if not specs or not quarantine:
        return quarantine
    from .entities import placeholder
    from .replace import apply, merge

    step = registry.build_step(specs[-1], recipe.source)
    scanner = step.scanner(project_dir, registry)
    fields = [(q.get("raw") or "", q.get("reason") or "") for q in quarantine]
    found = scanner.scan([text for pair in fields for text in pair])
    out = []
    for i, (q, (raw, reason)) in enumerate(zip(quarantine, fields)):
        raw_spans, reason_spans = found[2 * i], found[2 * i + 1]
        if (not raw_spans and not reason_spans) or without_note(reason) != reason:  # or scrubbed by a purge
            out.append(q)
            continue
        entities = ", ".join(sorted({s.entity for s in (*raw_spans, *reason_spans)}))
        row = dict(q)
        row["reason"] = apply(reason, merge((s.start, s.end, s.entity, s.score) for s in reason_spans),
                              lambda entity, _: placeholder(entity)) + f" {QUARANTINE_NOTE}{entities})"
        if step.mode == "drop_row":
            row["raw"] = ""
        else:
            row["raw"] = apply(raw, merge((s.start, s.end, s.entity, s.score) for s in raw_spans),
                               lambda entity, _: placeholder(entity))
        out.append(row)
    return out
