"""The PII tab, driven by keys as a reviewer would: scan, accept, reject, allow-list, mark a missed
span, bulk accept, undo, and coming back to where they stopped; and a snapshot of what it shows.
Update the snapshot with `pytest tests/test_tui_pii.py --snapshot-update` after checking the new
picture (tests/__snapshots__/test_tui_pii/) by eye."""

from __future__ import annotations

from pathlib import Path

import json

import pytest
from conftest import chat, write_jsonl
from textual.widgets import Input, OptionList

from workbench.services.project import Project
from workbench.steps.pii.findings import span_key
from workbench.tui.app import make_app

SIZE = (130, 40)

ROWS = [
    {"messages": chat("Mail me at ana.dias@example.org or call 415-555-0198.", "Will do.")},
    {"messages": chat("Where is my parcel?", "It left our warehouse yesterday.")},
    {"messages": chat("Send it to help@quillfield.com, ref QF-204518.", "Sent.")},
]




@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    src = write_jsonl(tmp_path / "support.jsonl", ROWS)
    path = tmp_path / "proj"
    Project.create(path, [src]).close()
    config = path / "workbench.toml"
    config.write_text(config.read_text().replace(
        "[recipe.split]", '[[recipe.steps]]\nname = "pii"\nspacy_model = "none"\n\n[recipe.split]'))
    return path


async def settle(pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_pii(pilot) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)


def status(app) -> str:
    return str(app.screen.query_one("#pii-status").render())


def span_line(app) -> str:
    return str(app.screen.query_one("#pii-span").render())


def record_text(app) -> str:
    return app.screen.query_one("#pii-record-body").content.plain


def decisions(path: Path) -> dict:
    project = Project.open(path)
    try:
        return {(rid, target): d for (_, rid, target), d in project.store.decisions.standing("pii").items()}
    finally:
        project.close()


