"""Is an export folder still what its report.json says? The hash check and the leak check, run on
an export at any time (`workbench check`) and before every training run.

report.json's `files` table names each data file of the export with its sha256 and row count. A
file that is missing, has other bytes, or a data file the table does not name means the folder
was changed after the export: nothing trained or shipped from it can be traced to the recipe.
Nothing here imports click, rich or a model library at import time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, WorkbenchError

# Written by the export besides its data files. Hidden files (a marker, a temporary name) and
# files of other kinds (notes, a README) are the user's business; a data file is not.
_OWN_FILES = {"report.json", "DATA_CARD.md"}
_DATA_SUFFIXES = {".jsonl", ".parquet", ".csv", ".tsv", ".arrow"}
_SPLITS = ("train.", "holdout.")


class NotAnExport(InputError):
    """A folder without a readable report.json and its files table (exit 2)."""


class ExportTampered(InputError):
    """An export whose files differ from its report.json (exit 2)."""


class NoTrainableExport(WorkbenchError):
    """Every export of a project was skipped as not trainable (exit 2, as for one refused by name)."""

    exit_code = 2


class ExportLeaked(InputError):
    """An export whose leak check failed and that was not kept with --allow-leaks (exit 2 for train)."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_report(folder: Path) -> tuple[dict[str, Any], bytes]:
    """report.json of an export folder, parsed, and its bytes; NotAnExport when there is none."""
    path = Path(folder) / "report.json"
    hint = "not a workbench export (`workbench export` writes report.json with a files table)"
    if not Path(folder).is_dir():
        raise NotAnExport(str(folder), "no such folder")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotAnExport(str(path), f"missing; {hint}") from None
    except OSError as e:
        raise NotAnExport(str(path), f"cannot be read ({e.strerror})") from None
    try:
        report = json.loads(raw)
    except ValueError as e:
        raise NotAnExport(str(path), f"not valid JSON ({e}); {hint}") from None
    if not isinstance(report, dict) or not isinstance(report.get("files"), dict) or not report["files"]:
        raise NotAnExport(str(path), f"has no files table; {hint}")
    return report, raw


@dataclass
class FileState:
    """One file of an export against its line in report.json's files table."""

    name: str
    state: str  # ok | changed | missing | unexpected
    sha256: str | None = None
    expected_sha256: str | None = None
    rows: int | None = None
    expected_rows: int | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def problem(self) -> str:
        """What is wrong, in one line (empty when nothing is)."""
        if self.state == "missing":
            return "missing; report.json lists it"
        if self.state == "unexpected":
            return "a data file report.json does not list (added after the export)"
        if self.state == "changed":
            rows = ""
            if self.rows is not None and self.expected_rows is not None and self.rows != self.expected_rows:
                rows = f", {self.rows:,} rows where report.json says {self.expected_rows:,}"
            return (f"changed since the export (sha256 {(self.sha256 or '')[:12]}…, report.json says "
                    f"{(self.expected_sha256 or '')[:12]}…{rows})")
        return ""


def file_states(folder: Path, report: dict[str, Any], digests: dict[str, str] | None = None) -> list[FileState]:
    """Every file of the table, then every unlisted data file. `digests` holds hashes the caller
    already took of bytes it read (train reads each split once, hashes and parses those bytes)."""
    folder = Path(folder)
    digests = digests or {}
    states = []
    for name, entry in report["files"].items():
        entry = entry if isinstance(entry, dict) else {}
        path = folder / name
        state = FileState(name, "ok", expected_sha256=entry.get("sha256"), expected_rows=entry.get("rows"))
        if name not in digests and not path.is_file():
            state.state = "missing"
        else:
            state.sha256 = digests.get(name) or sha256_file(path)
            if state.sha256 != state.expected_sha256:
                state.state, state.rows = "changed", count_rows(path)
        states.append(state)
    listed = set(report["files"]) | _OWN_FILES
    for path in sorted(folder.iterdir()):
        name = path.name
        if name in listed or name.startswith(".") or not path.is_file():
            continue
        if path.suffix in _DATA_SUFFIXES or name.startswith(_SPLITS):
            states.append(FileState(name, "unexpected", sha256=sha256_file(path), rows=count_rows(path)))
    return states


