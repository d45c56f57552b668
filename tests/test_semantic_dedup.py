"""semantic_dedup: paraphrases cluster, the embedding cache spares a second encode, no chains."""

import numpy as np
import polars as pl
import pytest

from conftest import chat, frame, write_jsonl
from workbench.embeddings import encoder as embeddings
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.records import record_id
from workbench.steps.base import StepContext
from workbench.steps.dedup import find_clusters
from workbench.steps.dedup.near import NearDedup
from workbench.steps.dedup.semantic import SemanticDedup
from workbench.store import Store

SUPPORT = [
    ("How do I reset my password?", "Open Settings > Account > Reset password."),
    ("How can I reset my password?", "Open Settings > Account > Reset password."),  # paraphrase
    ("My invoice shows a double charge.", "I refunded the second charge."),
    ("What's the way to reset my password?", "Settings > Account > Reset password."),  # paraphrase
    ("Where is my parcel?", "It left our warehouse yesterday."),
    ("The app crashes when I start it.", "Please update to version 2.3."),
    ("The app crashes on start.", "Update to 2.3, that fixes it."),  # same question
    ("I was charged twice on my invoice.", "Refunded."),  # related, but below 0.95
]


def registry():
    reg = load_registry()
    reg.steps.setdefault(NearDedup.name, NearDedup)  # until the lead adds them to BUILTIN_STEPS
    reg.steps.setdefault(SemanticDedup.name, SemanticDedup)
    return reg


