"""The Review tab, driven by keys alone: verdicts committed before the next example shows,
reasons by number, edits, undo, filters, and resuming where the reviewer stopped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import TextArea

from conftest import project_with_embeddings, settle
from workbench.embeddings import vectors as V
from workbench.services.project import Project
from workbench.steps.synthetic_review.verdicts import store_verdicts
from workbench.store import Store
from workbench.tui.app import make_app
from workbench.tui.screens.review_dialogs import EditDialog, RejectDialog

SIZE = (120, 40)


def chat(user: str, assistant: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


ROWS = [
    {"messages": chat("How do I reset my password?", "Open Settings > Account > Reset password."),
     "category": "account", "origin": "human"},
    {"messages": chat("Can I pay by bank transfer?", "Yes, choose Bank transfer at checkout."),
     "category": "billing", "origin": "synthetic"},
    {"messages": chat("Where is my parcel?", "As an AI language model, I cannot track parcels."),
     "category": "shipping", "origin": "synthetic"},
    {"messages": chat("Is there a student discount?", "Not at the moment, sorry."),
     "category": "billing", "origin": "synthetic"},
    {"messages": chat("Where is my order?", "It left our warehouse yesterday; tracking is in your email."),
     "category": "shipping", "origin": "human"},
    {"messages": chat("Do you ship to Canada?", "Yes, in 5-8 business days."),
     "category": "shipping", "origin": "synthetic"},
]
SYNTHETIC_PROMPTS = [r["messages"][0]["content"] for r in ROWS if r["origin"] == "synthetic"]


def _parcel_near_order(vectors) -> None:
    vectors[2] = vectors[4] + 0.01  # the parcel question is nearly the order one


@pytest.fixture
def project_path(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_RATER", "ann")
    return project_with_embeddings(tmp_path, ROWS, shape=_parcel_near_order)


async def open_review(pilot) -> None:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)


def shown(app) -> str:
    return app.screen.query_one("#review-conversation-body").content.plain


def side(app) -> str:
    return app.screen.query_one("#review-signals").content.plain + app.screen.query_one("#review-verdicts").content.plain


def status(app) -> str:
    return str(app.screen.query_one("#review-status").content)


def verdicts(path: Path) -> dict[str, tuple[str, str, dict]]:
    store = Store(path / ".workbench" / "workbench.db")
    try:
        project_rows = {r["id"]: r for r in Project.open(path).records().iter_rows(named=True)}
        out = {}
        for rid, by in store_verdicts(store).items():
            prompt = project_rows[rid]["messages"][0]["content"]
            d = by["ann"]
            out[prompt] = (d.action, d.reason, d.detail)
        return out
    finally:
        store.close()


async def test_review_three_examples_by_keyboard_alone(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        assert "Can I pay by bank transfer?" in shown(app)
        assert "0 of 4 judged by you" in status(app) and "Reviewing as ann" in status(app)

        await pilot.press("a")  # accept
        assert verdicts(project_path) == {"Can I pay by bank transfer?": ("accept", "", {})}  # committed already
        assert "Where is my parcel?" in shown(app)

        await pilot.press("r")
        assert isinstance(app.screen, RejectDialog)
        await pilot.press("2")  # the second reason: unsafe
        await pilot.pause()
        assert not isinstance(app.screen, RejectDialog)
        assert verdicts(project_path)["Where is my parcel?"] == ("reject", "unsafe", {})
        assert "Is there a student discount?" in shown(app)

        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        assert isinstance(app.focused, TextArea) and app.focused.text == "Not at the moment, sorry."
        await pilot.press(*" Students get 10% off with a valid ID.", "ctrl+s")
        await pilot.pause()
        action, _, detail = verdicts(project_path)["Is there a student discount?"]
        assert action == "edit"
        assert detail["messages"][-1]["content"] == "Not at the moment, sorry. Students get 10% off with a valid ID."
        assert "Do you ship to Canada?" in shown(app)
        assert "3 of 4 judged by you" in status(app)


async def test_resumes_at_the_first_example_not_yet_judged(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("a", "a")
        assert "Is there a student discount?" in shown(app)
    # A new session (as after closing the app, or a crash: each verdict was committed on its key).
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        assert "Is there a student discount?" in shown(app)
        assert "2 of 4 judged by you" in status(app)


async def test_a_reason_with_a_note_and_cancelling(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("r", "escape")  # cancelled: nothing stored, same example
        assert verdicts(project_path) == {}
        assert "Can I pay by bank transfer?" in shown(app)
        await pilot.press("r", "tab", *"fees apply", "enter")  # no reason chosen yet: the dialog asks
        await pilot.press("1")  # wrong
        await pilot.pause()
        assert verdicts(project_path) == {"Can I pay by bank transfer?": ("reject", "wrong", {"note": "fees apply"})}


async def test_undo_withdraws_the_last_verdict(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("a")
        assert "Where is my parcel?" in shown(app)
        await pilot.press("u")
        await pilot.pause()
        assert verdicts(project_path) == {}
        assert "Can I pay by bank transfer?" in shown(app)
        assert "0 of 4 judged by you" in status(app)


async def test_signals_and_filters(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("n")
        assert "Where is my parcel?" in shown(app)
        text = side(app)
        assert "⚠ refusal / boilerplate / filler: “as an ai”" in text
        assert "⚠ nearest human example: 1.00" in text and "Where is my order?" in text
        await pilot.press("p")
        assert "Can I pay by bank transfer?" in shown(app)

        await pilot.press("s")  # first signal: near a human example
        assert "Where is my parcel?" in shown(app)
        assert "example 1 of 1" in str(app.screen.query_one("#review-filters").content)
        await pilot.press("s")  # length
        assert "No rows match the filters" in str(app.screen.query_one("#review-empty").content)
        for _ in range(len(__import__("workbench.steps.synthetic_review.signals", fromlist=["SIGNALS"]).SIGNALS) - 1):
            await pilot.press("s")  # back to any signal
        assert "signal: any" in str(app.screen.query_one("#review-filters").content)

        await pilot.press("c")  # billing
        assert "Can I pay by bank transfer?" in shown(app)
        await pilot.press("n")
        assert "Is there a student discount?" in shown(app)
        await pilot.press("n")  # the last billing row: stays
        assert "Is there a student discount?" in shown(app)
        await pilot.press("c")  # shipping
        assert "Where is my parcel?" in shown(app)


async def test_judged_rows_leave_the_list_and_come_back_with_show_all(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("a", "a", "a", "a")
        assert "Nothing left to review" in str(app.screen.query_one("#review-empty").content)
        await pilot.press("v")  # all rows
        assert "Can I pay by bank transfer?" in shown(app)
        assert "you: accept" in side(app)


# -- the labels queue: rows categorize left for a person ------------------------------------------

LABEL_ROWS = [
    *[{"messages": chat(f"Why was I charged twice, case {i}?", "Refunded."), "category": "billing"} for i in range(3)],
    *[{"messages": chat(f"Where is my parcel, case {i}?", "On its way."), "category": "shipping"} for i in range(3)],
    {"messages": chat("Can I get my money back?", "Yes."), "category": "billing"},  # a conflict pair: same
    {"messages": chat("Can I get my money back??", "Maybe."), "category": "shipping"},  # prompt, two labels
    {"messages": chat("I was billed wrongly", "Fixed.")},  # unlabelled, clearly billing
    {"messages": chat("Billing or shipping, who knows", "Hm.")},  # unlabelled, halfway
]


async def test_slash_finds_a_row_by_text_or_id(project_path: Path):
    from textual.widgets import Input

    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        assert "Can I pay by bank transfer?" in shown(app)
        await pilot.press("slash", *"canada", "enter")
        await pilot.pause()
        assert "Do you ship to Canada?" in shown(app)
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#find-text", Input).value = "no such words"
        await pilot.press("enter")
        await pilot.pause()
        assert "Do you ship to Canada?" in shown(app)  # stays, and says why
        assert any("No row in this list matches" in n.message for n in app._notifications)


@pytest.fixture
def label_project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    monkeypatch.setenv("WORKBENCH_RATER", "ann")
    source = tmp_path / "labels.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in LABEL_ROWS) + "\n", encoding="utf-8")
    path = tmp_path / "project"
    project = Project.create(path, inputs=[source])
    records = project.records()
    e = np.eye(16)
    by_line = {1: e[0], 2: e[0], 3: e[0], 4: e[1], 5: e[1], 6: e[1], 7: e[2], 8: e[2], 9: e[0], 10: e[0] + e[1]}
    vectors = np.array([by_line[line] for line in records.get_column("source_line").to_list()], dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cache = V.embedding_cache(V.PACKAGED_MODEL, path / ".workbench" / "cache")
    cache.put(V.cache_keys(records, V.record_texts(records, "user")), vectors.astype(np.float32))
    project.close()
    return path


def categorize_decisions(path: Path) -> dict[str, object]:
    store = Store(path / ".workbench" / "workbench.db")
    try:
        prompts = {r["id"]: r["messages"][0]["content"] for r in Project.open(path).records().iter_rows(named=True)}
        return {prompts[rid]: d.detail.get("category") for (_, rid, _), d in store.decisions.standing("categorize").items()}
    finally:
        store.close()


def labels_text(app) -> str:
    return (app.screen.query_one("#labels-conversation").query_one("#review-conversation-body").content.plain
            + str(app.screen.query_one("#labels-detail").content))


async def test_labels_queue_by_keyboard(label_project: Path):
    from workbench.tui.screens.review_labels import CategoryDialog

    app = make_app(label_project)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        assert "No rows to review" in str(app.screen.query_one("#review-empty").content)
        await pilot.press("l")
        await settle(pilot)
        text = labels_text(app)
        # Input order: the conflict pair first, then the unsure row; the confident one was labelled.
        assert "Can I get my money back?" in text and "Label conflict" in text and "labelled shipping" in text
        await pilot.press("k")  # billing stays billing
        assert "Can I get my money back??" in labels_text(app)
        await pilot.press("e")
        assert isinstance(app.screen, CategoryDialog)
        await pilot.press("down", "enter")  # the suggestion (billing) is first; shipping is next
        await pilot.pause()
        text = labels_text(app)
        assert "Billing or shipping, who knows" in text and "Not labelled: the guess is unsure" in text
        await pilot.press("a")  # take the suggestion
        assert categorize_decisions(label_project) == {
            "Can I get my money back?": "billing", "Can I get my money back??": "shipping",
            "Billing or shipping, who knows": "billing"}
        await pilot.press("l")  # back to the synthetic examples
        assert "No rows to review" in str(app.screen.query_one("#review-empty").content)


async def test_a_chosen_label_is_in_the_row_header_when_the_row_shows_again(label_project: Path):
    app = make_app(label_project)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("l")
        await settle(pilot)
        body = app.screen.query_one("#labels-conversation").query_one("#review-conversation-body")
        assert "(your choice)" not in body.content.plain
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second category of the list
        await pilot.pause()
        (chosen,) = categorize_decisions(label_project).values()
        await pilot.press("p")  # back to the row just labelled
        await pilot.pause()
        assert f"category {chosen} (your choice)" in body.content.plain
        assert f"your choice: {chosen}" in str(app.screen.query_one("#labels-detail").content)
        assert "1 of 3 decided" in str(app.screen.query_one("#labels-status").content)
