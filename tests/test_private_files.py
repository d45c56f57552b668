"""Protected at rest: a project and everything workbench writes in it are readable by its user only
(folders 0700, files 0600), exports too unless asked to be shared (0755/0644); the user's own
files keep their modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from conftest import SUPPORT_ROWS, write_jsonl
from workbench.commands import main
from workbench.embeddings import vectors as V
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.train.runs import Run

EXPORT_FILES = ["train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl", "DATA_CARD.md"]


@pytest.fixture(autouse=True)
def umask_022():
    """The usual umask, so files created with default modes would come out 0644/0755."""
    old = os.umask(0o022)
    yield
    assert os.umask(old) == 0o022, "workbench changed the process umask"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def modes(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, int]:
    """Every folder and file under `root` (itself included) and its mode."""
    out = {} if root in skip else {".": mode(root)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if path not in skip:
                out[str(path.relative_to(root))] = mode(path)
    return out


def assert_modes(root: Path, folder_mode: int, file_mode: int, skip: tuple[Path, ...] = ()) -> None:
    wrong = {name: oct(m) for name, m in modes(root, skip).items()
             if m != (folder_mode if (root / name).is_dir() else file_mode)}
    assert not wrong, f"not {oct(folder_mode)}/{oct(file_mode)}: {wrong}"


def project_with_everything(tmp_path: Path) -> tuple[Path, Path]:
    """A project made by `workbench init`, exported, with an embedding cache, a run folder and a
    decision log written inside it; its input file lies outside it, 0644."""
    src = write_jsonl(tmp_path / "inputs" / "support.jsonl", SUPPORT_ROWS)
    src.chmod(0o644)
    path = tmp_path / "p"
    assert main(["init", str(path), "--input", str(src)]) == 0
    assert main(["export", str(path), "-q"]) == 0
    project = Project.open(path)
    records = project.records()
    cache = V.embedding_cache(V.PACKAGED_MODEL, project.cache_dir)
    cache.put(V.cache_keys(records, V.record_texts(records, "user")),
              np.ones((records.height, 4), dtype=np.float32))
    run = Run.create(path, status="starting")
    run.append_metrics({"step": 1, "loss": 1.0})
    run.request_cancel()
    project.close()
    assert main(["decisions", "export", str(path), str(path / "decisions.jsonl")]) == 0
    return path, src


def test_a_new_project_and_its_export_are_private_to_the_user(tmp_path):
    path, src = project_with_everything(tmp_path)
    project = Project.open(path)  # held open: the store's -wal and -shm files exist
    project.store.log("looked")
    db = path / ".workbench" / "workbench.db"
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
    assert list((path / ".workbench" / "cache" / "embeddings").iterdir())
    assert list((path / "runs").iterdir())
    (export,) = (path / "exports").iterdir()
    assert (export / "train.jsonl").exists() and (export / ".workbench-export").exists()
    assert_modes(path, 0o700, 0o600)
    project.close()
    assert mode(src) == 0o644 and mode(src.parent) == 0o755  # the user's input, outside the project


def test_init_in_the_users_own_folder_keeps_its_mode_and_makes_what_is_in_it_private(tmp_path, support_jsonl):
    (tmp_path / "mine").mkdir(0o755)
    assert main(["init", str(tmp_path / "mine"), "--input", str(support_jsonl)]) == 0
    assert main(["init", str(tmp_path / "new" / "deeper" / "p")]) == 0
    assert mode(tmp_path / "mine") == 0o755  # the user's folder
    assert_modes(tmp_path / "mine", 0o700, 0o600, skip=(tmp_path / "mine",))
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "deeper") == 0o755  # as `mkdir -p` makes them
    assert_modes(tmp_path / "new" / "deeper" / "p", 0o700, 0o600)


def test_an_export_outside_the_project_is_private_and_shared_only_when_asked(tmp_path, capsys):
    path, _ = project_with_everything(tmp_path)
    assert main(["export", str(path), "--out", str(tmp_path / "new" / "private"), "-q"]) == 0
    assert_modes(tmp_path / "new", 0o700, 0o600)
    assert main(["export", str(path), "--out", str(tmp_path / "out" / "shared"), "--shared", "-q"]) == 0
    assert_modes(tmp_path / "out", 0o755, 0o644)
    # Modes are not content: the same files either way.
    for name in EXPORT_FILES:
        assert (tmp_path / "new" / "private" / name).read_bytes() == (tmp_path / "out" / "shared" / name).read_bytes()
    # Replacing a previous export (the atomic swap) gives the new export's modes.
    assert main(["export", str(path), "--out", str(tmp_path / "out" / "shared"), "--force", "-q"]) == 0
    assert mode(tmp_path / "out" / "shared") == 0o700
    assert_modes(tmp_path / "out" / "shared", 0o700, 0o600)
    assert main(["export", str(path), "--out", str(tmp_path / "new" / "private"), "--force", "--shared", "-q"]) == 0
    assert_modes(tmp_path / "new" / "private", 0o755, 0o644)


def test_a_shared_export_inside_the_private_project_says_others_cannot_reach_it(tmp_path, capsys):
    path, _ = project_with_everything(tmp_path)
    capsys.readouterr()
    assert main(["export", str(path), "--shared", "-q"]) == 0
    err = capsys.readouterr().err
    assert "note: the export is shared" in err and str(path.resolve()) in err.replace("\n", "")
    shared = max((path / "exports").iterdir())
    assert_modes(shared, 0o755, 0o644)
    assert mode(path / "exports") == 0o700  # made private by the first export, and left so
    assert main(["export", str(path), "-q"]) == 0
    assert "note:" not in capsys.readouterr().err


def test_stateless_export_is_private_unless_shared(tmp_path, support_jsonl):
    support_jsonl.chmod(0o644)
    assert main(["export", "--input", str(support_jsonl), "--out", str(tmp_path / "a"), "-q"]) == 0
    assert_modes(tmp_path / "a", 0o700, 0o600)
    assert main(["export", "--input", str(support_jsonl), "--out", str(tmp_path / "b"), "--shared", "-q"]) == 0
    assert_modes(tmp_path / "b", 0o755, 0o644)
    assert mode(support_jsonl) == 0o644


def test_the_project_setting_shares_exports_for_the_cli_and_the_tui(tmp_path):
    path, _ = project_with_everything(tmp_path)
    with open(path / "workbench.toml", "a", encoding="utf-8") as f:
        f.write("\n[export]\nshared = true\n")
    # The Train tab exports with export_project(project.path): the project setting decides.
    shared = export_project(path, tmp_path / "tui").out_dir
    assert_modes(shared, 0o755, 0o644)
    assert main(["export", str(path), "--out", str(tmp_path / "cli"), "-q"]) == 0
    assert_modes(tmp_path / "cli", 0o755, 0o644)
    assert main(["export", str(path), "--out", str(tmp_path / "private"), "--private", "-q"]) == 0
    assert_modes(tmp_path / "private", 0o700, 0o600)


def test_a_bad_shared_setting_is_an_error(tmp_path, capsys):
    path, _ = project_with_everything(tmp_path)
    with open(path / "workbench.toml", "a", encoding="utf-8") as f:
        f.write('\n[export]\nshared = "yes"\n')
    capsys.readouterr()
    assert main(["export", str(path), "--out", str(tmp_path / "out"), "-q"]) != 0
    err = capsys.readouterr().err
    assert "shared" in err and "true or false" in err
    assert not (tmp_path / "out").exists()


def test_opening_an_old_world_readable_project_tightens_its_state_but_not_the_users_files(tmp_path):
    inside = write_jsonl(tmp_path / "p" / "data" / "in.jsonl", SUPPORT_ROWS)  # the user's file, in the project
    project = Project.create(tmp_path / "p", [inside])
    project.close()
    # As a workbench before this change left it: everything world-readable.
    for folder, dirs, files in os.walk(tmp_path / "p"):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(Path(folder) / name, 0o644)
    state = tmp_path / "p" / ".workbench"
    db = state / "workbench.db"
    Path(f"{db}-wal").touch(0o644)  # left by a process that did not close the store
    os.chmod(f"{db}-wal", 0o644)
    project = Project.open(tmp_path / "p")
    project.store.log("opened")
    assert mode(state) == 0o700
    assert mode(db) == 0o600 and mode(Path(f"{db}-wal")) == 0o600 and mode(Path(f"{db}-shm")) == 0o600
    snapshot = project.latest_import()
    project.run()  # a new snapshot is private; the old ones are reachable only through .workbench/
    assert mode(project.latest().path) == 0o600 and mode(snapshot.path) == 0o644
    project.close()
    assert mode(tmp_path / "p") == 0o755  # the project folder and what the user keeps in it: untouched
    assert mode(tmp_path / "p" / "data") == 0o755 and mode(inside) == 0o644
    assert mode(tmp_path / "p" / "workbench.toml") == 0o644


def test_rewriting_the_recipe_keeps_the_config_files_mode(tmp_path, support_jsonl):
    from workbench.services.recipe_edit import set_step_params

    Project.create(tmp_path / "p", [support_jsonl]).close()
    config = tmp_path / "p" / "workbench.toml"
    assert mode(config) == 0o600
    config.chmod(0o640)
    set_step_params(config, "near_dedup", {"threshold": 0.7})
    assert "threshold = 0.7" in config.read_text() and mode(config) == 0o640


def test_the_pii_allow_list_file_the_pii_tab_writes_is_private(tmp_path):
    from workbench.steps.pii.step import add_to_allow_list

    allow = tmp_path / "project" / "pii_allow_list.txt"
    assert add_to_allow_list(allow, "Tempo Lite")
    assert mode(allow) == 0o600
