"""services.balance_targets, called directly: the rows that reach balance with what people decided,
the targets as typed into the Balance screen, the rows a set of targets drops, and writing them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conftest import project_with_embeddings
from workbench.errors import WorkbenchError
from workbench.records import UNLABELLED
from workbench.services.balance_targets import (
    decided_rows,
    plan_context,
    rows_at_balance,
    rows_dropped,
    targets_step,
    with_next_choice,
    with_target,
    write_targets,
)
from workbench.services.project import Project
from workbench.steps.balance.distribution import DEFAULT_KEY


def chat(user: str, assistant: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


ROWS = [
    *[{"messages": chat(f"Billing question {i}: why was I charged {i + 10} dollars?", f"Refund {i}."),
       "category": "billing"} for i in range(12)],
    *[{"messages": chat(f"Where is parcel number {i}?", f"Tracking {i}."), "category": "shipping"} for i in range(6)],
    {"messages": chat("Something without a label", "Answer.")},
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    project = Project.open(project_with_embeddings(tmp_path, ROWS))
    yield project
    project.close()


def test_typed_targets_become_step_parameters():
    params = with_target({}, "max", None, "1,000")
    assert params == {"max_per_category": 1000}
    params = with_target(params, "cap", "billing", "5")
    assert params == {"max_per_category": {DEFAULT_KEY: 1000, "billing": 5}}
    params = with_target(params, "max", None, "")  # no cap for the rest: billing keeps its own
    assert params == {"max_per_category": {"billing": 5}}
    params = with_target(params, "share", "billing", "20%")
    assert params["target_share"] == {"billing": 0.2}
    assert with_target(params, "share", "billing", "0.3")["target_share"] == {"billing": 0.3}
    params = with_target(with_target(params, "share", "billing", ""), "cap", "billing", "")
    assert params == {}  # emptied targets leave no trace
    assert with_target({"min_per_category": 3}, "cap", None, "9") == {"min_per_category": 3}  # no category: no cap
    for text in ("abc", "-1"):
        with pytest.raises(ValueError):
            with_target({}, "min", None, text)


def test_choices_cycle_from_the_default():
    assert with_next_choice({}, "unlabelled") == {"unlabelled": "drop"}
    assert with_next_choice({"unlabelled": "balance"}, "unlabelled") == {"unlabelled": "keep"}
    assert with_next_choice({"select": "diverse"}, "select") == {"select": "random"}


def test_bad_targets_are_refused_as_the_step_refuses_them():
    with pytest.raises(WorkbenchError, match="Balance targets"):
        targets_step({"target_share": {"billing": 0.7, "shipping": 0.6}})


def test_the_rows_a_cap_drops_keep_the_rows_people_kept(project: Project):
    kept = project.records().filter(project.records()["category"] == "billing").get_column("id")[0]
    project.store.decisions.decide("balance", kept, "keep", rater="ann")
    records, params, in_recipe, human = rows_at_balance(project)
    assert records.height == 19 and params == {} and not in_recipe and set(human) == {(kept, "")}
    protected, held_back = decided_rows(project, records)
    assert kept in protected and held_back == frozenset()

    params = with_target(params, "max", None, "5")
    plan = targets_step(params).plan(records, plan_context(human, protected, held_back))
    assert (plan.total_before, plan.total_after) == (19, 11)
    dropped = rows_dropped(project, records, "billing", params, human=human, protected=protected, held_back=held_back)
    assert dropped.height == 7 and set(dropped.get_column("category")) == {"billing"}
    assert kept not in dropped.get_column("id").to_list()
    unlabelled = rows_dropped(project, records, UNLABELLED, {**params, "unlabelled": "drop"},
                              human=human, protected=protected, held_back=held_back)
    assert unlabelled.height == 1 and unlabelled.get_column("category").is_null().all()


def test_written_targets_are_the_recipes_and_bad_ones_are_not_written(project: Project):
    config = project.path / "workbench.toml"
    before = config.read_text(encoding="utf-8")
    with pytest.raises(WorkbenchError):
        write_targets(project, {"max_per_category": 5, "select": "best"})
    assert config.read_text(encoding="utf-8") == before
    write_targets(project, {"max_per_category": 5, "unlabelled": "drop"})
    steps = tomllib.loads(config.read_text(encoding="utf-8"))["recipe"]["steps"]
    assert next(s for s in steps if s["name"] == "balance") == {"name": "balance", "max_per_category": 5,
                                                                 "unlabelled": "drop"}
    again = Project.open(project.path)
    try:
        _, params, in_recipe, _ = rows_at_balance(again)
    finally:
        again.close()
    assert in_recipe and params == {"max_per_category": 5, "unlabelled": "drop"}
