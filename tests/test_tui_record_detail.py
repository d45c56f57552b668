"""The record detail pane for records with more than role and content: tool calls and results,
content parts, weights, preference pairs and KTO examples. First what it says (without the app),
then the Data tab showing records imported from real input files."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_jsonl
from workbench.records import make_frame
from workbench.services.project import Project
from workbench.tui.app import make_app
from workbench.tui.widgets.record_detail import describe_record

SIZE = (120, 50)
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def canonical(messages: list[dict], **columns) -> dict:
    """A record as the Data tab gets it: a row of a canonical frame (every turn field, null or set)."""
    row = {"id": "r1", "messages": messages, "category": "travel", "origin": "human",
           "source_file": "data/in.jsonl", "source_line": 3, "meta": "{}", **columns}
    return make_frame([row]).row(0, named=True)


def plain(record: dict) -> str:
    return describe_record(record).plain


TOOL_TURNS = [
    {"role": "user", "content": "What is this?<image>",
     "parts": json.dumps([{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}])},
    {"role": "assistant", "content": "",
     "tool_calls": json.dumps([{"id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'}])},
    {"role": "tool", "content": "18 C", "tool_call_id": "call_1", "name": "get_weather"},
    {"role": "assistant", "content": "Let me check again.", "weight": 0,
     "tool_calls": json.dumps([{"id": None, "name": "get_weather", "arguments": '{"city":"Rome"}'}])},
    {"role": "tool", "content": "24 C"},
    {"role": "assistant", "content": "A cat; 18 C in Paris."},
]


def test_tool_calls_results_parts_and_weights_are_shown_in_turn_order():
    text = plain(canonical(TOOL_TURNS, tools=json.dumps([WEATHER])))
    assert "tools get_weather\n" in text
    assert "user\nWhat is this?<image>\n<image> image_url https://example.com/cat.png\n" in text
    assert 'assistant\n→ get_weather({"city":"Paris"})  id call_1\n' in text  # a call-only turn: no empty line
    assert "tool  result of get_weather, call call_1\n18 C\n" in text
    assert ('assistant  weight 0: context, not trained on\nLet me check again.\n'
            '→ get_weather({"city":"Rome"})\n') in text
    assert "tool\n24 C\n" in text  # a result without name or id
    order = ["What is this?", "→ get_weather", "18 C", "Let me check again.", "24 C", "A cat; 18 C"]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)
    assert "kind" not in text and "chosen" not in text  # an sft record says nothing of kinds


def test_a_preference_record_shows_the_prompt_then_chosen_then_rejected():
    record = canonical([{"role": "user", "content": "Is it safe to swim here?"}], kind="preference",
                       chosen=[{"role": "assistant", "content": "Yes, a lifeguard is on duty until 6."}],
                       rejected=[{"role": "assistant", "content": "Probably."}])
    text = plain(record)
    assert "kind preference" in text.splitlines()[0]
    order = ["Is it safe to swim here?", "── chosen ──", "Yes, a lifeguard", "── rejected ──",
             "Probably."]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)
    assert "label" not in text


def test_a_kto_record_shows_the_completion_and_its_label():
    prompt = [{"role": "user", "content": "Where is my parcel?"}]
    bad = plain(canonical(prompt, kind="kto", chosen=[{"role": "assistant", "content": "Ask the post."}],
                          label=False))
    assert bad.index("Where is my parcel?") < bad.index("── completion ──") < bad.index("Ask the post.")
    assert bad.rstrip().endswith("label undesirable") and "rejected" not in bad
    good = plain(canonical(prompt, kind="kto", chosen=[{"role": "assistant", "content": "In Lyon."}], label=True))
    assert "label desirable" in good


def test_a_completion_that_calls_tools_shows_its_calls():
    record = canonical([{"role": "user", "content": "Weather in Oslo?"}], kind="preference",
                       chosen=[{"role": "assistant", "content": "",
                                "tool_calls": json.dumps([{"id": "c", "name": "get_weather",
                                                           "arguments": '{"city":"Oslo"}'}])},
                               {"role": "tool", "content": "-3 C", "tool_call_id": "c"},
                               {"role": "assistant", "content": "It is -3 C."}],
                       rejected=[{"role": "assistant", "content": "Cold, I guess."}])
    text = plain(record)
    assert text.index("── chosen ──") < text.index('→ get_weather({"city":"Oslo"})') < text.index("-3 C") \
        < text.index("── rejected ──")


def test_inline_data_and_long_references_are_cut():
    record = canonical([
        {"role": "user", "content": "Listen<audio> and look<image>", "parts": json.dumps([
            {"type": "input_audio", "input_audio": {"data": "UklGR" * 2000, "format": "wav"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 5000}}])},
        {"role": "assistant", "content": "A bell and a cat."}])
    text = plain(record)
    assert "<audio> input_audio inline wav, 10,000 characters\n" in text
    assert "<image> image_url data:image/png;base64,AAA" in text and "(5,022 characters)" in text
    assert len(text) < 1000


# -- in the app ----------------------------------------------------------------------------------------

async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def detail_text(app) -> str:
    return app.screen.query_one("#record-detail-body").content.plain


async def test_the_data_tab_shows_imported_tool_calls_and_preference_pairs(tmp_path: Path):
    tools = write_jsonl(tmp_path / "tools.jsonl", [{"messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C"},
        {"role": "assistant", "content": "It is 18 C in Paris."}], "tools": [WEATHER]}])
    pairs = write_jsonl(tmp_path / "pairs.jsonl", [{
        "prompt": [{"role": "user", "content": "Is it safe to swim here?"}],
        "chosen": [{"role": "assistant", "content": "Yes, a lifeguard is on duty."}],
        "rejected": [{"role": "assistant", "content": "Probably."}]}])
    path = tmp_path / "project"
    Project.create(path, inputs=[tools, pairs]).close()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        texts = [detail_text(app)]
        await pilot.press("down")
        texts.append(detail_text(app))
        calls = next(t for t in texts if "Weather in Paris?" in t)
        assert 'assistant\n→ get_weather({"city":"Paris"})  id call_1\n' in calls
        assert "tool  result of call call_1\n18 C\n" in calls
        pair = next(t for t in texts if "Is it safe to swim here?" in t)
        assert pair.index("── chosen ──") < pair.index("lifeguard") < pair.index("── rejected ──") \
            < pair.index("Probably.")
