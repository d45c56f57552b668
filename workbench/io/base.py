"""Public reading API: read_input turns one input file into canonical records + quarantine.

Whole-file problems (missing, unreadable, empty, binary, undetectable, nothing importable)
raise InputError naming the file; a bad row goes to the quarantine with its line and reason.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError


@dataclass
class ImportOptions:
    format: str | None = None  # force a format by importer name; None = auto-detect
    mapping: dict[str, str] = field(default_factory=dict)  # canonical field -> input column
    max_field_chars: int = 2_000_000
    default_origin: str = "human"


@dataclass
class ImportResult:
    path: str  # the path as the user gave it
    format: str  # the importer's name
    sha256: str  # of the file's bytes
    records: pl.DataFrame  # canonical schema (workbench.records.SCHEMA), base ids
    quarantine: list[dict[str, Any]]  # {"file", "line", "reason", "raw"}
    # How the text was read: "utf-8" (with or without a BOM), "utf-16", "utf-32", or "cp1252" for
    # a file whose start is not UTF-8 (Windows-1252 or latin-1). Parquet says "utf-8".
    encoding: str = "utf-8"


def read_input(path: str | Path, options: ImportOptions | None = None, registry: Any = None) -> ImportResult:
    """Read one input file with the importer options.format names, or the one that detects it.

    ``registry`` is a workbench.plugins.Registry (its ``importers``); None uses the built-ins.
    Records carry base content ids: call finalize_ids on the (concatenated) records.
    """
    from .importers import BUILTIN_IMPORTERS
    from .source import InputFile

    options = options or ImportOptions()
    importers = dict(registry.importers) if registry is not None else {i.name: i for i in BUILTIN_IMPORTERS}
    source = InputFile(path)
    importer = choose_importer(source, options, importers, builtins=BUILTIN_IMPORTERS)
    if not getattr(importer, "binary", False):
        _check_text(source)
    with _gc_paused():
        try:
            batch = importer.read(source, options)
        except InputError:
            raise
        except Exception as e:
            if any(importer is b for b in BUILTIN_IMPORTERS):
                raise
            # A third-party importer's bug is reported like any other unreadable file.
            raise source.error(f"the '{importer.name}' importer failed: {type(e).__name__}: {e}") from e
    if batch.records.height == 0:
        quarantined = batch.quarantine
        if not quarantined:
            raise source.error(f"no rows to import (read as {importer.name})")
        reasons = "; ".join(
            f"{'line ' + str(q['line']) if q['line'] is not None else 'row'}: {q['reason']}" for q in quarantined[:3]
        )
        raise source.error(
            f"no row could be imported (read as {importer.name}): all {len(quarantined):,} rows were "
            f"quarantined. First reasons: {reasons}"
        )
    return ImportResult(
        path=source.name,
        format=importer.name,
        sha256=getattr(batch, "sha256", None) or _sha256_of(source),
        records=batch.records,
        quarantine=batch.quarantine,
        encoding="utf-8" if getattr(importer, "binary", False) else source.encoding,
    )


def choose_importer(source: Any, options: ImportOptions, importers: dict[str, Any], builtins: Any = ()) -> Any:
    """options.format when given, else the importer most sure it reads the file (>= 0.5)."""
    if options.format:
        name = options.format.strip().lower()
        if name not in importers:
            raise source.error(f"unknown format '{options.format}'; the formats are: {', '.join(sorted(importers))}")
        return importers[name]
    from .interface import Sample

    sample = Sample(source)
    # Plugins are asked first, so that on a tie a plugin's more specific importer wins.
    ordered = sorted(importers.values(), key=lambda imp: any(imp is b for b in builtins))
    best, best_score = None, 0.0
    for imp in ordered:
        try:
            score = float(imp.detect(sample))
        except Exception:  # a plugin's broken detect never hides the built-ins
            continue
        if score > best_score:
            best, best_score = imp, score
    if best is not None and best_score >= 0.5:
        return best
    if options.mapping and sample.rows and "prompt_completion" in importers:
        return importers["prompt_completion"]  # JSON objects whose fields the mapping names
    _check_text(source)
    problem = source.document_problem()
    if problem:
        raise source.error(problem)
    formats = ", ".join(sorted(importers))
    if sample.rows:
        keys = sorted({k for row in sample.rows for k in row})
        shown = ", ".join(keys[:20]) + (f" and {len(keys) - 20} more" if len(keys) > 20 else "")
        hints = "; ".join(imp.description for imp in importers.values() if getattr(imp, "description", ""))
        raise source.error(
            f"cannot tell the input format from the keys of the first rows ({shown}); "
            f"known shapes: {hints}. Pass the format with --input-format NAME (one of: {formats})"
        )
    raise source.error(
        f"cannot tell the input format: the first lines are not JSON objects and the extension "
        f"'{source.extension or '(none)'}' is not .csv, .tsv or .parquet. "
        f"Pass the format with --input-format NAME (one of: {formats})"
    )


def _check_text(source: Any) -> None:
    if source.is_binary:
        raise source.error(
            "looks like a binary file (NUL bytes in the first 8 KB), not JSON, JSONL or CSV text; "
            "if it is Parquet, give it the .parquet extension"
        )
    if source.is_blank():
        raise source.error("the file is empty (only whitespace)")


def _sha256_of(source: Any) -> str:
    # Not on a thread: handing the GIL back and forth with the import loop costs more than it saves.
    try:
        with source.open() as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        raise source.error(f"the file cannot be read: {e.strerror or e}") from None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Importing builds millions of small objects that are never cyclic garbage; without this
    the cycle collector would walk them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def finalize_ids(records: pl.DataFrame) -> pl.DataFrame:
    """Make ids unique: the n-th repeat (n >= 2) of the same content id gets the suffix '-n'."""
    base = pl.col("id").str.replace(r"-\d+$", "")
    n = pl.int_range(1, pl.len() + 1).over(base)
    return records.with_columns(
        pl.when(n > 1).then(pl.concat_str([base, pl.lit("-"), n.cast(pl.String)])).otherwise(base).alias("id")
    )
