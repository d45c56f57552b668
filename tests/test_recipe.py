from dataclasses import dataclass
from typing import ClassVar

import polars as pl
import pytest

from conftest import frame
from workbench.errors import Cancelled, ConfigError, StepFailed
from workbench.plugins import Registry, load_registry
from workbench.recipe import Recipe, SplitSpec, StepSpec, recipe_from_dict, run_recipe
from workbench.steps.base import Step, StepResult
from workbench.steps.split import assign_split
from workbench.store import Store


def many(n, categories=("billing", "account", "shipping")):
    return frame([{"user": f"question number {i}", "assistant": f"answer {i}",
                   "category": categories[i % len(categories)]} for i in range(n)])


def test_removed_rows_carry_step_reason_source_and_duplicate_of():
    records = frame([{"user": "A", "assistant": "B"}, {"user": "Q", "assistant": ""},
                     {"user": "a", "assistant": "b"}], source="in.jsonl")
    ids = records.get_column("id").to_list()
    out = run_recipe(records, Recipe(), load_registry())
    removed = out.removed.to_dicts()
    assert [(r["id"], r["step"], r["reason"], r["source_file"], r["source_line"]) for r in removed] == [
        (ids[1], "validate", "empty_turn", "in.jsonl", 2),
        (ids[2], "exact_dedup", "exact_duplicate", "in.jsonl", 3),
    ]
    assert '"duplicate_of":"%s"' % ids[0] in removed[1]["detail"]
    assert [(s.name, s.rows_in, s.rows_out, s.removed) for s in out.steps] == [
        ("validate", 3, 2, {"empty_turn": 1}), ("exact_dedup", 2, 1, {"exact_duplicate": 1}),
        ("near_dedup", 1, 1, {})]


def test_human_decisions_override_the_step(tmp_path):
    records = frame([{"user": "A", "assistant": "B"}, {"user": "a", "assistant": "b"},
                     {"user": "C", "assistant": "D"}, {"user": "E", "assistant": " "}])
    ids = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("exact_dedup", ids[0], "keep", rater="ana")  # not duplicates: keep both copies
    store.decisions.decide("exact_dedup", ids[1], "keep", rater="ana")
    store.decisions.decide("validate", ids[2], "drop", reason="answer is wrong", rater="ana")
    store.decisions.decide("validate", ids[3], "keep", rater="ana")  # the reviewer accepts the blank reply
    recipe = Recipe((StepSpec("validate"), StepSpec("exact_dedup")))  # decisions are per step
    out = run_recipe(records, recipe, load_registry(), store=store)
    assert out.kept.get_column("id").to_list() == [ids[0], ids[1], ids[3]]
    (dropped,) = out.removed.to_dicts()
    assert (dropped["id"], dropped["step"], dropped["reason"]) == (ids[2], "validate", "answer is wrong")
    assert '"rater":"ana"' in dropped["detail"]
    assert [s.human_overrides for s in out.steps] == [2, 0]


def test_a_single_keep_picks_the_surviving_copy(tmp_path):
    records = frame([{"user": "A", "assistant": "B"}, {"user": "a", "assistant": "b"}])
    first, second = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("exact_dedup", second, "keep", rater="ana")
    out = run_recipe(records, Recipe(), load_registry(), store=store)
    assert out.kept.get_column("id").to_list() == [second]
    assert out.removed.get_column("detail").to_list() == [f'{{"duplicate_of":"{second}","similarity":1.0}}']


def test_a_step_that_drops_without_a_reason_is_an_error():
    @dataclass
    class Sloppy(Step):
        name: ClassVar[str] = "sloppy"

        def run(self, records, ctx):
            return StepResult(records.head(1))

    registry = Registry()
    registry.steps["sloppy"] = Sloppy
    with pytest.raises(StepFailed, match="without a decision"):
        run_recipe(many(3), Recipe((StepSpec("sloppy"),)), registry)


def test_split_is_stratified_stable_and_seeded():
    records = many(300)
    split = assign_split(records, SplitSpec(holdout=0.2, seed=7))
    table = records.with_columns(split).group_by("category", "split").len().sort("category", "split")
    assert table.filter(pl.col("split") == "holdout").get_column("len").to_list() == [20, 20, 20]
    # Same ids, other order: the same rows are held out.
    shuffled = records.sample(fraction=1.0, shuffle=True, seed=1)
    again = shuffled.with_columns(assign_split(shuffled, SplitSpec(holdout=0.2, seed=7)))
    held = set(records.with_columns(split).filter(pl.col("split") == "holdout").get_column("id"))
    assert held == set(again.filter(pl.col("split") == "holdout").get_column("id"))
    # Adding rows moves only a few existing ones across the line.
    grown = pl.concat([records, many(330).slice(300)])
    grown_held = set(grown.with_columns(assign_split(grown, SplitSpec(holdout=0.2, seed=7)))
                     .filter(pl.col("split") == "holdout").get_column("id"))
    assert len(held - grown_held) <= 3
    other_seed = set(records.with_columns(assign_split(records, SplitSpec(holdout=0.2, seed=8)))
                     .filter(pl.col("split") == "holdout").get_column("id"))
    assert other_seed != held


def test_recipe_errors_say_what_is_wrong():
    with pytest.raises(ConfigError, match="step 2 needs a 'name'"):
        recipe_from_dict({"steps": [{"name": "validate"}, {"max_chars": 3}]})
    with pytest.raises(ConfigError, match="holdout must be a fraction"):
        recipe_from_dict({"split": {"holdout": 1.5}})
    with pytest.raises(ConfigError, match="unknown key"):
        recipe_from_dict({"step": []})


def test_recipe_hash_changes_with_parameters():
    a = recipe_from_dict({"steps": [{"name": "validate", "max_chars": 100}]})
    b = recipe_from_dict({"steps": [{"name": "validate", "max_chars": 101}]})
    assert a.hash != b.hash and a.hash == recipe_from_dict(a.to_dict()).hash


def test_cancelling_stops_the_run():
    with pytest.raises(Cancelled):
        run_recipe(many(10), Recipe(), load_registry(), cancelled=lambda: True)
