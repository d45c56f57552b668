"""near_dedup: planted near copies go, unrelated rows never merge through a chain, reviewers decide."""

import json
import random

import polars as pl
import pytest

from conftest import chat, frame, write_jsonl
from workbench.errors import ConfigError
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.records import record_id
from workbench.steps.base import StepContext
from workbench.steps.dedup import find_clusters
from workbench.steps.dedup.near import NearDedup
from workbench.steps.dedup.semantic import SemanticDedup
from workbench.store import Store

VOCAB = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "pu", "ra", "si", "tu", "ve", "zo")
         for b in ("rin", "mat", "dol", "sek", "pan", "lur", "tis", "gom", "bex", "fau")]


def words(seed: int, n: int = 100) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCAB) for _ in range(n)]


def edit(ws: list[str], positions: list[int], seed: int = 0) -> list[str]:
    """Replace the words at `positions` with words outside the vocabulary (each kills 5 shingles)."""
    out = list(ws)
    for p in positions:
        out[p] = f"edit{seed}x{p}"
    return out


def jaccard(x: list[str], y: list[str], n: int = 5) -> float:
    a = {tuple(x[i:i + n]) for i in range(len(x) - n + 1)}
    b = {tuple(y[i:i + n]) for i in range(len(y) - n + 1)}
    return len(a & b) / len(a | b)


def registry():
    reg = load_registry()
    reg.steps.setdefault(NearDedup.name, NearDedup)  # until the lead adds them to BUILTIN_STEPS
    reg.steps.setdefault(SemanticDedup.name, SemanticDedup)
    return reg


def run_step(step, records, human=None, **ctx):
    return step.run(records, StepContext(step=step.name, human=human or {}, **ctx))


def rows_of(*texts: list[str], answer: str = "Thanks, noted.") -> list[dict]:
    return [{"user": " ".join(t), "assistant": answer} for t in texts]


def test_planted_near_copies_are_dropped_with_survivor_and_jaccard():
    base = [words(i) for i in range(6)]
    copy0 = edit(base[0], [50])  # one word changed: Jaccard 90/100... well above 0.8
    copy3 = [w.upper() for w in edit(base[3], [10, 60])]  # case does not matter
    records = frame(rows_of(*base, copy0, copy3, answer=""))
    ids = records.get_column("id").to_list()
    result = run_step(NearDedup(policy="first"), records)
    assert [(d.record_id, d.reason, d.detail["duplicate_of"]) for d in result.decisions] == [
        (ids[6], "near_duplicate", ids[0]), (ids[7], "near_duplicate", ids[3])]
    expected = [jaccard(base[0], copy0), jaccard(base[3], [w.lower() for w in copy3])]
    assert [d.detail["similarity"] for d in result.decisions] == [round(j, 4) for j in expected]
    assert result.decisions[0].detail["cluster"] == min(ids[0], ids[6])
    assert result.kept.get_column("id").to_list() == ids[:6]
    assert result.stats["clusters"] == 2


def test_rows_below_the_threshold_stay():
    base = words(1)
    far = edit(base, list(range(0, 100, 7)))  # 15 edits: Jaccard far below 0.8
    assert jaccard(base, far) < 0.5
    assert run_step(NearDedup(), frame(rows_of(base, far))).decisions == []


def test_a_chain_does_not_merge_rows_that_do_not_resemble_each_other():
    b = words(7)
    a = edit(b, [2, 12], seed=1)  # A ~ B
    c = edit(b, [80, 92], seed=2)  # B ~ C
    assert jaccard(a, b) >= 0.8 and jaccard(b, c) >= 0.8 and jaccard(a, c) < 0.8
    records = frame(rows_of(a, b, c))
    ida, idb, idc = records.get_column("id").to_list()
    for policy in ("first", "longest", "human_first"):
        result = run_step(NearDedup(policy=policy), records)
        drop_relation = {(d.record_id, d.detail["duplicate_of"]) for d in result.decisions}
        assert (ida, idc) not in drop_relation and (idc, ida) not in drop_relation
        # Only one of A and C may go, and only as a copy of B; with A first, C stays.
        if policy == "first":
            assert drop_relation == {(idb, ida)}
            assert set(result.kept.get_column("id")) == {ida, idc}


