"""The balance step: which rows a cut keeps (deterministic, diverse), the counts it plans, the
deficits it reports in report.json and DATA_CARD.md, and general data mixed in."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import frame, write_jsonl
from workbench.embeddings import vectors as V
from workbench.errors import ConfigError
from workbench.export.card_sections import data_card_sections
from workbench.export.folder import ExportInfo, write_export
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.records import Decision
from workbench.steps.balance.distribution import Targets, plan_balance
from workbench.steps.balance.sampling import diverse_subset
from workbench.steps.balance.step import Balance
from workbench.steps.base import StepContext

DIM = 16


def seed_cache(cache_dir: Path, records: pl.DataFrame, vectors: np.ndarray, fields: str = "user") -> None:
    """Put `vectors` in the embedding cache as if the packaged model had encoded the rows."""
    cache = V.embedding_cache(V.PACKAGED_MODEL, cache_dir)
    texts = V.record_texts(records, fields)
    cache.put(V.cache_keys(records, texts), np.asarray(vectors, dtype=np.float32))


def clustered(sizes: dict[str, int], category: str = "billing", seed: int = 0, spread: float = 0.05):
    """Rows of one category in tight clusters (one per intent), and their unit vectors."""
    rng = np.random.default_rng(seed)
    rows, vectors = [], []
    for intent, n in sizes.items():
        centre = rng.normal(size=DIM)
        for i in range(n):
            rows.append({"user": f"{intent} question number {i}", "assistant": f"{intent} answer {i}",
                         "category": category})
            vectors.append(centre + spread * rng.normal(size=DIM))
    vectors = np.array(vectors)
    return rows, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def intent(text: str) -> str:
    return text.split()[0]


def kept_intents(records: pl.DataFrame) -> list[str]:
    firsts = records.get_column("messages").list.first().struct.field("content").to_list()
    return [intent(t) for t in firsts]


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    return load_registry()


def run_balance(records, vectors, tmp_path, **params):
    seed_cache(tmp_path / "cache", records, vectors)
    ctx = StepContext("balance", cache_dir=tmp_path / "cache")
    return Balance(**params).run(records, ctx)


# -- which rows a cut keeps -------------------------------------------------------------------

def test_down_sampling_keeps_every_intent_where_random_loses_the_rare_ones(tmp_path):
    # Billing: 60 near-paraphrases of one request, and two rare requests with 6 rows each.
    rows, vectors = clustered({"refund": 60, "wifi": 6, "privacy": 6})
    records = frame(rows)
    diverse = run_balance(records, vectors, tmp_path, max_per_category=9)
    assert diverse.kept.height == 9
    counts = {name: kept_intents(diverse.kept).count(name) for name in ("refund", "wifi", "privacy")}
    assert all(n >= 1 for n in counts.values()), counts  # every request keeps examples
    # ... and the rare ones more than their share (random expects 9 * 12/72 = 1.5 between them)
    assert counts["wifi"] + counts["privacy"] >= 3, counts

    # Seeded random keeps the big cluster's share: the two rare requests get ~0.75 rows each.
    misses = 0
    for seed in range(10):
        picked = run_balance(records, vectors, tmp_path, max_per_category=9, select="random", seed=seed)
        found = set(kept_intents(picked.kept))
        misses += ("wifi" not in found) + ("privacy" not in found)
    assert misses >= 5


def test_kept_rows_cover_the_dropped_ones_better_than_random(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(400, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [{"user": f"request {i}", "assistant": "ok", "category": "billing"} for i in range(400)]
    records = frame(rows)
    ids = records.get_column("id").to_list()

    def coverage_radius(result) -> float:
        kept = np.array([ids.index(i) for i in result.kept.get_column("id").to_list()])
        return float((1 - (vectors @ vectors[kept].T).max(axis=1)).max())  # farthest row from any kept one

    diverse = coverage_radius(run_balance(records, vectors, tmp_path, max_per_category=40))
    randoms = [coverage_radius(run_balance(records, vectors, tmp_path, max_per_category=40, select="random", seed=s))
               for s in range(5)]
    assert diverse < min(randoms)


def test_the_choice_is_deterministic_and_independent_of_input_order(tmp_path):
    rows, vectors = clustered({"refund": 50, "wifi": 10, "privacy": 10, "invoice": 10})
    records = frame(rows)
    first = run_balance(records, vectors, tmp_path, max_per_category=12)
    again = run_balance(records, vectors, tmp_path, max_per_category=12)
    assert first.kept.get_column("id").to_list() == again.kept.get_column("id").to_list()
    assert [d.record_id for d in first.decisions] == [d.record_id for d in again.decisions]

    order = list(range(records.height))
    random.Random(7).shuffle(order)
    shuffled = run_balance(records[order], vectors[order], tmp_path, max_per_category=12)
    assert set(shuffled.kept.get_column("id")) == set(first.kept.get_column("id"))


def test_big_categories_are_clustered_first_and_still_cover_every_intent():
    # Above LEAF rows the sample is split by k-means before farthest-point sampling.
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(12, DIM))
    sizes = [2500] + [60] * 11
    vectors = np.concatenate([c + 0.05 * rng.normal(size=(n, DIM)) for c, n in zip(centres, sizes)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    label = np.repeat(np.arange(12), sizes)
    keep = diverse_subset(vectors, 120, seed=0)
    assert len(keep) == 120 and len(set(keep.tolist())) == 120
    counts = np.bincount(label[keep], minlength=12)
    assert counts.min() >= 2, counts  # every intent keeps examples ...
    assert counts[0] < 120 * 2500 / 3160  # ... and the huge one less than its share
    assert np.array_equal(keep, diverse_subset(vectors, 120, seed=0))


def test_rows_a_reviewer_kept_stay_and_count_towards_the_cap(tmp_path):
    rows, vectors = clustered({"refund": 30})
    records = frame(rows)
    pinned = records.get_column("id").to_list()[:3]
    seed_cache(tmp_path / "cache", records, vectors)
    human = {(rid, ""): Decision(rid, "keep", rater="ann", step="balance") for rid in pinned}
    result = Balance(max_per_category=5).run(records, StepContext("balance", human=human, cache_dir=tmp_path / "cache"))
    kept = result.kept.get_column("id").to_list()
    assert len(kept) == 5 and set(pinned) <= set(kept)


# -- the plan: caps, shares, deficits ---------------------------------------------------------

def test_caps_minimums_and_deficits_by_hand():
    plan = plan_balance({"billing": 100, "account": 50, "privacy": 10},
                        Targets(max_per_category=30, min_per_category=20))
    got = {c.category: (c.before, c.after, c.deficit) for c in plan.categories}
    assert got == {"billing": (100, 30, 0), "account": (50, 30, 0), "privacy": (10, 10, 10)}
    assert plan.get("privacy").deficit_of == "min_per_category"


def test_target_share_caps_the_big_ones_and_reports_the_small_ones():
    # billing may be at most 40% of the balanced rows; the others are kept as they are.
    # Total T = 60 + 0.4 T -> T = 100, so billing keeps 40.
    plan = plan_balance({"billing": 100, "account": 50, "privacy": 10}, Targets(target_share={"billing": 0.4}))
    assert plan.get("billing").after == 40 and plan.total_after == 100
    # privacy wants 20% of the rows it ends up in: T = 150 + min(10, 0.2 T) -> T = 160, privacy lacks 22.
    plan = plan_balance({"billing": 100, "account": 50, "privacy": 10}, Targets(target_share={"privacy": 0.2}))
    assert plan.get("billing").after == 100
    assert (plan.get("privacy").after, plan.get("privacy").deficit, plan.get("privacy").deficit_of) == (10, 22, "target_share")


def test_shares_for_every_category_are_proportions():
    plan = plan_balance({"a": 100, "b": 50, "c": 10}, Targets(target_share={"a": 0.5, "b": 0.3, "c": 0.2}))
    assert {c.category: c.after for c in plan.categories} == {"a": 25, "b": 15, "c": 10}


def test_unlabelled_rows_are_kept_dropped_or_balanced():
    counts = {"billing": 40, None: 25}
    assert plan_balance(counts, Targets(max_per_category=10)).get(None).after == 25
    dropped = plan_balance(counts, Targets(max_per_category=10, unlabelled="drop")).get(None)
    assert dropped.after == 0 and dropped.dropped_as == "unlabelled"
    assert plan_balance(counts, Targets(max_per_category=10, unlabelled="balance")).get(None).after == 10


def test_a_category_named_in_the_targets_but_absent_is_a_deficit():
    plan = plan_balance({"billing": 40}, Targets(min_per_category={"warranty": 15}))
    assert (plan.get("warranty").before, plan.get("warranty").deficit) == (0, 15)


def test_deficits_reach_report_json_and_the_data_card(tmp_path, registry):
    rows, vectors = clustered({"refund": 40, "wifi": 10})
    extra = [{"user": f"privacy request {i}", "assistant": "ok", "category": "data_privacy"} for i in range(4)]
    records = frame(rows + extra)
    rng = np.random.default_rng(9)
    extra_vectors = rng.normal(size=(4, DIM))
    seed_cache(tmp_path / ".workbench" / "cache", records,
               np.vstack([vectors, extra_vectors / np.linalg.norm(extra_vectors, axis=1, keepdims=True)]))
    recipe = Recipe((StepSpec("balance", {"max_per_category": 20, "min_per_category": 10}),))
    outcome = run_recipe(records, recipe, registry, project_dir=tmp_path)

    removed = outcome.removed
    assert removed.height == 30 and set(removed.get_column("reason")) == {"balance"}
    assert json.loads(removed.get_column("detail")[0]) == {"category": "billing", "kept": 20, "of": 50,
                                                           "select": "diverse"}
    exported = write_export(outcome, tmp_path / "out", ExportInfo(recipe, [], []), registry.exporter("openai"))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    stats = next(s for s in report["steps"] if s["name"] == "balance")["stats"]
    assert stats["before"] == {"billing": 50, "data_privacy": 4}
    assert stats["after"] == {"billing": 20, "data_privacy": 4}
    assert stats["deficits"] == {"data_privacy": {"have": 4, "missing": 6, "target": "min_per_category", "need": 10}}
    lines = [json.loads(line) for line in (tmp_path / "out" / "removed.jsonl").read_text().splitlines()]
    assert len(lines) == 30 and {line["reason"] for line in lines} == {"balance"}
    assert "\n".join(data_card_sections(exported.report)) in (tmp_path / "out" / "DATA_CARD.md").read_text()
    card = (tmp_path / "out" / "DATA_CARD.md").read_text()
    assert "## Balancing" in card and "| billing | 50 | 20 | 20 |" in card
    assert "**data_privacy**: 4 rows, 6 short of its minimum (10)" in card


# -- general instruction data -----------------------------------------------------------------

def test_general_rows_are_mixed_in_at_their_share(tmp_path, registry):
    write_jsonl(tmp_path / "general.jsonl", [
        {"instruction": f"Write a haiku about the number {i}.", "output": f"Haiku {i}."} for i in range(30)])
    records = frame([{"user": f"q{i}", "assistant": "a", "category": "billing"} for i in range(40)])
    recipe = Recipe((StepSpec("balance", {"general_file": "general.jsonl", "general_share": 0.2}),))
    outcome = run_recipe(records, recipe, registry, project_dir=tmp_path)
    mixed = outcome.kept.filter(pl.col("origin") == "general")
    assert mixed.height == 10  # 20% of 50: 0.2 / 0.8 * 40 task rows
    assert set(mixed.get_column("category")) == {"general"}
    assert set(mixed.get_column("source_file")) == {"general.jsonl"}
    balance = outcome.steps[0].stats
    assert balance["general"] == {"added": 10, "wanted": 10, "available": 30, "missing": 0}
    again = run_recipe(records, recipe, registry, project_dir=tmp_path)
    assert again.kept.get_column("id").to_list() == outcome.kept.get_column("id").to_list()


def test_too_little_general_data_is_reported(tmp_path, registry):
    write_jsonl(tmp_path / "general.jsonl", [{"instruction": f"Say {i}.", "output": f"{i}"} for i in range(3)])
    records = frame([{"user": f"q{i}", "assistant": "a", "category": "billing"} for i in range(40)])
    recipe = Recipe((StepSpec("balance", {"general_file": "general.jsonl", "general_share": 0.5}),))
    outcome = run_recipe(records, recipe, registry, project_dir=tmp_path)
    assert outcome.steps[0].stats["general"] == {"added": 3, "wanted": 40, "available": 3, "missing": 37}


# -- settings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params, words", [
    ({"max_per_category": 10, "min_per_category": 20}, "min_per_category (20) is above max_per_category (10)"),
    ({"max_per_category": 0}, "max_per_category must be at least 1"),
    ({"max_per_category": {"billing": "many"}}, "max_per_category.billing must be a whole number"),
    ({"target_share": {"billing": 0.7, "account": 0.6}}, "target_share adds up to 1.30"),
    ({"target_share": {"billing": 1.5}}, "target_share.billing must be a fraction"),
    ({"general_share": 0.2}, "general_share needs general_file"),
    ({"general_file": "g.jsonl"}, "general_share is 0"),
    ({"select": "best"}, "should be one of 'diverse', 'random'"),
    ({"unlabelled": "hide"}, "should be one of 'keep', 'drop', 'balance'"),
])
def test_bad_settings_are_config_errors(registry, params, words):
    with pytest.raises(ConfigError, match="balance") as err:
        registry.build_step(StepSpec("balance", params))
    assert words in str(err.value)


def test_a_missing_general_file_names_it(tmp_path, registry):
    recipe = Recipe((StepSpec("balance", {"general_file": "nowhere.jsonl", "general_share": 0.1}),))
    with pytest.raises(ConfigError, match="general_file 'nowhere.jsonl' does not exist"):
        run_recipe(frame([{"user": "q", "assistant": "a", "category": "x"}]), recipe, registry, project_dir=tmp_path)


@pytest.mark.slow
def test_with_the_packaged_model_each_request_survives_the_cut(tmp_path):
    asks = {
        "refund": ["I was charged twice for Plus, please refund one payment.",
                   "Please refund the duplicate Plus charge on my card.",
                   "My card shows two Plus payments this month; refund one please.",
                   "Double charge for the subscription, I need a refund.",
                   "You billed me twice for Plus. Can I get my money back?",
                   "Refund the second subscription payment, it was a mistake."],
        "wifi": ["My thermostat keeps dropping off the Wi-Fi network.",
                 "The Tempo 3 says offline every night even though the router works."],
        "battery": ["How many years does the Vault battery warranty last?",
                    "Is the home battery's capacity guaranteed for ten years?"],
    }
    rows = [{"user": text, "assistant": "Thanks, we will help.", "category": "billing"}
            for texts in asks.values() for text in texts]
    records = frame(rows)
    result = Balance(max_per_category=4).run(records, StepContext("balance", cache_dir=tmp_path / "cache"))
    kept = set(result.kept.get_column("messages").list.first().struct.field("content").to_list())
    for name, texts in asks.items():
        assert kept & set(texts), f"no {name} request kept: {kept}"
