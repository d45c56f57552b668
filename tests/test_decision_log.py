"""The portable decision log: every human decision leaves and enters a project as JSONL.

It is how an expert's work is backed up, audited, and merged with another expert's work done on
a copy of the project on another machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from workbench.commands import main
from workbench.records import Decision
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.steps.synthetic_review.verdicts import record_verdict

RECIPE = """
[[recipe.steps]]
name = "validate"

[[recipe.steps]]
name = "exact_dedup"

[[recipe.steps]]
name = "synthetic_review"

[recipe.split]
holdout = 0.2
seed = 0
stratify = true
"""

EXPORT_FILES = ["train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl", "DATA_CARD.md"]


def rows() -> list[dict]:
    cats = ["billing", "account", "shipping"]
    out = [{"messages": chat(f"Question {i} about {cats[i % 3]}?", f"Answer number {i}."),
            "category": cats[i % 3], "origin": "synthetic" if i % 4 == 0 else "human"}
           for i in range(24)]
    out.append({"messages": chat("Question 1 about account?", "Answer number 1."), "category": "account"})
    return out


def make_project(tmp_path: Path, folder: str, source: Path) -> Path:
    assert main(["init", str(tmp_path / folder), "--input", str(source), "--name", "shared"]) == 0
    config = tmp_path / folder / "workbench.toml"
    text = config.read_text(encoding="utf-8")
    head, _, tail = text.partition("[recipe]")
    inputs = tail[tail.index("[[inputs]]"):]
    config.write_text(head + "[recipe]\n" + RECIPE + "\n" + inputs, encoding="utf-8")
    return tmp_path / folder


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def source(tmp_path):
    return write_jsonl(tmp_path / "chats.jsonl", rows())


@pytest.fixture
def reviewed(tmp_path, source):
    """A project where an expert accepted, edited and rejected synthetic rows, kept an exact
    duplicate the step would drop, and dropped a row by hand."""
    path = make_project(tmp_path, "one", source)
    p = Project.open(path)
    recs = p.records()
    synthetic = recs.filter(recs.get_column("origin") == "synthetic").get_column("id").to_list()
    record_verdict(p.store, synthetic[0], "ann", "accept")
    record_verdict(p.store, synthetic[1], "ann", "edit",
                   messages=chat("Question 4 about account?", "A better answer, edited by Ann."))
    record_verdict(p.store, synthetic[2], "ann", "reject", reason="off-topic", note="not our product")
    duplicate = recs.filter(recs.get_column("source_line") == 25).get_column("id").item()
    p.store.decisions.decide("exact_dedup", duplicate, "keep", rater="ann")
    human = recs.filter(recs.get_column("origin") == "human").get_column("id").to_list()
    p.store.decisions.decide("validate", human[3], "drop", reason="outdated policy", rater="ann")
    p.close()
    return path, synthetic, duplicate, human[3]


def test_export_writes_every_decision_as_one_json_line(tmp_path, reviewed, capsys):
    path, synthetic, duplicate, dropped = reviewed
    log = tmp_path / "decisions.jsonl"
    assert main(["decisions", "export", str(path), str(log)]) == 0
    assert "5 decisions" in capsys.readouterr().err
    lines = read_lines(log)
    assert [(d["id"], d["step"], d["action"]) for d in lines] == [
        (synthetic[0], "synthetic_review", "accept"),
        (synthetic[1], "synthetic_review", "edit"),
        (synthetic[2], "synthetic_review", "reject"),
        (duplicate, "exact_dedup", "keep"),
        (dropped, "validate", "drop"),
    ]
    assert all(d["rater"] == "ann" and d["at"].endswith("+00:00") for d in lines)
    accept, edit, reject, keep, drop = lines
    assert set(accept) == {"id", "step", "action", "rater", "at"}  # the verdict's target is its rater
    assert edit["detail"]["messages"][-1]["content"] == "A better answer, edited by Ann."
    assert (reject["reason"], reject["detail"]) == ("off-topic", {"note": "not our product"})
    assert drop["reason"] == "outdated policy"


def test_export_refuses_to_overwrite_a_file_without_force(tmp_path, reviewed, capsys):
    path = reviewed[0]
    mine = tmp_path / "notes.jsonl"
    mine.write_text("my own notes\n", encoding="utf-8")
    assert main(["decisions", "export", str(path), str(mine)]) == 2
    assert "exists" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "my own notes\n"
    assert main(["decisions", "export", str(path), str(mine), "--force"]) == 0
    assert len(read_lines(mine)) == 5


def test_same_input_recipe_and_log_give_byte_identical_exports_in_a_fresh_project(tmp_path, reviewed, source):
    path, synthetic, duplicate, dropped = reviewed
    log = tmp_path / "decisions.jsonl"
    assert main(["decisions", "export", str(path), str(log)]) == 0
    fresh = make_project(tmp_path, "two", source)
    assert main(["decisions", "import", str(fresh), str(log)]) == 0
    a = export_project(path, tmp_path / "out-a")
    b = export_project(fresh, tmp_path / "out-b")
    for name in EXPORT_FILES:
        assert (tmp_path / "out-a" / name).read_bytes() == (tmp_path / "out-b" / name).read_bytes(), name
    a.report.pop("created_at"), b.report.pop("created_at")
    assert a.report == b.report
    # The decisions are really in effect: the accepted, edited and kept rows are there, the
    # rejected and hand-dropped ones are not.
    train = (tmp_path / "out-b" / "train.jsonl").read_text() + (tmp_path / "out-b" / "holdout.jsonl").read_text()
    assert "A better answer, edited by Ann." in train
    removed = {r["id"]: r["reason"] for r in read_lines(tmp_path / "out-b" / "removed.jsonl")}
    assert removed[synthetic[2]] == "rejected" and removed[dropped] == "outdated policy"
    assert synthetic[0] not in removed and duplicate not in removed


def test_importing_twice_adds_nothing(tmp_path, reviewed, source, capsys):
    log = tmp_path / "decisions.jsonl"
    main(["decisions", "export", str(reviewed[0]), str(log)])
    fresh = make_project(tmp_path, "two", source)
    capsys.readouterr()
    assert main(["decisions", "import", str(fresh), str(log)]) == 0
    assert "5 added" in capsys.readouterr().err
    assert main(["decisions", "import", str(fresh), str(log)]) == 0
    assert "0 added, 5 already in the project" in capsys.readouterr().err
    again = tmp_path / "again.jsonl"
    main(["decisions", "export", str(fresh), str(again)])
    assert again.read_bytes() == log.read_bytes()


def test_an_unknown_id_is_reported_with_its_line_and_skipped(tmp_path, reviewed, source, capsys):
    log = tmp_path / "decisions.jsonl"
    main(["decisions", "export", str(reviewed[0]), str(log)])
    lines = log.read_text(encoding="utf-8").splitlines()
    ghost = json.loads(lines[1]) | {"id": "0123456789abcdef"}
    log.write_text("\n".join([lines[0], json.dumps(ghost), *lines[2:]]) + "\n", encoding="utf-8")
    fresh = make_project(tmp_path, "two", source)
    capsys.readouterr()
    assert main(["decisions", "import", str(fresh), str(log)]) == 0
    err = capsys.readouterr().err
    assert "4 added" in err and "1 skipped" in err
    assert f"{log}:2: no record 0123456789abcdef in this project" in err


def test_a_hand_written_acceptance_counts_as_the_raters_verdict(tmp_path, source):
    path = make_project(tmp_path, "one", source)
    p = Project.open(path)
    recs = p.records()
    rid = recs.filter(recs.get_column("origin") == "synthetic").get_column("id")[0]
    p.close()
    log = write_jsonl(tmp_path / "mine.jsonl",
                      [{"id": rid, "step": "synthetic_review", "action": "accept", "rater": "bo"}])
    assert main(["decisions", "import", str(path), str(log)]) == 0
    assert main(["decisions", "import", str(path), str(log)]) == 0  # no time given: still idempotent
    p = Project.open(path)
    standing = p.store.decisions.standing("synthetic_review")
    assert [(k, d.action, d.rater) for k, d in standing.items()] == [
        (("synthetic_review", rid, "bo"), "accept", "bo")]
    assert len(p.store.decisions.history(rid)) == 1
    p.close()


def test_merging_two_experts_keeps_the_newest_decision_of_each(tmp_path, source):
    """Two copies of one project; Ann decides on one machine, Bo on the other, then each
    imports the other's log: both projects end with the same standing decisions."""
    one = make_project(tmp_path, "one", source)
    two = make_project(tmp_path, "two", source)
    p1, p2 = Project.open(one), Project.open(two)
    recs = p1.records()
    ids = recs.get_column("id").to_list()
    synthetic = recs.filter(recs.get_column("origin") == "synthetic").get_column("id").to_list()
    # Ann keeps row 5 at 10:00; Bo drops it later, at 11:00, so Bo's decision stands.
    _decide_at(p1, "validate", ids[5], "keep", "ann", "2026-01-05T10:00:00+00:00")
    _decide_at(p2, "validate", ids[5], "drop", "bo", "2026-01-05T11:00:00+00:00", reason="wrong answer")
    record_verdict(p1.store, synthetic[0], "ann", "accept")
    record_verdict(p2.store, synthetic[0], "bo", "reject", reason="unsafe")
    p1.close(), p2.close()
    for a, b in ((one, two), (two, one)):
        log = tmp_path / f"{a.name}.jsonl"
        assert main(["decisions", "export", str(a), str(log), "--force"]) == 0
        assert main(["decisions", "import", str(b), str(log)]) == 0
    standings = []
    for path in (one, two):
        p = Project.open(path)
        standings.append({k: (d.action, d.rater) for k, d in p.store.decisions.standing().items()})
        p.close()
    assert standings[0] == standings[1]
    assert standings[0][("validate", ids[5], "")] == ("drop", "bo")
    assert standings[0][("synthetic_review", synthetic[0], "ann")] == ("accept", "ann")
    assert standings[0][("synthetic_review", synthetic[0], "bo")] == ("reject", "bo")