def test_policies_choose_the_survivor():
    base = words(3)
    rows = [
        {"user": " ".join(base), "assistant": "Short.", "origin": "synthetic"},
        {"user": " ".join(edit(base, [40])), "assistant": "A much longer and more helpful answer.",
         "origin": "synthetic"},
        {"user": " ".join(edit(base, [70])), "assistant": "Medium answer.", "origin": "human"},
    ]
    records = frame(rows)
    ids = records.get_column("id").to_list()

    def survivor(policy):
        return {d.detail["duplicate_of"] for d in run_step(NearDedup(policy=policy, fields="user"), records).decisions}

    assert survivor("first") == {ids[0]}
    assert survivor("longest") == {ids[1]}
    assert survivor("human_first") == {ids[2]}


def test_user_fields_catch_the_same_question_with_different_answers():
    question = " ".join(words(11, 60))
    records = frame([{"user": question, "assistant": " ".join(words(12, 60))},
                     {"user": question + " please", "assistant": " ".join(words(13, 60))}])
    assert run_step(NearDedup(), records).decisions == []
    (d,) = run_step(NearDedup(fields="user", policy="first"), records).decisions
    assert d.detail["duplicate_of"] == records.get_column("id")[0]


def test_character_shingles_catch_short_texts_with_typos():
    records = frame([{"user": "How do I reset my password on the mobile app?", "assistant": "x"},
                     {"user": "How do I reset my pasword on the mobile app?", "assistant": "x"},
                     {"user": "Where can I see my invoices for last year?", "assistant": "x"}])
    ids = records.get_column("id").to_list()
    assert run_step(NearDedup(fields="user"), records).decisions == []  # word 5-grams: too short
    result = run_step(NearDedup(fields="user", shingle="char", threshold=0.7, policy="first"), records)
    assert [(d.record_id, d.detail["duplicate_of"]) for d in result.decisions] == [(ids[1], ids[0])]


def recipe(**params):
    return Recipe((StepSpec("near_dedup", params),))


def test_reviewer_survivor_wins_over_the_policy_and_survives_a_restart(tmp_path):
    base = words(21)
    records = frame(rows_of(base, edit(base, [30]), edit(base, [60]), words(22)))
    ids = records.get_column("id").to_list()
    out = run_recipe(records, recipe(policy="first"), registry())
    assert set(out.removed.get_column("id")) == {ids[1], ids[2]}

    store = Store(tmp_path / "wb.db")
    store.decisions.decide("near_dedup", ids[2], "keep", rater="ana")
    store.close()
    store = Store(tmp_path / "wb.db")  # a restart: the choice comes back from SQLite
    out = run_recipe(records, recipe(policy="first"), registry(), store=store)
    assert out.kept.get_column("id").to_list() == [ids[2], ids[3]]
    details = [json.loads(d) for d in out.removed.get_column("detail")]
    assert [(r, d["duplicate_of"]) for r, d in zip(out.removed.get_column("id"), details)] == [
        (ids[0], ids[2]), (ids[1], ids[2])]
    assert out.steps[0].removed == {"near_duplicate": 2}

    # The screen sees the same cluster, with the policy's choice and the reviewer's.
    human = {(d.record_id, d.target): d for d in store.decisions.standing("near_dedup").values()}
    (cluster,) = find_clusters(NearDedup(policy="first"), records, StepContext("near_dedup", human=human))
    assert (cluster.policy_survivor, cluster.chosen, cluster.survivors) == (ids[0], (ids[2],), (ids[2],))
    assert cluster.members == tuple(ids[:3]) and cluster.dropped == (ids[0], ids[1])


def test_keep_on_every_member_means_nothing_is_dropped(tmp_path):
    base = words(31)
    records = frame(rows_of(base, edit(base, [50]), edit(base, [20])))
    store = Store(tmp_path / "wb.db")
    for rid in records.get_column("id"):
        store.decisions.decide("near_dedup", rid, "keep", rater="ana")
    out = run_recipe(records, recipe(), registry(), store=store)
    assert out.kept.height == 3 and out.removed.height == 0
    human = {(d.record_id, d.target): d for d in store.decisions.standing("near_dedup").values()}
    (cluster,) = find_clusters(NearDedup(), records, StepContext("near_dedup", human=human))
    assert cluster.dropped == () and set(cluster.survivors) == set(records.get_column("id"))


def test_find_clusters_matches_what_run_drops():
    rows = []
    for i in range(8):
        base = words(100 + i)
        rows += rows_of(base, *(edit(base, [10 * k + i], seed=k) for k in range(i % 3)))
    records = frame(rows)
    step = NearDedup()
    ctx = StepContext("near_dedup")
    clusters = find_clusters(step, records, ctx)
    result = step.run(records, ctx)
    assert sorted(m for c in clusters for m in c.dropped) == sorted(d.record_id for d in result.decisions)
    assert all(c.id == min(c.members) for c in clusters)


