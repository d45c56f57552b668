"""The Compare tab, driven by keys alone: blind pairs, votes committed before the next pair,
reasons, the reveal, resuming after a quit, and the empty states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TabbedContent

from workbench.errors import WorkbenchError
from workbench.evaluate.arena import make_pairs
from workbench.services.project import Project
from workbench.store import Store
from workbench.tui.app import make_app
from workbench.tui.screens.compare import CompareTab
from workbench.tui.screens.compare_reveal import RevealDialog

SIZE = (120, 40)
BASE, TUNED = "base", "run:r0001"
SETTINGS = json.dumps({"do_sample": False, "max_new_tokens": 64}, sort_keys=True)

# (prompt id, category, question, reference, first model's reply, second model's reply)
PROMPTS = [
    ("p1", "account", "How do I reset my password?", "Settings > Account > Reset password.",
     "Try turning it off and on.", "Open Settings, then Account, and choose Reset password."),
    ("p2", "billing", "My invoice shows a double charge.", "We refund the second charge within 5 days.",
     "Please pay again.", "I have refunded the second charge; it shows in 3-5 days."),
    ("p3", "shipping", "Where is my parcel?", "It left the warehouse; tracking is in your email.",
     "Parcels are round.", "It left our warehouse yesterday; the tracking link is in your email."),
    ("p4", "account", "Can I change my email address?", "Yes, under Settings > Account.",
     "No.", "Yes: Settings > Account > Email, then confirm the link we send."),
]


def make_project(tmp_path: Path, with_pairs: bool = True) -> Path:
    source = tmp_path / "chats.jsonl"
    source.write_text(json.dumps({"messages": [{"role": "user", "content": "Hi?"},
                                               {"role": "assistant", "content": "Hello."}]}) + "\n",
                      encoding="utf-8")
    path = tmp_path / "project"
    project = Project.create(path, inputs=[source])
    if with_pairs:
        add_pairs(project.store)
    project.close()
    return path


def add_pairs(store: Store, seed: int = 0, comparison: str | None = None) -> None:
    store.evals.add_prompts({"prompt_id": pid, "source": "holdout", "category": cat,
                            "messages": [{"role": "system", "content": "You are a support agent."},
                                         {"role": "user", "content": question}],
                            "reference": ref} for pid, cat, question, ref, _, _ in PROMPTS)
    store.evals.add_model(BASE, "base")
    store.evals.add_model(TUNED, "adapter")
    store.evals.add_generations([(pid, BASE, SETTINGS, weak, 5) for pid, _, _, _, weak, _ in PROMPTS]
                                + [(pid, TUNED, SETTINGS, good, 12) for pid, _, _, _, _, good in PROMPTS])
    make_pairs(store, BASE, TUNED, seed=seed, comparison=comparison)


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def every_text(app) -> str:
    """All text the tab holds, shown or not: statics, border titles, the reason field."""
    tab = app.screen.query_one(CompareTab)
    parts = [str(w.render()) for w in tab.query(Static)]
    parts += [str(w.border_title or "") for w in tab.query("*")]
    parts += [w.value for w in tab.query(Input)]
    return "\n".join(parts)


def shown_question(app) -> str:
    return app.screen.query_one("#compare-prompt-text", Static).render().plain.splitlines()[-1]


def sides(app) -> tuple[str, str]:
    return (app.screen.query_one("#compare-left Static").render().plain,
            app.screen.query_one("#compare-right Static").render().plain)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture(autouse=True)
def rater(monkeypatch) -> str:
    monkeypatch.setenv("WORKBENCH_RATER", "ann")
    return "ann"


def stored_votes(path: Path) -> list[dict]:
    store = Store(path / ".workbench" / "workbench.db")
    try:
        return store.arena.votes(rater="ann")
    finally:
        store.close()


async def test_opens_on_the_compare_tab_blind_with_progress_and_rater(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "compare"
        text = screen_text(app)
        assert "Rating as ann" in text and "0 of 4 voted by ann" in text
        assert "You are a support agent." in text  # the whole conversation up to the user turn
        assert shown_question(app) in {q for _, _, q, _, _, _ in PROMPTS}
        left, right = sides(app)
        assert {left, right} <= {r for p in PROMPTS for r in p[4:]}
        for name in (BASE, TUNED, "vs"):
            assert name not in text
            assert name not in every_text(app)
        for key in ("a A better", "b B better", "t Tie", "x Both bad", "s Skip", "c Reason", "f Reference",
                    "v Reveal"):
            assert key in text.splitlines()[-1]


async def test_three_votes_by_keyboard_land_with_the_right_winners(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    seen = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("a", "b", "t"):
            tab = app.screen.query_one(CompareTab)
            seen.append((tab.pair.pair_id, shown_question(app)))
            await pilot.press(key)
            # Committed before the next pair shows: the store already has it.
            assert len(stored_votes(path)) == len(seen)
            assert tab.pair.pair_id != seen[-1][0]
        assert "3 of 4 voted by ann" in screen_text(app)
    store = Store(path / ".workbench" / "workbench.db")
    votes = {v["pair_id"]: v for v in store.arena.votes(rater="ann")}
    pairs = {p["pair_id"]: p for p in store.arena.pairs()}
    store.close()
    assert [votes[pid]["choice"] for pid, _ in seen] == ["left", "right", "tie"]
    first, second, third = (pairs[pid] for pid, _ in seen)
    assert votes[first["pair_id"]]["winner"] == first["left"]  # A is the left reply
    assert votes[second["pair_id"]]["winner"] == ("a" if second["left"] == "b" else "b")
    assert votes[third["pair_id"]]["winner"] == "tie"
    assert {v["rater"] for v in votes.values()} == {"ann"}


async def test_the_left_reply_is_the_one_the_pair_stores_on_the_left(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pair_id = app.screen.query_one(CompareTab).pair.pair_id
        left, right = sides(app)
    store = Store(path / ".workbench" / "workbench.db")
    pair = store.arena.pair(pair_id)
    store.close()
    expected = (pair["reply_a"], pair["reply_b"]) if pair["left"] == "a" else (pair["reply_b"], pair["reply_a"])
    assert (left, right) == expected


async def test_names_stay_hidden_until_reveal_and_then_only_for_voted_pairs(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")  # before any vote: nothing to reveal
        await settle(pilot)
        assert isinstance(app.screen, RevealDialog)
        assert "not voted on any pair yet" in screen_text(app)
        assert TUNED not in screen_text(app) and BASE not in screen_text(app)
        await pilot.press("escape")
        await pilot.press("a")
        await settle(pilot)
        assert TUNED not in screen_text(app) and BASE not in screen_text(app)
        assert TUNED not in every_text(app) and BASE not in every_text(app)
        voted = app.screen.query_one(CompareTab).pair
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app)
        assert TUNED in text and BASE in text
        assert "the 1 pairs ann voted on" in text
        assert "A better" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen.query_one(CompareTab), CompareTab)
        assert TUNED not in screen_text(app) and BASE not in screen_text(app)
        assert voted is not None


async def test_quitting_midway_resumes_at_the_first_unvoted_pair(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.press("x")
        waiting = app.screen.query_one(CompareTab).pair.pair_id
        await pilot.press("q")
    assert not app.is_running
    assert len(stored_votes(path)) == 2

    again = make_app(path, tab="compare")
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.screen.query_one(CompareTab).pair.pair_id == waiting
        assert "2 of 4 voted by ann" in screen_text(again)
        for key in ("s", "t"):
            await pilot.press(key)
        await settle(pilot)
        text = screen_text(again)
        assert "Nothing left to rate" in text and "press v to reveal" in text
        assert "4 of 4 voted by ann" in text
        await pilot.press("a")  # nothing on screen to vote on: no vote is stored
    assert len(stored_votes(path)) == 4


async def test_a_reason_goes_with_the_vote_on_its_own_pair(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tab = app.screen.query_one(CompareTab)
        first = tab.pair.pair_id
        await pilot.press("c", *"cites the wrong menu", "enter")
        assert app.focused is tab
        assert "cites the wrong menu" in screen_text(app)  # still in sight: it goes with the vote
        await pilot.press("b")
        second = tab.pair.pair_id
        assert app.screen.query_one("#compare-reason", Input).value == ""
        # A reason left with escape half-way is not lost either, and undo brings a pair back.
        await pilot.press("c", *"too short", "escape")
        await pilot.press("t")
        await pilot.press("s")
    votes = {v["pair_id"]: v for v in stored_votes(path)}
    assert votes[first]["reason"] == "cites the wrong menu" and votes[first]["choice"] == "right"
    assert votes[second]["reason"] == "too short" and votes[second]["winner"] == "tie"
    assert sum(1 for v in votes.values() if v["reason"]) == 2


async def test_undo_shows_the_pair_again_and_the_new_vote_counts(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tab = app.screen.query_one(CompareTab)
        first = tab.pair.pair_id
        question = shown_question(app)
        await pilot.press("a", "u")
        assert tab.pair.pair_id == first and shown_question(app) == question
        assert "0 of 4 voted by ann" in screen_text(app)
        await pilot.press("b")
        second = tab.pair.pair_id
        await pilot.press("v", "escape")  # the names of the first pair are now known to ann
        await pilot.press("u")
        assert tab.pair.pair_id == second  # so its vote stands: no second look with the names known
        assert "1 of 4 voted by ann" in screen_text(app)
        await pilot.press("t", "u")  # a vote cast after the reveal can still be undone
        assert tab.pair.pair_id == second
    votes = {v["pair_id"]: v for v in stored_votes(path)}
    assert votes[first]["choice"] == "right"
    assert votes[second]["reason"] == "undo"


def test_an_unknown_tab_is_a_clear_error(tmp_path: Path):
    with pytest.raises(WorkbenchError, match="no tab named 'comapre'; the tabs are data, dedup"):
        make_app(make_project(tmp_path, with_pairs=False), tab="comapre")


async def test_a_long_conversation_opens_at_the_turn_the_replies_answer(tmp_path: Path):
    path = make_project(tmp_path, with_pairs=False)
    project = Project.open(path)
    turns = []
    for i in range(12):
        turns += [{"role": "user", "content": f"Earlier question {i}."},
                  {"role": "assistant", "content": f"Earlier answer {i}.\nWith a second line."}]
    turns.append({"role": "user", "content": "And the final question?"})
    project.store.evals.add_prompts([{"prompt_id": "chat", "source": "holdout", "category": "misc",
                                     "messages": turns, "reference": "Final answer."}])
    project.store.evals.add_generations([("chat", BASE, SETTINGS, "One.", 1), ("chat", TUNED, SETTINGS, "Two.", 1)])
    make_pairs(project.store, BASE, TUNED)
    project.close()
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "And the final question?" in text and "Earlier question 0." not in text
        assert "shift+↑↓ scrolls the prompt" in text
        for _ in range(30):
            await pilot.press("shift+up")
        await pilot.pause()
        assert "Earlier question 0." in screen_text(app)


async def test_the_reference_answer_shows_on_f(tmp_path: Path):
    path = make_project(tmp_path)
    app = make_app(path, tab="compare")
    references = {q: ref for _, _, q, ref, _, _ in PROMPTS}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reference = references[shown_question(app)]
        assert reference not in screen_text(app)
        await pilot.press("f")
        assert reference in screen_text(app)
        await pilot.press("a")  # stays shown for the next pair
        assert references[shown_question(app)] in screen_text(app)
        await pilot.press("f")
        assert references[shown_question(app)] not in screen_text(app)


async def test_long_replies_scroll_together(tmp_path: Path):
    path = make_project(tmp_path, with_pairs=False)
    project = Project.open(path)
    store = project.store
    long = "\n".join(f"Line {i} of a long answer." for i in range(200))
    store.evals.add_prompts([{"prompt_id": "long", "source": "holdout", "category": "misc",
                             "messages": [{"role": "user", "content": "Explain everything."}], "reference": None}])
    store.evals.add_generations([("long", BASE, SETTINGS, long, 900), ("long", TUNED, SETTINGS, long + "\nThe end.", 905)])
    make_pairs(store, BASE, TUNED)
    project.close()
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        left, right = app.screen.query("ReplyPane")
        assert left.max_scroll_y > 0 and right.max_scroll_y > 0
        await pilot.press("pagedown", "down")
        await pilot.pause()
        assert left.scroll_y > 0 and left.scroll_y == right.scroll_y
        await pilot.press("end")
        await pilot.pause()
        assert "The end." in screen_text(app) or "Line 199" in screen_text(app)
        await pilot.press("f")
        assert "No reference answer for this prompt." in screen_text(app)


async def test_empty_states(tmp_path: Path):
    path = make_project(tmp_path, with_pairs=False)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "No pairs yet: press p to choose a trained run" in text
        assert "p New pairs" in text.splitlines()[-1]
        assert "Rating as ann" in text
        await pilot.press("a", "t", "x", "s")  # nothing to vote on, nothing happens
        assert "No pairs yet" in screen_text(app)
    assert stored_votes(path) == []


async def test_several_sets_switch_with_n_and_stay_blind(tmp_path: Path):
    path = make_project(tmp_path, with_pairs=False)
    project = Project.open(path)
    add_pairs(project.store, seed=1, comparison="first study")
    make_pairs(project.store, BASE, TUNED, seed=2)  # the default name: "base vs run:r0001"
    project.close()
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "0 of 8 voted by ann" in screen_text(app) and "all 2 sets" in screen_text(app)
        await pilot.press("n")
        assert "set 1 of 2" in screen_text(app) and "0 of 4 voted by ann" in screen_text(app)
        for key in "abts":
            await pilot.press(key)
        assert "Nothing left to rate" in screen_text(app) and "Press n for another set" in screen_text(app)
        await pilot.press("n")
        text = screen_text(app)
        assert "set 2 of 2" in text and "0 of 4 voted by ann" in text
        assert BASE not in text and TUNED not in text and "first study" not in text
        await pilot.press("n")
        assert "4 of 8 voted by ann" in screen_text(app)
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app)  # the sets are named in the reveal
        assert "set 1: base vs run:r0001" in text and "set 2: first study" in text


async def test_the_form_starts_a_comparison_and_its_pairs_appear_for_voting(tmp_path: Path):
    pytest.importorskip("torch")
    from test_eval_generate import make_lively_model, make_run
    from test_train import make_project as make_train_project
    from test_train import support_rows

    from workbench.tui.screens.compare_form import NewComparisonDialog

    model = make_lively_model(tmp_path / "models")
    path = make_train_project(tmp_path, model, rows=support_rows(16)
                              + [{"messages": [{"role": "user", "content": "Where is my parcel? Order 77."},
                                               {"role": "assistant", "content": "On its way."},
                                               {"role": "user", "content": "Thank u! Have a good one."},
                                               {"role": "assistant", "content": "You too!"}],
                                  "category": "shipping"}])
    make_run(path, model)
    app = make_app(path, tab="compare")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewComparisonDialog)
        text = screen_text(app)
        assert "base model (lively)" in text and "run r1" in text
        field = form.query_one("#compare-form-limit", Input)
        field.focus()
        field.value = "6"
        await settle(pilot)
        assert "Will answer: 6 prompts" in screen_text(app)
        await pilot.press("g")  # from the number field too
        await settle(pilot)
        tab = app.screen.query_one(CompareTab)
        for _ in range(600):  # the job runs in its own process; the tab re-reads its record every second
            if tab.pair is not None:
                break
            await pilot.pause(0.5)
        assert tab.pair is not None
        text = screen_text(app)
        assert "New comparison:" in text and "pairs ready" in text
        if tab.query_one("#compare-job").active:
            assert app.screen.active_bindings["escape"].binding.description == "Stop generating"
        for name in (BASE, "run:r1", "lively"):
            assert name not in every_text(app)  # still blind
        await pilot.press("a")
        assert len(stored_votes(path)) == 1
        for _ in range(600):
            if not tab.query_one("#compare-job").active:
                break
            await pilot.pause(0.5)
        await pilot.pause(1.5)
        import re

        # (a prompt too long for the tiny model's context is left out by generation, as on the CLI)
        finished = re.search(r"finished: (\d+) new replies, (\d+) pairs ready", screen_text(app))
        assert finished and int(finished[1]) == 2 * int(finished[2])
        assert f"1 of {finished[2]} voted by ann" in screen_text(app)
