"""Automated metrics: ROUGE-L, exact match and length against hand-computed values, per-category
means side by side per model, plugin metrics (the format-metric example plugin included)."""

from __future__ import annotations

import pytest

from workbench.evaluate.metrics import compute, exact_match, format_table, length, metric_winner, per_prompt, rouge_l
from workbench.store import Store


class FakeRegistry:
    def __init__(self, **metrics) -> None:
        self.eval_metrics = metrics


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "workbench.db")
    s.evals.add_prompts([
        {"prompt_id": "p1", "source": "holdout", "category": "billing",
         "messages": [{"role": "user", "content": "Refund?"}], "reference": "the cat sat on the mat"},
        {"prompt_id": "p2", "source": "holdout", "category": "billing",
         "messages": [{"role": "user", "content": "Invoice?"}], "reference": "Yes."},
        {"prompt_id": "p3", "source": "general", "category": "general",
         "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "Write a JSON list"}],
         "reference": None},
    ])
    s.evals.add_generations([
        ("p1", "base", "S", "the cat on mat", 4),         # ROUGE-L: P 4/4, R 4/6 -> F 0.8
        ("p1", "run:1", "S", "the cat sat on the mat", 6),  # 1.0
        ("p2", "base", "S", "No", 1),                      # 0.0, no exact match
        ("p2", "run:1", "S", " yes ", 1),                   # exact match up to case, spacing and full stop
        ("p3", "base", "S", "one two three", 3),
        ("p3", "run:1", "S", "[1, 2]", 2),
    ])
    yield s
    s.close()


def test_single_scores_match_hand_computed_values():
    assert rouge_l("the cat on mat", "the cat sat on the mat") == pytest.approx(0.8)
    assert rouge_l("completely different words", "the cat sat") == 0.0
    assert exact_match("  Yes ", "yes.") == 1.0 and exact_match("Yes, sure", "Yes") == 0.0
    assert length("Open  Settings,\nthen Account.") == 4
    assert metric_winner("the cat sat on the mat", "the cat", "the cat sat on the mat") == "a"
    assert metric_winner("x", "x", "the cat") == "tie"
    assert metric_winner("a", "b", None) is None


def test_means_per_model_overall_and_per_category(store):
    result = compute(store)
    assert result["models"] == ["base", "run:1"] and result["metrics"] == ["rouge_l", "exact_match", "length"]
    assert result["counts"] == {"base": 3, "run:1": 3} and result["with_reference"] == {"base": 2, "run:1": 2}
    base, tuned = result["overall"]["base"], result["overall"]["run:1"]
    assert base["rouge_l"] == pytest.approx((0.8 + 0.0) / 2)  # p3 has no reference: left out
    assert tuned["rouge_l"] == pytest.approx((1.0 + 1.0) / 2)
    assert (base["exact_match"], tuned["exact_match"]) == (0.0, 1.0)  # p1 verbatim, p2 up to case and stop
    assert base["length"] == pytest.approx((4 + 1 + 3) / 3)
    billing = result["by_category"]["billing"]
    assert billing["run:1"]["exact_match"] == 1.0 and billing["base"]["length"] == pytest.approx(2.5)
    general = result["by_category"]["general"]
    assert general["base"]["rouge_l"] is None and general["run:1"]["length"] == 2


def test_the_newest_reply_per_prompt_and_model_counts(store):
    store.evals.add_generations([("p1", "base", "S2", "the cat sat on the mat", 6)])
    assert compute(store)["by_category"]["billing"]["base"]["rouge_l"] == pytest.approx(0.5)  # (1.0 + 0) / 2
    assert per_prompt(store)[("p1", "base")] == 1.0
    assert ("p3", "base") not in per_prompt(store)  # no reference, no ROUGE
    assert per_prompt(store, "length")[("p3", "run:1")] == 2


def test_plugin_metrics_join_the_table_and_a_broken_one_is_reported(store):
    def shouts(prompt, reply, reference):
        return None if prompt.startswith("Write") else float(reply.isupper())

    def broken(prompt, reply, reference):
        raise RuntimeError("bad plugin")

    result = compute(store, FakeRegistry(shouts=shouts, broken=broken))
    assert result["metrics"] == ["rouge_l", "exact_match", "length", "broken", "shouts"]
    assert result["overall"]["base"]["shouts"] == 0.0  # p3 returned None: left out
    assert result["by_category"]["general"]["base"]["shouts"] is None
    assert result["overall"]["base"]["broken"] is None and "RuntimeError: bad plugin" in result["errors"]["broken"]
    table = format_table(result)
    assert "warning: metric broken failed" in table
    header = next(line for line in table.splitlines() if line.startswith("category"))
    assert header.split() == ["category", "model", "rouge_l", "exact_match", "length", "broken", "shouts", "replies"]
    overall = [line.split() for line in table.splitlines() if line.split()[:1] in (["overall"], ["run:1"])]
    assert overall[0][:3] == ["overall", "base", "0.400"] and overall[1][:2] == ["run:1", "1.000"]


def test_the_format_metric_plugin_is_installed_and_scores_json_and_patterns(monkeypatch, store):
    from workbench.plugins import load_registry

    monkeypatch.setenv("WORKBENCH_REPLY_PATTERN", r"\bcat\b")
    registry = load_registry()
    assert {"valid_json", "matches_pattern"} <= set(registry.eval_metrics)
    valid_json, pattern = registry.eval_metrics["valid_json"], registry.eval_metrics["matches_pattern"]
    assert valid_json("Give me JSON", '```json\n{"a": 1}\n```', None) == 1.0
    assert valid_json("Give me JSON", "{'a': 1}", None) == 0.0
    assert valid_json("Where is my parcel?", "On its way", "Tracking is in your email.") is None  # not a JSON task
    assert valid_json("Order status?", "[]", '{"status": "sent"}') == 1.0  # the reference is JSON
    result = compute(store, registry)
    assert result["overall"]["run:1"]["valid_json"] == 1.0 and result["overall"]["base"]["valid_json"] == 0.0
    assert result["overall"]["base"]["matches_pattern"] == pytest.approx(1 / 3)
    assert pattern("", "a cat", None) == 1.0 and pattern("", "category", None) == 0.0


def test_a_bad_pattern_setting_is_a_warning_naming_it(monkeypatch, store):
    from workbench.plugins import load_registry

    monkeypatch.setenv("WORKBENCH_REPLY_PATTERN", "(unclosed")
    result = compute(store, load_registry())
    assert "WORKBENCH_REPLY_PATTERN='(unclosed' is not a valid regular expression" in result["errors"]["matches_pattern"]
    assert result["overall"]["base"]["valid_json"] == 0.0  # the other metrics still count


def test_no_replies_says_what_to_run(tmp_path):
    assert "run `workbench generate` first" in format_table(compute(Store(tmp_path / "w.db")))
