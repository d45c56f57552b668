"""`workbench pii purge PROJECT`: remove the original personal values from a project once the
review is done, keeping only what later runs need.

What it does, in this order (each step safe to repeat if the command is killed half-way):
1. Runs the recipe up to its pii step (with every standing decision, in the context of the whole
   recipe) and writes the rows as they leave that step, scrubbed, as a `sealed` snapshot with
   the reports, removals and flags of those steps. Later runs start those rows after the pii step
   (recipe.Sealed); the steps up to it cannot change any more. Rows imported later pass every step.
2. In the store, in one transaction: every finding (they hold the originals) is deleted; the
   pseudonym map keeps each stand-in under a keyed hash of its value (steps/pii/keyed.py), so
   the same value gets the same stand-in in rows imported later; the values the export's leak
   check looks up are kept as keyed hashes; the quarantined rows' raw text is scrubbed as the
   export scrubs it. Then the database file is rewritten without free pages (VACUUM).
3. Removes every older snapshot (the imports hold the raw input; recipe runs were made from it)
   and the derived cache (embeddings of the original text).
4. Searches every file under the project for every original value it removed, and says where
   any is still found: files workbench did not write (an input file kept in the project folder)
   are never touched.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import WorkbenchError
from ..recipe import Recipe, run_recipe
from ..steps.base import ProgressCallback
from ..steps.pii import keyed
from ..steps.pii.leak import MIN_VALUE, scrub_quarantine, scrubbed_values, store_findings
from ..steps.pii.occurrences import _WORD, index_by_first_word, values_in, word_occurrences
from .housekeeping import Item, Plan, apply
from .project import Project


@dataclass
class Found:
    """A file under the project that still holds original values after the purge."""

    path: Path
    scrubbed: int  # values the pii step replaced everywhere (the leak check's): must not be here
    left: int  # other recorded values, left in the text where the step did not take them for PII
    owner: str  # "workbench" (its state folder), "export", or "yours"


@dataclass
class PurgeReport:
    snapshot: str
    steps: list[str]
    rows: int
    findings: int
    values: int
    pseudonyms: int
    quarantine_scrubbed: int
    snapshots_removed: list[str]
    snapshot_bytes: int
    cache_files: int
    cache_bytes: int
    key_path: Path
    key_id: str
    key_created: bool
    found: list[Found] = field(default_factory=list)
    files_searched: int = 0

    @property
    def clean(self) -> bool:
        """Nothing workbench keeps in its state folder holds a value it scrubbed."""
        return not any(f.owner == "workbench" and f.scrubbed for f in self.found)


def sealed_steps(recipe: Recipe) -> int:
    """The index of the last pii step: the steps up to it are what a purge seals."""
    names = [s.name for s in recipe.steps]
    if "pii" not in names:
        raise WorkbenchError(f"{recipe.source}: the recipe has no pii step, so nothing was scrubbed; add one "
                             "and review its findings before purging the originals")
    return len(names) - 1 - names[::-1].index("pii")


def sealed_note(project: Project, step: str) -> str | None:
    """For a screen reviewing `step`: why it shows only rows imported since a purge (None when the
    step is not sealed)."""
    seals = [s for s in project.snapshots() if s.manifest["step"] == "sealed"]
    if not seals:
        return None
    manifest = seals[-1].manifest
    names = [s["name"] for s in manifest["seal"]["steps"]]
    if step not in names:
        return None
    return (f"The originals were purged on {manifest['created_at'][:16].replace('T', ' ')} UTC: its "
            f"{manifest['counts']['rows']:,} rows passed {', '.join(names)} for good, with the decisions "
            "made until then. Only rows imported since are reviewed here.")


def what_it_removes(project: Project) -> dict[str, int]:
    """Counts for the question before a purge (from the store and the snapshots as they are)."""
    snaps = project.snapshots()
    return {"findings": len(project.store.pii.findings()), "values": len(project.store.pii.values()),
            "pseudonyms": len(project.store.pii.pseudonyms()),
            "imports": sum(1 for s in snaps if s.manifest["step"] in ("import", "sealed")),
            "recipe_runs": sum(1 for s in snaps if s.manifest["step"] == "recipe")}


def purge(project: Project, progress: ProgressCallback | None = None,
          cancelled: Callable[[], bool] = lambda: False) -> PurgeReport:
    recipe = project.recipe()
    at = sealed_steps(recipe)
    records = project.records()
    if records.height == 0:
        raise WorkbenchError(f"{project.path}: the project has no records; there is nothing to purge")
    store = project.store
    key_created = not keyed.key_path().exists()
    key = keyed.project_key(store.pii.key_id()) or keyed.load_key(create=True)

    # 1. The rows as they leave the pii step (the step refreshes the findings as it runs).
    outcome = run_recipe(records, recipe, project.registry(), store=store, project_dir=project.path,
                         progress=progress, cancelled=cancelled, sealed=project.sealed(), stop_after=at)
    rows, rejected, _ = store_findings(store)
    originals, conflicts = scrubbed_values(rows, rejected)
    kept = {value.strip(): entity for rid, entity, value, span, _ in rows if (rid, span) in rejected}
    values = {value.strip() for _, _, value, _, _ in rows}
    values |= set(store.pii.pseudonym_originals())
    pseudonyms = len(store.pii.pseudonyms())

    before = project.snapshots()
    steps = recipe.to_dict()["steps"][:at + 1]
    snap = project.write_snapshot(
        outcome.kept.drop("split"), step="sealed", parent=None, params={"purged": True},
        counts={"rows": outcome.kept.height, "rows_in": outcome.rows_in, "removed": outcome.removed.height},
        removed=outcome.removed,
        # The reports as a JSON string: the manifest's keys are sorted, and the stats' order is the
        # steps' own, which the export's report.json keeps.
        extra={"seal": {"steps": steps, "reports": json.dumps([r.to_dict() for r in outcome.steps]),
                        "flagged": [dataclasses.asdict(d) for d in outcome.flagged], "rows_in": outcome.rows_in}})

    # 2. The store.
    quarantine = store.inputs.quarantine_rows()
    scrubbed = scrub_quarantine([{"raw": raw, "reason": reason} for _, raw, reason in quarantine], recipe,
                                project.registry(), project.path)
    changed = [(seq, q["raw"], q["reason"]) for (seq, raw, reason), q in zip(quarantine, scrubbed)
               if (q["raw"], q["reason"]) != (raw, reason)]
    sealed_rows = (keyed.sealed_rows(key, originals, keyed.SCRUBBED) + keyed.sealed_rows(key, kept, keyed.KEPT))
    store.pii.record_purge(key_id=key.id, snapshot=snap.id, sealed=sealed_rows, key_of=key.digest,
                           quarantine=changed,
                           detail={"findings": len(rows), "values": len(values), "rows": outcome.kept.height,
                                   "steps": [s["name"] for s in steps], "leak_check_conflicts": conflicts,
                                   "quarantine_scrubbed": len(changed)})
    store.log("pii_purged", {"snapshot": snap.id, "findings": len(rows), "values": len(values)})

    # 3. Older snapshots and the cache.
    old = [s for s in before if s.id != snap.id]
    items = [Item("snapshot", s.id, "made from the originals",
                  sorted(project.snapshots_dir.glob(f"{s.id}.*"), key=lambda p: p.suffix != ".json")) for s in old]
    snapshot_bytes = apply(Plan([], items))
    cache = [p for p in project.cache_dir.rglob("*") if p.is_file() or p.is_symlink()] \
        if project.cache_dir.is_dir() else []
    cache_bytes = 0
    for path in cache:
        cache_bytes += path.lstat().st_size
        path.unlink()
    for folder in sorted((p for p in project.cache_dir.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()
    store.compact()

    report = PurgeReport(snap.id, [s["name"] for s in steps], outcome.kept.height, len(rows), len(values),
                         pseudonyms, len(changed), [s.id for s in old], snapshot_bytes, len(cache), cache_bytes,
                         key.path, key.id, key_created)
    # 4. Where any original is still found.
    report.found, report.files_searched = search(project.path, values, set(originals), project.state)
    return report


# -- the search ----------------------------------------------------------------------------------
def file_text(path: Path) -> str:
    """What a search for values reads in a file: a parquet file's cells as JSON lines (its pages are
    compressed, so its bytes would hide them), an SQLite database's text cells one per line (in
    its pages a value touches the bytes around it, so no whole-word test would hold), anything
    else as its bytes, decoded leniently."""
    if path.suffix == ".parquet":
        try:
            return pl.read_parquet(path).write_ndjson()
        except Exception:  # not readable as parquet: search the bytes as they are
            pass
    with open(path, "rb") as f:
        head = f.read(16)
    if head == b"SQLite format 3\0":
        try:
            return _database_text(path)
        except sqlite3.Error:
            pass
    return path.read_bytes().decode("utf-8", errors="replace")


def _database_text(path: Path) -> str:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells = [str(v) for t in tables for row in db.execute(f'SELECT * FROM "{t}"') for v in row
                 if isinstance(v, str)]
    finally:
        db.close()
    return "\n".join(cells)


def search(folder: Path, values: set[str], scrubbed: set[str], state: Path) -> tuple[list[Found], int]:
    """Every file under `folder` holding any of `values` as whole words (those shorter than the
    leak check's MIN_VALUE are not looked for: they match everywhere), and how many were read."""
    wanted = {v for v in values if len(v) >= MIN_VALUE}
    index = index_by_first_word(wanted)
    found, searched = [], 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        searched += 1
        text = file_text(path)
        hits = {v for v in values_in(index, set(_WORD.findall(text))) if next(word_occurrences(text, v), None) is not None}
        if hits:
            owner = ("workbench" if path.is_relative_to(state) else
                     "export" if (path.parent / "report.json").is_file() else "yours")
            n = len(hits & scrubbed)
            found.append(Found(path, n, len(hits) - n, owner))
    return found, searched
