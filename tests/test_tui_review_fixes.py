"""Review screens record what the reviewer chose: `k` in the Dedup tab keeps both copies, a
rejection with a note records the reason the reviewer picked, and the Review and Balance tabs say
what the recipe does with rows people decided on."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import chat, near_copies, open_dedup_tab, project_with_embeddings, settle
from workbench.services import dedup_review
from workbench.services.project import Project
from workbench.steps.synthetic_review.verdicts import record_verdict, store_verdicts
from workbench.tui.app import make_app
from workbench.tui.screens.review_dialogs import RejectDialog

SIZE = (160, 48)
@pytest.fixture
def two_copies(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_RATER", "ann")
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    return project_with_embeddings(tmp_path, near_copies("plans"))


def keeps(path: Path) -> set[str]:
    project = Project.open(path)
    try:
        return {k[1] for k, d in project.store.decisions.standing("near_dedup").items() if d.action == "keep"}
    finally:
        project.close()


# -- case 3: `k` keeps this copy too ------------------------------------------------------------

async def test_keep_too_in_a_two_copy_cluster_keeps_both(two_copies: Path):
    app = make_app(two_copies)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_dedup_tab(pilot)
        (cluster,) = tab.reviews.clusters
        survivor, other = tab._ordered_members(cluster)
        await pilot.press("right", "k")  # the dropped copy: keep it too
        await settle(pilot)
        assert keeps(two_copies) == {survivor, other}
        (cluster,) = tab.reviews.clusters
        assert set(cluster.survivors) == {survivor, other} and not cluster.dropped
        await pilot.press("k")  # and again: take it out of the kept ones
        await settle(pilot)
        assert keeps(two_copies) == {survivor}


# -- case 4: a rejection records the reason the reviewer chose -----------------------------------

def verdict(path: Path) -> tuple[str, str, dict]:
    project = Project.open(path)
    try:
        (by_rater,) = store_verdicts(project.store).values()
        d = by_rater["ann"]
        return d.action, d.reason, d.detail
    finally:
        project.close()


async def open_review(pilot) -> None:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)


async def test_a_note_without_a_reason_asks_for_the_reason(two_copies: Path):
    app = make_app(two_copies)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("r", "tab", *"fees apply", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RejectDialog)  # still asking: no reason was chosen
        assert "pick the reason" in str(app.screen.query_one(".hint").content)
        project = Project.open(two_copies)
        assert store_verdicts(project.store) == {}
        project.close()
        await pilot.press("2")  # unsafe
        await pilot.pause()
        assert not isinstance(app.screen, RejectDialog)
        assert verdict(two_copies) == ("reject", "unsafe", {"note": "fees apply"})


async def test_a_reason_highlighted_then_a_note_records_both(two_copies: Path):
    app = make_app(two_copies)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("r", "down", "down", "down", "tab", *"wrong format", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, RejectDialog)
        assert verdict(two_copies) == ("reject", "off-format", {"note": "wrong format"})


# -- the Review tab says when a reviewed row is dropped, and keeps counting it ------------------

async def test_review_tab_says_a_reviewed_row_is_dropped_by_a_later_choice(two_copies: Path):
    project = Project.open(two_copies)
    human, synthetic, _ = project.records().get_column("id").to_list()
    record_verdict(project.store, synthetic, "ann", "accept")
    (cluster,) = dedup_review.review_set(project, "near_dedup").clusters
    dedup_review.choose_survivor(project.store, "near_dedup", cluster, human, rater="bo")
    project.run()
    project.close()
    app = make_app(two_copies)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        assert "1 of 1 judged by you" in str(app.screen.query_one("#review-status").content)
        await pilot.press("v")  # show: all
        await pilot.pause()
        side = app.screen.query_one("#review-verdicts").content.plain
        assert "dropped by near_dedup" in side and "bo kept another copy" in side


# -- the Balance tab says when protected rows exceed a cap --------------------------------------

async def test_balance_tab_says_protected_rows_exceed_the_cap(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    rows = [{"messages": chat(f"Billing question {i}", f"Refund {i}."), "category": "billing",
             "origin": "synthetic" if i < 4 else "human"} for i in range(8)]
    path = project_with_embeddings(tmp_path, rows)
    project = Project.open(path)
    config = path / "workbench.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("\n[recipe.split]", '\n[[recipe.steps]]\nname = "synthetic_review"\n'
                                   '\n[recipe.split]', 1), encoding="utf-8")
    ids = project.records().get_column("id").to_list()
    for rid in ids[:3]:
        record_verdict(project.store, rid, "ann", "accept")
    project.close()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 4)
        await pilot.press("4")
        await settle(pilot, 4)
        status = str(app.screen.query_one("#balance-status").content)
        assert "7 rows reach balance" in status  # 4 human + 3 accepted; the unjudged one is held back
        assert "1 synthetic rows not counted" in status
        await pilot.press("m", "2", "enter")
        await settle(pilot, 4)
        status = str(app.screen.query_one("#balance-status").content)
        assert "over its cap" in status
        preview = str(app.screen.query_one("#balance-preview-body").content)
        assert "3 rows people accepted, edited or kept exceed its cap of 2" in preview


async def test_dedup_tab_shows_the_accepted_copy_surviving_and_why(two_copies: Path):
    project = Project.open(two_copies)
    human, synthetic, _ = project.records().get_column("id").to_list()
    record_verdict(project.store, synthetic, "ann", "accept")
    project.close()
    app = make_app(two_copies)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_dedup_tab(pilot)
        (cluster,) = tab.reviews.clusters
        assert cluster.survivors == (synthetic,) and cluster.dropped == (human,)
        first = str(app.screen.query_one("#member-0").query_one("Static").render())
        assert "★ survives" in first and "accepted in synthetic_review by ann" in first
