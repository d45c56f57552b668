"""`workbench check EXPORT_DIR`: the hash check and the leak check re-run on an export at any time
(exit 0 clean, 3 leak, 2 tampered or not an export), and the leak check's own words are not a
leak (issue 11, case 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import chat, pii_recipe, write_jsonl

from workbench.commands import main
from workbench.errors import LeakFound
from workbench.services.demo import DEMO_ALLOW_LIST
from workbench.services.headless import export_files, export_project
from workbench.services.project import Project
from workbench.steps.pii.findings import span_key

ROWS = [
    {"messages": chat("My email is ana.dias@example.org, please update it.", "Done, ana.dias@example.org is saved."),
     "category": "account"},
    {"messages": chat("Card 4111 1111 1111 1111 was charged twice.", "I have refunded the second charge."),
     "category": "billing"},
    {"messages": chat("Where is my parcel?", "It left our warehouse yesterday."), "category": "shipping"},
    {"messages": chat("Do you ship to Canada?", "Yes, in 5 to 8 business days."), "category": "shipping"},
]
# Cut-off input lines: quarantined, and holding every kind of value the demo's quarantine held.
BROKEN = [
    '{"messages": [{"role": "user", "content": "Hi, my name is Ana Dias, call me on 415-555-0198 or mail '
    'ana.dias@example.org; my card is 4111 1111 1111 1111',
    '{"messages": "not a list; from bo.lind@example.com, phone 415-555-0142"}',
]


def pii_project(tmp_path: Path) -> Path:
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    project = Project.create(tmp_path / "p", [src])
    config = project.path / "workbench.toml"
    config.write_text(config.read_text().replace(
        "[recipe.split]", '[[recipe.steps]]\nname = "pii"\nspacy_model = "none"\n\n[recipe.split]'))
    project.close()
    return project.path


def check(args: list[str], capsys) -> tuple[int, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())  # rich wraps long lines


def test_a_fresh_project_export_checks_clean(tmp_path, capsys):
    project = pii_project(tmp_path)
    out = export_project(project).out_dir
    code, text = check([str(out)], capsys)
    assert code == 0, text
    for name in ("train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl"):
        assert f"ok {name}" in text
    assert "leak check passed" in text and "project" in text


def test_a_changed_file_is_tampered_and_named(tmp_path, capsys):
    out = export_project(pii_project(tmp_path)).out_dir
    with open(out / "train.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"messages": chat("Hi", "Hello")}) + "\n")
    (out / "removed.jsonl").unlink()
    (out / "notes.jsonl").write_text("{}\n", encoding="utf-8")
    code, text = check([str(out)], capsys)
    assert code == 2
    assert "changed train.jsonl" in text and "rows" in text
    assert "missing removed.jsonl" in text and "unexpected notes.jsonl" in text
    assert "ok holdout.jsonl" in text


@pytest.mark.parametrize("make", [
    lambda d: None,  # an empty folder
    lambda d: (d / "report.json").write_text("{not json", encoding="utf-8"),
    lambda d: (d / "report.json").write_text('{"created_at": "today"}', encoding="utf-8"),
])
def test_not_an_export_exits_2(tmp_path, capsys, make):
    folder = tmp_path / "folder"
    folder.mkdir()
    make(folder)
    code, text = check([str(folder)], capsys)
    assert code == 2 and "not a workbench export" in text and "Traceback" not in text


def test_a_leak_exits_3_and_says_where(tmp_path, capsys):
    # Only user turns are scrubbed, so the assistant's copy of the email stays: a leak kept on purpose.
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    export_files([src], tmp_path / "out", recipe_path=pii_recipe(tmp_path, 0.25, turns="user"), allow_leaks=True)
    code, text = check([str(tmp_path / "out")], capsys)
    assert code == LeakFound.exit_code
    assert "leak check failed" in text and "EMAIL_ADDRESS" in text
    assert "ana.dias@example.org" not in text  # never the value


def test_the_project_store_decides_what_a_leak_is(tmp_path, capsys):
    # The reviewer kept the card number: without the project's store a fresh scan would call it a leak.
    project = pii_project(tmp_path)
    p = Project.open(project)
    p.run()
    card = next(r for r in p.store.pii.findings() if r["entity"] == "CREDIT_CARD")
    p.store.decisions.decide("pii", card["record_id"], "reject",
                             target=span_key(card["turn"], card["span_start"], card["span_end"]))
    p.close()
    inside = export_project(project).out_dir  # PROJECT/exports/<stamp>/: the project is found by walking up
    outside = export_project(project, tmp_path / "elsewhere").out_dir
    assert check([str(inside)], capsys)[0] == 0
    code, text = check([str(outside)], capsys)
    assert code == 2 and "--project" in text
    assert check([str(outside), "--project", str(project)], capsys)[0] == 0


def test_a_stateless_export_is_checked_by_a_fresh_scan(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = export_files([src], tmp_path / "out", recipe_path=pii_recipe(tmp_path, 0.25)).out_dir
    code, text = check([str(out)], capsys)
    assert code == 0 and "leak check passed" in text
    # A value planted by hand is found even with the hashes put right by the planter.
    report = json.loads((out / "report.json").read_text())
    with open(out / "holdout.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"messages": chat("Mail me at zed@example.net", "Will do.")}) + "\n")
    import hashlib

    report["files"]["holdout.jsonl"]["sha256"] = hashlib.sha256((out / "holdout.jsonl").read_bytes()).hexdigest()
    report["files"]["holdout.jsonl"]["rows"] += 1
    (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
    code, text = check([str(out)], capsys)
    assert code == 3 and "holdout.jsonl" in text and "EMAIL_ADDRESS" in text


# -- case 7: the leak check's own words ---------------------------------------------------------------

def demo_like(tmp_path: Path) -> tuple[Path, Path]:
    """Chats plus cut-off rows, and the demo's pii step (the spaCy model, the demo's allow list)."""
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([json.dumps(r) for r in ROWS] + BROKEN) + "\n", encoding="utf-8")
    recipe = tmp_path / "demo.toml"
    recipe.write_text(f'[[steps]]\nname = "pii"\nallow_list = {json.dumps(DEMO_ALLOW_LIST)}\n'
                      '[split]\nholdout = 0.25\n', encoding="utf-8")
    return src, recipe


def test_the_quarantine_note_is_not_a_leak(tmp_path, capsys):
    src, recipe = demo_like(tmp_path)
    out = tmp_path / "out"
    assert main(["export", "--input", str(src), "--out", str(out), "--recipe", str(recipe), "-q"]) == 0, \
        capsys.readouterr().err
    rows = [json.loads(line) for line in (out / "quarantine.jsonl").read_text().splitlines()]
    assert "CREDIT_CARD, EMAIL_ADDRESS, PERSON, PHONE_NUMBER)" in rows[0]["reason"]
    report = json.loads((out / "report.json").read_text())
    assert report["leak_check"]["leaked"] is False, report["leak_check"]
    capsys.readouterr()
    assert check([str(out)], capsys)[0] == 0


def test_a_real_leak_in_quarantine_raw_text_still_fails(tmp_path, monkeypatch, capsys):
    from workbench.steps.pii import leak

    real = leak.scrub_quarantine

    def forgets_the_raw_text(quarantine, *args, **kwargs):  # a bug planted: the note, but raw kept
        return [{**row, "raw": q.get("raw", "")} for row, q in zip(real(quarantine, *args, **kwargs), quarantine)]

    monkeypatch.setattr("workbench.services.headless.scrub_quarantine", forgets_the_raw_text)
    src, recipe = demo_like(tmp_path)
    out = tmp_path / "out"
    assert main(["export", "--input", str(src), "--out", str(out), "--recipe", str(recipe), "-q",
                 "--allow-leaks"]) == 0
    check_section = json.loads((out / "report.json").read_text())["leak_check"]
    assert check_section["leaked"] is True
    places = {(p["file"], p["line"]) for p in check_section["places"]}
    assert ("quarantine.jsonl", 1) in places and ("quarantine.jsonl", 2) in places
    assert {p["file"] for p in check_section["places"]} == {"quarantine.jsonl"}
    capsys.readouterr()
    code, text = check([str(out)], capsys)
    assert code == 3 and "quarantine.jsonl" in text