class CountingEncoder:
    """Wraps the real encoder and counts the texts it is asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.texts = 0

    def encode(self, texts, **kw):
        self.texts += len(texts)
        return self.inner.encode(texts, **kw)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def counting(monkeypatch):
    real = embeddings.load_encoder
    wrappers = {}

    def load(model, quantize=False):
        key = (model, quantize)
        if key not in wrappers:
            wrappers[key] = CountingEncoder(real(model, quantize))
        return wrappers[key]

    monkeypatch.setattr(embeddings, "load_encoder", load)
    return lambda: sum(w.texts for w in wrappers.values())


@pytest.mark.slow
def test_paraphrases_above_the_threshold_cluster_with_the_real_model(counting):
    records = frame([{"user": q, "assistant": a} for q, a in SUPPORT])
    ids = records.get_column("id").to_list()
    result = SemanticDedup(fields="user", policy="first").run(records, StepContext("semantic_dedup"))
    assert [(d.record_id, d.reason, d.detail["duplicate_of"]) for d in result.decisions] == [
        (ids[1], "semantic_duplicate", ids[0]),
        (ids[3], "semantic_duplicate", ids[0]),
        (ids[6], "semantic_duplicate", ids[5]),
    ]
    assert all(0.95 <= d.detail["similarity"] <= 1.0 for d in result.decisions)
    assert [d.detail["cluster"] for d in result.decisions] == [
        min(ids[0], ids[1], ids[3]), min(ids[0], ids[1], ids[3]), min(ids[5], ids[6])]
    assert result.stats["quantized"] is False
    assert counting() == len(SUPPORT)


@pytest.mark.slow
def test_the_embedding_cache_spares_the_second_run_and_re_embeds_edits(tmp_path, counting):
    records = frame([{"user": q, "assistant": a} for q, a in SUPPORT])
    recipe = Recipe((StepSpec("semantic_dedup", {"fields": "user", "policy": "first"}),))
    first = run_recipe(records, recipe, registry(), project_dir=tmp_path)
    assert counting() == len(SUPPORT)
    assert list((tmp_path / ".workbench" / "cache" / "embeddings").iterdir())

    second = run_recipe(records, recipe, registry(), project_dir=tmp_path)
    assert counting() == len(SUPPORT)  # nothing encoded again
    assert second.removed.to_dicts() == first.removed.to_dicts()
    assert second.steps[0].to_dict() == first.steps[0].to_dict()  # report.json does not change

    # An edited text (a PII scrub keeps the id) is embedded again; the others come from the cache.
    edited = records.with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit([{"role": "user", "content": "Where is my parcel, please?"},
                      {"role": "assistant", "content": "It left our warehouse yesterday."}],
                     dtype=records.schema["messages"]))
        .otherwise(pl.col("messages")).alias("messages"))
    run_recipe(edited, recipe, registry(), project_dir=tmp_path)
    assert counting() == len(SUPPORT) + 1


@pytest.mark.slow
def test_stateless_mode_writes_no_cache(tmp_path, monkeypatch, counting):
    monkeypatch.chdir(tmp_path)
    records = frame([{"user": q, "assistant": a} for q, a in SUPPORT[:3]])
    step = SemanticDedup(fields="user")
    for _ in range(2):
        result = step.run(records, StepContext("semantic_dedup", cache_dir=None))
        assert len(result.decisions) == 1
    assert counting() == 6  # without a cache every run encodes
    assert list(tmp_path.iterdir()) == []


# Fast tests with a stand-in encoder whose vectors are chosen by hand.

class TableEncoder:
    def __init__(self, table):
        self.table = table
        self.calls = 0

    def get_embedding_dimension(self):
        return 3

    def encode(self, texts, **kw):
        self.calls += 1
        vectors = np.array([self.table[t] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def unit(deg):
    r = np.radians(deg)
    return [float(np.cos(r)), float(np.sin(r)), 0.0]


@pytest.fixture
def table_encoder(monkeypatch):
    enc = TableEncoder({})
    monkeypatch.setattr(embeddings, "load_encoder", lambda model, quantize=False: enc)
    return enc


def test_semantic_chain_does_not_drop_unrelated_rows(table_encoder):
    # cos(A,B) = cos(B,C) = cos(10°) = 0.985, cos(A,C) = cos(20°) = 0.94: below 0.95.
    table_encoder.table.update({"A": unit(0), "B": unit(10), "C": unit(20), "D": [0, 0, 1]})
    records = frame([{"user": t, "assistant": "x"} for t in "ABCD"])
    ida, idb, idc, idd = records.get_column("id").to_list()
    result = SemanticDedup(fields="user", policy="first").run(records, StepContext("semantic_dedup"))
    assert [(d.record_id, d.detail["duplicate_of"], d.detail["similarity"]) for d in result.decisions] == [
        (idb, ida, round(float(np.cos(np.radians(10))), 4))]
    assert result.kept.get_column("id").to_list() == [ida, idc, idd]


def test_semantic_reviewer_choice_through_the_store(tmp_path, table_encoder):
    table_encoder.table.update({"A": unit(0), "B": unit(3), "C": unit(5)})
    records = frame([{"user": t, "assistant": "x"} for t in "ABC"])
    ids = records.get_column("id").to_list()
    store = Store(tmp_path / "wb.db")
    store.decisions.decide("semantic_dedup", ids[1], "keep", rater="ana")
    store.close()
    recipe = Recipe((StepSpec("semantic_dedup", {"fields": "user", "policy": "first"}),))
    out = run_recipe(records, recipe, registry(), store=Store(tmp_path / "wb.db"))
    assert out.kept.get_column("id").to_list() == [ids[1]]
    human = {(d.record_id, d.target): d for d in Store(tmp_path / "wb.db").decisions.standing("semantic_dedup").values()}
    (cluster,) = find_clusters(SemanticDedup(fields="user", policy="first"), records,
                               StepContext("semantic_dedup", human=human))
    assert (cluster.policy_survivor, cluster.survivors) == (ids[0], (ids[1],))


def test_semantic_against_an_export_drops_only_new_copies(tmp_path, table_encoder):
    table_encoder.table.update({"old question": unit(0), "new copy": unit(2), "new other": [0, 0, 1],
                                "Thanks.": unit(90)})
    old = {"messages": chat("old question", "Thanks.")}
    write_jsonl(tmp_path / "export" / "train.jsonl", [old])
    records = frame([{"user": "new copy", "assistant": "Thanks."}, {"user": "new other", "assistant": "Thanks."}])
    ids = records.get_column("id").to_list()
    step = SemanticDedup(fields="user", against=str(tmp_path / "export"))
    result = step.run(records, StepContext("semantic_dedup", cache_dir=tmp_path / "cache"))
    assert [(d.record_id, d.detail["duplicate_of"]) for d in result.decisions] == [
        (ids[0], record_id(old["messages"]))]
    assert result.stats["against_rows"] == 1


def test_blocked_search_equals_the_full_matrix(monkeypatch):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 8)).astype(np.float32)
    vectors = np.concatenate([base, base[:25] + rng.normal(scale=0.05, size=(25, 8)).astype(np.float32)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    monkeypatch.setattr(embeddings, "BLOCK_ROWS", 7)
    monkeypatch.setattr(embeddings, "BLOCK_COLS", 11)
    a, b, s = embeddings.similar_pairs(vectors, 0.95)
    full = vectors @ vectors.T
    ii, jj = np.nonzero(np.triu(full >= 0.95, k=1))
    assert list(zip(a.tolist(), b.tolist())) == list(zip(ii.tolist(), jj.tolist()))
    assert np.allclose(s, full[ii, jj], atol=1e-5)


def test_the_cache_merges_shards_and_survives_a_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "MAX_SHARDS", 3)
    cache = embeddings.EmbeddingCache(tmp_path)
    for i in range(5):
        cache.put([f"k{i}"], np.full((1, 4), i, dtype=np.float32))
    assert len(list(tmp_path.glob("*.keys"))) <= 3
    vectors, found = cache.get(["k0", "k4", "nope"])
    assert found.tolist() == [True, True, False]
    assert vectors[0].tolist() == [0, 0, 0, 0] and vectors[1].tolist() == [4, 4, 4, 4]
    for npy in tmp_path.glob("*.npy"):
        npy.unlink()
    assert embeddings.EmbeddingCache(tmp_path).get(["k0"])[1].tolist() == [False]


def test_the_packaged_model_is_found_without_importing_it():
    folder = embeddings.packaged_model_dir()
    assert (folder / "model.safetensors").exists() and (folder / "modules.json").exists()
    path, slug = embeddings.resolve_model("all-MiniLM-L6-v2")
    assert path == str(folder) and slug.startswith("all-minilm-l6-v2-")


@pytest.mark.slow
def test_quantized_encoding_is_an_option_recorded_in_the_stats_and_cached_apart(tmp_path):
    records = frame([{"user": q, "assistant": a} for q, a in SUPPORT[:2]])
    step = SemanticDedup(fields="user", quantize=True, threshold=0.9)
    result = step.run(records, StepContext("semantic_dedup", cache_dir=tmp_path))
    assert result.stats["quantized"] is True and len(result.decisions) == 1
    (folder,) = (tmp_path / "embeddings").iterdir()
    assert folder.name.endswith("-int8")


@pytest.mark.slow
def test_a_model_that_is_not_there_is_a_clear_error_and_nothing_is_downloaded(tmp_path):
    from workbench.errors import ConfigError

    records = frame([{"user": "q", "assistant": "a"}])
    with pytest.raises(ConfigError, match="nothing is downloaded"):
        SemanticDedup(model="someone/no-such-model").run(records, StepContext("semantic_dedup"))
