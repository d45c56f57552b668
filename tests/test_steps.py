import pytest

from conftest import chat, frame
from workbench.errors import ConfigError
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe
from workbench.records import Decision
from workbench.steps.base import StepContext
from workbench.steps.dedup.exact import ExactDedup
from workbench.steps.validate import Validate, estimated_tokens


def run_step(step, records, human=None):
    return step.run(records, StepContext(step=step.name, human=human or {}))


def test_validate_names_the_problem_of_each_bad_row():
    records = frame([
        {"user": "fine question", "assistant": "fine answer"},
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
                      {"role": "user", "content": "and?"}]},
        {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "q"},
                      {"role": "assistant", "content": "a"}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "  "}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "robot", "content": "beep"}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "q2"},
                      {"role": "assistant", "content": "a"}]},
    ])
    result = run_step(Validate(), records)
    reasons = {d.record_id: d.reason for d in result.decisions}
    ids = records.get_column("id").to_list()
    assert result.kept.get_column("id").to_list() == [ids[0]]
    assert reasons == {
        ids[1]: "last_turn_not_assistant",
        ids[2]: "roles_out_of_order",
        ids[3]: "empty_turn",
        ids[4]: "unknown_role",
        ids[5]: "roles_out_of_order",
    }


def test_validate_length_limits_in_characters_and_tokens():
    long_en = "word " * 400  # 2000 ASCII characters, ~500 tokens
    cjk = "数据" * 300  # 600 CJK characters, ~600 tokens
    records = frame([
        {"user": "short", "assistant": "ok"},
        {"user": long_en, "assistant": "ok"},
        {"user": cjk, "assistant": "好"},
    ])
    ids = records.get_column("id").to_list()
    by_chars = run_step(Validate(max_chars=1000), records)
    assert {d.record_id for d in by_chars.decisions} == {ids[1]}
    by_tokens = run_step(Validate(max_tokens=550), records)
    # The CJK row is short in characters but long in tokens; the English one is the opposite.
    assert {d.record_id: d.reason for d in by_tokens.decisions} == {ids[2]: "too_long_tokens"}


def test_validate_measures_what_each_reason_is_about():
    # The reply's length for reply_too_short, not the whole conversation's (which read as if a
    # 40-character reply were too short).
    records = frame([
        {"user": "A question of some length, to make the conversation long.", "assistant": "Fine answer."},
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "A long first reply."},
                      {"role": "user", "content": "and?"}, {"role": "assistant", "content": " ok "}]},
    ])
    ids = records.get_column("id").to_list()
    result = run_step(Validate(min_chars=5, max_turns=3), records)
    assert {d.record_id: (d.reason, d.detail) for d in result.decisions} == {
        ids[1]: ("reply_too_short", {"reply_chars": 2, "min_chars": 5})}
    result = run_step(Validate(max_turns=3), records)
    assert [d.detail for d in result.decisions] == [{"turns": 4, "max_turns": 3}]
    result = run_step(Validate(max_chars=40), records)
    whole = len("A question of some length, to make the conversation long.\nFine answer.")
    assert [d.detail for d in result.decisions] == [{"chars": whole, "max_chars": 40}]


def test_token_estimate_counts_non_latin_characters_one_each():
    import polars as pl

    est = pl.DataFrame({"t": ["abcdefgh", "数据数据"]}).select(estimated_tokens(pl.col("t"))).to_series()
    assert est.to_list() == [2, 4]


def test_exact_dedup_catches_case_space_and_unicode_variants():
    records = frame([
        {"user": "Reset my password", "assistant": "Use Settings."},
        {"user": "reset  my PASSWORD", "assistant": "use settings."},
        {"user": "Ｒｅｓｅｔ my password", "assistant": "Use Settings."},  # full-width letters (NFKC)
        {"user": "Reset my password", "assistant": "Call us."},  # different answer: not a copy
    ])
    ids = records.get_column("id").to_list()
    result = run_step(ExactDedup(), records)
    assert result.kept.get_column("id").to_list() == [ids[0], ids[3]]
    assert [(d.record_id, d.reason, d.detail["duplicate_of"]) for d in result.decisions] == [
        (ids[1], "exact_duplicate", ids[0]), (ids[2], "exact_duplicate", ids[0])]


def test_exact_dedup_user_only_finds_same_question_with_other_answers():
    records = frame([
        {"user": "Reset my password", "assistant": "Use Settings."},
        {"user": "Reset my password", "assistant": "Call us."},
    ])
    assert len(run_step(ExactDedup(), records).decisions) == 0
    assert len(run_step(ExactDedup(fields="user"), records).decisions) == 1


def test_identical_rows_get_distinct_ids_and_the_reviewer_can_pick_the_second():
    records = frame([
        {"user": "Same", "assistant": "Same"},
        {"user": "Same", "assistant": "Same"},
    ])
    first, second = records.get_column("id").to_list()
    assert first != second and second.startswith(first)
    human = {(second, ""): Decision(second, "keep", rater="ana", step="exact_dedup")}
    result = run_step(ExactDedup(), records, human)
    assert result.kept.get_column("id").to_list() == [second]
    assert result.decisions[0].detail["duplicate_of"] == second


def test_step_parameters_are_checked_with_clear_messages():
    registry = load_registry()
    with pytest.raises(ConfigError, match="no parameter 'max_char'.*max_chars"):
        registry.build_step(StepSpec("validate", {"max_char": 10}))
    with pytest.raises(ConfigError, match="max_chars.*whole number"):
        registry.build_step(StepSpec("validate", {"max_chars": "ten"}))
    with pytest.raises(ConfigError, match="fields.*one of"):
        registry.build_step(StepSpec("exact_dedup", {"fields": "assistant"}))
    with pytest.raises(ConfigError, match="unknown step 'near_dedupe'"):
        run_recipe(frame([{"user": "a", "assistant": "b"}]),
                   Recipe((StepSpec("near_dedupe"),)), registry)


def test_validate_flag_mode_keeps_rows_but_reports_them():
    records = frame([{"user": "q", "assistant": "a"}, {"messages": chat("q", "x")[:1]}])
    result = run_step(Validate(on_problem="flag"), records)
    assert result.kept.height == 2
    assert [d.action for d in result.decisions] == ["flag"]


from hypothesis import given, settings, strategies as st  # noqa: E402

from workbench.records import normalize_text, normalized_texts  # noqa: E402

TEXT = st.text(alphabet=st.sampled_from(list("aB ß\t\n\u00a0\u2003Ｒé数\u2028ﬁ\u0130")), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5))
def test_vectorized_normalization_equals_the_reference(pairs):
    records = frame([{"user": u or "u", "assistant": a or "a"} for u, a in pairs])
    want = [normalize_text("\n".join(f"{m['role']}: {m['content']}" for m in msgs))
            for msgs in records.get_column("messages").to_list()]
    assert normalized_texts(records).to_list() == want
