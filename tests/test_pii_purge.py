"""`workbench pii purge`: once the review is done, no original value is left in any file under the
project, an export is byte-identical to the one before, and later runs still give a known value
its stand-in and still catch a purged value in an export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import chat, set_recipe, write_jsonl
from workbench.commands import main
from workbench.services.project import Project
from workbench.steps.pii.keyed import Key, SealedValues, purged_values, sealed_rows
from workbench.steps.pii.occurrences import word_occurrences

ROWS = [
    {"messages": chat("Hi, this is Maria Gonzalez. My email is maria.gonzalez@example.com and my phone "
                      "is (415) 555-0132.", "Thanks Maria Gonzalez, I have updated your account."),
     "category": "account"},
    {"messages": chat("Please send the invoice to Dmitri Volkov at dmitri.volkov@example.org today.",
                      "Done: Dmitri Volkov will get the invoice within the hour."), "category": "billing"},
    {"messages": chat("How do I reset my password?", "Open Settings > Account and choose Reset password."),
     "category": "account"},
    {"messages": chat("My thermostat shows error E4 after the firmware update last night.",
                      "Hold the reset button for ten seconds, then pair it again."), "category": "device"},
    {"messages": chat("My thermostat shows error E4 after the firmware update last evening.",
                      "Hold the reset button for ten seconds, then pair it again."), "category": "device"},
    {"messages": chat("Can I pay the annual plan by bank transfer?", "Yes: choose Invoice at checkout."),
     "category": "billing"},
    {"messages": chat("Can I pay the annual plan by bank transfer?", "Yes: choose Invoice at checkout."),
     "category": "billing"},
]
STEPS = """[[recipe.steps]]
name = "validate"

[[recipe.steps]]
name = "exact_dedup"

[[recipe.steps]]
name = "near_dedup"
threshold = 0.6

[[recipe.steps]]
name = "pii"
mode = "pseudonym"
"""
FILES = ["train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl", "DATA_CARD.md"]


def make_project(tmp_path: Path) -> Path:
    source = write_jsonl(tmp_path / "inputs" / "chats.jsonl", ROWS)
    with open(source, "a", encoding="utf-8") as f:  # an unreadable row: its first characters are kept
        f.write('{"messages": [{"role": "user", "content": "write to kenji.watanabe@example.net" \n')
    path = tmp_path / "project"
    project = Project.create(path, inputs=[source])
    set_recipe(project, STEPS)
    project.close()
    return path


def file_texts(path: Path) -> str:
    """Everything a file holds, the way this test reads it: its bytes, and for parquet its cells."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".parquet":
        raw += pl.read_parquet(path).write_ndjson()
    return raw


