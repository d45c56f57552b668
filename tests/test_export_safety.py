"""`workbench export --out` never deletes what workbench did not write (issue 11, cases 1, 9 and 11).

Every refusal is checked the way a user would: the exit code, a one-line message without a
traceback, and every file in the folder unchanged (hashed before and after).
"""

import hashlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SUPPORT_ROWS, write_jsonl
from workbench.commands import main

MARKER = ".workbench-export"
EXPORT_FILES = {"train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl", "report.json", "DATA_CARD.md",
                MARKER}


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder below `folder`, hidden ones too, with the sha256 of each file."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(folder.rglob("*"))}


def error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().startswith("error:"), err
    return " ".join(err.split())


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def recipe(tmp_path: Path, holdout: float) -> Path:
    path = tmp_path / f"recipe-{holdout}.toml"
    path.write_text(f'[[steps]]\nname = "validate"\n\n[split]\nholdout = {holdout}\nseed = 1\n', encoding="utf-8")
    return path


def export(src: Path, out: Path, *extra: str) -> int:
    return main(["export", "--input", str(src), "--out", str(out), "-q", *extra])


@pytest.fixture
def project(tmp_path, support_jsonl, capsys):
    assert main(["init", str(tmp_path / "p"), "--input", str(support_jsonl)]) == 0
    capsys.readouterr()
    return tmp_path / "p"


# -- folders that are never written into -----------------------------------------------------------

@pytest.mark.parametrize("force", [[], ["--force"]])
def test_export_into_the_project_folder_is_refused_and_keeps_the_project(project, tmp_path, capsys, force):
    before = tree(tmp_path)
    assert main(["export", str(project), "--out", str(project), "-q", *force]) == 2
    err = error(capsys)
    assert "project" in err and str(project) in err
    assert tree(tmp_path) == before
    assert (project / "workbench.toml").is_file() and (project / ".workbench" / "workbench.db").is_file()


def test_a_folder_holding_a_project_is_refused(project, tmp_path, capsys):
    before = tree(tmp_path)
    assert main(["export", str(project), "--out", str(tmp_path), "-q", "--force"]) == 2
    assert "project" in error(capsys)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_the_folder_of_an_input_file_is_refused(tmp_path, capsys, force):
    data = tmp_path / "data"
    src = write_jsonl(data / "s.jsonl", SUPPORT_ROWS)
    before = tree(tmp_path)
    assert export(src, data, *force) == 2
    err = error(capsys)
    assert "input file" in err and "s.jsonl" in err
    assert tree(tmp_path) == before


def test_the_folder_of_a_project_input_is_refused(tmp_path, capsys):
    src = write_jsonl(tmp_path / "data" / "s.jsonl", SUPPORT_ROWS)
    assert main(["init", str(tmp_path / "p"), "--input", str(src)]) == 0
    capsys.readouterr()
    before = tree(tmp_path)
    assert main(["export", str(tmp_path / "p"), "--out", str(tmp_path / "data"), "-q", "--force"]) == 2
    assert "input file" in error(capsys)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_the_user_made_is_never_replaced(tmp_path, support_jsonl, capsys, force):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes\n")
    (mine / "sub" / "train.jsonl").write_text("{}\n")
    before = tree(tmp_path)
    assert export(support_jsonl, mine, *force) == 2
    err = error(capsys)
    assert "not empty" in err and "not a workbench export" in err
    assert tree(tmp_path) == before


def test_files_the_user_added_to_a_previous_export_keep_it(tmp_path, support_jsonl, capsys):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    (out / "notes.md").write_text("what I found in this export\n")
    capsys.readouterr()
    before = tree(tmp_path)
    assert export(support_jsonl, out, "--force") == 2
    assert "notes.md" in error(capsys)
    assert tree(tmp_path) == before


def test_an_input_inside_a_previous_export_is_kept(tmp_path, support_jsonl, capsys):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    capsys.readouterr()
    before = tree(tmp_path)
    # Re-curating an export's own train file into the same folder would delete the input.
    assert export(out / "train.jsonl", out, "--force") == 2
    assert "input file" in error(capsys)
    assert tree(tmp_path) == before


def test_a_project_made_inside_a_previous_export_is_kept(tmp_path, support_jsonl, capsys):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    assert main(["init", str(out / "work" / "p"), "--input", str(support_jsonl)]) == 0
    capsys.readouterr()
    before = tree(tmp_path)
    assert export(support_jsonl, out, "--force") == 2
    assert "work" in error(capsys)
    assert tree(tmp_path) == before