@pytest.mark.parametrize("line, problem", [
    ("not json", "not valid JSON"),
    ('{"id": "x", "step": "validate", "rater": "ann"}', "'action'"),
    ('{"id": "x", "step": "validate", "action": "destroy", "rater": "ann"}', "unknown action 'destroy'"),
    ('{"id": "x", "step": "validate", "action": "keep", "rater": "ann", "at": "yesterday"}', "'at'"),
])
def test_a_malformed_line_stops_the_import_and_adds_nothing(tmp_path, source, capsys, line, problem):
    path = make_project(tmp_path, "one", source)
    log = tmp_path / "bad.jsonl"
    p = Project.open(path)
    rid = p.records().get_column("id")[0]
    p.close()
    good = json.dumps({"id": rid, "step": "validate", "action": "keep", "rater": "ann"})
    log.write_text(good + "\n" + line + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["decisions", "import", str(path), str(log)]) == 2
    err = capsys.readouterr().err
    assert f"{log}:2:" in err and problem in err and "Traceback" not in err
    p = Project.open(path)
    assert p.store.decisions.standing() == {}
    p.close()


def _decide_at(project: Project, step: str, rid: str, action: str, rater: str, at: str, reason: str = "") -> None:
    """A decision made at a given time, as on another machine at another moment."""
    project.store.decisions.decide_many([Decision(rid, action, reason, {}, "", rater, step, at=at)])


