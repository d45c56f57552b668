import json
from pathlib import Path

import polars as pl
import pytest

from conftest import SUPPORT_ROWS, chat, write_jsonl
from workbench.commands import main
from workbench.services.headless import export_files, export_project
from workbench.services.project import Project

FILES = ["train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl", "DATA_CARD.md"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def many_rows(n=60):
    cats = ["billing", "account", "shipping"]
    return [{"messages": chat(f"Question {i} about {cats[i % 3]}", f"Answer {i}."), "category": cats[i % 3]}
            for i in range(n)]


def test_same_input_recipe_and_decisions_give_byte_identical_exports(tmp_path, support_jsonl):
    a = export_files([support_jsonl], tmp_path / "a")
    b = export_files([support_jsonl], tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    ra, rb = a.report, b.report
    ra.pop("created_at"), rb.pop("created_at")
    assert ra == rb


def test_project_exports_are_identical_across_runs_and_keep_decisions(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", many_rows())
    project = Project.create(tmp_path / "p", [src])
    rid = project.records().get_column("id")[5]
    project.store.decisions.decide("validate", rid, "drop", reason="policy changed", rater="ana")
    project.close()
    one = export_project(tmp_path / "p", tmp_path / "one")
    two = export_project(tmp_path / "p", tmp_path / "two")
    for name in FILES:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    removed = read_jsonl(tmp_path / "one" / "removed.jsonl")
    assert [(r["id"], r["reason"]) for r in removed] == [(rid, "policy changed")]
    # 59 rows in categories of 20, 20 and 19: round(0.15 * n) = 3 held out from each.
    assert one.report["splits"] == {"train": 50, "holdout": 9} == two.report["splits"]


def test_removed_and_quarantine_files_explain_every_missing_row(tmp_path, support_jsonl):
    export_files([support_jsonl], tmp_path / "out")
    out = tmp_path / "out"
    train, holdout = read_jsonl(out / "train.jsonl"), read_jsonl(out / "holdout.jsonl")
    removed, quarantine = read_jsonl(out / "removed.jsonl"), read_jsonl(out / "quarantine.jsonl")
    # 8 input rows = exported + removed + quarantined: nothing lost silently.
    assert len(train) + len(holdout) + len(removed) + len(quarantine) == len(SUPPORT_ROWS)
    (dup,) = removed
    assert dup["reason"] == "exact_duplicate" and dup["source_line"] == 3 and dup["step"] == "exact_dedup"
    assert set(dup) == {"id", "source_file", "source_line", "step", "reason", "detail"}
    assert dup["detail"]["duplicate_of"] and dup["detail"]["similarity"] == 1.0
    assert sorted(q["line"] for q in quarantine) == [5, 7]
    assert all(q["file"] == str(support_jsonl) and q["reason"] for q in quarantine)
    assert train[0] == {"messages": SUPPORT_ROWS[0]["messages"]} or holdout
    report = json.loads((out / "report.json").read_text())
    assert report["rows_in"] == 6 and report["quarantined"] == 2
    assert report["steps"][1] == {"name": "exact_dedup", "rows_in": 6, "rows_out": 5,
                                  "removed": {"exact_duplicate": 1}, "edited": 0, "flagged": 0,
                                  "human_overrides": 0, "protected": 0, "stats": {"groups": 1}}
    assert report["categories"]["billing"]["total"] == 2
    assert report["splits"]["train"] + report["splits"]["holdout"] == 5
    assert len(report["input_hash"]) == 64 and len(report["recipe_hash"]) == 64
    card = (out / "DATA_CARD.md").read_text()
    assert "exact_duplicate: 1" in card and "| billing |" in card and str(support_jsonl) in card


@pytest.mark.parametrize("fmt,first_key", [("openai", "messages"), ("sharegpt", "conversations"),
                                           ("alpaca", "instruction")])
def test_other_formats_and_meta(tmp_path, fmt, first_key):
    rows = many_rows(20)
    rows[0]["messages"] = [{"role": "system", "content": "Be brief."}] + rows[0]["messages"]
    rows[1]["ticket"] = {"number": 42, "channel": "email"}  # a field no importer maps: kept in meta
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    export_files([src], tmp_path / fmt, out_format=fmt, with_meta=True)
    out = read_jsonl(tmp_path / fmt / "train.jsonl") + read_jsonl(tmp_path / fmt / "holdout.jsonl")
    assert len(out) == 20 and all(first_key in row for row in out)
    assert all({"id", "category", "origin", "meta"} <= set(row) for row in out)
    metas = sorted(json.loads(row["meta"]) for row in out if row["meta"] != "{}")
    assert metas == [{"ticket": {"number": 42, "channel": "email"}}]
    if fmt == "sharegpt":
        with_system = [r for r in out if r["conversations"][0]["from"] == "system"]
        assert [t["from"] for t in with_system[0]["conversations"]] == ["system", "human", "gpt"]
    if fmt == "alpaca":
        with_system = [r for r in out if "system" in r]
        assert with_system[0]["system"] == "Be brief." and with_system[0]["output"] == "Answer 0."


def test_parquet_format(tmp_path, support_jsonl):
    export_files([support_jsonl], tmp_path / "pq", out_format="parquet")
    df = pl.read_parquet(tmp_path / "pq" / "train.parquet")
    assert df.columns == ["messages"] and df.height > 0


def test_multi_turn_alpaca_keeps_history(tmp_path):
    msgs = chat("first q", "first a") + chat("second q", "second a")
    src = write_jsonl(tmp_path / "in.jsonl", [{"messages": msgs}])
    export_files([src], tmp_path / "al", out_format="alpaca", recipe=None)
    (row,) = read_jsonl(tmp_path / "al" / "train.jsonl") + read_jsonl(tmp_path / "al" / "holdout.jsonl")
    assert row == {"instruction": "second q", "input": "", "output": "second a",
                   "history": [["first q", "first a"]]}


def test_failed_export_leaves_no_folder_and_keeps_the_old_one(tmp_path, support_jsonl, monkeypatch):
    export_files([support_jsonl], tmp_path / "out")
    before = (tmp_path / "out" / "train.jsonl").read_bytes()
    import workbench.export.folder as ex

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(ex, "data_card", boom)
    with pytest.raises(OSError):
        export_files([support_jsonl], tmp_path / "out", replace=True)
    assert (tmp_path / "out" / "train.jsonl").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stateless_cli_export_with_recipe_file(tmp_path, support_jsonl, capsys):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[[steps]]\nname = "validate"\nmax_chars = 80\n\n[split]\nholdout = 0.5\nseed = 3\n')
    rc = main(["export", "--input", str(support_jsonl), "--recipe", str(recipe), "--out", str(tmp_path / "o"), "-q"])
    assert rc == 0
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [s["name"] for s in report["steps"]] == ["validate"]
    assert report["removed"]["by_reason"] == {"too_long_chars": 1}  # only the 90-character one
    assert report["recipe"]["split"] == {"holdout": 0.5, "seed": 3, "stratify": True}