def count_rows(path: Path) -> int | None:
    """Rows in a JSONL or Parquet file, None when that cannot be told."""
    try:
        if path.suffix == ".parquet":
            import polars as pl

            return pl.scan_parquet(path).select(pl.len()).collect().item()
        if path.suffix == ".jsonl":
            with open(path, "rb") as f:
                return sum(1 for line in f if line.strip())
    except Exception:  # a file broken enough to have no row count is still reported as changed
        return None
    return None


def require_intact(folder: Path, report: dict[str, Any], digests: dict[str, str] | None = None,
                   hint: bool = True) -> None:
    """ExportTampered naming the first file that differs from report.json."""
    bad = next((s for s in file_states(folder, report, digests) if not s.ok), None)
    if bad is not None:
        advice = f"; export again, or see `workbench check {folder}`" if hint else ""
        raise ExportTampered(str(Path(folder) / bad.name), bad.problem() + advice)


def require_trainable(folder: Path, report: dict[str, Any]) -> None:
    """ExportLeaked when the export failed its leak check (one kept with --allow-leaks passes)."""
    section = report.get("leak_check") or {}
    if section.get("leaked") and not section.get("allowed"):
        raise ExportLeaked(str(Path(folder) / "report.json"),
                           "this export failed its personal-data leak check (leak_check.leaked), so it is not "
                           "trained on; review the PII findings and export again")


def export_problem(folder: Path) -> str | None:
    """Why an export cannot be trained on (not an export, a leak, a changed file), or None."""
    try:
        report, _ = read_report(folder)
        require_trainable(folder, report)
        require_intact(folder, report, hint=False)
    except InputError as e:
        return f"{Path(e.file).name}: {e.problem}"
    return None


# -- workbench check ---------------------------------------------------------------------------

@dataclass
class Verification:
    """What `workbench check` found in an export."""

    folder: Path
    report: dict[str, Any]
    files: list[FileState]
    leak: dict[str, Any] | None = None  # the leak check's section, when the recipe had a pii step
    leak_by_file: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> still_found, originals
    leak_source: str = ""  # where the values looked up came from

    @property
    def tampered(self) -> bool:
        return any(not s.ok for s in self.files)

    @property
    def leaked(self) -> bool:
        return bool(self.leak and self.leak["leaked"])


def verify_files(folder: Path) -> Verification:
    """The hash check of an export: each file against report.json's table (no leak check yet)."""
    folder = Path(folder)
    report, _ = read_report(folder)
    return Verification(folder, report, file_states(folder, report))


def has_pii_step(report: dict[str, Any]) -> bool:
    steps = (report.get("recipe") or {}).get("steps") or []
    return any(isinstance(s, dict) and s.get("name") == "pii" for s in steps)


def present_files(result: Verification) -> list[str]:
    return [s.name for s in result.files if s.state in ("ok", "changed")]


def leak_check_with_findings(result: Verification, registry: Any, project_dir: Path, findings: tuple,
                             source: str, sealed: Any = None) -> None:
    """The leak check against a project's recorded findings (`store_findings`: rows, rejected, stand-ins)
    and, after a PII purge, the values it kept as keyed hashes (`sealed`)."""
    scanner = _scanner(result.report, registry, project_dir)
    rows, rejected, stand_ins = findings
    result.leak_source = source
    _run_leak_check(result, present_files(result), scanner, rows, rejected, stand_ins, sealed)


def leak_check_stateless(result: Verification) -> None:
    _leak_check_stateless(result, present_files(result))


def _leak_check_stateless(result: Verification, names: list[str]) -> None:
    # The inputs of a stateless export may be gone or changed; a fresh scan for spans of the
    # scrubbed types is what can be checked from the export alone.
    from ..plugins import load_registry

    scanner = _scanner(result.report, load_registry(), None)
    result.leak_source = "a fresh scan only (a stateless export has no recorded values to look up)"
    _run_leak_check(result, names, scanner, [], set(), set())


def _scanner(report: dict[str, Any], registry: Any, project_dir: Path | None) -> Any:
    from ..recipe import recipe_from_dict

    recipe = recipe_from_dict(report["recipe"], "report.json recipe")
    spec = [s for s in recipe.steps if s.name == "pii"][-1]
    return registry.build_step(spec, recipe.source).scanner(project_dir, registry)


def _run_leak_check(result: Verification, names: list[str], scanner: Any, rows: list, rejected: set,
                    stand_ins: set, sealed: Any = None) -> None:
    from ..steps.pii.leak import check_export

    result.leak = check_export(result.folder, names, scanner, rows, rejected, stand_ins, by_file=result.leak_by_file,
                               sealed=sealed)