def test_the_current_folder_is_refused_even_when_empty(tmp_path, support_jsonl, capsys, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert export(support_jsonl, Path(".")) == 2
    assert "current folder" in error(capsys)
    assert list(here.iterdir()) == []


def test_the_current_folder_is_refused_even_when_it_is_an_export(tmp_path, support_jsonl, capsys, monkeypatch):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    capsys.readouterr()
    before = tree(tmp_path)
    monkeypatch.chdir(out)
    assert export(support_jsonl, Path("."), "--force") == 2
    assert "current folder" in error(capsys)
    assert tree(tmp_path) == before


def test_a_file_is_refused(tmp_path, support_jsonl, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me\n")
    before = tree(tmp_path)
    assert export(support_jsonl, target, "--force") == 2
    assert "not a folder" in error(capsys)
    assert tree(tmp_path) == before


def test_a_device_is_refused(support_jsonl, capsys):
    assert export(support_jsonl, Path("/dev/null"), "--force") == 2
    assert "not a folder" in error(capsys)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_path_that_cannot_be_created_is_refused(tmp_path, support_jsonl, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me\n")
    before = tree(tmp_path)
    assert export(support_jsonl, blocker / "out") == 2
    err = error(capsys)
    assert "cannot be created" in err and "notes.txt" in err
    assert tree(tmp_path) == before


def test_a_refused_project_export_adds_no_snapshot(project, tmp_path, capsys):
    snapshots = sorted(os.listdir(project / ".workbench" / "snapshots"))
    assert main(["export", str(project), "--out", str(tmp_path), "-q"]) == 2
    capsys.readouterr()
    assert sorted(os.listdir(project / ".workbench" / "snapshots")) == snapshots


# -- folders that are written into ----------------------------------------------------------------

def test_an_empty_folder_is_written_into(tmp_path, support_jsonl):
    out = tmp_path / "empty"
    out.mkdir()
    assert export(support_jsonl, out) == 0
    assert {p.name for p in out.iterdir()} == EXPORT_FILES
    assert hidden(tmp_path) == []


def test_the_marker_keeps_exports_byte_identical(tmp_path, support_jsonl):
    assert export(support_jsonl, tmp_path / "a") == 0
    assert export(support_jsonl, tmp_path / "b") == 0
    for name in EXPORT_FILES - {"report.json"}:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    marker = json.loads((tmp_path / "a" / MARKER).read_text())
    assert marker["workbench_version"] and set(marker["files"]) == EXPORT_FILES - {MARKER}


def test_a_previous_export_is_not_replaced_without_force_or_a_terminal(tmp_path, support_jsonl, capsys):
    out = tmp_path / "out"
    plan = recipe(tmp_path, 0.5)
    assert export(support_jsonl, out) == 0
    capsys.readouterr()
    before = tree(tmp_path)
    assert export(support_jsonl, out, "--recipe", str(plan)) == 2
    err = error(capsys)
    assert "previous workbench export" in err and "--force" in err
    assert tree(tmp_path) == before


def test_force_replaces_a_previous_export(tmp_path, support_jsonl):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    assert export(support_jsonl, out, "--force", "--recipe", str(recipe(tmp_path, 0.5))) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["recipe"]["split"]["holdout"] == 0.5
    assert {p.name for p in out.iterdir()} == EXPORT_FILES
    assert hidden(tmp_path) == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer,rc,holdout", [("n\n", 2, 0.15), ("y\n", 0, 0.5)])
def test_a_terminal_asks_before_replacing(tmp_path, support_jsonl, capsys, monkeypatch, answer, rc, holdout):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    assert export(support_jsonl, out, "--recipe", str(recipe(tmp_path, 0.5))) == rc
    captured = capsys.readouterr()
    assert "Replace" in captured.out and "Traceback" not in captured.err
    assert json.loads((out / "report.json").read_text())["recipe"]["split"]["holdout"] == holdout
    assert hidden(tmp_path) == []


def test_default_export_folder_is_unchanged(project, capsys):
    assert main(["export", str(project), "-q"]) == 0
    assert main(["export", str(project), "-q"]) == 0
    first, second = sorted((project / "exports").iterdir())
    assert {p.name for p in first.iterdir()} == EXPORT_FILES == {p.name for p in second.iterdir()}


def test_help_says_what_happens_to_an_existing_folder(capsys):
    assert main(["export", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Replaced whole" not in text
    assert "previous workbench export" in text and "--force" in text


# -- a killed export ------------------------------------------------------------------------------

KILLER = """
import os, signal, sys
import workbench.export.folder as ex
from workbench.commands import main

point, args = sys.argv[1], sys.argv[2:]
def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "writing":          # half-way through writing the new files
    ex.data_card = die
elif point == "swapped":        # the new export is in place, the old one not yet removed
    ex.remove_export_folder = die
elif point == "removing":       # one file of the old export removed, the rest not
    remove, real_unlink, state = ex.remove_export_folder, os.unlink, {"on": False, "n": 0}
    def unlink(path, *a, **k):
        if state["on"]:
            state["n"] += 1
            if state["n"] == 2:
                die()
        return real_unlink(path, *a, **k)
    def removing(folder):
        state["on"] = True
        return remove(folder)
    os.unlink, ex.remove_export_folder = unlink, removing
sys.exit(main(args))
"""


def killed(point: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLER, point, *args], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("point,holdout", [("writing", 0.15), ("swapped", 0.5), ("removing", 0.5)])
def test_a_kill_leaves_one_complete_export_and_the_next_export_cleans_up(tmp_path, support_jsonl, point, holdout):
    out = tmp_path / "out"
    assert export(support_jsonl, out) == 0
    old = tree(out)
    proc = killed(point, "export", "--input", str(support_jsonl), "--out", str(out), "-q", "--force",
                  "--recipe", str(recipe(tmp_path, 0.5)))
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # Under the final name: the old export or the new one, complete.
    assert {p.name for p in out.iterdir()} == EXPORT_FILES
    report = json.loads((out / "report.json").read_text())
    assert report["recipe"]["split"]["holdout"] == holdout
    if point == "writing":
        assert tree(out) == old
    leftovers = hidden(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].startswith(".out.tmp-"), leftovers
    survivor = tree(out)
    assert export(support_jsonl, tmp_path / "other") == 0  # an export next to it tidies up
    assert hidden(tmp_path) == []
    assert tree(out) == survivor


def test_a_killed_project_export_leaves_nothing_after_the_next_export(project):
    proc = killed("writing", "export", str(project), "-q")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    (leftover,) = (project / "exports").iterdir()
    assert leftover.name.startswith(".") and ".tmp-" in leftover.name
    assert main(["export", str(project), "-q"]) == 0
    (export_dir,) = (project / "exports").iterdir()
    assert not export_dir.name.startswith(".")
    assert {p.name for p in export_dir.iterdir()} == EXPORT_FILES


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=60)
    return child.pid


def fake_leftover(folder: Path, files: dict[str, str], marker: bool) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    if marker:
        (folder / MARKER).write_text(json.dumps({"files": sorted(files), "workbench_version": "0"}))
    return folder


def test_only_workbench_leftovers_of_dead_processes_are_removed(project, capsys):
    exports = project / "exports"
    gone = dead_pid()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        fake_leftover(exports / f".20250101-000000.tmp-{gone}", {"train.jsonl": "{}\n"}, marker=True)
        fake_leftover(exports / f".20250101-000001.old-{gone}", {"train.jsonl": "{}\n"}, marker=True)
        fake_leftover(exports / f".20250101-000002.tmp-{alive.pid}", {"train.jsonl": "{}\n"}, marker=True)
        fake_leftover(exports / f".mine.tmp-{gone}", {"notes.txt": "mine\n"}, marker=False)
        fake_leftover(exports / f".20250101-000003.tmp-{gone}", {"train.jsonl": "{}\n", "notes.txt": "mine\n"},
                      marker=False)
        kept = {name: tree(exports / name) for name in
                (f".20250101-000002.tmp-{alive.pid}", f".mine.tmp-{gone}", f".20250101-000003.tmp-{gone}")}
        assert main(["export", str(project), "-q"]) == 0
        names = {p.name for p in exports.iterdir()}
        assert f".20250101-000000.tmp-{gone}" not in names
        # An export renamed aside whose replacement never arrived goes back under its name.
        assert f".20250101-000001.old-{gone}" not in names and "20250101-000001" in names
        for name, files in kept.items():
            assert tree(exports / name) == files, name
    finally:
        alive.kill()
        alive.wait(timeout=60)
