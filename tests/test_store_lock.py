"""The project store's write lock held by another process: the writer says it waits and goes on
once the lock is free, Ctrl-C ends the wait as "cancelled", and readers are not held up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workbench.store import Store

# Holds the store's write lock (as another workbench process writing would) until a line on stdin.
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO audit_log(at, who, event) VALUES ('now', 'other', 'holding')")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""

# Commits one decision through the CLI's error handling, as a `workbench` command would.
WRITER = """
import sys, click
from workbench.commands import run_command
from workbench.store import Store

@click.command()
def decide():
    store = Store(sys.argv[1])
    print(store.decisions.decide("pii", "r1", "keep"), flush=True)

sys.exit(run_command(decide, [], "workbench"))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    Store(tmp_path / "proj" / ".workbench" / "workbench.db").close()  # created, in WAL mode
    return tmp_path / "proj"


def db_of(project: Path) -> Path:
    return project / ".workbench" / "workbench.db"


def start(script: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


@pytest.fixture
def holder(project: Path):
    proc = start(HOLDER, db_of(project))
    assert proc.stdout.readline() == "locked\n"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def release(holder: subprocess.Popen) -> None:
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=60) == 0


def wait_for_line(stream, timeout: float = 60) -> str:
    """The next line of a child's stream, read in a thread so a silent child cannot hang the test."""
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


def test_a_write_waits_for_the_lock_says_so_once_and_then_commits(project, holder):
    writer = start(WRITER, db_of(project))
    line = wait_for_line(writer.stderr)
    assert line == f"waiting for another workbench process writing to {project.resolve()}...\n"
    assert writer.poll() is None  # still waiting, not failed
    release(holder)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert err == ""  # told once, no traceback
    seq = int(out)
    store = Store(db_of(project))
    assert [r["seq"] for r in store.decisions.history("r1")] == [seq]
    assert [r["event"] for r in store.audit()] == ["holding"]  # the other process's write is kept too
    store.close()


def test_ctrl_c_while_waiting_cancels_without_a_traceback(project, holder):
    writer = start(WRITER, db_of(project))
    assert wait_for_line(writer.stderr).startswith("waiting for another workbench process")
    writer.send_signal(signal.SIGINT)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 130
    assert out == ""
    assert "cancelled" in err and str(project.resolve()) in err
    assert "Traceback" not in err
    release(holder)
    store = Store(db_of(project))
    assert store.decisions.history("r1") == []
    store.close()


def test_lock_timeout_names_the_project(project, holder):
    writer = start(WRITER, db_of(project), env={"WORKBENCH_LOCK_TIMEOUT": "1"})
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 1
    assert "error:" in err and str(project.resolve()) in err and "WORKBENCH_LOCK_TIMEOUT" in err
    assert "Traceback" not in err


def test_readers_are_not_held_up_by_a_writer(project):
    store = Store(db_of(project))
    seq = store.decisions.decide("pii", "r1", "drop")
    store.close()
    holder = start(HOLDER, db_of(project))
    try:
        assert holder.stdout.readline() == "locked\n"
        told: list[str] = []
        reader = Store(db_of(project))
        reader.on_wait = told.append
        assert [r["seq"] for r in reader.decisions.history("r1")] == [seq]
        assert set(reader.decisions.standing()) == {("pii", "r1", "")}
        assert told == []  # it never had to wait
        reader.close()
    finally:
        holder.kill()
        holder.wait()


def test_the_thread_lock_is_released_when_the_wait_is_cancelled(project, holder):
    # A cancelled wait must not leave this process's own lock taken: the next write (from any
    # thread) goes through once the other process is done.
    from workbench.errors import Cancelled

    def ctrl_c(message: str) -> None:  # Ctrl-C just as the message shows
        raise KeyboardInterrupt

    store = Store(db_of(project))
    store.on_wait = ctrl_c
    with pytest.raises(Cancelled):
        store.decisions.decide("pii", "r1", "keep")
    release(holder)
    store.on_wait = None
    done: list[int] = []
    other = threading.Thread(target=lambda: done.append(store.decisions.decide("pii", "r2", "keep")))
    other.start()
    other.join(60)
    assert len(done) == 1
    assert store.decisions.history("r1") == []
    assert [r["seq"] for r in store.decisions.history("r2")] == done
    store.close()
