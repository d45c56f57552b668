"""Housekeeping: what killed exports left behind, and recipe snapshots nothing uses any more.

Every recipe run writes a snapshot (`.workbench/snapshots/sNNNN-recipe.*`). They are kept while an
export, a training run or a comparison names them, and the newest few always; import snapshots
are the project's record of its inputs and are never removed. Each recipe run prunes quietly;
`workbench gc` shows the same plan with sizes and applies it.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..export.folder import WORK_FOLDER, remove_export_folder
from ..export.leftovers import export_leftovers
from ..procs import pid_alive

if TYPE_CHECKING:
    from .project import Project

KEEP_NEWEST = 3
SNAPSHOT_ID = re.compile(r"^(s(\d+)-[^.]+)\.")
# `_atomic_write` / `_atomic_parquet` in project.py: `.NAME.tmp-PID` next to the file.
SNAPSHOT_TEMP = re.compile(r"^\..+\.tmp-(?P<pid>\d+)$")


# -- the plan -------------------------------------------------------------------------------------

@dataclass
class Item:
    """A snapshot or a leftover: its files, their size, and why it is kept or removed."""

    kind: str  # "snapshot" or "leftover"
    label: str
    why: str
    paths: list[Path] = field(default_factory=list)

    @property
    def size(self) -> int:
        total = 0
        for path in self.paths:
            for f in ([path] if not path.is_dir() else [p for p in path.rglob("*") if p.is_file()]):
                try:
                    total += f.lstat().st_size
                except OSError:
                    pass
        return total


@dataclass
class Plan:
    keep: list[Item]
    remove: list[Item]

    def count(self, kind: str) -> int:
        return sum(1 for item in self.remove if item.kind == kind)


def snapshot_references(project: Project) -> dict[str, str]:
    """Snapshot id -> what uses it: exports (under PROJECT/exports and those the audit log names
    elsewhere), training runs and comparison models."""
    refs: dict[str, str] = {}

    def note(sid: Any, why: str) -> None:
        if isinstance(sid, str) and sid:
            refs.setdefault(sid, why)

    exports = project.path / "exports"
    for folder in sorted(exports.iterdir()) if exports.is_dir() else []:
        if not folder.name.startswith("."):
            note(_read_json(folder / "report.json").get("snapshot"), f"export exports/{folder.name}")
    for row in project.store.audit("exported"):
        detail = _loads(row["detail"])
        folder = detail.get("folder") or detail.get("out")
        if folder and (Path(folder) / "report.json").is_file():
            note(_read_json(Path(folder) / "report.json").get("snapshot"), f"export {folder}")
    runs = project.path / "runs"
    for record in sorted(runs.glob("*/run.json")) if runs.is_dir() else []:
        export = _read_json(record).get("export") or {}
        note(export.get("snapshot") if isinstance(export, dict) else None, f"run {record.parent.name}")
    for model, info in project.store.evals.models().items():
        note((info.get("detail") or {}).get("snapshot"), f"comparison model {model}")
    return refs


def plan(project: Project, keep_newest: int = KEEP_NEWEST) -> Plan:
    """What `workbench gc` keeps and removes in `project` (an open workbench.services.project.Project)."""

    keep: list[Item] = []
    remove: list[Item] = []
    folder = project.snapshots_dir
    files: dict[str, list[Path]] = {}
    temps: list[Path] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        m = SNAPSHOT_TEMP.match(path.name)
        if m:
            if path.is_file() and int(m["pid"]) != os.getpid() and not pid_alive(int(m["pid"])):
                temps.append(path)
            continue
        if (m := SNAPSHOT_ID.match(path.name)) and path.is_file():
            files.setdefault(m[1], []).append(path)
    manifests = {s.id: s.manifest for s in project.snapshots()}
    recipe_runs = [sid for sid in sorted(manifests) if manifests[sid].get("step") == "recipe"]
    newest = set(recipe_runs[-keep_newest:]) if keep_newest > 0 else set()
    refs = snapshot_references(project)
    for sid in sorted(manifests):
        step = manifests[sid].get("step")
        if step != "recipe":
            why = ("import: the project's record of its inputs" if step == "import" else
                   "sealed by `workbench pii purge`: the rows whose originals are gone" if step == "sealed"
                   else f"{step} snapshot")
            keep.append(Item("snapshot", sid, why, files.get(sid, [])))
        elif sid in refs:
            keep.append(Item("snapshot", sid, f"used by {refs[sid]}", files.get(sid, [])))
        elif sid in newest:
            keep.append(Item("snapshot", sid, f"one of the newest {keep_newest}", files.get(sid, [])))
        else:
            # The manifest goes first: a snapshot without one does not exist for any reader.
            paths = sorted(files.get(sid, []), key=lambda p: p.suffix != ".json")
            remove.append(Item("snapshot", sid, "not used by any export, run or comparison", paths))
    # Data files whose manifest is gone (a gc killed half-way); newer ones may be a run in progress.
    last = max((int(SNAPSHOT_ID.match(f"{sid}.")[2]) for sid in manifests), default=0)
    for sid, paths in sorted(files.items()):
        if sid not in manifests and int(SNAPSHOT_ID.match(paths[0].name)[2]) < last:
            remove.append(Item("leftover", f"{folder.name}/{sid}.*", "snapshot files without a manifest", paths))
    for path in temps:
        remove.append(Item("leftover", f"{folder.name}/{path.name}", "left by a process that was killed", [path]))
    for path in export_leftovers(project.path / "exports"):
        m = WORK_FOLDER.match(path.name)
        if m["kind"] == "old" and not (path.parent / m["name"]).exists():
            continue  # an export whose replacement never arrived: the next export puts it back
        remove.append(Item("leftover", f"exports/{path.name}", "left by an export that was killed", [path]))
    return Plan(keep, remove)


def apply(gc_plan: Plan) -> int:
    """Remove what the plan removes; returns the bytes freed."""
    freed = 0
    for item in gc_plan.remove:
        size = item.size
        for path in item.paths:
            if path.is_dir() and not path.is_symlink():
                if not remove_export_folder(path):
                    size = 0
                    continue
            else:
                path.unlink(missing_ok=True)
        freed += size
    return freed


def prune_snapshots(project: Project, keep_newest: int = KEEP_NEWEST) -> None:
    """Remove the recipe snapshots `plan` would; housekeeping never fails the run that asks."""
    try:
        gc_plan = plan(project, keep_newest)
        apply(Plan([], [item for item in gc_plan.remove if item.kind == "snapshot"]))
    except (OSError, ValueError, KeyError, sqlite3.Error):
        pass


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _loads(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
