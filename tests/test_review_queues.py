"""The Review screen's two queues, called directly: committing, noting and withdrawing synthetic
verdicts, where the list goes after one, the prompt embeddings for the nearest human example;
and the rows the categorize step leaves for a person, with the choices made on them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import chat, frame, project_with_embeddings
from test_synthetic_review import ROWS as SYNTHETIC_ROWS
from test_tui_review import LABEL_ROWS
from workbench.embeddings import vectors as V
from workbench.services.label_queue import decide_label, label_queue, suggestion, withdraw_label
from workbench.services.project import Project
from workbench.services.synthetic_queue import ReviewQueue, position_after
from workbench.steps.synthetic_review.verdicts import store_verdicts
from workbench.store import Store

# The synthetic-review rows without the boilerplate one: four rows, three of them to review.
ROWS = [r for r in SYNTHETIC_ROWS if "AI language model" not in r["assistant"]]


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "wb.db")
    yield s
    s.close()


@pytest.fixture
def queue() -> ReviewQueue:
    records = frame(ROWS)
    return ReviewQueue(records.filter(pl.col("origin") == "synthetic"), records.filter(pl.col("origin") == "human"),
                       "ann")


def test_a_verdict_is_committed_then_noted_and_a_bad_one_is_neither(queue: ReviewQueue, store: Store):
    ids = queue.ids
    queue.judge(store, 0, "accept")
    assert store_verdicts(store)[ids[0]]["ann"].action == "accept" and queue.mine(0).action == "accept"
    with pytest.raises(ValueError, match="must end with the assistant"):
        queue.judge(store, 1, "edit", messages=[{"role": "user", "content": "Where is my parcel?"}])
    assert ids[1] not in store_verdicts(store) and queue.mine(1) is None
    edited = chat("Where is my parcel?", "Tracking is in your confirmation email.")
    queue.judge(store, 1, "edit", messages=edited)
    assert queue.edited(1) == edited and queue.edited(0) is None and queue.edited(2) is None
    assert store_verdicts(store)[ids[1]]["ann"].detail["messages"] == edited


def test_undo_takes_the_row_on_screen_else_the_latest_still_judged(queue: ReviewQueue, store: Store):
    ids = queue.ids
    queue.judge(store, 0, "accept")
    queue.judge(store, 1, "reject", reason="wrong")
    history = [ids[0], ids[1]]
    assert queue.to_undo(0, "all", history) == ids[0] and history == [ids[0], ids[1]]  # on screen, judged
    assert queue.to_undo(0, "to review", history) == ids[1] and history == [ids[0]]  # the latest instead
    assert queue.withdraw(store, ids[1]) == 1
    assert queue.mine(1) is None and "ann" not in store_verdicts(store).get(ids[1], {})
    history = [ids[0], ids[1]]  # ids[1] no longer has a verdict: skipped
    assert queue.to_undo(2, "all", history) == ids[0] and history == []
    assert queue.to_undo(None, "all", [ids[1]]) is None


def test_after_a_verdict_the_list_moves_on_and_wraps_in_the_to_review_list():
    assert position_after([0, 2, 3], 1, "to review", 1) == 1  # row 1 left the list: row 2 is next
    assert position_after([0, 1, 2], 1, "all", 1) == 2
    assert position_after([0, 2], 3, "to review", 2) == 0  # past the end: back to what is left to do
    assert position_after([0, 2, 3], 3, "all", 2) == 2  # the last row stays on screen
    assert position_after([], 3, "to review", 4) == 4


def test_prompt_vectors_come_from_the_project_cache(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    rows = [{"messages": chat(r["user"], r["assistant"]), "category": r["category"], "origin": r["origin"]}
            for r in ROWS]
    project = Project.open(project_with_embeddings(tmp_path, rows, shape=lambda v: v.__setitem__(2, v[0] + 0.01)))
    try:
        queue = ReviewQueue.load(project, "ann")
        vectors, reference = queue.prompt_vectors(project)
    finally:
        project.close()
    assert vectors.shape == (3, 16) and reference.shape == (1, 16)
    queue.set_nearest(vectors, reference)
    parcel = queue.position[next(r["id"] for r in queue.rows.iter_rows(named=True)
                                 if r["messages"][0]["content"] == "Where is my parcel?")]
    assert queue.signal(parcel).nearest_id == queue.reference.get_column("id")[0]
    assert queue.signal(parcel).nearest_similarity > 0.99


# -- the labels queue ---------------------------------------------------------------------------

@pytest.fixture
def label_project(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    source = tmp_path / "labels.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in LABEL_ROWS) + "\n", encoding="utf-8")
    project = Project.create(tmp_path / "project", inputs=[source])
    records = project.records()
    e = np.eye(16)
    by_line = {1: e[0], 2: e[0], 3: e[0], 4: e[1], 5: e[1], 6: e[1], 7: e[2], 8: e[2], 9: e[0], 10: e[0] + e[1]}
    vectors = np.array([by_line[line] for line in records.get_column("source_line").to_list()], dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cache = V.embedding_cache(V.PACKAGED_MODEL, project.path / ".workbench" / "cache")
    cache.put(V.cache_keys(records, V.record_texts(records, "user")), vectors.astype(np.float32))
    yield project
    project.close()


def test_the_labels_queue_holds_the_unsure_and_the_conflicting_rows(label_project: Project):
    queue = label_queue(label_project)
    prompts = [r["messages"][0]["content"] for r in queue.rows.iter_rows(named=True)]
    assert prompts == ["Can I get my money back?", "Can I get my money back??", "Billing or shipping, who knows"]
    ids = queue.rows.get_column("id").to_list()
    assert [suggestion(queue.flags[rid]) for rid in ids] == ["shipping", "billing", "billing"]
    assert set(queue.others) == set(ids[:2]) and queue.categories == ["billing", "shipping"]

    decide_label(label_project.store, ids[2], "billing", "ann")
    assert ids[2] not in label_queue(label_project).flags  # a person's label stands
    withdraw_label(label_project.store, ids[2], "ann")
    assert ids[2] in label_queue(label_project).flags
