import json
import os
import subprocess
import sys

from conftest import SUPPORT_ROWS, write_jsonl
from workbench.commands import main
from workbench.services.project import Project


def test_init_import_export_round_trip(tmp_path, support_jsonl, capsys):
    assert main(["init", str(tmp_path / "p"), "--input", str(support_jsonl)]) == 0
    err = capsys.readouterr().err
    assert "6 rows imported" in err and "2 quarantined" in err
    more = write_jsonl(tmp_path / "more.jsonl", [SUPPORT_ROWS[1] | {"category": "billing"},
                                                 {"messages": [{"role": "user", "content": "New q"},
                                                               {"role": "assistant", "content": "New a"}]}])
    assert main(["import", str(tmp_path / "p"), str(more)]) == 0
    assert "imported 2 rows" in capsys.readouterr().err
    p = Project.open(tmp_path / "p")
    assert p.records().height == 8 and p.records().get_column("id").is_unique().all()
    assert [i["path"] for i in p.config["inputs"]] == [str(support_jsonl), str(more)]
    p.close()
    assert main(["export", str(tmp_path / "p"), "-q"]) == 0
    (export_dir,) = (tmp_path / "p" / "exports").iterdir()
    report = json.loads((export_dir / "report.json").read_text())
    assert report["removed"]["by_reason"] == {"exact_duplicate": 2}
    assert report["project"] == "p"


def test_reimporting_the_same_file_is_refused_without_force(tmp_path, support_jsonl, capsys):
    main(["init", str(tmp_path / "p"), "--input", str(support_jsonl)])
    capsys.readouterr()
    assert main(["import", str(tmp_path / "p"), str(support_jsonl)]) != 0
    assert "already imported" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "p"), str(support_jsonl), "--force"]) == 0


def test_unreadable_file_changes_nothing_and_exits_non_zero(tmp_path, support_jsonl, capsys):
    main(["init", str(tmp_path / "p"), "--input", str(support_jsonl)])
    before = (tmp_path / "p" / "workbench.toml").read_text()
    snaps = sorted(os.listdir(tmp_path / "p" / ".workbench" / "snapshots"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    capsys.readouterr()
    assert main(["import", str(tmp_path / "p"), str(support_jsonl.parent / "more.jsonl"), str(empty)]) != 0
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert (tmp_path / "p" / "workbench.toml").read_text() == before
    assert sorted(os.listdir(tmp_path / "p" / ".workbench" / "snapshots")) == snaps


def test_init_with_a_bad_file_creates_no_project(tmp_path, capsys):
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["init", str(tmp_path / "p"), "--input", str(binary)]) != 0
    assert str(binary) in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_export_of_a_folder_that_is_not_a_project(tmp_path, capsys):
    assert main(["export", str(tmp_path), "-q"]) != 0
    assert "not a workbench project" in capsys.readouterr().err


def test_bad_recipe_in_project_is_reported_with_the_file(tmp_path, support_jsonl, capsys):
    main(["init", str(tmp_path / "p"), "--input", str(support_jsonl)])
    toml = tmp_path / "p" / "workbench.toml"
    toml.write_text(toml.read_text().replace('name = "exact_dedup"', 'name = "exact_dedup"\nthreshold = 0.9'))
    capsys.readouterr()
    assert main(["export", str(tmp_path / "p"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "workbench.toml" in err and "threshold" in err


def test_console_script_runs_and_reports_errors_without_traceback(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "workbench")
    proc = subprocess.run([exe, "export", "--input", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "missing.jsonl" in proc.stderr and "Traceback" not in proc.stderr
    version = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "workbench" in version.stdout


def test_input_format_is_the_same_flag_in_every_command_and_the_error_suggests_it(tmp_path, capsys):
    # A JSON file whose keys no importer knows: the error names the flag that works, and it does.
    rows = [{"question_text": f"Question {i}?", "answer_text": f"Answer {i}."} for i in range(3)]
    src = write_jsonl(tmp_path / "odd.jsonl", rows)
    assert main(["init", str(tmp_path / "p"), "--input", str(src)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--input-format NAME" in err and "--format NAME" not in err
    mapping = ["--map", "prompt=question_text", "--map", "response=answer_text"]
    assert main(["init", str(tmp_path / "p"), "--input", str(src), "--input-format", "prompt_completion",
                 *mapping]) == 0
    assert main(["export", "--input", str(src), "--input-format", "prompt_completion", *mapping,
                 "--out", str(tmp_path / "out"), "--format", "sharegpt", "-q"]) == 0
    assert (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").startswith('{"conversations"')
    # The old spelling still reads the input, and says which flag it is now.
    capsys.readouterr()
    assert main(["init", str(tmp_path / "q"), "--input", str(src), "--format", "prompt_completion", *mapping]) == 0
    assert "--input-format prompt_completion" in " ".join(capsys.readouterr().err.split())
