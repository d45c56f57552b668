"""Writing an export folder atomically: train/holdout, removed, quarantine, report, data card.

Same input, recipe and decisions give byte-identical files; the only time stamp is
report.json's `created_at`.

An export only ever deletes what workbench wrote: every export folder carries a marker file
(`.workbench-export`, the names of its files) and only a folder holding a previous export and
nothing else is replaced, swapped atomically with the new one. Anything else at `--out` (a
user's folder, a project, an input file, a file or device) is refused before any work is done.

An export is readable by its user only (folders 0700, files 0600), or with `shared` by everyone
(0755, 0644): its folder is made 0700 and gets its final modes when it is complete, before it
takes its final name. The folders above it that the export creates get the folder mode too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from .. import __version__
from ..errors import WorkbenchError
from ..files import PRIVATE_DIR, PRIVATE_FILE, SHARED_DIR, SHARED_FILE, make_dirs, set_tree_modes
from ..io.out_select import ExportSelection, cannot_hold_counts, choose_kind, removed_rows, split_held
from ..recipe import Recipe, RecipeOutcome
from ..records import UNLABELLED
from .card import data_card
from .verify import sha256_file

MARKER = ".workbench-export"
# The hidden folders an export works in next to its final name: `.NAME.tmp-PID` while writing
# (and, after the swap, the old export on its way out), `.NAME.old-PID` where renaming cannot swap.
WORK_FOLDER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)$")
RENAME_EXCHANGE = 2  # from <linux/fs.h>

# A path an export must never replace, and how a refusal names it ("the input file data/a.jsonl").
Protected = tuple[Path, str]


class OutputRefused(WorkbenchError):
    """The export may not be written where asked; nothing was changed."""

    exit_code = 2


@dataclass
class ExportInfo:
    """What an export is made of, besides the recipe outcome."""

    recipe: Recipe
    inputs: list[dict[str, Any]]  # path, format, sha256, rows, quarantined
    quarantine: list[dict[str, Any]]  # file, line, reason, raw
    project: str | None = None
    snapshot_id: str | None = None
    extra_report: dict[str, Any] = field(default_factory=dict)

    @property
    def input_hash(self) -> str:
        h = hashlib.sha256()
        for item in self.inputs:
            h.update(item["sha256"].encode())
        return h.hexdigest()


@dataclass
class ExportResult:
    out_dir: Path
    report: dict[str, Any]
    files: dict[str, Path]


def write_export(outcome: RecipeOutcome, out_dir: str | Path, info: ExportInfo, exporter: Any,
                 with_meta: bool = False,
                 check: Callable[[Path, dict[str, Any]], None] | None = None, *,
                 replace: bool = False, protected: Iterable[Protected] = (), shared: bool = False,
                 kind: str | None = None, dataset_info: bool = False) -> ExportResult:
    """Write the export into a temporary folder and rename it into place. `check(folder, report)`
    runs on the written files before the report and the data card (the PII leak check adds its
    section to the report there). A previous export at `out_dir` is replaced only with `replace`;
    what `check_out_dir` refuses is never touched. The export is readable by the user only, or
    with `shared` by everyone. It writes the records of one `kind` (default: the only kind the
    kept records have; MixedKinds when they have several), and with `dataset_info` LLaMA-Factory's
    dataset_info.json."""
    out_dir = Path(out_dir)
    protected = list(protected)
    selection = ExportSelection(*choose_kind(outcome.kept, kind), dataset_info=dataset_info)  # before any change
    dir_mode, file_mode = (SHARED_DIR, SHARED_FILE) if shared else (PRIVATE_DIR, PRIVATE_FILE)
    previous = ensure_out_dir(out_dir, protected, replace)
    try:
        make_dirs(out_dir.parent, dir_mode)
    except OSError as e:
        raise OutputRefused(f"{out_dir}: cannot be created: {e.strerror or e}") from None
    from .leftovers import remove_export_leftovers

    remove_export_leftovers(out_dir.parent)
    tmp = _work_folder(out_dir, "tmp")
    if tmp.exists():  # an earlier export of this same process that failed half-way
        remove_export_folder(tmp)
    tmp.mkdir(PRIVATE_DIR)  # nobody else can open what is in it while it is written
    try:
        ext = exporter.extension
        _write_marker(tmp, [f"train.{ext}", f"holdout.{ext}", "removed.jsonl", "quarantine.jsonl",
                            "DATA_CARD.md", "report.json", *(["dataset_info.json"] if dataset_info else [])])
        report = _write_files(outcome, tmp, info, exporter, with_meta, check, selection)
        set_tree_modes(tmp, dir_mode, file_mode)  # what the exporters wrote has the umask's modes
        _move_into_place(tmp, out_dir, previous, protected)
    except BaseException:
        remove_export_folder(tmp)
        raise
    files = {name: out_dir / name for name in report["files"]}
    files["report.json"] = out_dir / "report.json"
    files["DATA_CARD.md"] = out_dir / "DATA_CARD.md"
    return ExportResult(out_dir, report, files)


def _write_files(outcome: RecipeOutcome, folder: Path, info: ExportInfo, exporter: Any,
                 with_meta: bool, check: Callable[[Path, dict[str, Any]], None] | None,
                 selection: ExportSelection) -> dict[str, Any]:
    kept, dropped = split_held(outcome.kept.filter(pl.col("kind") == selection.kind), exporter)
    if dropped.height:
        selection.cannot_hold = cannot_hold_counts(dropped)
        extra = removed_rows(dropped, exporter.name).select(outcome.removed.columns)
        outcome = replace_fields(outcome, removed=pl.concat([outcome.removed, extra], how="vertical_relaxed"))
    outcome = replace_fields(outcome, kept=kept)
    names = {}
    for split in ("train", "holdout"):
        name = f"{split}.{exporter.extension}"
        exporter.write(kept.filter(pl.col("split") == split).drop("split"), folder / name, with_meta)
        names[split] = name
    with open(folder / "removed.jsonl", "wb") as f:
        for row in outcome.removed.iter_rows(named=True):
            row["detail"] = orjson.loads(row["detail"]) if row["detail"] else {}  # stored as JSON text
            f.write(orjson.dumps(row) + b"\n")
    with open(folder / "quarantine.jsonl", "wb") as f:
        for q in info.quarantine:
            f.write(orjson.dumps({"file": q["file"], "line": q.get("line"), "reason": q["reason"],
                                  "raw": q.get("raw", "")}) + b"\n")
    files = {}
    for name in (names["train"], names["holdout"], "removed.jsonl", "quarantine.jsonl"):
        files[name] = {"sha256": sha256_file(folder / name)}
    files[names["train"]]["rows"] = int((kept.get_column("split") == "train").sum())
    files[names["holdout"]]["rows"] = int((kept.get_column("split") == "holdout").sum())
    files["removed.jsonl"]["rows"] = outcome.removed.height
    files["quarantine.jsonl"]["rows"] = len(info.quarantine)
    if selection.dataset_info:
        from ..io.out_dataset_info import FILE_NAME, write_dataset_info

        write_dataset_info(folder, names, exporter.name, selection.kind, info.project)
        files[FILE_NAME] = {"sha256": sha256_file(folder / FILE_NAME)}

    report = build_report(outcome, info, exporter.name, with_meta, files, selection)
    if check is not None:
        check(folder, report)
    deterministic = {k: v for k, v in report.items() if k != "created_at"}
    (folder / "DATA_CARD.md").write_text(data_card(deterministic), encoding="utf-8", newline="\n")
    (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8", newline="\n")
    return report


def build_report(outcome: RecipeOutcome, info: ExportInfo, fmt: str, with_meta: bool,
                 files: dict[str, Any], selection: ExportSelection | None = None) -> dict[str, Any]:
    kept = outcome.kept
    categories: dict[str, dict[str, int]] = {}
    counts = (kept.select(pl.col("category").fill_null(UNLABELLED), "split")
              .group_by("category", "split").len().sort("category", "split"))
    for cat, split, n in counts.iter_rows():
        entry = categories.setdefault(cat, {"train": 0, "holdout": 0, "total": 0})
        entry[split] = n
        entry["total"] += n
    removed = outcome.removed
    by_reason = Counter(removed.get_column("reason").to_list()) if removed.height else Counter()
    by_step = Counter(removed.get_column("step").to_list()) if removed.height else Counter()
    origins = dict(kept.group_by("origin").len().sort("origin").iter_rows()) if kept.height else {}
    return {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "workbench_version": __version__,
        "project": info.project,
        "snapshot": info.snapshot_id,
        "format": fmt,
        "kind": selection.kind if selection else "sft",
        "other_kinds": dict(selection.other_kinds) if selection else {},
        "with_meta": with_meta,
        "input_hash": info.input_hash,
        "recipe_hash": info.recipe.hash,
        "recipe": info.recipe.to_dict(),
        "inputs": [{k: item[k] for k in ("path", "format", "sha256", "rows", "quarantined")}
                   for item in info.inputs],
        "rows_in": outcome.rows_in,
        "quarantined": len(info.quarantine),
        "steps": [s.to_dict() for s in outcome.steps],
        "removed": {"total": removed.height, "by_step": dict(sorted(by_step.items())),
                    "by_reason": dict(sorted(by_reason.items())),
                    **({"cannot_hold": selection.cannot_hold} if selection and selection.cannot_hold else {})},
        "flagged": len(outcome.flagged),
        "splits": {"train": int((kept.get_column("split") == "train").sum()),
                   "holdout": int((kept.get_column("split") == "holdout").sum())},
        "categories": categories,
        "origins": origins,
        "files": files,
        **_turn_weights(kept, fmt),
        **info.extra_report,
    }


def _turn_weights(kept: pl.DataFrame, fmt: str) -> dict[str, Any]:
    """{"turn_weights": {rows, written}} when some rows weight their turns (none otherwise, so a
    report without weights is as before): whether the format could write them."""
    from ..io.writers import WEIGHT_FORMATS, weighted_rows

    rows = weighted_rows(kept)
    return {"turn_weights": {"rows": rows, "written": fmt in WEIGHT_FORMATS}} if rows else {}


def default_export_dir(project_dir: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    out = project_dir / "exports" / stamp
    n = 2
    while out.exists():
        out = project_dir / "exports" / f"{stamp}-{n}"
        n += 1
    return out


# -- where an export may go -----------------------------------------------------------------------

def check_out_dir(out_dir: str | Path, protected: Iterable[Protected] = ()) -> bool:
    """Whether `out_dir` can take an export: False when it is new or an empty folder, True when it
    holds a previous workbench export and nothing else. Raises OutputRefused for anything else,
    and for a folder that is or holds a `protected` path; changes nothing."""
    out = Path(out_dir)
    if out.is_symlink():
        raise OutputRefused(f"{out}: is a symbolic link; give the folder itself or a new one")
    if out.exists() and not out.is_dir():
        kind = "a file" if out.is_file() else "a device or special file"
        raise OutputRefused(f"{out}: is {kind}, not a folder; give a new or empty folder for the export")
    target = out.resolve()
    here = Path.cwd().resolve()
    if here.is_relative_to(target):
        where = "the current folder" if here == target else "a folder above the current folder"
        raise OutputRefused(f"{out}: is {where}; give a new or empty folder for the export")
    for path, label in protected:
        inside = Path(path).resolve()
        if inside.is_relative_to(target):
            raise OutputRefused(f"{out}: {'is' if inside == target else 'holds'} {label}; "
                                "give a new or empty folder for the export")
    if not out.exists():
        _check_creatable(out)
        return False
    try:
        entries = list(out.iterdir())
    except OSError as e:
        raise OutputRefused(f"{out}: cannot be read: {e.strerror or e}") from None
    if not entries:
        return False
    listed = marker_files(out)
    if listed is None:
        raise OutputRefused(f"{out}: is not empty and is not a workbench export (no {MARKER} file); "
                            "give a new or empty folder for the export")
    foreign = sorted(e.name for e in entries if e.name != MARKER and not written_file(e, listed))
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OutputRefused(f"{out}: holds {shown}, which workbench did not write; move it away or give "
                            "another folder for the export")
    return True


def ensure_out_dir(out_dir: str | Path, protected: Iterable[Protected] = (), replace: bool = False) -> bool:
    """check_out_dir, refusing a previous export too unless the user agreed to `replace` it."""
    previous = check_out_dir(out_dir, protected)
    if previous and not replace:
        raise OutputRefused(f"{out_dir}: holds a previous workbench export; pass --force to replace it")
    return previous


def _check_creatable(out: Path) -> None:
    parent = out.parent
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputRefused(f"{out}: cannot be created: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputRefused(f"{out}: cannot be created: no permission to write in {parent}")


def marker_files(folder: Path) -> set[str] | None:
    """The file names a workbench export's marker lists, or None where there is no valid marker."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return None
    # Plain names only: a hand-edited marker must not lead a removal out of its folder.
    return {f for f in files if isinstance(f, str) and f not in ("", ".", "..", MARKER)
            and "/" not in f and os.sep not in f}