def test_blind_votes_travel_with_the_log_and_merge(tmp_path, source):
    """A/B votes are human decisions too: Ann votes on one copy, Bo on another; after the
    exchange both projects hold both votes, and importing again adds nothing."""
    from workbench.evaluate.arena import Arena

    paths = [make_project(tmp_path, name, source) for name in ("one", "two")]
    for path in paths:  # the same blind pairs in both copies, as after copying a project
        p = Project.open(path)
        p.store.evals.add_prompts([{"prompt_id": "q1", "source": "holdout", "category": "billing",
                                   "messages": chat("Why was I charged twice?", "")[:1]}])
        p.store.arena.add_pairs([{"comparison": "tuned-vs-base", "prompt_id": "q1", "model_a": "base",
                                  "model_b": "tuned", "reply_a": "No idea.", "reply_b": "A refund is on its way.",
                                  "left": "b", "seed": 7}])
        p.close()
    for path, rater, choice in ((paths[0], "ann", "left"), (paths[1], "bo", "tie")):
        p = Project.open(path)
        arena = Arena(p.store, rater=rater, comparison="tuned-vs-base")
        arena.vote(p.store.arena.pair_id("tuned-vs-base", "q1", "base", "tuned"), choice)
        p.close()
    logs = [tmp_path / "one.jsonl", tmp_path / "two.jsonl"]
    for path, log in zip(paths, logs):
        assert main(["decisions", "export", str(path), str(log)]) == 0
    (ann,) = read_lines(logs[0])
    assert (ann["id"], ann["step"], ann["action"], ann["rater"]) == ("q1", "compare", "vote", "ann")
    assert ann["detail"] | {} == {"comparison": "tuned-vs-base", "model_a": "base", "model_b": "tuned",
                                  "choice": "left", "winner": "b", "source": "ui"}
    assert main(["decisions", "import", str(paths[1]), str(logs[0])]) == 0
    assert main(["decisions", "import", str(paths[1]), str(logs[0])]) == 0
    p = Project.open(paths[1])
    assert sorted((v["rater"], v["winner"]) for v in p.store.arena.votes("tuned-vs-base")) == [("ann", "b"), ("bo", "tie")]
    p.close()