def where_found(folder: Path, values: set[str]) -> dict[str, set[str]]:
    """Files holding any of `values` anywhere, even inside a longer word (stricter than the purge's
    own search, which looks for whole words)."""
    out: dict[str, set[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = file_texts(path)
        hits = {v for v in values if v in text}
        if hits:
            out[str(path.relative_to(folder))] = hits
    return out


def export(project: Path, out: Path | None, capsys) -> Path:
    args = ["export", str(project), "-q"] + (["--out", str(out)] if out else [])
    assert main(args) == 0, capsys.readouterr().err
    if out is None:
        out = max((project / "exports").iterdir())
    return out


def report_of(folder: Path) -> dict:
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    report.pop("created_at"), report.pop("snapshot")
    return report


def test_after_a_purge_no_original_is_left_in_any_file_and_the_export_is_byte_identical(tmp_path, capsys):
    project = make_project(tmp_path)
    before = export(project, None, capsys)  # inside the project: exports are searched too
    p = Project.open(project)
    values = {value.strip() for _, value in p.store.pii.values()} | set(p.store.pii.pseudonym_originals())
    pseudonyms = p.store.pii.pseudonyms()
    p.close()
    assert {"Maria Gonzalez", "maria.gonzalez@example.com", "Dmitri Volkov", "(415) 555-0132"} <= values
    found = where_found(project, values)
    assert any(name.endswith("-import.parquet") for name in found)  # the search does find them
    assert any(name.endswith("workbench.db") or name.endswith("workbench.db-wal") for name in found)

    assert main(["pii", "purge", str(project), "--yes", "-q"]) == 0
    out = capsys.readouterr().out
    assert "sealed the steps validate, exact_dedup, near_dedup, pii" in out
    assert "none of them is in any file under the project" in out
    assert "quarantine: personal data removed from the raw text of 1 row(s)" in out

    # Every file under the project, workbench's store, snapshots and cache, and the export in it.
    assert where_found(project, values | {"kenji.watanabe@example.net"}) == {}
    p = Project.open(project)
    try:
        assert p.store.pii.findings() == [] and p.store.pii.pseudonym_originals() == []
        assert sorted(p.store.pii.pseudonyms().values()) == sorted(pseudonyms.values())
        assert [s.manifest["step"] for s in p.snapshots()] == ["sealed"]
    finally:
        p.close()

    after = export(project, tmp_path / "after", capsys)
    for name in FILES:
        assert (before / name).read_bytes() == (after / name).read_bytes(), name
    assert report_of(before) == report_of(after)
    assert report_of(after)["leak_check"]["originals_checked"] > 0
    # `workbench check` looks the purged values up as well.
    capsys.readouterr()
    assert main(["check", str(after), "--project", str(project)]) == 0
    checked = report_of(after)["leak_check"]["originals_checked"]
    assert f"the {checked:,} values its PII purge kept as keyed hashes" in " ".join(capsys.readouterr().out.split())


def test_a_known_value_keeps_its_stand_in_in_rows_imported_after_the_purge(tmp_path, capsys):
    project = make_project(tmp_path)
    before = export(project, tmp_path / "before", capsys)
    p = Project.open(project)
    maria = p.store.pii.pseudonyms()[("PERSON", "maria gonzalez")]
    p.close()
    assert main(["pii", "purge", str(project), "--yes", "-q"]) == 0
    later = write_jsonl(tmp_path / "inputs" / "later.jsonl", [
        {"messages": chat("Maria Gonzalez again: the thermostat still blinks.", "Sorry Maria Gonzalez, "
                          "let us replace it."), "category": "device"},
        {"messages": chat("I am Priya Raman, priya.raman@example.com, new customer here.",
                          "Welcome Priya Raman!"), "category": "account"}])
    assert main(["import", str(project), str(later)]) == 0
    after = export(project, tmp_path / "after", capsys)
    rows = [json.loads(line) for line in (after / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [" ".join(m["content"] for m in r["messages"]) for r in rows]
    again = next(t for t in texts if "still blinks" in t)
    assert maria in again and "Maria" not in again
    new = next(t for t in texts if "new customer" in t)
    assert "Priya" not in new and "priya.raman" not in new and maria not in new
    # The sealed rows are exported as they were.
    old = (before / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert set(old) <= set((after / "train.jsonl").read_text(encoding="utf-8").splitlines())


def test_the_leak_check_still_finds_a_purged_value_in_an_export(tmp_path, capsys):
    from workbench.steps.pii.leak import check_export

    project = make_project(tmp_path)
    assert main(["pii", "purge", str(project), "--yes", "-q"]) == 0
    p = Project.open(project)
    try:
        sealed = purged_values(p.store)
        step = p.registry().build_step(p.recipe().steps[-1], "test")
        folder = tmp_path / "leaky"
        write_jsonl(folder / "train.jsonl", [{"messages": chat("Ask (415) 555-0132 or maria.gonzalez@example.com",
                                                               "ok")}])
        section = check_export(folder, ["train.jsonl"], step.scanner(project), [], set(), set(), sealed=sealed)
    finally:
        p.close()
    assert section["leaked"] and section["originals_found"] == 2
    assert section["originals_found_by_entity"] == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}


def test_sealed_steps_cannot_change_after_a_purge(tmp_path, capsys):
    project = make_project(tmp_path)
    assert main(["pii", "purge", str(project), "--yes", "-q"]) == 0
    config = project / "workbench.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("threshold = 0.6", "threshold = 0.9"),
                      encoding="utf-8")
    assert main(["export", str(project), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "near_dedup(threshold=0.6)" in err and "near_dedup(threshold=0.9)" in err and "sealed" in err
    assert not (tmp_path / "out").exists()


def test_a_purged_project_needs_its_own_key(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path)
    monkeypatch.setenv("WORKBENCH_PII_KEY", str(tmp_path / "keys" / "mine.key"))
    assert main(["pii", "purge", str(project), "--yes", "-q"]) == 0
    assert "created now" in capsys.readouterr().out
    assert (tmp_path / "keys" / "mine.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("WORKBENCH_PII_KEY", str(tmp_path / "keys" / "gone.key"))
    assert main(["export", str(project), "--out", str(tmp_path / "a"), "-q"]) == 2
    assert "no PII key here" in capsys.readouterr().err
    (tmp_path / "keys" / "other.key").write_text("ab" * 32, encoding="ascii")
    monkeypatch.setenv("WORKBENCH_PII_KEY", str(tmp_path / "keys" / "other.key"))
    assert main(["export", str(project), "--out", str(tmp_path / "b"), "-q"]) == 2
    assert "this project was purged with the key" in capsys.readouterr().err


def test_purge_asks_first_and_refuses_without_a_pii_step(tmp_path, capsys):
    project = make_project(tmp_path)
    snapshots = sorted(p.name for p in (project / ".workbench" / "snapshots").iterdir())
    assert main(["pii", "purge", str(project), "-q"]) == 1  # no terminal to ask on (pytest's stdin)
    assert "Pass --yes" in capsys.readouterr().err
    assert sorted(p.name for p in (project / ".workbench" / "snapshots").iterdir()) == snapshots
    p = Project.open(project)
    set_recipe(p, '[[recipe.steps]]\nname = "validate"\n')
    p.close()
    assert main(["pii", "purge", str(project), "--yes"]) == 1
    assert "has no pii step" in capsys.readouterr().err


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="ab _-.(é1", max_size=30), value=st.text(alphabet="ab _-.(é1", min_size=1, max_size=6))
def test_the_keyed_lookup_finds_a_value_exactly_where_the_plain_lookup_does(text, value):
    value = value.strip()
    key = Key(b"k" * 32, Path("test.key"))
    sealed = SealedValues(key, sealed_rows(key, {value: "X"}, "scrubbed"))
    plain = set(word_occurrences(text, value)) if re.search(r"\w", value) else set()
    assert {start for start, _, _, _ in sealed.occurrences(text)} == plain


@pytest.mark.parametrize("kept", [True, False])
def test_a_value_a_reviewer_kept_is_known_by_its_hash(kept):
    key = Key(b"s" * 32, Path("test.key"))
    sealed = SealedValues(key, sealed_rows(key, {"Acme Robotics": "PERSON"}, "kept" if kept else "scrubbed"))
    assert sealed.is_kept("Acme Robotics") is kept and sealed.is_scrubbed("Acme Robotics") is not kept


def test_a_purged_value_in_rows_imported_later_is_scrubbed_though_the_scan_misses_it(tmp_path, capsys):
    # A value only a reviewer knew (marked as missed), then purged: the scan does not find it in
    # a new row, the step finds it by its keyed hash, and the export passes its leak check.
    from workbench.steps.pii.findings import span_key

    project = make_project(tmp_path)
    p = Project.open(project)
    text = "Please send the invoice to Dmitri Volkov at dmitri.volkov@example.org today."
    rid = next(r["id"] for r in p.records().iter_rows(named=True) if r["messages"][0]["content"] == text)
    start = text.index("invoice")
    p.store.decisions.decide("pii", rid, "flag", target=span_key(0, start, start + 7),
                             detail={"turn": 0, "start": start, "end": start + 7, "entity": "SECRET_WORD"},
                             rater="ana")
    p.close()
    assert main(["pii", "purge", str(project), "--yes", "-q"]) == 0
    later = write_jsonl(tmp_path / "inputs" / "later.jsonl", [
        {"messages": chat("Where is my invoice for May?", "It is in the app under Billing."), "category": "billing"}])
    assert main(["import", str(project), str(later)]) == 0
    out = export(project, tmp_path / "after", capsys)
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    users = [r["messages"][0]["content"] for r in rows]
    # The same stand-in as where the reviewer marked it, and as the assistant's turn there.
    assert "Please send the <SECRET_WORD_1> to <PERSON_2> at <EMAIL_ADDRESS_2> today." in users
    assert "Where is my <SECRET_WORD_1> for May?" in users
    p = Project.open(project)
    try:
        assert [(f["value"], f["recognizer"]) for f in p.store.pii.findings()] == [("invoice", "purged value")]
    finally:
        p.close()


def test_a_span_a_reviewer_marked_as_missed_is_scrubbed_where_else_its_value_stands(tmp_path, capsys):
    # The leak check looks a reviewer's value up everywhere, so the step must carry it there too:
    # before, the export failed its own leak check on the value's other occurrences.
    from workbench.steps.pii.findings import span_key

    project = make_project(tmp_path)
    p = Project.open(project)
    rid = next(r["id"] for r in p.records().iter_rows(named=True) if "Reset password" in r["messages"][1]["content"])
    start = "How do I reset my password?".index("password")
    p.store.decisions.decide("pii", rid, "flag", target=span_key(0, start, start + 8),
                             detail={"turn": 0, "start": start, "end": start + 8, "entity": "SECRET_WORD"},
                             rater="ana")
    p.close()
    out = export(project, tmp_path / "out", capsys)
    text = (out / "train.jsonl").read_text(encoding="utf-8")
    assert "reset my <SECRET_WORD_1>?" in text and "choose Reset <SECRET_WORD_1>." in text
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["leak_check"]["leaked"] is False
