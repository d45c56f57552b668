"""Reading a large OpenAI chat JSONL quickly: the common shape in a tight loop, on every core.

The file is cut at line boundaries into one slice per worker. This process reads the first
slice while worker processes (_chatlines.py run as a script, so they start without loading
the whole program) read the others, write their records as Arrow IPC files and report the
lines they did not accept; those are read here through the general path, so reasons and
records are the same as in a one-process read. The last worker also hashes the file. A worker
that fails to start or to answer only costs time: its slice is read here instead.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from . import _chatlines
from .rows import RecordBuilder
from .source import InputFile

# Below this size a second process costs more than it saves.
PARALLEL_MIN_BYTES = 32 << 20
WORKERS_ENV = "WORKBENCH_IMPORT_WORKERS"
# Rough costs on a 2-core cloud machine, used only to cut the file into slices that finish
# together: a worker needs ~0.6 s to start and write its records; a byte of JSONL ~20 ns.
WORKER_OVERHEAD_S = 0.6
SECONDS_PER_BYTE = 20e-9


def worker_count() -> int:
    """Processes to use: WORKBENCH_IMPORT_WORKERS, else this one plus one per idle core.

    On a machine already busy with other work, extra processes only compete for the same
    cores (measured: slower than one process), so the load average decides."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return max(1, min(cores, int(cores - busy) + 1))


@dataclass
class _Worker:
    start: int
    end: int
    out: Path
    process: subprocess.Popen | None


def read_chat_lines(importer: Any, source: InputFile, options: Any, builder: RecordBuilder) -> str | None:
    """Fill builder from a JSONL file; importer.take_line handles every line the loop skips.

    Returns the file's sha256 when a worker computed it, else None."""

    def slow(number: int, line: bytes) -> None:
        importer.take_line(builder, number, line, options)

    limit, origin = builder.limit, builder.default_origin
    if source.encoding != "utf-8":  # UTF-16/32, cp1252: decoded line by line, in this process
        with source.lines() as lines:
            _chatlines.scan(lines, builder, slow, limit, origin)
        return None
    slices = _slices(source, worker_count() if source.size >= PARALLEL_MIN_BYTES else 1)
    if len(slices) == 1:
        with source.open() as f:
            _chatlines.scan(_chatlines.read_lines(f, *slices[0]), builder, slow, limit, origin)
        return None
    folder = Path(tempfile.mkdtemp(prefix="workbench-import-"))
    digest = None
    try:
        workers = [
            _start(source, start, end, limit, origin, folder / f"{i}.arrow", want_sha=i == len(slices) - 1)
            for i, (start, end) in enumerate(slices[1:], 1)
        ]
        with source.open() as f:
            read = _chatlines.scan(_chatlines.read_lines(f, *slices[0]), builder, slow, limit, origin)
            for worker in workers:
                result = _collect(worker)
                if result is None:
                    lines = _chatlines.read_lines(f, worker.start, worker.end)
                    read += _chatlines.scan(lines, builder, slow, limit, origin, first_number=read + 1)
                    continue
                count, part, slow_rows, sha = result
                digest = digest or sha
                builder.parts.append(part.with_columns(pl.col("source_line") + read))
                for number, line in slow_rows:
                    slow(number + read, line)
                builder.unordered = builder.unordered or bool(slow_rows)
                read += count
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return digest


def _slices(source: InputFile, workers: int) -> list[tuple[int, int]]:
    """Byte ranges that start at line starts: [bom, a), [a, b), ... [z, size).

    This process reads the first, larger slice: a worker first has to start, so this process
    gets share p of the work where p * T = overhead + (1 - p) * T / (workers - 1)."""
    start, size = len(source.bom), source.size
    cuts = [start]
    if workers > 1:
        total = max((size - start) * SECONDS_PER_BYTE, 1e-9)
        share = (WORKER_OVERHEAD_S * (workers - 1) + total) / (workers * total)
        bounds = [share + (1 - share) * k / (workers - 1) for k in range(workers - 1)] if share < 0.95 else []
        with source.open() as f:
            for fraction in bounds:
                f.seek(start + int((size - start) * fraction))
                f.readline()  # to the end of the line the cut fell in
                cut = f.tell()
                if cuts[-1] < cut < size:
                    cuts.append(cut)
    cuts.append(size)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _start(source: InputFile, start: int, end: int, limit: int, origin: str, out: Path, want_sha: bool) -> _Worker:
    args = [str(Path(source.path).resolve()), str(start), str(end), str(limit), origin, source.name, str(out)]
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", _chatlines.__file__, *args, "1" if want_sha else "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, ValueError):
        process = None
    return _Worker(start, end, out, process)


def _collect(worker: _Worker) -> tuple[int, pl.DataFrame, list[tuple[int, bytes]], str | None] | None:
    """The worker's (lines read, records, slow lines, sha256), or None if it failed."""
    process = worker.process
    if process is None:
        return None
    try:
        count, slow_rows, digest = pickle.load(process.stdout)
    except Exception:  # a worker that died or wrote something else: read its slice here
        process.kill()
        return None
    finally:
        process.stdout.close()
        process.wait()
    if process.returncode != 0:
        return None
    try:
        part = pl.read_ipc(worker.out)
    except Exception:
        return None
    return count, part, slow_rows, digest
