"""What killed exports left next to their folder, and tidying it up before the next export.

An export is written into a hidden work folder (`WORK_FOLDER`) and renamed into place; a process
killed on the way leaves that folder (or the previous export renamed aside as `.old`) behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..procs import pid_alive
from .folder import MARKER, WORK_FOLDER, marker_files, remove_export_folder, written_file


def export_leftovers(parent: Path) -> list[Path]:
    """Hidden folders that killed exports left in `parent`: workbench's naming, a process that is
    gone, and nothing in them that workbench did not write. `.old` ones come first."""
    found = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        m = WORK_FOLDER.match(entry.name)
        if not m or entry.is_symlink() or not entry.is_dir():
            continue
        pid = int(m["pid"])
        if pid == os.getpid() or pid_alive(pid):
            continue
        listed = marker_files(entry)
        if listed is None:
            continue  # workbench marks its folders first thing; this one is not (only) workbench's
        if not all(e.name == MARKER or written_file(e, listed) for e in entry.iterdir()):
            continue
        found.append(entry)
    return sorted(found, key=lambda p: WORK_FOLDER.match(p.name)["kind"] != "old")


def remove_export_leftovers(parent: Path) -> list[Path]:
    """Remove what `export_leftovers` finds; an export renamed aside whose replacement never
    arrived goes back under its name instead. Returns the folders removed."""
    removed = []
    for folder in export_leftovers(parent):
        m = WORK_FOLDER.match(folder.name)
        final = parent / m["name"]
        try:
            if m["kind"] == "old" and not final.exists() and not final.is_symlink():
                os.rename(folder, final)
            elif remove_export_folder(folder):
                removed.append(folder)
        except OSError:
            continue  # tidying up never stops an export
    return removed


