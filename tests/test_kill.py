"""kill -9 at random moments: during `workbench export` (while its PII workers run, too) and
during a process that commits decisions one by one. Nothing acknowledged is lost, no export is
left half-written under its final name, and no process the victim started survives it."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import chat, write_jsonl

ROUNDS = 10  # each round: one export and one decision writer, both killed
SEED = 11
GONE_WITHIN_S = 30  # generous: how long the victim's processes may take to end

CLI = "import sys; from workbench.commands import main; sys.exit(main(sys.argv[1:]))"

# Prints "record_id seq" for each decision only after decide() returned: that line is the
# acknowledgement a user would see (the screen moving on).
DECIDER = """
import sys, time
from workbench.store import Store

store = Store(sys.argv[1])
run = sys.argv[2]
i = 0
while True:
    record = f"{run}-{i}"
    seq = store.decisions.decide("pii", record, "keep" if i % 2 else "reject", target=f"t{i % 3}")
    print(record, seq, flush=True)
    i += 1
    time.sleep(0.005)  # a fast expert, not a flood: the exports beside it read every decision
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    from workbench.services.project import Project

    root = tmp_path_factory.mktemp("kill")
    rng = random.Random(SEED)
    names = ["Anna Berg", "Boris Lind", "Carla Diaz", "Farid Omar", "Greta Holm", "Hiro Sato"]
    rows = []
    for i in range(1000):
        name = rng.choice(names)
        user = f"Hi, I am {name}, mail {name.split()[0].lower()}{i}@example.com, card 4111 1111 1111 1111. Order {i}?"
        rows.append({"messages": chat(user, f"Thanks {name}, order {i} ships tomorrow; call 555-01{i % 100:02d}."),
                     "category": rng.choice(["billing", "shipping"])})
    path = root / "project"
    Project.create(path, inputs=[write_jsonl(root / "chats.jsonl", rows)]).close()
    toml = path / "workbench.toml"
    # Patterns only (no spaCy model to load), two worker processes.
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[recipe.split]", '[[recipe.steps]]\nname = "pii"\nspacy_model = "none"\nprocesses = 2\n\n[recipe.split]'),
        encoding="utf-8")
    return path


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a live process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[2])


def running(pids) -> list[int]:
    """Those of `pids` still running (a zombie has ended: it only waits to be reaped)."""
    return [pid for pid in pids if (stat := proc_stat(pid)) is not None and stat[0] != "Z"]


def scan(match) -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit() and (stat := proc_stat(int(d))) and match(stat)]


def children_of(pid: int) -> list[int]:
    return scan(lambda stat: stat[1] == pid)


def in_group(pgid: int) -> list[int]:
    return scan(lambda stat: stat[2] == pgid and stat[0] != "Z")


def start(args: list[str], stdout=subprocess.DEVNULL) -> subprocess.Popen:
    env = {**os.environ, "WORKBENCH_PII_PARALLEL_MIN": "50", "WORKBENCH_RATER": "kill-test"}
    # Its own session: the victim and all it starts form one process group to look for afterwards.
    return subprocess.Popen([sys.executable, *args], stdout=stdout, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)


def wait_until_gone(pids: list[int], pgid: int) -> list[int]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while True:
        left = sorted(set(running(pids)) | set(in_group(pgid)))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def check_exports(project: Path) -> int:
    """Every export under a final name is whole: its report's hashes match its files."""
    finished = 0
    for folder in sorted((project / "exports").glob("*")):
        if folder.name.startswith("."):
            continue  # work in progress, under a temporary name
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        assert report["files"], folder
        for name, info in report["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"], folder / name
        assert (folder / "DATA_CARD.md").is_file()
        finished += 1
    return finished


def test_kill_9_loses_nothing_and_leaves_no_process(project: Path, tmp_path: Path):
    from workbench.store import Store

    rng = random.Random(SEED)
    db = project / ".workbench" / "workbench.db"
    acknowledged: list[tuple[str, int]] = []
    killed_with_workers = 0
    for n in range(ROUNDS):
        log = tmp_path / f"decider-{n}.txt"
        with open(log, "w", encoding="utf-8") as out:
            exporter = start(["-c", CLI, "export", str(project), "-q"])
            decider = start(["-c", DECIDER, str(db), f"run{n}"], stdout=out)
        t0 = time.monotonic()
        # Odd rounds kill the export only once its PII workers are there (at once, or a little
        # later: the scan, then the writing of the files); even rounds at any moment from the start.
        export_at = t0 + rng.uniform(0.0, 4.0) if n % 2 == 0 else None
        delay_after_fork = 0.0 if n == 1 else rng.uniform(0.0, 1.5)
        decider_at = t0 + rng.uniform(0.3, 3.0)
        seen: set[int] = set()
        while exporter.poll() is None or decider.poll() is None:
            now = time.monotonic()
            if exporter.poll() is None:
                kids = children_of(exporter.pid)
                seen.update(kids)
                if export_at is None and kids:
                    export_at = now + delay_after_fork
                if export_at is not None and now >= export_at:
                    killed_with_workers += bool(running(kids))
                    exporter.send_signal(signal.SIGKILL)
                    exporter.wait()
                assert now - t0 < 120, "the export never started its PII workers"
            if decider.poll() is None and now >= decider_at:
                decider.send_signal(signal.SIGKILL)
                decider.wait()
            time.sleep(0.02)
        assert wait_until_gone(sorted(seen), exporter.pid) == [], f"round {n}: the export's processes outlived it"
        assert wait_until_gone([], decider.pid) == [], f"round {n}: the decision writer's processes outlived it"
        lines = log.read_text(encoding="utf-8").split("\n")[:-1]  # a last line without its newline is not acknowledged
        acknowledged += [(record, int(seq)) for record, seq in (line.split() for line in lines)]

    assert killed_with_workers >= 1  # the case that left orphans did happen
    assert acknowledged  # the writers did get decisions committed before they were killed
    store = Store(db)
    stored = {(r["record_id"], r["seq"]) for r in store.db.execute("SELECT record_id, seq FROM decisions")}
    store.close()
    lost = [ack for ack in acknowledged if ack not in stored]
    assert lost == []
    check_exports(project)

    # After all that the project still exports, whole and with its leak check passed.
    done = subprocess.run([sys.executable, "-c", CLI, "export", str(project), "-q"], capture_output=True, text=True,
                          env={**os.environ, "WORKBENCH_PII_PARALLEL_MIN": "50"})
    assert done.returncode == 0, done.stderr
    assert check_exports(project) >= 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "ctrl-c"])
def test_term_or_ctrl_c_during_the_pii_workers_ends_all_quietly(project: Path, sig):
    exporter = subprocess.Popen([sys.executable, "-c", CLI, "export", str(project), "-q"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "WORKBENCH_PII_PARALLEL_MIN": "50"})
    kids: list[int] = []
    while not kids and exporter.poll() is None:
        kids = children_of(exporter.pid)
        time.sleep(0.02)
    assert kids, "the export never started its PII workers"
    if sig == signal.SIGINT:
        os.killpg(exporter.pid, sig)  # Ctrl-C in a terminal reaches the whole process group
    else:
        exporter.send_signal(sig)  # `kill PID`
    _, err = exporter.communicate(timeout=60)
    assert exporter.returncode == 130  # stopped, not finished
    assert "Traceback" not in err and "Error" not in err and "Exception" not in err, err
    assert wait_until_gone(kids, exporter.pid) == []
    check_exports(project)
