"""The leak check after an export: clean exports pass, a planted leak fails `workbench export`
(unless --allow-leaks), and report.json says what was found without naming the values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import chat, pii_recipe, write_jsonl

from workbench.commands import main
from workbench.errors import LeakFound
from workbench.services.headless import export_files, export_project
from workbench.services.project import Project
from workbench.steps.pii.findings import span_key

ROWS = [
    {"messages": chat("My email is ana.dias@example.org, please update it.", "Done, ana.dias@example.org is saved."),
     "category": "account"},
    {"messages": chat("Card 4111 1111 1111 1111 was charged twice.", "I have refunded the second charge."),
     "category": "billing"},
    {"messages": chat("Where is my parcel?", "It left our warehouse yesterday."), "category": "shipping"},
]




def exported_text(out: Path) -> str:
    return (out / "train.jsonl").read_text(encoding="utf-8") + (out / "holdout.jsonl").read_text(encoding="utf-8")


def test_a_clean_export_reports_no_leak(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    result = export_files([src], tmp_path / "out", recipe_path=pii_recipe(tmp_path))
    check = json.loads((tmp_path / "out" / "report.json").read_text())["leak_check"]
    assert check["leaked"] is False and check["still_found"] == {} and check["originals_found"] == 0
    assert check["originals_checked"] == 2  # the email and the card
    assert check["files"] == ["train.jsonl", "holdout.jsonl", "quarantine.jsonl"]
    assert result.report["leak_check"] == check
    text = exported_text(tmp_path / "out")
    assert "ana.dias@example.org" not in text and "<EMAIL_ADDRESS>" in text and "<CREDIT_CARD>" in text
    card = (tmp_path / "out" / "DATA_CARD.md").read_text(encoding="utf-8")
    assert "## Personal data leak check" in card
    assert "Passed: none of the 2 personal values recorded and scrubbed" in card


def test_quarantined_rows_lose_their_personal_data_and_are_leak_checked(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(row) for row in ROWS]
    lines.insert(1, '{"messages": [{"role": "user", "content": "I am bo@example.com, call 415-555-0198"')  # cut off
    lines.insert(2, '{"messages": "not a list, from cy@example.com"}')
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    export_files([src], tmp_path / "out", recipe_path=pii_recipe(tmp_path))
    rows = [json.loads(line) for line in (tmp_path / "out" / "quarantine.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rows] == [2, 3]
    text = json.dumps(rows)
    assert "bo@example.com" not in text and "415-555-0198" not in text and "cy@example.com" not in text
    assert "I am <EMAIL_ADDRESS>, call <PHONE_NUMBER>" in rows[0]["raw"]
    assert all("personal data removed from the raw text" in r["reason"] for r in rows)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["leak_check"]["leaked"] is False and report["leak_check"]["quarantine_rows_scrubbed"] == 2
    card = (tmp_path / "out" / "DATA_CARD.md").read_text(encoding="utf-8")
    assert "Personal data was removed from the raw text of 2 quarantined row(s)." in card

    # drop_row mode withholds the raw text; without a pii step nothing changes.
    export_files([src], tmp_path / "out2", recipe_path=pii_recipe(tmp_path, mode="drop_row"))
    rows = [json.loads(line) for line in (tmp_path / "out2" / "quarantine.jsonl").read_text().splitlines()]
    assert [r["raw"] for r in rows] == ["", ""]
    plain = tmp_path / "plain.toml"
    plain.write_text('[[steps]]\nname = "validate"\n', encoding="utf-8")
    export_files([src], tmp_path / "out3", recipe_path=plain)
    assert "bo@example.com" in (tmp_path / "out3" / "quarantine.jsonl").read_text()


def test_a_leak_in_the_quarantine_fails_the_check(tmp_path, monkeypatch):
    from workbench.steps.pii import leak

    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([json.dumps(ROWS[0]), '{"messages": "broken, ana.dias@example.org"}']) + "\n",
                   encoding="utf-8")
    monkeypatch.setattr(leak, "scrub_quarantine", lambda quarantine, *a, **k: quarantine)  # a bug planted
    monkeypatch.setattr("workbench.services.headless.scrub_quarantine", leak.scrub_quarantine)
    assert main(["export", "--input", str(src), "--out", str(tmp_path / "out"), "--recipe",
                 str(pii_recipe(tmp_path)), "-q"]) == LeakFound.exit_code
    check = json.loads((tmp_path / "out" / "report.json").read_text())["leak_check"]
    assert {"file": "quarantine.jsonl", "line": 1, "entity": "EMAIL_ADDRESS", "kind": "original"} in check["places"]
    card = (tmp_path / "out" / "DATA_CARD.md").read_text(encoding="utf-8")
    assert "**Leak check failed**" in card and "`quarantine.jsonl:1`" in card


def test_a_planted_leak_fails_the_export_and_allow_leaks_keeps_it(tmp_path, capsys):
    # Only user turns are scrubbed, so the assistant's copy of the email stays: a leak.
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    args = ["export", "--input", str(src), "--out", str(tmp_path / "out"), "--recipe",
            str(pii_recipe(tmp_path, turns="user")), "-q"]
    assert main(args) == LeakFound.exit_code
    err = capsys.readouterr().err
    assert "leak check failed" in err and "--allow-leaks" in err and "train.jsonl:1" in " ".join(err.split())
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    check = report["leak_check"]
    assert check["leaked"] is True and check["allowed"] is False
    assert check["originals_found"] == 1 and check["originals_found_by_entity"] == {"EMAIL_ADDRESS": 1}
    assert check["still_found"] == {"EMAIL_ADDRESS": 1}
    assert {"file": "train.jsonl", "line": 1, "entity": "EMAIL_ADDRESS", "kind": "original"} in check["places"]
    assert "ana.dias@example.org" not in json.dumps(report)  # the report never names a value

    assert main([*args, "--allow-leaks", "--force"]) == 0  # replaces the export it just wrote
    out = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "kept because of --allow-leaks" in out
    check = json.loads((tmp_path / "out" / "report.json").read_text())["leak_check"]
    assert check["leaked"] is True and check["allowed"] is True


def test_no_pii_step_no_leak_check(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    plain = tmp_path / "plain.toml"
    plain.write_text('[[steps]]\nname = "validate"\n', encoding="utf-8")
    result = export_files([src], tmp_path / "out", recipe_path=plain)
    assert "leak_check" not in result.report


def test_a_value_the_reviewer_kept_is_not_a_leak(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    project = Project.create(tmp_path / "p", [src])
    config = project.path / "workbench.toml"
    config.write_text(config.read_text().replace(
        "[recipe.split]", '[[recipe.steps]]\nname = "pii"\nspacy_model = "none"\n\n[recipe.split]'))
    project.run()
    card = next(r for r in project.store.pii.findings() if r["entity"] == "CREDIT_CARD")
    project.store.decisions.decide("pii", card["record_id"], "reject",
                                   target=span_key(card["turn"], card["span_start"], card["span_end"]))
    project.close()
    result = export_project(tmp_path / "p", tmp_path / "out")
    assert "4111 1111 1111 1111" in exported_text(tmp_path / "out")
    assert "ana.dias@example.org" not in exported_text(tmp_path / "out")
    assert result.report["leak_check"]["leaked"] is False
    # The pseudonym map and the findings stay in the store: nothing of them is in the export.
    files = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir())
    assert "ana.dias@example.org" not in files


def test_only_values_carried_to_other_conversations_are_looked_up_everywhere():
    from workbench.steps.pii.leak import scrubbed_values

    rows = [
        ("r1", "PERSON", "Ana Dias", "0:0:8", "scan"),
        ("r2", "PERSON", "Ana Dias", "0:4:12", "propagated"),  # carried to another conversation
        ("r3", "PERSON", "Sam Okafor", "0:0:10", "scan"),
        ("r3", "PERSON", "Okafor", "2:5:11", "propagated"),  # a part, within its own conversation
        ("r4", "PERSON", "Tom", "0:0:3", "scan"),  # one word the model found: another Tom elsewhere
        ("r5", "EMAIL_ADDRESS", "bo@example.com", "0:3:17", "scan"),
        ("r6", "PHONE_NUMBER", "415-555-0198", "0:0:12", "scan"),
    ]
    values, conflicts = scrubbed_values(rows, {("r6", "0:0:12")})
    assert values == {"Ana Dias": "PERSON", "bo@example.com": "EMAIL_ADDRESS"}
    assert conflicts == 0


@pytest.mark.slow
def test_the_demo_data_exports_without_a_false_leak_alarm(tmp_path):
    # The support chats with the allow list recommended for the demo (benchmarks/pii.py): what
    # the step scrubbed is gone, and what it judged no person is not reported as a leak.
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from pii import DEMO_ALLOW_LIST

    lines = (Path(__file__).parents[1] / "sample_data" / "support" / "support_chats.jsonl").read_text().splitlines()
    src = tmp_path / "chats.jsonl"
    src.write_text("\n".join(lines[:600]) + "\n", encoding="utf-8")
    path = tmp_path / "recipe.toml"
    path.write_text(f'[[steps]]\nname = "pii"\nallow_list = {json.dumps(DEMO_ALLOW_LIST)}\n', encoding="utf-8")
    result = export_files([src], tmp_path / "out", recipe_path=path)
    check = result.report["leak_check"]
    assert check["leaked"] is False, check
    assert check["originals_checked"] > 50
