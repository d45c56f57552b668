"""Human decisions outrank every automatic step, whatever the order of the steps: rows an expert
accepted, edited or kept reach the export, balance counts only the rows that will be exported,
and where a reviewer's own later choice drops a reviewed row, the Review queue says so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from conftest import chat, frame, near_copies, set_recipe
from workbench.export.card_sections import data_card_sections
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.records import Decision
from workbench.services import dedup_review
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.services.synthetic_queue import ReviewQueue
from workbench.steps.base import Step, StepResult
from workbench.steps.synthetic_review.verdicts import record_verdict
from workbench.store import Store

BALANCE = ('[[recipe.steps]]\nname = "balance"\nmax_per_category = 5\nmin_per_category = 4\n'
           'select = "random"\n')
REVIEW = '[[recipe.steps]]\nname = "synthetic_review"\n'


def rows() -> list[dict]:
    """billing: 6 human + 6 synthetic rows; warranty: 2 human + 3 synthetic."""
    out = []
    for category, humans, synthetic in (("billing", 6, 6), ("warranty", 2, 3)):
        out += [{"messages": chat(f"{category} human question {i}", f"{category} human answer {i}"),
                 "category": category, "origin": "human"} for i in range(humans)]
        out += [{"messages": chat(f"{category} synthetic question {i}", f"{category} synthetic answer {i}"),
                 "category": category, "origin": "synthetic"} for i in range(synthetic)]
    return out


def make_project(tmp_path: Path, steps_toml: str, data: list[dict] | None = None) -> Project:
    """A project of `data` whose recipe is `steps_toml` with nothing held out."""
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (data or rows())) + "\n", encoding="utf-8")
    project = Project.create(tmp_path / "p", [path])
    set_recipe(project, steps_toml)
    return project


def by_prompt(project: Project) -> dict[str, str]:
    return {r["messages"][0]["content"]: r["id"] for r in project.records().iter_rows(named=True)}


def exported(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]


def removed(out: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, (out / "removed.jsonl").read_text().splitlines())}


def step_report(result, name: str) -> dict:
    return next(s for s in result.report["steps"] if s["name"] == name)


EDIT = chat("billing synthetic question 1", "billing synthetic answer 1, corrected by the expert")


def review_as_the_screen_does(project: Project) -> dict[str, str]:
    ids = by_prompt(project)
    record_verdict(project.store, ids["billing synthetic question 0"], "ann", "accept")
    record_verdict(project.store, ids["billing synthetic question 1"], "ann", "edit", messages=EDIT)
    record_verdict(project.store, ids["billing synthetic question 2"], "ann", "reject", reason="wrong")
    record_verdict(project.store, ids["warranty synthetic question 0"], "ann", "accept")
    return ids


# -- case 2: balance and synthetic_review, in both orders ---------------------------------------

@pytest.mark.parametrize("steps", [BALANCE + REVIEW, REVIEW + BALANCE], ids=["balance_first", "review_first"])
def test_accepted_and_edited_rows_reach_the_export_and_shortfalls_match_it(tmp_path, steps):
    project = make_project(tmp_path, steps)
    ids = review_as_the_screen_does(project)
    project.close()

    result = export_project(tmp_path / "p", tmp_path / "out")
    train = exported(tmp_path / "out")
    messages = [r["messages"] for r in train]
    assert chat("billing synthetic question 0", "billing synthetic answer 0") in messages
    assert EDIT in messages  # the expert's edit is what trains
    assert chat("warranty synthetic question 0", "warranty synthetic answer 0") in messages

    # Balance counted only the rows that reach the export: its numbers are the exported ones.
    counts: dict[str, int] = {}
    for r in train:  # the prompts start with their category
        category = r["messages"][0]["content"].split()[0]
        counts[category] = counts.get(category, 0) + 1
    stats = step_report(result, "balance")["stats"]
    assert counts == {"billing": 5, "warranty": 3}
    assert stats["after"] == counts
    assert stats["deficits"] == {"warranty": {"have": 3, "missing": 1, "target": "min_per_category", "need": 4}}

    # Unjudged synthetic rows are held back by the review, never cut by balance.
    gone = removed(tmp_path / "out")
    for i in (3, 4, 5):
        assert gone[ids[f"billing synthetic question {i}"]]["reason"] == "unreviewed"
    assert gone[ids["billing synthetic question 2"]]["reason"] == "rejected"
    cut = [prompt for prompt, rid in ids.items() if rid in gone and gone[rid]["step"] == "balance"]
    # billing: 6 human + 2 accepted rows counted, cut to 5: the 3 rows cut are human ones
    assert len(cut) == 3 and all(prompt.startswith("billing human") for prompt in cut)


def test_protected_rows_beyond_the_cap_are_all_kept_and_reported(tmp_path):
    steps = '[[recipe.steps]]\nname = "balance"\nmax_per_category = 1\nselect = "random"\n' + REVIEW
    project = make_project(tmp_path, steps)
    review_as_the_screen_does(project)
    project.close()
    result = export_project(tmp_path / "p", tmp_path / "out")
    counts: dict[str, int] = {}
    for r in exported(tmp_path / "out"):
        category = r["messages"][0]["content"].split()[0]
        counts[category] = counts.get(category, 0) + 1
    assert counts == {"billing": 2, "warranty": 1}  # the accepted and the edited row, over a cap of 1
    stats = step_report(result, "balance")["stats"]
    assert stats["over_cap"] == {"billing": {"cap": 1, "protected": 2}}
    card = (tmp_path / "out" / "DATA_CARD.md").read_text()
    assert "billing" in card and "2 rows a reviewer accepted, edited or kept exceed its cap of 1" in card


def test_the_review_count_does_not_shrink_after_a_recipe_run(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_RATER", "ann")
    project = make_project(tmp_path, BALANCE + REVIEW)
    review_as_the_screen_does(project)
    before = ReviewQueue.load(project, "ann").progress()
    project.run()
    after = ReviewQueue.load(project, "ann").progress()
    assert before["total"] == after["total"] == 9
    assert before["mine"] == after["mine"] == 4
    project.close()


# -- the general rule: any automatic step, any deciding step -------------------------------------

@dataclass
class DropEverything(Step):
    """A plugin step with a bug: it drops every row."""

    name: ClassVar[str] = "drop_everything"

    def run(self, records, ctx):
        return StepResult(records.clear(), [Decision(r, "drop", "plugin", step=self.name)
                                            for r in records.get_column("id").to_list()])


@pytest.mark.parametrize("order", ["plugin_first", "plugin_last"])
def test_a_plugin_step_cannot_drop_what_people_decided(tmp_path, order):
    records = frame([
        {"user": "kept in dedup", "assistant": "a", "origin": "human"},
        {"user": "relabelled", "assistant": "b", "origin": "human", "category": "x"},
        {"user": "accepted", "assistant": "c", "origin": "synthetic"},
        {"user": "nobody looked", "assistant": "d", "origin": "human"},
        {"user": "dropped by a reviewer", "assistant": "e", "origin": "human"},
    ])
    ids = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("exact_dedup", ids[0], "keep", rater="bo")
    store.decisions.decide("categorize", ids[1], "edit", detail={"category": "billing"}, rater="bo")
    record_verdict(store, ids[2], "ann", "accept")
    store.decisions.decide("drop_everything", ids[4], "keep", rater="bo")  # then changed their mind:
    store.decisions.decide("drop_everything", ids[4], "drop", reason="off-topic", rater="bo")
    registry = load_registry()
    registry.steps["drop_everything"] = DropEverything
    specs = [StepSpec("drop_everything"), StepSpec("synthetic_review")]
    out = run_recipe(records, Recipe(tuple(specs if order == "plugin_first" else specs[::-1])), registry,
                     store=store)
    assert out.kept.get_column("id").to_list() == ids[:3]
    assert {r["id"]: r["step"] for r in out.removed.to_dicts()} == {ids[3]: "drop_everything",
                                                                  ids[4]: "drop_everything"}
    report = next(s for s in out.steps if s.name == "drop_everything")
    assert report.protected == 3 and report.to_dict()["protected"] == 3
    card = "\n".join(data_card_sections({"steps": [s.to_dict() for s in out.steps]}))
    assert "drop_everything 3" in card


def test_exact_dedup_keeps_the_copy_an_expert_accepted(tmp_path):
    records = frame([{"user": "Where is my parcel?", "assistant": "In transit.", "origin": "human"},
                     {"user": "where is my  PARCEL?", "assistant": "in transit.", "origin": "synthetic"}])
    human, synthetic = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    record_verdict(store, synthetic, "ann", "accept")
    for steps in (("exact_dedup", "synthetic_review"), ("synthetic_review", "exact_dedup")):
        out = run_recipe(records, Recipe(tuple(StepSpec(s) for s in steps)), load_registry(), store=store)
        assert out.kept.get_column("id").to_list() == [synthetic]
        (gone,) = out.removed.to_dicts()
        assert (gone["id"], gone["reason"]) == (human, "exact_duplicate")


def test_near_dedup_keeps_the_accepted_copy_and_the_screen_agrees(tmp_path):
    project = make_project(tmp_path, '[[recipe.steps]]\nname = "near_dedup"\n' + REVIEW, near_copies())
    human, synthetic, _ = project.records().get_column("id").to_list()
    before = dedup_review.review_set(project, "near_dedup").clusters
    assert before[0].survivors == (human,)  # the longest copy, while nobody has judged the other
    record_verdict(project.store, synthetic, "ann", "accept")
    (cluster,) = dedup_review.review_set(project, "near_dedup").clusters
    assert cluster.survivors == (synthetic,) and cluster.dropped == (human,) and not cluster.chosen
    project.close()
    result = export_project(tmp_path / "p", tmp_path / "out")
    assert [r["messages"][0]["content"] for r in exported(tmp_path / "out")] == ["Question about the plan",
                                                                                "Unrelated"]
    assert removed(tmp_path / "out")[human]["reason"] == "near_duplicate"
    assert step_report(result, "near_dedup")["protected"] == 0  # preferred, nothing to veto


def test_a_reviewers_own_later_choice_still_drops_and_the_review_queue_says_so(tmp_path):
    project = make_project(tmp_path, '[[recipe.steps]]\nname = "near_dedup"\n' + REVIEW, near_copies())
    human, synthetic, _ = project.records().get_column("id").to_list()
    record_verdict(project.store, synthetic, "ann", "accept")
    (cluster,) = dedup_review.review_set(project, "near_dedup").clusters
    dedup_review.choose_survivor(project.store, "near_dedup", cluster, human, rater="bo")
    outcome = project.run()
    assert outcome.kept.get_column("id").to_list()[0] == human
    gone = {r["id"]: r for r in outcome.removed.to_dicts()}
    assert gone[synthetic]["step"] == "near_dedup"
    assert next(s for s in outcome.steps if s.name == "near_dedup").protected == 0

    queue = ReviewQueue.load(project, "ann")
    assert queue.progress() == {"total": 1, "mine": 1, "complete": 1}
    fate = queue.fate(queue.position[synthetic])
    assert fate is not None
    assert "dropped by near_dedup" in fate and "bo kept another copy" in fate
    project.close()


def test_balance_keeps_rows_a_reviewer_relabelled(tmp_path):
    records = frame([{"user": f"q{i}", "assistant": f"a{i}", "category": "billing"} for i in range(6)])
    ids = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("categorize", ids[5], "edit", detail={"category": "billing"}, rater="bo")
    recipe = Recipe((StepSpec("balance", {"max_per_category": 1, "select": "random"}),))
    out = run_recipe(records, recipe, load_registry(), store=store)
    assert out.kept.get_column("id").to_list() == [ids[5]]


def test_the_pipeline_panel_says_how_many_drops_a_reviewer_s_decision_stopped():
    from workbench.tui.summary import PipelineSummary
    from workbench.tui.widgets.pipeline_panel import describe_pipeline

    summary = PipelineSummary(last_run="s0002", steps=[
        {"name": "balance", "rows_in": 300, "rows_out": 240, "removed": {"balanced_out": 60}, "protected": 12},
        {"name": "near_dedup", "rows_in": 240, "rows_out": 240, "protected": 0}],
        split={"train": 200, "holdout": 40})
    text = describe_pipeline(summary).plain
    assert "12 kept for a reviewer's decision" in text
    assert text.count("kept for a reviewer") == 1  # nothing said where nothing was stopped
