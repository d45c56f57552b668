"""A dedup method is a PairwiseDedup: one class with `similar_pairs`, registered like any step.

A project plugin built only from workbench.api adds one; its duplicates are dropped in an export
with its reason, the dedup review lists it and builds its clusters, and the Dedup tab offers it
and shows them, with no screen code of its own. exact_dedup is a method too: a reviewer can pick
the survivor among exact copies, and the export keeps that copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import chat, open_dedup_tab, settle, write_jsonl
from test_api import workbench_imports
from workbench import api
from workbench.commands import main
from workbench.services import dedup_review as review
from workbench.services.project import Project
from workbench.steps.dedup.base import PairwiseDedup, is_pairwise_dedup

SIZE = (150, 45)

# Rows whose user turn opens with the same word are duplicates: the whole method.
FIRST_WORD_PLUGIN = '''
"""first_word_dedup: rows whose compared turns open with the same word (case ignored)."""

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from workbench.api import Corpus, PairwiseDedup, SimilarPairs, StepContext, hookimpl


@dataclass
class FirstWordDedup(PairwiseDedup):
    name: ClassVar[str] = "first_word_dedup"
    description: ClassVar[str] = "rows whose compared turns open with the same word"
    reason: ClassVar[str] = "same_first_word"

    fields: Literal["all", "user", "user_system"] = "user"
    policy: Literal["longest", "first", "human_first"] = "first"

    def similar_pairs(self, corpus: Corpus, ctx: StepContext) -> SimilarPairs:
        words = [(text or "").lower().split()[:1] for text in corpus.texts.to_list()]
        first: dict[str, int] = {}
        a, b = [], []
        for row, word in enumerate(words):
            if word:
                if word[0] in first:
                    a.append(first[word[0]])
                    b.append(row)
                else:
                    first[word[0]] = row
        ctx.report(1, 1, f"{self.name}: words")

        def measure(x, y):
            return np.array([float(bool(words[i]) and words[i] == words[j]) for i, j in zip(x, y)])

        return SimilarPairs(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64), np.ones(len(a)),
                            measure, {"first_words": len(first)})


@hookimpl
def register_steps(register):
    register(FirstWordDedup)
'''

ROWS = [
    chat("Refund for order 11?", "Your refund is on its way."),
    chat("Password reset link is broken", "Try the link in the new email."),
    chat("refund not received after two weeks", "Refunds take up to five business days to appear."),
    chat("Delivery is late again", "Sorry about that; it ships tomorrow."),
    chat("REFUND policy for opened boxes", "Opened boxes can be returned within 30 days."),
    chat("password change on the app", "Use Settings, then Account."),
    chat("Warranty claim for a cracked screen", "Send us the receipt and a photo."),
]


@pytest.fixture(autouse=True)
def no_installed_plugins(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")  # only the project's own plugin file


def make_project(tmp_path: Path, in_recipe: bool = True, rows: list[list[dict]] = ROWS) -> Path:
    source = write_jsonl(tmp_path / "chats.jsonl", [{"messages": m} for m in rows])
    path = tmp_path / "proj"
    Project.create(path, inputs=[source]).close()
    (path / "first_word.py").write_text(FIRST_WORD_PLUGIN, encoding="utf-8")
    config = path / "workbench.toml"
    text = config.read_text(encoding="utf-8").replace("plugins = []", 'plugins = ["first_word.py"]')
    if in_recipe:
        text += '\n[[recipe.steps]]\nname = "first_word_dedup"\n'
    config.write_text(text, encoding="utf-8")
    return path


def ids_of(path: Path) -> dict[str, str]:
    """User turn -> record id."""
    project = Project.open(path)
    try:
        return {m[0]["content"]: rid for rid, m in project.records().select("id", "messages").iter_rows()}
    finally:
        project.close()


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_plugin_imports_only_the_api_and_the_api_names_the_protocol():
    assert workbench_imports(FIRST_WORD_PLUGIN) == ["workbench.api"]
    assert {"PairwiseDedup", "Corpus", "SimilarPairs"} <= set(api.__all__)
    assert api.PairwiseDedup is PairwiseDedup


def test_the_built_in_dedup_steps_are_pairwise_methods_and_the_others_are_not():
    from workbench.steps import BUILTIN_STEPS

    methods = [s.name for s in BUILTIN_STEPS if is_pairwise_dedup(s)]
    assert methods[:3] == ["exact_dedup", "near_dedup", "semantic_dedup"]  # a new method may follow
    assert not {"validate", "pii", "balance"} & set(methods)
    assert not is_pairwise_dedup(PairwiseDedup) and not is_pairwise_dedup(object())


def test_an_export_drops_the_plugin_methods_duplicates_with_its_reason(tmp_path):
    path = make_project(tmp_path)
    ids = ids_of(path)
    out = tmp_path / "out"
    assert main(["export", str(path), "--out", str(out), "-q"]) == 0
    removed = [r for r in jsonl(out / "removed.jsonl") if r["step"] == "first_word_dedup"]
    refund, password = ids[ROWS[0][0]["content"]], ids[ROWS[1][0]["content"]]
    assert {r["id"]: (r["reason"], r["detail"]["duplicate_of"], r["detail"]["similarity"]) for r in removed} == {
        ids[ROWS[2][0]["content"]]: ("same_first_word", refund, 1.0),
        ids[ROWS[4][0]["content"]]: ("same_first_word", refund, 1.0),
        ids[ROWS[5][0]["content"]]: ("same_first_word", password, 1.0),
    }
    exported = {row["messages"][0]["content"] for name in ("train", "holdout") for row in jsonl(out / f"{name}.jsonl")}
    assert exported == {ROWS[i][0]["content"] for i in (0, 1, 3, 6)}
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "first_word_dedup" in json.dumps(report)


def test_the_dedup_review_lists_the_plugin_method_and_builds_its_clusters(tmp_path):
    path = make_project(tmp_path)
    ids = ids_of(path)
    project = Project.open(path)
    try:
        # The recipe's methods in recipe order, then the registered ones it does not have.
        names = review.dedup_steps(project)
        assert names[:4] == ["exact_dedup", "near_dedup", "first_word_dedup", "semantic_dedup"]
        assert review.opening_dedup_step(project) == "near_dedup"  # exact copies are not where review starts
        assert review.next_dedup_step(project, "near_dedup") == "first_word_dedup"
        assert review.next_dedup_step(project, names[-1]) == "exact_dedup"
        reviews = review.review_set(project, "first_word_dedup")
        assert reviews.in_recipe and reviews.step.name == "first_word_dedup"
        refunds = tuple(ids[ROWS[i][0]["content"]] for i in (0, 2, 4))
        passwords = tuple(ids[ROWS[i][0]["content"]] for i in (1, 5))
        assert [(set(c.members), c.survivors) for c in reviews.clusters] == [
            (set(refunds), (refunds[0],)), (set(passwords), (passwords[0],))]
        # The reviewer picks another survivor; the export keeps that one instead.
        review.choose_survivor(project.store, "first_word_dedup", reviews.clusters[0], refunds[2], rater="ana")
        reviews.recluster(project.store)
        assert reviews.clusters[0].survivors == (refunds[2],)
    finally:
        project.close()
    out = tmp_path / "out"
    assert main(["export", str(path), "--out", str(out), "-q"]) == 0
    removed = {r["id"]: r["detail"]["duplicate_of"] for r in jsonl(out / "removed.jsonl")
               if r["step"] == "first_word_dedup"}
    assert removed == {refunds[0]: refunds[2], refunds[1]: refunds[2], passwords[1]: passwords[0]}


def test_a_registered_method_the_recipe_lacks_is_offered_after_the_recipes_ones(tmp_path):
    path = make_project(tmp_path, in_recipe=False)
    project = Project.open(path)
    try:
        names = review.dedup_steps(project)
        assert names[:3] == ["exact_dedup", "near_dedup", "semantic_dedup"]
        assert names[-1] == "first_word_dedup"  # after the recipe's and the built-in ones
        reviews = review.review_set(project, "first_word_dedup")
        assert not reviews.in_recipe and [len(c.members) for c in reviews.clusters] == [3, 2]
        with pytest.raises(api.ConfigError, match="validate.*not a dedup"):
            review.review_set(project, "validate")
    finally:
        project.close()


def test_exact_copies_can_be_reviewed_and_the_export_keeps_the_chosen_copy(tmp_path):
    copies = [chat("How do I reset my password?", "Open Settings > Account."),
              chat("Where is my parcel?", "It left yesterday."),
              chat("how do I  reset my PASSWORD?", "Open Settings > Account."),
              chat("HOW DO I RESET MY PASSWORD?", "open settings > account.")]
    path = make_project(tmp_path, in_recipe=False, rows=copies)
    ids = ids_of(path)
    first, second, third = (ids[copies[i][0]["content"]] for i in (0, 2, 3))
    out = tmp_path / "before"
    assert main(["export", str(path), "--out", str(out), "-q"]) == 0
    before = {r["id"]: r["detail"] for r in jsonl(out / "removed.jsonl") if r["step"] == "exact_dedup"}
    project = Project.open(path)
    try:
        reviews = review.review_set(project, "exact_dedup")
        (cluster,) = reviews.clusters
        # Without a choice the review shows what the export did: the first copy survives.
        assert cluster.members == (first, second, third) and cluster.survivors == (first,)
        assert {rid: {"duplicate_of": cluster.duplicate_of[rid], "similarity": cluster.similarity[rid]}
                for rid in cluster.dropped} == before
        review.choose_survivor(project.store, "exact_dedup", cluster, third, rater="ana")
    finally:
        project.close()
    out = tmp_path / "after"
    assert main(["export", str(path), "--out", str(out), "-q"]) == 0
    after = {r["id"]: r["detail"]["duplicate_of"] for r in jsonl(out / "removed.jsonl") if r["step"] == "exact_dedup"}
    assert after == {first: third, second: third}


async def test_the_dedup_tab_offers_the_plugin_method_and_shows_its_clusters(tmp_path):
    from workbench.tui.app import make_app
    from workbench.tui.screens.dedup import MemberPanel

    path = make_project(tmp_path)
    ids = ids_of(path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_dedup_tab(pilot)
        assert tab.step_name == "near_dedup"
        await pilot.press("t")  # the next dedup step of the recipe: the plugin's
        await settle(pilot, 4)
        assert tab.step_name == "first_word_dedup" and tab.reviews.step.name == "first_word_dedup"
        assert [len(c.members) for c in tab.reviews.clusters] == [3, 2]
        status = str(app.screen.query_one("#dedup-status").render())
        assert "first_word_dedup: 2 clusters, 3 rows would be dropped" in status
        panels = [str(p.query_one("Static").render()) for p in app.screen.query(MemberPanel) if p.display]
        assert len(panels) == 3 and "★ survives" in panels[0] and "✗ dropped" in panels[1]
        assert ids[ROWS[0][0]["content"]] in panels[0]
        await pilot.press("right", "s")  # the second copy shown survives instead
        await settle(pilot)
        chosen = tab._ordered_members(tab.reviews.clusters[tab.reviews.index_of(ids[ROWS[0][0]["content"]])])[0]
        assert chosen != ids[ROWS[0][0]["content"]]
    project = Project.open(path)
    try:
        standing = project.store.decisions.standing("first_word_dedup")
        assert [k[1] for k, d in standing.items() if d.action == "keep"] == [chosen]
    finally:
        project.close()
