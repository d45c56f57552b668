"""The Dedup screen and the review functions behind it: the reviewer chooses the survivor."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from workbench.services import dedup_review as review
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.tui.app import make_app
from workbench.tui.screens.dedup import DedupTab, MemberPanel

SIZE = (150, 45)
WORDS = ("thermostat battery schedule firmware refund invoice account password delivery parcel warranty "
         "install wiring app sensor heating cooling energy report plan upgrade cancel charge card").split()


def text(rng: random.Random, n: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def edited(base: str, rng: random.Random, edits: int = 1) -> str:
    words = base.split()
    for _ in range(edits):
        words[rng.randrange(len(words))] = "CHANGED"
    return " ".join(words)


@pytest.fixture
def dup_project(tmp_path: Path) -> Path:
    """Three clusters (sizes 3, 2, 2) of near copies among unrelated rows."""
    rng = random.Random(5)
    rows = []
    for size in (3, 2, 2):
        base = text(rng)
        rows.append({"messages": chat(f"Question about {base[:20]}", base)})
        for k in range(size - 1):
            rows.append({"messages": chat(f"Question about {base[:20]}", edited(base, rng) + " extra" * k)})
    for _ in range(6):
        rows.append({"messages": chat("Unrelated question", text(rng))})
    src = write_jsonl(tmp_path / "dups.jsonl", rows)
    Project.create(tmp_path / "p", [src]).close()
    return tmp_path / "p"


def test_review_set_lists_clusters_biggest_first(dup_project):
    project = Project.open(dup_project)
    reviews = review.review_set(project, "near_dedup")
    assert [len(c.members) for c in reviews.clusters] == [3, 2, 2]
    assert reviews.in_recipe and reviews.reviewed == 0
    # The policy is "longest": the copy with the two extra words survives the first cluster.
    first = reviews.clusters[0]
    assert first.policy_survivor == first.members[2]


def test_chosen_survivor_is_what_the_export_keeps(dup_project, tmp_path):
    project = Project.open(dup_project)
    reviews = review.review_set(project, "near_dedup")
    cluster = reviews.clusters[0]
    review.choose_survivor(project.store, "near_dedup", cluster, cluster.members[0], rater="ana")
    reviews.recluster(project.store)
    again = reviews.clusters[reviews.index_of(cluster.members[0])]
    assert again.survivors == (cluster.members[0],) and again.chosen == (cluster.members[0],)
    project.close()
    export_project(dup_project, tmp_path / "out")
    removed = [json.loads(line) for line in (tmp_path / "out" / "removed.jsonl").read_text().splitlines()]
    dropped_here = {r["id"]: r["detail"]["duplicate_of"] for r in removed if r["id"] in cluster.members}
    assert dropped_here == {cluster.members[1]: cluster.members[0], cluster.members[2]: cluster.members[0]}


def test_keep_all_and_undo(dup_project):
    project = Project.open(dup_project)
    reviews = review.review_set(project, "near_dedup")
    cluster = reviews.clusters[1]
    review.keep_all(project.store, "near_dedup", cluster)
    reviews.recluster(project.store)
    # Kept members no longer form a cluster with anything dropped.
    assert all(not c.dropped for c in reviews.clusters if set(c.members) & set(cluster.members))
    kept = reviews.clusters[reviews.index_of(cluster.members[0])]
    review.reset(project.store, "near_dedup", kept)
    reviews.recluster(project.store)
    assert sum(len(c.dropped) for c in reviews.clusters) == 4


def test_word_diff_marks_only_the_changed_words():
    pieces = review.word_diff("the parcel arrived late today", "the parcel arrived early today")
    assert [p for p, changed in pieces if changed] == ["late"]
    assert "".join(p for p, _ in pieces) == "the parcel arrived late today"


async def settle(pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_dedup(pilot) -> DedupTab:
    """Show the Dedup tab and wait until its clusters are found."""
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    return pilot.app.screen.query_one(DedupTab)


def panel_texts(app) -> list[str]:
    return [str(p.query_one("Static").render()) for p in app.screen.query(MemberPanel) if p.display]


async def test_dedup_screen_choose_survivor_by_keyboard_and_resume(dup_project):
    app = make_app(dup_project)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_dedup(pilot)
        assert len(tab.reviews.clusters) == 3 and tab.current == 0
        panels = panel_texts(app)
        assert len(panels) == 3 and "★ survives" in panels[0] and "✗ dropped" in panels[1]
        first = tab.reviews.clusters[0]
        # Move to the second copy shown and make it the survivor: one key, committed at once.
        await pilot.press("right", "s")
        await settle(pilot)
        chosen = tab._ordered_members(first)[1]
        standing = app.project.store.decisions.standing("near_dedup")
        assert [k[1] for k, d in standing.items() if d.action == "keep"] == [chosen]
        # The next unreviewed cluster loaded by itself.
        assert tab.current != tab.reviews.index_of(chosen)
        assert not tab.reviews.clusters[tab.current].chosen
        await pilot.press("enter")  # accept what is shown for the second cluster
        await settle(pilot)
        assert tab.reviews.reviewed == 2
    # A new session resumes at the one cluster still unreviewed, and the choices stand.
    app = make_app(dup_project)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_dedup(pilot)
        assert tab.reviews.reviewed == 2
        assert not tab.reviews.clusters[tab.current].chosen
        survivor_cluster = tab.reviews.clusters[tab.reviews.index_of(chosen)]
        assert survivor_cluster.survivors == (chosen,)


async def test_dedup_screen_keep_all_marks_not_duplicates(dup_project):
    app = make_app(dup_project)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_dedup(pilot)
        members = tab.reviews.clusters[0].members
        await pilot.press("a")
        await settle(pilot)
        standing = app.project.store.decisions.standing("near_dedup")
        assert {k[1] for k, d in standing.items() if d.action == "keep"} == set(members)
        assert sum(len(c.dropped) for c in tab.reviews.clusters) == 2


def test_each_cluster_outcome_is_named_in_words(dup_project):
    project = Project.open(dup_project)
    reviews = review.review_set(project, "near_dedup")
    big, second, third = reviews.clusters
    assert {review.cluster_outcome(c) for c in reviews.clusters} == {"undecided"}
    other = next(m for m in big.members if m != big.policy_survivor)
    review.toggle_keep(project.store, "near_dedup", big, other)  # the policy's copy and this one
    not_policy = next(m for m in second.members if m != second.policy_survivor)
    review.choose_survivor(project.store, "near_dedup", second, not_policy)
    review.keep_all(project.store, "near_dedup", third)
    reviews.recluster(project.store)
    outcome = {rid: review.cluster_outcome(reviews.clusters[reviews.index_of(rid)])
               for rid in (other, not_policy, third.members[0])}
    assert outcome == {other: "kept several", not_policy: "survivor changed", third.members[0]: "not duplicates"}
    here = reviews.clusters[reviews.index_of(not_policy)]
    review.reset(project.store, "near_dedup", here)
    reviews.recluster(project.store)
    here = reviews.clusters[reviews.index_of(not_policy)]
    review.accept_policy(project.store, "near_dedup", here)
    reviews.recluster(project.store)
    assert review.cluster_outcome(reviews.clusters[reviews.index_of(not_policy)]) == "accepted"
    project.close()


async def test_dedup_screen_writes_selection_survivor_and_outcomes(dup_project):
    app = make_app(dup_project)
    async with app.run_test(size=(80, 24)) as pilot:
        tab = await open_dedup(pilot)
        panels = panel_texts(app)
        assert panels[0].startswith("▶ selected  ★ survives") and "▶ selected" not in panels[1]
        await pilot.press("right")
        await pilot.pause()
        panels = panel_texts(app)
        assert "▶ selected" not in panels[0] and panels[1].startswith("▶ selected  ✗ dropped")
        assert "copy 2 selected" in str(app.screen.query_one("#cluster-title").render())
        await pilot.press("s")  # cluster 1: the second copy survives instead
        await settle(pilot)
        await pilot.press("a")  # cluster 2: not duplicates
        await settle(pilot)
        options = app.screen.query_one("#cluster-list")
        lines = [str(options.get_option_at_index(i).prompt).splitlines()[0] for i in range(options.option_count)]
        assert lines == ["✓ survivor changed", "✓ not duplicates", "· undecided"]
        assert tab.reviews.reviewed == 2
