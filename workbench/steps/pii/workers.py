"""The PII scan spread over worker processes forked from this one (big inputs on Linux)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scan import Report, Scanner, Span


def scan_in_workers(scanner: Scanner, texts: list[str], workers: int,
                    report: Report | None) -> dict[str, tuple[Span, ...]]:
    """The texts in slices over `workers` processes forked from this one.

    Forked workers start at once with the model already loaded (a fresh interpreter would
    spend seconds importing spaCy and Presidio). Elsewhere than Linux, or if the pool cannot
    start, the texts are scanned here.

    The workers never outlive this call: they die with this process (procs.quiet_worker),
    and any exception here (Ctrl-C or SIGTERM, taken between results by
    procs.signals_deferred; a cancel from `report`) kills them before the pool is left. All of
    them are forked on the first submit() by this thread, which stays in this call while they
    live: Linux's parent-death signal, tied to the forking thread, cannot fire early even when
    the TUI runs the recipe in a worker thread.
    """
    import multiprocessing as mp
    import sys
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from ...procs import kill_pool, quiet_worker, result_when_done, signals_deferred

    global _fork_scanner
    if not sys.platform.startswith("linux"):
        return scanner._scan_here(texts, report)
    # Contiguous slices, a few per worker so progress moves and a slow slice does not idle the rest.
    n_chunks = workers * 4
    size = -(-len(texts) // n_chunks)
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    out: dict[str, tuple[Span, ...]] = {}
    done = 0
    _fork_scanner = scanner
    try:
        with signals_deferred(), ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"),
                                                   initializer=quiet_worker, initargs=(os.getpid(),)) as pool:
            try:
                # Futures rather than map(): map's clean-up cancels them, and then the pool's
                # own clean-up after kill_pool fails on the cancelled ones (Python 3.11).
                futures = [pool.submit(_scan_chunk, chunk) for chunk in chunks]
                for chunk, future in zip(chunks, futures):
                    out.update(zip(chunk, result_when_done(future)))
                    done += len(chunk)
                    if report:
                        report(done, len(texts))
            except BaseException:
                kill_pool(pool)
                raise
    except (BrokenProcessPool, OSError):
        rest = [t for t in texts if t not in out]
        out.update(scanner._scan_here(rest, None))
    finally:
        _fork_scanner = None
    return out


_fork_scanner: Scanner | None = None


def _scan_chunk(texts: list[str]) -> list[tuple[Span, ...]]:
    assert _fork_scanner is not None
    found = _fork_scanner._scan_here(texts, None)
    return [found[t] for t in texts]
