"""The evaluation commands end to end on a tiny model: generate, compare, import-judgements,
eval report (text and JSON), report, export-preferences; clear errors; a cheap import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import write_jsonl
from test_eval_generate import eval_project, lively_model  # noqa: F401 (fixtures)
from test_eval_judgements import JUDGED
from workbench.commands import main
from workbench.evaluate.arena import Arena
from workbench.store import Store


def generate_args(project, *extra):
    return ["generate", str(project), "--run", "r1", "--base", "--general-file", str(project.parent / "general.jsonl"),
            "--max-new-tokens", "4", "--batch-size", "8", "--threads", "1", "-q", *extra]


def test_generate_then_compare_then_vote_then_report(eval_project, capsys, monkeypatch):
    assert main(generate_args(eval_project)) == 0
    err = capsys.readouterr().err
    assert "base: 11 new replies" in err and "run:r1: 11 new replies" in err and "next: workbench compare" in err
    assert main(generate_args(eval_project)) == 0
    assert "base: 0 new replies, 11 already stored" in capsys.readouterr().err

    opened = {}

    def fake_run_app(path, tab=None, rater=None):
        opened.update(path=path, tab=tab, rater=rater)

    monkeypatch.setattr("workbench.tui.app.run_app", fake_run_app)
    monkeypatch.setenv("WORKBENCH_RATER", "")  # so that the rater the command sets is undone after the test
    monkeypatch.delenv("WORKBENCH_RATER")
    assert main(["compare", str(eval_project), "--rater", "dana", "--per-category", "2"]) == 0
    assert opened == {"path": eval_project, "tab": "compare", "rater": "dana"}
    assert "10 pairs in this comparison (10 new)" in capsys.readouterr().err  # 2 in each of 5 categories

    store = Store(eval_project / ".workbench" / "workbench.db")
    arena = Arena(store, rater="dana")
    for choice in ("left", "right", "tie", "both_bad", "left", "skip"):
        arena.vote(arena.next_pair().pair_id, choice)
    store.close()

    assert main(["eval", "report", str(eval_project)]) == 0
    out = capsys.readouterr().out
    assert "base vs run:r1" in out and "Automated metrics" in out
    metrics_header = next(line for line in out.splitlines() if line.startswith("category"))
    assert metrics_header.split()[:5] == ["category", "model", "rouge_l", "exact_match", "length"]

    assert main(["eval", "report", str(eval_project), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (pair,) = result["pairs"]
    assert (pair["model_a"], pair["model_b"]) == ("base", "run:r1")
    assert pair["wins_a"] + pair["wins_b"] == 3 and pair["ties"] == 1 and pair["both_bad"] == 1
    assert result["metrics"]["models"] == ["base", "run:r1"] and "valid_json" in result["metrics"]["metrics"]

    prefs = eval_project.parent / "prefs.jsonl"
    assert main(["export-preferences", str(eval_project), "--out", str(prefs)]) == 0
    err = capsys.readouterr().err
    assert "wrote 3 preference pairs" in err and "1 both bad, 1 skips, 1 ties" in err
    assert len(prefs.read_text().splitlines()) == 3


def test_import_judgements_and_report_them(eval_project, capsys):
    file = write_jsonl(eval_project.parent / "judged.jsonl", JUDGED)
    assert main(["eval", "import-judgements", str(eval_project), str(file)]) == 0
    assert "4 judgements read" in capsys.readouterr().err
    assert main(["eval", "import-judgements", str(eval_project), str(file)]) == 0
    assert "0 votes stored, 4 already stored" in capsys.readouterr().err
    assert main(["eval", "report", str(eval_project), "--json"]) == 0
    (pair,) = json.loads(capsys.readouterr().out)["pairs"]
    assert (pair["model_a"], pair["model_b"], pair["wins_a"], pair["wins_b"]) == ("base", "tuned", 1, 1)


def test_a_bad_judgement_row_is_an_error_without_a_traceback(eval_project, capsys):
    file = eval_project.parent / "bad.jsonl"
    file.write_text(json.dumps(JUDGED[0]) + "\n" + json.dumps(dict(JUDGED[1], winner="left")) + "\n")
    assert main(["eval", "import-judgements", str(eval_project), str(file)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2: \"winner\" is 'left'" in err and "Traceback" not in err


def test_compare_without_replies_says_what_to_run(eval_project, capsys):
    assert main(["compare", str(eval_project), "--no-tui"]) == 1
    assert "run `workbench generate PROJECT --base --run RUN_ID` first" in capsys.readouterr().err


def test_report_writes_the_files(eval_project, capsys):
    pytest.importorskip("workbench.evaluate.report")
    out = eval_project.parent / "report"
    assert main(["report", str(eval_project), "--out", str(out)]) == 0
    assert (out / "report.md").is_file() and (out / "report.html").is_file()


def test_report_and_preferences_never_replace_a_file_without_force(eval_project, capsys):
    out = eval_project.parent / "mine"
    out.mkdir()
    (out / "report.md").write_text("my own notes\n", encoding="utf-8")
    prefs = eval_project.parent / "prefs.jsonl"
    prefs.write_text("my own pairs\n", encoding="utf-8")
    assert main(["report", str(eval_project), "--out", str(out)]) == 2
    assert main(["export-preferences", str(eval_project), "--out", str(prefs)]) == 2
    err = capsys.readouterr().err
    assert err.count("exists; pass --force to replace it") == 2 and "Traceback" not in err
    assert (out / "report.md").read_text(encoding="utf-8") == "my own notes\n"
    assert not (out / "report.html").exists()
    assert prefs.read_text(encoding="utf-8") == "my own pairs\n"
    assert main(["export-preferences", str(eval_project), "--out", str(prefs), "--force"]) == 0
    assert prefs.read_text(encoding="utf-8") != "my own pairs\n"


def test_not_a_project_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", "report", str(tmp_path)]) == 1
    assert "not a workbench project" in capsys.readouterr().err


def test_importing_the_eval_commands_loads_nothing_heavy():
    code = ("import workbench.commands.evaluate, sys, json\n"
            "print(json.dumps([m for m in ('torch', 'transformers', 'peft', 'rouge_score', 'numpy', 'polars', "
            "'textual') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