def existing_rows(*texts: list[str]) -> list[dict]:
    return [{"messages": chat(" ".join(t), "Thanks, noted.")} for t in texts]


@pytest.mark.parametrize("shape", ["export_folder", "jsonl", "parquet"])
def test_cross_dataset_drops_only_the_new_copies(tmp_path, shape):
    old = [words(41), words(42)]
    existing = existing_rows(*old)
    if shape == "export_folder":
        write_jsonl(tmp_path / "export" / "train.jsonl", existing[:1])
        write_jsonl(tmp_path / "export" / "holdout.jsonl", existing[1:])
        against = tmp_path / "export"
    elif shape == "jsonl":
        against = write_jsonl(tmp_path / "old.jsonl", [{"id": "x", "category": None, **r} for r in existing])
    else:
        against = tmp_path / "snapshot.parquet"
        frame([{"messages": r["messages"]} for r in existing]).write_parquet(against)
    fresh = words(43)
    records = frame(rows_of(edit(old[0], [33]), fresh, edit(fresh, [70]), old[1]))
    ids = records.get_column("id").to_list()
    result = run_step(NearDedup(against=str(against), policy="first"), records)
    old_ids = [record_id(r["messages"]) for r in existing]
    assert [(d.record_id, d.detail["duplicate_of"]) for d in result.decisions] == [
        (ids[0], old_ids[0]), (ids[2], ids[1]), (ids[3], old_ids[1])]
    assert result.kept.get_column("id").to_list() == [ids[1]]
    assert result.stats["against_rows"] == 2


def test_cross_dataset_path_errors_are_clear(tmp_path):
    records = frame(rows_of(words(1)))
    with pytest.raises(ConfigError, match="does not exist"):
        run_step(NearDedup(against=str(tmp_path / "missing")), records)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "q"}]}\n{"text": "no messages"}\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2"):
        run_step(NearDedup(against=str(bad)), records)


def test_relative_against_is_read_from_the_project(tmp_path):
    write_jsonl(tmp_path / "exports" / "v1" / "train.jsonl", existing_rows(words(51)))
    records = frame(rows_of(edit(words(51), [5])))
    result = run_step(NearDedup(against="exports/v1"), records, project_dir=tmp_path)
    assert len(result.decisions) == 1


def test_parameters_are_checked():
    reg = registry()
    with pytest.raises(ConfigError, match="threshold"):
        reg.build_step(StepSpec("near_dedup", {"threshold": 1.5}))
    with pytest.raises(ConfigError, match="shingle.*one of"):
        reg.build_step(StepSpec("near_dedup", {"shingle": "token"}))
    with pytest.raises(ConfigError, match="policy.*one of"):
        reg.build_step(StepSpec("near_dedup", {"policy": "random"}))
    step = reg.build_step(StepSpec("near_dedup", {"threshold": 0.9, "ngram": 3, "fields": "user"}))
    assert (step.threshold, step.shingle_size, step.fields) == (0.9, 3, "user")


def test_empty_and_tiny_inputs():
    empty = frame(rows_of(words(1))).head(0)
    assert run_step(NearDedup(), empty).kept.height == 0
    tiny = frame([{"user": "hi", "assistant": "ok"}, {"user": "hi", "assistant": "ok"},
                  {"user": "yo", "assistant": "ok"}])
    ids = tiny.get_column("id").to_list()
    # Shorter than one shingle: the whole text is the shingle, so only the identical pair matches.
    assert [(d.record_id, d.detail["similarity"]) for d in run_step(NearDedup(policy="first"), tiny).decisions] == [
        (ids[1], 1.0)]


def test_progress_is_reported_and_cancel_stops(tmp_path):
    seen = []
    records = frame(rows_of(words(1), words(2)))
    run_step(NearDedup(), records, progress=lambda label, done, total: seen.append(label))
    assert any("near_dedup" in label for label in seen)
    from workbench.errors import Cancelled
    with pytest.raises(Cancelled):
        run_step(NearDedup(), records, cancelled=lambda: True)


def test_large_identical_groups_stay_cheap_and_correct():
    base = words(61)
    rows = rows_of(*([base] * 300), *(edit(base, [i % 90 + 5]) for i in range(50)))
    records = frame(rows)
    result = run_step(NearDedup(policy="first"), records)
    assert result.kept.height == 1
    assert {d.detail["duplicate_of"] for d in result.decisions} == {records.get_column("id")[0]}
    assert pl.Series([d.detail["similarity"] for d in result.decisions]).min() >= 0.8
