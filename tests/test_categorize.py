"""The categorize step: confident guesses label rows, unsure ones go to review, reviewers' relabels
win, near-identical prompts with different labels are flagged; categorizers plug in."""

from __future__ import annotations

import importlib.metadata as md
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import frame
from workbench.embeddings import vectors as V
from workbench.errors import ConfigError
from workbench.io import finalize_ids, read_input
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.steps.base import StepContext
from workbench.steps.categorize.step import Categorize
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_RULES = ROOT / "plugins" / "workbench-keyword-categorizer" / "examples" / "quillfield.toml"
DIM = 8


def seed_cache(cache_dir: Path, records: pl.DataFrame, vectors: np.ndarray, fields: str = "user") -> None:
    """Put `vectors` in the embedding cache as if the packaged model had encoded the rows."""
    cache = V.embedding_cache(V.PACKAGED_MODEL, cache_dir)
    cache.put(V.cache_keys(records, V.record_texts(records, fields)), np.asarray(vectors, dtype=np.float32))


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


BILLING, SHIPPING = unit([1, 0, 0, 0, 0, 0, 0, 0]), unit([0, 1, 0, 0, 0, 0, 0, 0])


def labelled_world(extra: list[tuple[dict, np.ndarray]]):
    """Ten billing and ten shipping rows around two directions, plus `extra` rows and vectors."""
    rng = np.random.default_rng(0)
    rows, vectors = [], []
    for name, centre in (("billing", BILLING), ("shipping", SHIPPING)):
        for i in range(10):
            rows.append({"user": f"{name} question {i}", "assistant": "answer", "category": name})
            vectors.append(unit(centre + 0.1 * rng.normal(size=DIM)))
    for row, vector in extra:
        rows.append(row)
        vectors.append(unit(vector))
    return frame(rows), np.array(vectors)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.delenv("WORKBENCH_PLUGINS", raising=False)
    return load_registry()


def by_reason(decisions, reason):
    return {d.record_id: d for d in decisions if d.reason == reason}


def test_confident_guesses_label_and_unsure_ones_go_to_review(tmp_path):
    records, vectors = labelled_world([
        ({"user": "clearly about a charge", "assistant": "a"}, BILLING + 0.05 * SHIPPING),
        ({"user": "halfway between", "assistant": "a"}, BILLING + SHIPPING),
        ({"user": "clearly about a parcel", "assistant": "a"}, SHIPPING),
    ])
    seed_cache(tmp_path, records, vectors)
    result = Categorize(min_confidence=0.8).run(records, StepContext("categorize", cache_dir=tmp_path))
    ids = records.get_column("id").to_list()
    charge, halfway, parcel = ids[20], ids[21], ids[22]
    category = dict(result.kept.select("id", "category").iter_rows())
    assert category[charge] == "billing" and category[parcel] == "shipping"
    assert category[halfway] is None  # not labelled silently

    auto = by_reason(result.decisions, "auto_category")
    assert set(auto) == {charge, parcel}
    assert auto[charge].action == "edit" and auto[charge].detail["confidence"] == 1.0
    low = by_reason(result.decisions, "low_confidence")
    assert set(low) == {halfway} and low[halfway].action == "flag"
    assert low[halfway].detail["suggested"] in ("billing", "shipping")
    assert 0.3 < low[halfway].detail["confidence"] < 0.8
    assert result.stats["auto_labelled"] == 2 and result.stats["low_confidence"] == 1

    # A lower bar labels the halfway row too, with the same guess it suggested.
    lenient = Categorize(min_confidence=0.3).run(records, StepContext("categorize", cache_dir=tmp_path))
    assert dict(lenient.kept.select("id", "category").iter_rows())[halfway] == low[halfway].detail["suggested"]


def test_nearest_centroid_gates_on_its_confidence_too(tmp_path):
    records, vectors = labelled_world([
        ({"user": "near billing", "assistant": "a"}, BILLING + 0.1 * SHIPPING),
        ({"user": "between", "assistant": "a"}, BILLING + 0.95 * SHIPPING),
    ])
    seed_cache(tmp_path, records, vectors)
    result = Categorize(method="centroid", min_confidence=0.9).run(records, StepContext("categorize", cache_dir=tmp_path))
    ids = records.get_column("id").to_list()
    assert set(by_reason(result.decisions, "auto_category")) == {ids[20]}
    assert set(by_reason(result.decisions, "low_confidence")) == {ids[21]}


