"""Help (`?`), annotation guidelines (`g`) and "who is rating?": what an expert meets first."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from workbench.services.guidelines import read_guidelines
from workbench.services.project import Project
from workbench.store import default_rater
from workbench.tui.app import TABS, make_app
from workbench.tui.guidelines import GuidelinesPanel
from workbench.tui.help import HelpScreen, key_names, own_bindings
from workbench.tui.rater import RaterScreen
from workbench.tui.screens.project import ProjectScreen

NARROW = (80, 24)
WIDE = (160, 48)
ANSWER = ("Open Settings, then Account, and choose Reset password; the email arrives within a minute "
          "and the link in it stays valid for one hour, after which you can ask for a new one.")


@pytest.fixture
def project_path(tmp_path: Path, monkeypatch) -> Path:
    """Two near copies (a cluster for the Dedup tab) among a few other rows."""
    monkeypatch.delenv("WORKBENCH_RATER", raising=False)
    rows = [{"messages": chat("How do I reset my password?", ANSWER), "category": "account"},
            {"messages": chat("How do I reset my password?", ANSWER + " Thanks!"), "category": "account"}]
    rows += [{"messages": chat(f"Question {i} about parcels?", f"Answer {i}: it ships in {i} days."),
              "category": "shipping"} for i in range(4)]
    path = tmp_path / "faq-project"
    Project.create(path, inputs=[write_jsonl(tmp_path / "faq.jsonl", rows)]).close()
    return path


def with_guidelines(path: Path, name: str = "GUIDELINES.md", text: str | None = None) -> None:
    with open(path / "workbench.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[review]\nguidelines = "{name}"\n')
    if text is not None:
        (path / name).write_text(text, encoding="utf-8")


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


# -- ? help ------------------------------------------------------------------------------------
async def test_help_on_every_tab_at_80x24_lists_every_key_and_the_footer_offers_it(project_path):
    app = make_app(project_path)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        for number, tab_class in enumerate(TABS, 1):
            await pilot.press(str(number))
            await settle(pilot)
            footer = screen_text(app).splitlines()[-1]
            assert footer.strip().startswith("? Help"), (tab_class.TITLE, footer)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen), tab_class.TITLE
            said = app.screen.plain_text()
            assert f"The {tab_class.TITLE} tab" in said
            for binding in own_bindings(tab_class):  # the hidden ones too
                line = f"{key_names(app, binding)}  {binding.tooltip or binding.description}"
                assert line in said, (tab_class.TITLE, line)
            for everywhere in ("1…8  show a tab: 1 Data · 2 Dedup", "?  List every key", "q  Quit"):
                assert everywhere in said
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ProjectScreen)


async def test_dedup_help_names_the_keys_missing_from_its_footer(project_path):
    app = make_app(project_path)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        said = app.screen.plain_text()
        for line in ("⏎  Accept what is shown", "← / h  Select the previous copy", "→ / l  Select the next copy",
                     "t  Switch the dedup method", "esc  Stop finding clusters", "g  Show or hide the project's"):
            assert line in said
        await pilot.press("1", "question_mark")  # digits do nothing while help is open
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)  # ? closed it
        await pilot.press("question_mark")
        await pilot.pause()
        said = app.screen.plain_text()
        assert "The Dedup tab" in said
        assert "g  Show or hide the project's annotation guidelines" in said


async def test_help_marks_keys_that_do_not_work_right_now(project_path):
    app = make_app(project_path)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")  # the Data tab: no recipe running, nothing to judge
        await pilot.pause()
        said = app.screen.plain_text()
        assert "esc  Cancel run (not here now)" in said
        assert "(not here now)" in next(line for line in said.splitlines() if line.startswith("g  "))


# -- g guidelines ------------------------------------------------------------------------------
async def test_guidelines_beside_the_item_on_judging_tabs_only(project_path):
    with_guidelines(project_path, text="# How we judge\n\nKeep the copy with the **most complete** reply.\n")
    app = make_app(project_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert "g Guidelines" not in screen_text(app).splitlines()[-1]  # Data judges nothing
        await pilot.press("g")
        await pilot.pause()
        panel = app.screen.query_one(GuidelinesPanel)
        assert not panel.has_class("-open")
        await pilot.press("2")
        await settle(pilot)
        assert "g Guidelines" in screen_text(app).splitlines()[-1]
        await pilot.press("g")
        await pilot.pause()
        text = screen_text(app)
        assert panel.has_class("-open") and "How we judge" in text and "Guidelines · GUIDELINES.md" in text
        # Beside the clusters, not over them: the cluster list is still on screen.
        cluster_list = app.screen.query_one("#cluster-list")
        assert cluster_list.region.right <= panel.region.x
        assert app.focused is cluster_list  # the keys still decide
        await pilot.press("3")  # PII judges too: the guidelines stay
        await settle(pilot)
        assert panel.has_class("-open")
        await pilot.press("4")  # Balance does not
        await settle(pilot)
        assert not panel.has_class("-open") and "How we judge" not in screen_text(app)
        await pilot.press("5", "g")  # Review: g hides them again
        await settle(pilot)
        assert not panel.has_class("-open")


async def test_guidelines_cover_the_item_at_80x24(project_path):
    with_guidelines(project_path, text="# How we judge\n\nA reply that invents a policy is rejected.\n")
    app = make_app(project_path)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        text = screen_text(app)
        assert "A reply that invents a policy is rejected." in text
        panel = app.screen.query_one(GuidelinesPanel)
        assert panel.region.width >= 78 and app.focused is panel  # ↑/↓ scroll what covers the tab
        assert text.splitlines()[-1].strip().startswith("? Help")
        await pilot.press("g")
        await pilot.pause()
        assert not panel.has_class("-open") and app.focused is app.screen.query_one("#cluster-list")


async def test_missing_guidelines_say_so(project_path):
    app = make_app(project_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("2", "g")
        await settle(pilot)
        text = screen_text(app)
        assert "This project has no annotation guidelines" in text and "guidelines = " in text
    with_guidelines(project_path, name="RULES.md")  # named, never written
    project = Project.open(project_path)
    found = read_guidelines(project)
    project.close()
    assert found.markdown is None and "RULES.md is missing" in found.problem
    app = make_app(project_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("2", "g")
        await settle(pilot)
        assert "RULES.md is missing" in " ".join(screen_text(app).split())


# -- who is rating -----------------------------------------------------------------------------
async def test_rater_asked_once_remembered_shown_and_stored_on_decisions(project_path):
    app = make_app(project_path, ask_rater=True)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RaterScreen)
        assert app.screen.query_one("#rater-name").value == ""  # never the login name, unasked
        await pilot.press("enter")  # no name: asked again, nothing opens
        await pilot.pause()
        assert isinstance(app.screen, RaterScreen) and "Type your name first" in screen_text(app)
        await pilot.press(*"Ana Dias", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        assert "rating as Ana Dias" in screen_text(app).splitlines()[0]
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")  # accept the cluster as shown
        await settle(pilot)
        decisions = app.project.store.decisions.standing("near_dedup").values()
        assert decisions and {d.rater for d in decisions} == {"Ana Dias"}
    assert default_rater() != "Ana Dias"  # the name was that session's
    raters = (project_path / ".workbench" / "raters.toml").read_text(encoding="utf-8")
    assert '"Ana Dias"' in raters
    app = make_app(project_path, ask_rater=True)  # the next time: not asked again
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        assert "rating as Ana Dias" in screen_text(app).splitlines()[0]


async def test_rater_option_and_environment(project_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_RATER", "dana")
    app = make_app(project_path, ask_rater=True)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#rater-name").value == "dana"  # proposed, still asked
        await pilot.press("enter")
        await settle(pilot)
        assert "rating as dana" in screen_text(app).splitlines()[0]
    app = make_app(project_path, rater="Bo Lund", ask_rater=True)  # --rater: this person, remembered
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        assert "rating as Bo Lund" in screen_text(app).splitlines()[0]
        app.project.store.log("probe")
        assert app.project.store.audit("probe")[0]["who"] == "Bo Lund"
    app = make_app(project_path, ask_rater=True)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert "rating as Bo Lund" in screen_text(app).splitlines()[0]


@pytest.mark.parametrize("argv", [["PROJECT", "--rater", "Ana Dias"], ["--rater", "Ana Dias", "PROJECT"],
                                  ["--rater=Ana Dias", "PROJECT"]])
def test_workbench_rater_option_reaches_the_app(project_path, monkeypatch, argv):
    from workbench.commands import main

    opened = {}
    monkeypatch.setattr("workbench.tui.app.run_app",
                        lambda path, tab=None, rater=None: opened.update(path=path, rater=rater))
    assert main([str(project_path) if a == "PROJECT" else a for a in argv]) == 0
    assert opened == {"path": project_path, "rater": "Ana Dias"}
