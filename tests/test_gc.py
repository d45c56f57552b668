"""Recipe snapshots and export leftovers are cleaned; nothing an export, run or rater uses is (issue 11)."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SUPPORT_ROWS, write_jsonl
from workbench.commands import main
from workbench.services.project import Project


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(folder.rglob("*"))}


def snapshot_ids(project: Path) -> list[str]:
    return sorted(p.stem for p in (project / ".workbench" / "snapshots").glob("s*.json"))


def snapshot_files(project: Path, sid: str) -> list[str]:
    return sorted(p.name for p in (project / ".workbench" / "snapshots").iterdir() if p.name.startswith(sid))


def export_of(project: Path, sid: str) -> Path:
    (folder,) = [f for f in (project / "exports").iterdir()
                 if json.loads((f / "report.json").read_text())["snapshot"] == sid]
    return folder


def out(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return " ".join((captured.out + captured.err).split())


@pytest.fixture
def worn_project(tmp_path, support_jsonl, capsys):
    """Seven exports (snapshots s0002..s0008), five of them deleted by the user since; a training
    run trained on the export of s0003 and a rater's comparison uses the one of s0004."""
    project = tmp_path / "p"
    assert main(["init", str(project), "--input", str(support_jsonl)]) == 0
    for _ in range(7):
        assert main(["export", str(project), "-q"]) == 0
    assert snapshot_ids(project) == ["s0001-import"] + [f"s{n:04d}-recipe" for n in range(2, 9)]
    run = project / "runs" / "20250101-000000"
    run.mkdir(parents=True)
    run_record = {"id": run.name, "status": "finished",
                  "export": {"folder": str(export_of(project, "s0003-recipe")), "snapshot": "s0003-recipe"}}
    (run / "run.json").write_text(json.dumps(run_record))
    p = Project.open(project)
    p.store.evals.add_model("run:old", "adapter", {"run": "old", "snapshot": "s0004-recipe"})
    p.close()
    for n in range(2, 7):
        shutil.rmtree(export_of(project, f"s{n:04d}-recipe"))
    capsys.readouterr()
    return project


def test_dry_run_reports_and_changes_nothing(worn_project, capsys):
    before = tree(worn_project)
    assert main(["gc", str(worn_project), "--dry-run"]) == 0
    text = out(capsys)
    assert tree(worn_project) == before
    for sid in ("s0002-recipe", "s0005-recipe"):
        assert sid in text
    assert "would remove 2 snapshots" in text and "B" in text  # with sizes
    assert "s0001-import" in text and "s0003-recipe" in text


def test_gc_keeps_imports_referenced_and_newest_snapshots(worn_project, capsys):
    assert main(["gc", str(worn_project)]) == 0
    text = out(capsys)
    assert "removed 2 snapshots" in text
    # s0002 and s0005: no export, run or comparison uses them and they are not among the newest 3.
    assert snapshot_ids(worn_project) == ["s0001-import", "s0003-recipe", "s0004-recipe", "s0006-recipe",
                                          "s0007-recipe", "s0008-recipe"]
    assert snapshot_files(worn_project, "s0002") == [] and snapshot_files(worn_project, "s0005") == []
    assert snapshot_files(worn_project, "s0003") == ["s0003-recipe.json", "s0003-recipe.parquet",
                                                     "s0003-recipe.removed.parquet"]
    assert main(["gc", str(worn_project)]) == 0
    assert "nothing to remove" in out(capsys)
    # The project still works and numbers new snapshots after the newest.
    assert main(["export", str(worn_project), "-q"]) == 0
    assert snapshot_ids(worn_project)[-1] == "s0009-recipe"


def test_every_export_cleans_old_snapshots(worn_project, capsys):
    assert main(["export", str(worn_project), "-q"]) == 0
    # newest 3 now s0007..s0009; s0006 lost its export, so it goes too.
    assert snapshot_ids(worn_project) == ["s0001-import", "s0003-recipe", "s0004-recipe", "s0007-recipe",
                                          "s0008-recipe", "s0009-recipe"]


def test_an_export_written_outside_the_project_keeps_its_snapshot(tmp_path, support_jsonl, capsys):
    project = tmp_path / "p"
    assert main(["init", str(project), "--input", str(support_jsonl)]) == 0
    assert main(["export", str(project), "--out", str(tmp_path / "shipped"), "-q"]) == 0
    shipped = json.loads((tmp_path / "shipped" / "report.json").read_text())["snapshot"]
    for _ in range(4):
        assert main(["export", str(project), "-q"]) == 0
    for folder in (project / "exports").iterdir():
        shutil.rmtree(folder)
    assert main(["gc", str(project)]) == 0
    assert shipped in snapshot_ids(project)
    assert len(snapshot_ids(project)) == 1 + 1 + 3


def test_import_snapshots_are_never_removed(tmp_path, support_jsonl, capsys):
    project = tmp_path / "p"
    assert main(["init", str(project), "--input", str(support_jsonl)]) == 0
    for n in range(5):
        more = write_jsonl(tmp_path / f"more{n}.jsonl", [SUPPORT_ROWS[0] | {"category": f"c{n}"}])
        assert main(["import", str(project), str(more), "--force"]) == 0
    for _ in range(5):
        assert main(["export", str(project), "-q"]) == 0
    shutil.rmtree(project / "exports")
    assert main(["gc", str(project)]) == 0
    ids = snapshot_ids(project)
    assert [s for s in ids if s.endswith("-import")] == [f"s{n:04d}-import" for n in range(1, 7)]
    assert [s for s in ids if s.endswith("-recipe")] == ["s0009-recipe", "s0010-recipe", "s0011-recipe"]


def test_gc_removes_export_leftovers_of_dead_processes_only(tmp_path, support_jsonl, capsys):
    project = tmp_path / "p"
    assert main(["init", str(project), "--input", str(support_jsonl)]) == 0
    assert main(["export", str(project), "-q"]) == 0
    (export_dir,) = (project / "exports").iterdir()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=60)
    leftover = project / "exports" / f".{export_dir.name}-2.tmp-{child.pid}"
    shutil.copytree(export_dir, leftover)
    mine = project / "exports" / f".notes.tmp-{child.pid}"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n")
    snap_leftover = project / ".workbench" / "snapshots" / f".s0009-recipe.parquet.tmp-{child.pid}"
    snap_leftover.write_bytes(b"PAR1 half a file")
    capsys.readouterr()
    assert main(["gc", str(project), "--dry-run"]) == 0
    text = out(capsys)
    assert leftover.name in text and snap_leftover.name in text and mine.name not in text
    assert leftover.exists() and snap_leftover.exists()
    assert main(["gc", str(project)]) == 0
    assert not leftover.exists() and not snap_leftover.exists()
    assert (mine / "notes.txt").read_text() == "mine\n"
    assert export_dir.is_dir()


def test_gc_of_a_folder_that_is_not_a_project(tmp_path, capsys):
    assert main(["gc", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "not a workbench project" in err and "Traceback" not in err