def test_reviewer_relabels_win_and_persist(tmp_path, registry):
    records, vectors = labelled_world([({"user": "unsure one", "assistant": "a"}, BILLING + SHIPPING)])
    seed_cache(tmp_path / ".workbench" / "cache", records, vectors)
    ids = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("categorize", ids[20], "edit", detail={"category": "shipping"}, rater="ann")  # the unsure row
    store.decisions.decide("categorize", ids[0], "edit", detail={"category": "refunds"}, rater="ann")  # a labelled one
    store.close()
    store = Store(tmp_path / "wb.db")  # as after a restart
    recipe = Recipe((StepSpec("categorize", {"min_confidence": 0.99}),))
    outcome = run_recipe(records, recipe, registry, store=store, project_dir=tmp_path)
    category = dict(outcome.kept.select("id", "category").iter_rows())
    assert category[ids[20]] == "shipping" and category[ids[0]] == "refunds"
    assert outcome.steps[0].edited == 2 and outcome.steps[0].stats["relabelled"] == 2
    assert not [d for d in outcome.flagged if d.record_id == ids[20]]  # decided: no longer for review


def test_near_identical_prompts_with_different_labels_are_flagged(tmp_path):
    records, vectors = labelled_world([
        ({"user": "How do I get my money back?", "assistant": "a", "category": "billing"}, BILLING + 0.3 * SHIPPING),
        ({"user": "How do I get my money back??", "assistant": "b", "category": "shipping"}, BILLING + 0.3 * SHIPPING),
    ])
    seed_cache(tmp_path, records, vectors)
    result = Categorize(conflict_threshold=0.99).run(records, StepContext("categorize", cache_dir=tmp_path))
    ids = records.get_column("id").to_list()
    conflicts = by_reason(result.decisions, "label_conflict")
    assert set(conflicts) == {ids[20], ids[21]}
    assert conflicts[ids[20]].detail["conflicts_with"] == ids[21]
    assert conflicts[ids[20]].detail["other_category"] == "shipping"
    assert conflicts[ids[21]].detail["similarity"] == pytest.approx(1.0, abs=1e-4)
    assert result.stats["conflicts"] == 2
    # Nothing dropped, nothing relabelled by the check.
    assert result.kept.get_column("category").to_list() == records.get_column("category").to_list()


def test_no_labelled_rows_means_everything_goes_to_review():
    records = frame([{"user": f"q{i}", "assistant": "a"} for i in range(3)])
    result = Categorize().run(records, StepContext("categorize"))  # nothing to learn from: no model needed
    assert [d.reason for d in result.decisions] == ["low_confidence"] * 3
    assert all(d.detail["suggested"] is None for d in result.decisions)


@pytest.mark.parametrize("params, words", [
    ({"min_confidence": 1.5}, "min_confidence must be from 0 to 1"),
    ({"k": 0}, "k must be from 1 to 1000"),
    ({"options": {"rules": "x.toml"}}, "options are for a plugin's categorizer"),
    ({"conflict_threshold": 0}, "conflict_threshold must be above 0"),
])
def test_bad_settings_are_config_errors(registry, params, words):
    with pytest.raises(ConfigError, match="categorize") as err:
        registry.build_step(StepSpec("categorize", params))
    assert words in str(err.value)


def test_an_unknown_method_lists_the_available_ones(registry):
    recipe = Recipe((StepSpec("categorize", {"method": "magic"}),))
    with pytest.raises(ConfigError, match="unknown method 'magic'; available: knn, centroid"):
        run_recipe(frame([{"user": "q", "assistant": "a"}]), recipe, registry)


def test_a_project_plugin_can_register_a_categorizer(tmp_path):
    (tmp_path / "lengthy.py").write_text(
        "from workbench.hookspecs import hookimpl\n"
        "class ByLength:\n"
        "    def __init__(self, options, project_dir):\n"
        "        self.cut = options.get('cut', 10)\n"
        "    def categorize(self, unlabelled, labelled, ctx):\n"
        "        texts = unlabelled.get_column('messages').list.first().struct.field('content').to_list()\n"
        "        return [('long' if len(t) > self.cut else 'short', 0.9 if len(t) != self.cut else 0.5) for t in texts]\n"
        "@hookimpl\n"
        "def register_categorizers(register):\n"
        "    register('by_length', ByLength)\n", encoding="utf-8")
    registry = load_registry(["lengthy.py"], tmp_path)
    registry.steps.setdefault("categorize", Categorize)
    assert "by_length" in registry.categorizers
    records = frame([{"user": "tiny", "assistant": "a"}, {"user": "a rather long question", "assistant": "a"},
                     {"user": "ten chars!", "assistant": "a"}])
    recipe = Recipe((StepSpec("categorize", {"method": "by_length", "options": {"cut": 10},
                                             "conflict_threshold": None}),))
    outcome = run_recipe(records, recipe, registry, project_dir=tmp_path)
    assert outcome.kept.get_column("category").to_list() == ["short", "long", None]
    assert [d.reason for d in outcome.flagged] == ["low_confidence"]


# -- the example plugin: keyword rules ----------------------------------------------------------

def _keyword_plugin_installed() -> bool:
    try:
        md.distribution("workbench-keyword-categorizer")
    except md.PackageNotFoundError:
        return False
    return True


