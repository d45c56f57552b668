"""Process hygiene: worker processes that end with the process that started them.

A forked worker that outlives its parent keeps the parent's memory and open files (the project
store and its WAL among them) and waits forever on a queue nobody writes to. Every worker this
program forks calls `die_with_parent` first; the parent kills its pool's workers itself when it
stops early (`kill_pool`), and while a pool runs it acts on SIGTERM and Ctrl-C only where it can
stop the workers first (`signals_deferred`).

The Train tab's runs are the exception on purpose: they start in a session of their own and
outlive the TUI that started them (see workbench/train/runs.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_S = 0.5


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived; unwinds like Ctrl-C (finally blocks run, the CLI ends with no traceback)."""


def die_with_parent(parent_pid: int) -> None:
    """In a freshly forked worker: exit as soon as `parent_pid` is gone.

    On Linux the kernel sends SIGKILL when the parent's forking thread ends (PR_SET_PDEATHSIG);
    the pool is created and used within one call of that thread, so the thread outlives the
    workers unless the whole process dies. A watcher thread covers other systems and the moment
    before prctl took effect: once the parent is gone, getppid() names another process.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watcher below still ends the worker
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        threading.Event().wait(PARENT_POLL_S)
        if os.getppid() != parent_pid:
            os._exit(1)


def quiet_worker(parent_pid: int) -> None:
    """Initializer of a forked pool worker: die with the parent, and leave Ctrl-C and SIGTERM to
    it (a Ctrl-C in the terminal reaches the whole process group; the parent stops the workers,
    which would otherwise each print a traceback). SIGTERM gets its default back: the parent's
    handler, inherited through the fork, would only take note and keep the worker running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent_pid)


def kill_pool(pool: Any) -> None:
    """Kill the worker processes of a ProcessPoolExecutor, so that leaving its `with` block
    (which waits for running tasks) returns at once. Python 3.14 has this as kill_workers()."""
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:
        kill()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass  # already gone


_noted: list[int] = []  # signals that arrived within signals_deferred(), not yet acted on
_DEFAULTS = {signal.SIGTERM: signal.SIG_DFL, signal.SIGINT: signal.default_int_handler}


def _note(signum: int, frame: Any) -> None:
    _noted.append(signum)
    signal.signal(signum, _DEFAULTS[signum])  # a second kill or Ctrl-C acts at once


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Within the block, SIGTERM and Ctrl-C (SIGINT) are only noted; `stop_if_signalled` raises
    them (Terminated, KeyboardInterrupt) where the code can stop its workers first, and leaving
    the block raises one still pending.

    Why not raise from the handler: an exception raised while os.fork() runs its hooks is only
    printed ("Exception ignored in ...") and lost, so the export would go on. Only in the main
    thread (the one Python runs handlers in) and only over Python's default handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    replaced = [sig for sig, default in _DEFAULTS.items() if signal.getsignal(sig) is default]
    _noted.clear()
    for sig in replaced:
        signal.signal(sig, _note)
    try:
        yield
    finally:
        for sig in replaced:
            if signal.getsignal(sig) is _note:
                signal.signal(sig, _DEFAULTS[sig])
    stop_if_signalled()


def stop_if_signalled() -> None:
    """Raise what a signal noted by signals_deferred() asks for."""
    if signal.SIGTERM in _noted:
        _noted.clear()
        raise Terminated()
    if _noted:
        _noted.clear()
        raise KeyboardInterrupt()


def result_when_done(future: Any, poll_s: float = 0.2) -> Any:
    """future.result(), acting on a noted signal within poll_s while it waits."""
    while True:
        stop_if_signalled()
        try:
            return future.result(timeout=poll_s)
        except TimeoutError:
            continue


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a finished child that nobody has waited for yet is not running
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True
    return True