async def test_scan_then_review_span_by_span(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        assert "press s to scan" in status(app)
        await pilot.press("s")
        await settle(pilot)
        assert "2 records with personal data, 3 spans · 3 not reviewed" in status(app)
        counts = str(app.screen.query_one("#pii-counts").render())
        assert "EMAIL_ADDRESS 2" in counts and "PHONE_NUMBER 1" in counts
        assert "EMAIL_ADDRESS" in span_line(app) and "span 1/2" in span_line(app)
        assert "ana.dias@example.org[EMAIL_ADDRESS]" in record_text(app)
        queue = app.screen.query_one("#pii-queue", OptionList)
        assert queue.option_count == 2

        await pilot.press("a")  # accept the email; the phone comes next
        assert "PHONE_NUMBER" in span_line(app) and "span 2/2" in span_line(app)
        await pilot.press("x")  # the phone is a false positive
        assert "help@quillfield.com" in record_text(app)  # moved on to the next record
        assert "1 not reviewed" in status(app)

    made = decisions(project_path)
    assert sorted((d.action, d.detail["entity"]) for d in made.values()) == [
        ("accept", "EMAIL_ADDRESS"), ("reject", "PHONE_NUMBER")]
    text = ROWS[0]["messages"][0]["content"]
    start = text.index("415")
    rejected = next(d for d in made.values() if d.action == "reject")
    assert rejected.target == span_key(0, start, start + len("415-555-0198"))

    # Reopened: it resumes on the one span left, and the recipe run keeps the rejected phone.
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        assert "help@quillfield.com" in span_line(app) or "help@quillfield.com[EMAIL_ADDRESS]" in record_text(app)
        assert "1 not reviewed" in status(app)
    project = Project.open(project_path)
    kept = project.run().kept
    project.close()
    contents = [m["content"] for msgs in kept.get_column("messages").to_list() for m in msgs]
    assert "Mail me at <EMAIL_ADDRESS> or call 415-555-0198." in contents


async def test_reject_into_the_allow_list_and_undo(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("n")  # the second record: help@quillfield.com
        assert "help@quillfield.com" in span_line(app) or "help@quillfield.com" in record_text(app)
        await pilot.press("w")
        allow = (project_path / "pii_allow_list.txt").read_text()
        assert "help@quillfield.com" in allow.splitlines()
        assert "ana.dias@example.org" in record_text(app)  # on to the first span left, wrapping around
        await pilot.press("u")  # nothing to undo on a pending span: no decision is written
    made = decisions(project_path)
    assert [d.action for d in made.values()] == ["reject"]
    assert next(iter(made.values())).reason == "allow list"

    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        await pilot.press("n")
        assert "✗ keep" in span_line(app)
        await pilot.press("u")
        assert "?" in span_line(app)
    assert decisions(project_path) == {}  # the revert withdrew it


async def test_mark_a_missed_span_and_bulk_accept(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("n")
        await pilot.press("m")
        await pilot.pause()
        dialog_input = app.screen.query_one("#pii-mark-text", Input)
        dialog_input.value = "QF-204518"
        await pilot.press("enter")
        await pilot.pause()
        assert "QF-204518[PERSON]" in record_text(app)  # PERSON is the dialog's first choice
        await pilot.press("b")
        await pilot.pause()
        app.screen.query_one("#pii-bulk-score", Input).value = "0"
        await pilot.press("enter")
        await settle(pilot)
        assert "0 not reviewed" in status(app)
    made = decisions(project_path)
    flags = [d for d in made.values() if d.action == "flag"]
    assert len(flags) == 1 and flags[0].detail["entity"] == "PERSON"
    text = ROWS[2]["messages"][0]["content"]
    start = text.index("QF-204518")
    assert flags[0].detail == {"turn": 0, "start": start, "end": start + 9, "entity": "PERSON"}
    assert sum(1 for d in made.values() if d.action == "accept") == 3

    project = Project.open(project_path)
    kept = project.run().kept
    project.close()
    contents = [m["content"] for msgs in kept.get_column("messages").to_list() for m in msgs]
    assert "Send it to <EMAIL_ADDRESS>, ref <PERSON>." in contents


class TestPiiSnapshot:
    """The tab after a scan of a small project, with one span accepted and one rejected."""

    ROWS = [
        ("Hi, please update my email to ana.dias@example.org and my phone to (415) 555-0198.",
         "Done: both are saved on your account."),
        ("The card 4111 1111 1111 1111 was charged twice for the Tempo Lite.",
         "I have refunded the second charge; it shows in 3-5 days."),
        ("Where is my parcel? It has not moved since Monday.", "It left our warehouse yesterday."),
        ("Send the invoice to billing@example.com, and the receipt to ana.dias@example.org.", "Sent."),
    ]

    @pytest.fixture
    def project(self, tmp_path: Path, monkeypatch) -> str:
        """A project opened by a relative path, so no temporary folder reaches the screen."""
        monkeypatch.chdir(tmp_path)
        lines = [json.dumps({"messages": chat(q, a)}) for q, a in self.ROWS]
        Path("support.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        Project.create("pii-demo", inputs=["support.jsonl"]).close()
        config = Path("pii-demo") / "workbench.toml"
        config.write_text(config.read_text().replace(
            "[recipe.split]", '[[recipe.steps]]\nname = "pii"\nspacy_model = "none"\n\n[recipe.split]'))
        return "pii-demo"

    def test_reviewing(self, snap_compare, project):
        async def run_before(pilot):
            await open_pii(pilot)
            await pilot.press("s")
            await settle(pilot)
            await pilot.press("a", "x")  # accept the email, keep the phone
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(make_app(project), terminal_size=SIZE, run_before=run_before)


async def test_bulk_accept_previews_the_count_and_never_accepts_or_cancels_silently(project_path: Path):
    from textual.widgets import Label

    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        preview = app.screen.query_one("#pii-bulk-preview", Label)
        score = app.screen.query_one("#pii-bulk-score", Input)
        dialog = app.screen
        low = next(e for e, xs in dialog.scores.items() if max(xs) < 1)  # a type the scan is not sure of
        dialog.query_one("#pii-bulk-entity").value = low
        score.value = "1"
        await pilot.pause()
        assert "Nothing matches" in str(preview.render()) and "lower the minimum" in str(preview.render())
        await pilot.press("enter")  # nothing would be accepted: the dialog stays, and says why
        await pilot.pause()
        assert app.screen.query("#pii-bulk-score")
        assert decisions(project_path) == {}
        dialog.query_one("#pii-bulk-entity").value = "*"
        score.value = "0"
        await pilot.pause()
        total = sum(len(xs) for xs in dialog.scores.values())
        assert f"Will accept {total} of {total} pending every type" in str(preview.render())
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query("#pii-bulk-score")
        assert any("cancelled: nothing was accepted" in n.message for n in app._notifications)
    assert decisions(project_path) == {}


async def test_e_shows_the_record_as_the_export_will_write_it(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert "[EMAIL_ADDRESS]" in record_text(app)  # the spans to review, tagged
        await pilot.press("x")  # the first span (the address) is a false positive: kept as it is
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        shown = record_text(app)
        assert "as exported" in span_line(app) and "kept as you decided" in span_line(app)
        assert "[EMAIL_ADDRESS]" not in shown and "[PHONE_NUMBER]" not in shown
        await pilot.press("e")  # back to the spans
        await pilot.pause()
        assert "[PHONE_NUMBER]" in record_text(app)
    project = Project.open(project_path)
    kept = project.run().kept
    project.close()
    first = kept.filter(kept["source_line"] == 1).row(0, named=True)
    assert first["messages"][0]["content"] in shown  # exactly the text the export writes


async def test_slash_finds_a_record_by_id_text_or_value(project_path: Path):
    app = make_app(project_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pii(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert "ana.dias@example.org" in record_text(app)
        await pilot.press("slash", *"quillfield", "enter")
        await pilot.pause()
        assert "help@quillfield.com" in record_text(app)
        from workbench.tui.screens.pii import PiiTab

        rid = app.screen.query_one(PiiTab).queue.records[0].id
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#find-text", Input).value = rid[:6]
        await pilot.press("enter")
        await pilot.pause()
        assert "ana.dias@example.org" in record_text(app)
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#find-text", Input).value = "no such thing"
        await pilot.press("enter")
        await pilot.pause()
        assert "ana.dias@example.org" in record_text(app)  # stays where it was, and says so
        assert any("No record matches" in n.message for n in app._notifications)