needs_keyword_plugin = pytest.mark.skipif(
    not _keyword_plugin_installed(),
    reason="workbench-keyword-categorizer is not installed (make install, or pip install -e "
           "plugins/workbench-keyword-categorizer)")


@needs_keyword_plugin
def test_keyword_rules_label_by_the_words_a_prompt_uses(tmp_path, registry):
    assert "keywords" in registry.categorizers
    info = next(p for p in registry.plugins if p.name == "keyword_categorizer")
    assert info.hooks == ["register_categorizers"]
    (tmp_path / "rules.toml").write_text(
        'min_hits = 1\n'
        '[categories.billing]\nkeywords = ["refund*", "double charge", "invoice"]\n'
        '[categories.shipping]\nkeywords = ["parcel", "tracking", "delivery"]\n', encoding="utf-8")
    records = frame([
        {"user": "I need a refund for the double charge.", "assistant": "a"},  # billing 2 : 0
        {"user": "Where is my PARCEL? The tracking page is empty.", "assistant": "a"},  # shipping 2 : 0
        {"user": "Refunded the delivery fee?", "assistant": "a"},  # 1 : 1, a tie
        {"user": "Hello there", "assistant": "refund delivery"},  # only user turns are searched
        {"user": "The invoicing page is broken", "assistant": "a"},  # "invoice" is a whole word
    ])
    recipe = Recipe((StepSpec("categorize", {"method": "keywords", "options": {"rules": "rules.toml"},
                                             "conflict_threshold": None}),))
    outcome = run_recipe(records, recipe, registry, project_dir=tmp_path)
    assert outcome.kept.get_column("category").to_list() == ["billing", "shipping", None, None, None]
    flags = {d.record_id: d.detail for d in outcome.flagged}
    ids = records.get_column("id").to_list()
    assert flags[ids[2]] == {"suggested": "billing", "confidence": 0.5, "needed": 0.6, "method": "keywords"}
    assert flags[ids[3]]["suggested"] is None and flags[ids[4]]["suggested"] is None


@needs_keyword_plugin
@pytest.mark.parametrize("rules, words", [
    (None, "rules file"),
    ("[categories.billing]\nkeywords = []\n", "[categories.billing] needs keywords"),
    ("colour = 'red'\n[categories.a]\nkeywords = ['x']\n", "unknown key(s) colour"),
    ("roles = ['bot']\n[categories.a]\nkeywords = ['x']\n", "roles must be a list"),
    ("[categories.a\n", "not valid TOML"),
])
def test_bad_rules_files_are_clear_config_errors(tmp_path, registry, rules, words):
    if rules is not None:
        (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
    recipe = Recipe((StepSpec("categorize", {"method": "keywords", "options": {"rules": "rules.toml"}}),))
    with pytest.raises(ConfigError, match="categorize: method 'keywords'") as err:
        run_recipe(frame([{"user": "q", "assistant": "a"}]), recipe, registry, project_dir=tmp_path)
    assert words in str(err.value) and "rules.toml" in str(err.value)


@needs_keyword_plugin
def test_example_rules_label_most_unlabelled_sample_rows_right(registry):
    """On the support sample, confident keyword labels agree with the true categories."""
    planted = json.loads((ROOT / "sample_data" / "support" / "planted.json").read_text(encoding="utf-8"))
    truth = {u["line"]: u["true_category"] for u in planted["unlabelled"]}
    data = finalize_ids(read_input(ROOT / "sample_data" / "support" / "support_chats.jsonl").records)
    recipe = Recipe((StepSpec("categorize", {"method": "keywords", "options": {"rules": str(EXAMPLE_RULES)},
                                             "conflict_threshold": None}),))
    outcome = run_recipe(data, recipe, registry)
    labelled = outcome.kept.filter(pl.col("source_line").is_in(list(truth)) & pl.col("category").is_not_null())
    right = sum(truth[line] == cat for line, cat in labelled.select("source_line", "category").iter_rows())
    assert labelled.height >= 60
    assert right / labelled.height >= 0.9


@pytest.mark.slow
def test_knn_with_the_packaged_model_labels_obvious_requests(tmp_path):
    rows = [{"user": text, "assistant": "ok", "category": cat} for cat, texts in {
        "billing": ["I was charged twice this month.", "Please refund my subscription payment.",
                    "Why is my invoice higher than usual?", "Cancel my plan and refund the fee."],
        "shipping": ["Where is my parcel?", "My package has not arrived yet.",
                     "The tracking number does not work.", "Can you change my delivery address?"],
    }.items() for text in texts]
    rows += [{"user": "I need my money back for a double payment.", "assistant": "ok"},
             {"user": "The courier lost my package.", "assistant": "ok"}]
    records = frame(rows)
    result = Categorize(k=4, min_confidence=0.5).run(records, StepContext("categorize", cache_dir=tmp_path))
    assert result.kept.get_column("category").to_list()[-2:] == ["billing", "shipping"]