def written_file(entry: Path, listed: set[str]) -> bool:
    return entry.name in listed and entry.is_file() and not entry.is_symlink()


def _write_marker(folder: Path, files: list[str]) -> None:
    # One small write: a kill leaves the whole marker or none, so a half-written folder stays
    # recognisable as workbench's own and the next export can remove it.
    text = json.dumps({"files": sorted(files), "workbench_version": __version__}, sort_keys=True) + "\n"
    fd = os.open(folder / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


# -- replacing and cleaning up ---------------------------------------------------------------------

def _work_folder(out_dir: Path, kind: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{kind}-{os.getpid()}"


def _move_into_place(tmp: Path, out_dir: Path, previous: bool, protected: list[Protected]) -> None:
    """Put the finished folder under its final name. A previous export is swapped atomically, so
    a kill at any moment leaves the old export or the new one there, whole."""
    if previous:
        previous = check_out_dir(out_dir, protected)  # the recipe took a while: look again
    if not previous:
        try:
            os.rename(tmp, out_dir)  # over an empty folder at most; fails if files arrived meanwhile
        except OSError as e:
            raise OutputRefused(f"{out_dir}: changed while the export was written ({e.strerror or e}); "
                                "nothing was replaced") from None
        return
    if _exchange(tmp, out_dir):
        old = tmp  # the swap left the previous export under the temporary name
    else:
        old = _work_folder(out_dir, "old")
        os.rename(out_dir, old)
        os.rename(tmp, out_dir)  # a kill just before this leaves `old`, which the next export puts back
    try:
        remove_export_folder(old)
    except OSError:
        pass  # the new export is in place; the next export removes what is left of the old one


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd = -100
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def remove_export_folder(folder: Path) -> bool:
    """Remove a folder workbench wrote: the files its marker names, the marker last (so a kill
    half-way leaves a folder still marked as workbench's), then the folder if nothing else is in
    it. A folder without a marker is removed only when empty. True when it is gone."""
    listed = marker_files(folder)
    if listed is not None:
        for name in sorted(listed):
            path = folder / name
            if written_file(path, listed):
                os.unlink(path)
        os.unlink(folder / MARKER)
    try:
        folder.rmdir()
    except OSError:
        return not folder.exists()
    return True
