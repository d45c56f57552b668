"""The example plugin in plugins/workbench-regex-filter: found through its entry point, and its
step drops exactly the rows a user would expect, saying which pattern and which turn matched."""

from __future__ import annotations

import importlib.metadata as md
import json
import tomllib
from pathlib import Path

import pytest

from workbench.errors import ConfigError
from workbench.io import finalize_ids, read_input
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, recipe_from_dict, run_recipe
from workbench.records import make_frame, record_id

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ROOT / "sample_data" / "support"

README_RECIPE = """
[[steps]]
name = "regex_filter"
patterns = ["(?i)as an ai language model", "lorem ipsum"]
"""


def _installed() -> bool:
    try:
        md.distribution("workbench-regex-filter")
    except md.PackageNotFoundError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _installed(), reason="workbench-regex-filter is not installed (make install, or "
    "pip install -e plugins/workbench-regex-filter)"
)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.delenv("WORKBENCH_PLUGINS", raising=False)
    return load_registry()


def records(conversations: list[list[tuple[str, str]]]):
    rows = []
    for line, turns in enumerate(conversations, 1):
        messages = [{"role": role, "content": content} for role, content in turns]
        rows.append({"id": record_id(messages), "messages": messages, "category": "billing",
                     "origin": "synthetic", "source_file": "chats.jsonl", "source_line": line, "meta": "{}"})
    return make_frame(rows)


CHATS = records([
    [("user", "How do I cancel Plus?"),
     ("assistant", "As an AI language model, I cannot cancel subscriptions, but here are some steps.")],
    [("user", "Lorem ipsum dolor sit amet"), ("assistant", "Could you tell me more about the problem?")],
    [("user", "My thermostat is offline."), ("assistant", "Let's reconnect it from Menu > Settings > Network.")],
    [("user", "LOREM IPSUM?"), ("assistant", "As an AI Language Model I can't see your account.")],
    [("system", "Placeholder: lorem ipsum."), ("user", "Where is my order?"),
     ("assistant", "It ships within 1-2 business days.")],
])


def removed_by_line(outcome) -> dict[int, tuple[str, dict]]:
    return {row["source_line"]: (row["reason"], json.loads(row["detail"]))
            for row in outcome.removed.iter_rows(named=True)}


def test_plugin_is_found_through_its_entry_point(registry):
    assert "regex_filter" in registry.steps
    info = next(p for p in registry.plugins if p.name == "regex_filter")
    assert "workbench-regex-filter" in info.source and info.version == "0.1.0"
    assert info.hooks == ["register_steps"]
    assert not [e for e in registry.errors if e.name == "regex_filter"]


def test_drops_exactly_the_matching_rows_with_pattern_and_role(registry):
    recipe = recipe_from_dict(tomllib.loads(README_RECIPE))  # the snippet from the plugin's README
    outcome = run_recipe(CHATS, recipe, registry)

    assert outcome.kept.get_column("source_line").to_list() == [3]
    assert removed_by_line(outcome) == {
        1: ("regex_filter", {"pattern": "(?i)as an ai language model", "role": "assistant"}),
        2: ("regex_filter", {"pattern": "lorem ipsum", "role": "user"}),  # ignore_case defaults to true
        # Both patterns match: the first one in the list is named, at the turn where it matched.
        4: ("regex_filter", {"pattern": "(?i)as an ai language model", "role": "assistant"}),
        5: ("regex_filter", {"pattern": "lorem ipsum", "role": "system"}),
    }
    assert set(outcome.removed.get_column("step")) == {"regex_filter"}
    report = outcome.steps[0]
    assert report.removed == {"regex_filter": 4} and report.rows_out == 1


def test_roles_limit_which_turns_are_scanned(registry):
    recipe = Recipe((StepSpec("regex_filter", {"patterns": ["lorem ipsum", "as an ai"], "roles": ["user"]}),))
    outcome = run_recipe(CHATS, recipe, registry)
    # Only user turns count: the assistant boilerplate (1) and the system placeholder (5) stay.
    assert outcome.kept.get_column("source_line").to_list() == [1, 3, 5]
    assert removed_by_line(outcome) == {
        2: ("regex_filter", {"pattern": "lorem ipsum", "role": "user"}),
        4: ("regex_filter", {"pattern": "lorem ipsum", "role": "user"}),
    }


def test_ignore_case_false_matches_case_exactly(registry):
    recipe = Recipe((StepSpec("regex_filter", {"patterns": ["lorem ipsum"], "ignore_case": False}),))
    outcome = run_recipe(CHATS, recipe, registry)
    assert sorted(removed_by_line(outcome)) == [5]  # "Lorem ipsum" and "LOREM IPSUM" differ in case


def test_no_match_keeps_everything(registry):
    outcome = run_recipe(CHATS, Recipe((StepSpec("regex_filter", {"patterns": [r"\bE999\b"]}),)), registry)
    assert outcome.kept.height == CHATS.height and outcome.removed.height == 0


def test_bad_regex_is_a_clear_config_error(registry):
    with pytest.raises(ConfigError) as err:
        registry.build_step(StepSpec("regex_filter", {"patterns": ["("]}))
    message = str(err.value)
    assert "regex_filter" in message and "'('" in message and "not a valid regular expression" in message


@pytest.mark.parametrize("params, words", [
    ({}, "patterns is required"),
    ({"patterns": []}, "patterns is required"),
    ({"patterns": ["ok", "[a-"]}, "patterns[1]"),
    ({"patterns": [r"(?<=a)b"]}, "look-around"),
    ({"patterns": ["x"], "roles": ["bot"]}, "'bot'"),
    ({"patterns": "x"}, "should be a list"),
    ({"patterns": ["x"], "ignore_case": "yes"}, "true or false"),
])
def test_bad_parameters_are_config_errors(registry, params, words):
    with pytest.raises(ConfigError, match="regex_filter") as err:
        registry.build_step(StepSpec("regex_filter", params))
    assert words in str(err.value)


def test_a_bad_pattern_stops_the_recipe_before_any_step_runs(registry):
    recipe = Recipe((StepSpec("exact_dedup"), StepSpec("regex_filter", {"patterns": ["(unclosed"]})))
    with pytest.raises(ConfigError, match="unclosed"):
        run_recipe(CHATS, recipe, registry)


def test_finds_the_planted_ai_boilerplate_in_the_sample_data(registry):
    """On the support sample, the README pattern removes only synthetic rows planted with that flaw."""
    planted = json.loads((SUPPORT / "planted.json").read_text(encoding="utf-8"))
    boilerplate = {s["line"] for s in planted["synthetic"] if any(f["type"] == "ai_boilerplate" for f in s["flaws"])}
    data = finalize_ids(read_input(SUPPORT / "support_chats.jsonl").records)
    recipe = Recipe((StepSpec("regex_filter", {"patterns": ["as an ai language model"], "roles": ["assistant"]}),))
    outcome = run_recipe(data, recipe, registry)
    dropped = set(outcome.removed.get_column("source_line").to_list())
    assert dropped and dropped <= boilerplate
    assert len(dropped) >= len(boilerplate) // 2  # most boilerplate says it in exactly these words
