"""The statistics of blind A/B votes against numbers worked out by hand."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from workbench.evaluate.bradley_terry import fit_bradley_terry
from workbench.evaluate.intervals import bootstrap_rate, wilson
from workbench.evaluate.stats import analyze
from workbench.evaluate.text import format_text
from workbench.evaluate.votes import Vote

Z = 1.959963984540054


def votes_for(winners: list[str], *, model_a: str = "base", model_b: str = "run:x", category: str | None = "billing",
              rater: str = "ann", start: int = 0, left: str | None = "a", prefix: str = "p") -> list[Vote]:
    """One vote per winner, each on its own prompt and pair."""
    return [Vote(start + i, f"{prefix}{start + i}", category, model_a, model_b, w, left, rater)
            for i, w in enumerate(winners)]


def by_hand_wilson(successes: float, n: int) -> tuple[float, float]:
    p = successes / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


# -- win rates and Wilson --------------------------------------------------------------------
def test_win_rate_counts_ties_and_both_bad_as_half_and_drops_skips():
    # base (a) vs run:x (b): run:x wins 5, base wins 2, 2 ties, 1 both bad, 1 skip.
    votes = votes_for(["b"] * 5 + ["a"] * 2 + ["tie"] * 2 + ["both_bad"] + ["skip"])
    pair = analyze(votes, bootstrap=200)["pairs"][0]
    assert (pair["wins_a"], pair["wins_b"], pair["ties"], pair["both_bad"], pair["skips"]) == (2, 5, 2, 1, 1)
    assert pair["n"] == 10  # 2 + 5 + 2 + 1; the skip is not a vote on quality
    # base: (2 wins + 0.5 × (2 ties + 1 both bad)) / 10 = 3.5 / 10
    assert pair["win_rate_a"] == pytest.approx(0.35)
    lo, hi = by_hand_wilson(3.5, 10)
    assert pair["wilson"] == pytest.approx([lo, hi], abs=1e-6)
    # run:x's view: (5 + 1.5) / 10, and the interval mirrored
    view = pair["view"]
    assert (view["model"], view["wins"], view["losses"]) == ("run:x", 5, 2)
    assert view["win_rate"] == pytest.approx(0.65)
    assert view["wilson"] == pytest.approx([1 - hi, 1 - lo], abs=1e-6)
    assert view["wilson"] == pytest.approx([0.35367, 0.86307], abs=1e-5)  # the same numbers, written out


def test_wilson_matches_newcombe_1998():
    # Newcombe, "Two-sided confidence intervals for the single proportion", Stat Med 1998, table I.
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)
    assert wilson(0, 20) == pytest.approx((0.0, 0.1611), abs=5e-5)
    assert wilson(0, 0) is None


def test_per_category_figures_and_the_overall_sum():
    billing = votes_for(["b"] * 8 + ["a"] * 2, category="billing")  # run:x: 8 / 10
    shipping = votes_for(["b"] * 3 + ["a"] * 5 + ["tie", "both_bad"], category="shipping", start=100)  # (3 + 1) / 10
    result = analyze(billing + shipping, bootstrap=300)
    view = result["pairs"][0]["view"]
    assert view["categories"]["billing"]["win_rate"] == pytest.approx(0.8)
    assert view["categories"]["shipping"]["win_rate"] == pytest.approx(0.4)
    assert view["win_rate"] == pytest.approx((8 + 3 + 0.5 * 2) / 20)
    cat = result["pairs"][0]["categories"]["shipping"]
    assert (cat["wins_a"], cat["wins_b"], cat["ties"], cat["both_bad"]) == (5, 3, 1, 1)
    assert cat["wilson"] == pytest.approx(list(by_hand_wilson(6, 10)), abs=1e-6)


def test_votes_without_a_category_are_grouped_as_unlabelled():
    result = analyze(votes_for(["a", "b"], category=None), bootstrap=0)
    assert list(result["pairs"][0]["categories"]) == ["(unlabelled)"]


def test_a_pair_given_in_the_other_order_is_flipped_into_store_order():
    flipped = [Vote(1, "p1", "c", "run:x", "base", "a", "a", "ann")]  # run:x won, shown left
    pair = analyze(flipped, bootstrap=0)["pairs"][0]
    assert (pair["model_a"], pair["model_b"], pair["wins_b"], pair["wins_a"]) == ("base", "run:x", 1, 0)
    assert pair["position_bias"]["left"] == 1


# -- bootstrap -------------------------------------------------------------------------------
def mixed_votes(n_prompts: int = 60, seed: int = 3, raters=("ann",)) -> list[Vote]:
    rng = random.Random(seed)
    out = []
    for p in range(n_prompts):
        winner = rng.choice(["a", "b", "b", "tie", "both_bad", "skip"])
        for r in raters:
            out.append(Vote(p, f"p{p}", rng.choice(["x", "y"]) if r == raters[0] else "x", "base", "run:x",
                            winner, "a", r))
    return out


def test_bootstrap_is_deterministic_and_brackets_the_point_estimate():
    votes = mixed_votes()
    first = analyze(votes, seed=7)
    again = analyze(list(reversed(votes)), seed=7)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    other = analyze(votes, seed=8)
    assert other["pairs"][0]["bootstrap"] != first["pairs"][0]["bootstrap"]
    pair = first["pairs"][0]
    lo, hi = pair["bootstrap"]
    assert lo < pair["win_rate_a"] < hi
    # and it is roughly as wide as Wilson's for independent votes (one rater, one vote per prompt)
    w_lo, w_hi = pair["wilson"]
    assert 0.6 < (hi - lo) / (w_hi - w_lo) < 1.4


def test_bootstrap_resamples_prompts_so_a_second_identical_rater_adds_no_certainty():
    one = analyze(mixed_votes(raters=("ann",)), seed=1)["pairs"][0]
    two = analyze(mixed_votes(raters=("ann", "bob")), seed=1)["pairs"][0]
    assert two["n"] == 2 * one["n"] and two["win_rate_a"] == one["win_rate_a"]
    assert two["bootstrap"] == pytest.approx(one["bootstrap"])  # the prompts, not the votes, are the sample
    assert two["wilson"][1] - two["wilson"][0] < one["wilson"][1] - one["wilson"][0]  # Wilson counts votes


def test_bootstrap_rate_on_a_single_prompt_is_that_prompt():
    rng = np.random.default_rng(0)
    assert bootstrap_rate(np.array([1.5]), np.array([2.0]), 100, rng) == (0.75, 0.75)
    assert bootstrap_rate(np.array([]), np.array([]), 100, rng) is None


# -- position bias ---------------------------------------------------------------------------
def test_position_bias_warns_when_the_interval_excludes_half():
    # 24 of 30 decisive votes went to the left reply: Wilson(24, 30) lies above 50%.
    votes = (votes_for(["a"] * 24, left="a") + votes_for(["a"] * 6, left="b", start=24)
             + votes_for(["tie"] * 5, left="a", start=30)  # ties are not decisive
             + votes_for(["a"] * 4, left=None, start=40))  # imported: side unknown
    result = analyze(votes, bootstrap=0)
    bias = result["pairs"][0]["position_bias"]
    assert (bias["left"], bias["n"]) == (24, 30)
    assert bias["left_share"] == pytest.approx(0.8)
    assert bias["wilson"] == pytest.approx(list(by_hand_wilson(24, 30)), abs=1e-6)
    assert bias["wilson"][0] > 0.5
    assert "left" in bias["warning"]
    assert any("left" in note for note in result["notes"])
    assert "⚠" in format_text(result)


def test_no_position_warning_when_sides_are_balanced():
    votes = votes_for(["a"] * 8, left="a") + votes_for(["b"] * 7, left="a", start=8)
    bias = analyze(votes, bootstrap=0)["pairs"][0]["position_bias"]
    assert bias["left_share"] == pytest.approx(8 / 15)
    assert bias["warning"] is None


# -- Bradley-Terry ---------------------------------------------------------------------------
def test_bradley_terry_recovers_known_strengths_from_expected_counts():
    theta = np.array([0.9, 0.2, -0.3, -0.8])
    wins = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            if i != j:
                wins[i, j] = 50 / (1 + math.exp(-(theta[i] - theta[j])))  # 50 games per pair, expected wins
    fit = fit_bradley_terry(wins)
    assert fit == pytest.approx(theta - theta.mean(), abs=1e-8)


def test_bradley_terry_by_hand_on_three_models():
    # Strengths 4 : 1 : ¼. P(A beats B) = 4 / 5, P(B beats C) = 1 / 1.25 = 4 / 5, P(A beats C) = 4 / 4.25 = 16 / 17.
    # With exactly those win counts the likelihood is highest at log-strengths ln 4, 0, −ln 4 (mean 0 already).
    votes, pid = [], 0
    for a, b, won, lost in (("m1", "m2", 4, 1), ("m2", "m3", 4, 1), ("m1", "m3", 16, 1)):
        for w in ["a"] * won + ["b"] * lost:
            votes.append(Vote(pid, f"p{pid}", "c", a, b, w, "a", "ann"))
            pid += 1
    result = analyze(votes, bootstrap=200, baseline="none")
    table = {row["model"]: row for row in result["bradley_terry"]}
    assert [row["model"] for row in result["bradley_terry"]] == ["m1", "m2", "m3"]
    assert table["m1"]["strength"] == pytest.approx(math.log(4), abs=1e-5)
    assert table["m2"]["strength"] == pytest.approx(0.0, abs=1e-5)
    assert table["m3"]["strength"] == pytest.approx(-math.log(4), abs=1e-5)
    assert table["m1"]["elo"] == pytest.approx(1000 + 400 * math.log10(4), abs=0.1)
    for row in table.values():
        lo, hi = row["interval"]
        assert lo <= row["strength"] <= hi


def test_bradley_terry_ties_count_half_and_a_cycle_is_level():
    # A beats B twice and loses once, B the same over C, C the same over A; plus a tie on each pair.
    votes, pid = [], 0
    for a, b in (("A", "B"), ("B", "C"), ("A", "C")):
        first_wins = "a" if (a, b) != ("A", "C") else "b"  # ("A", "C") is stored A-first: C beats A
        for w in [first_wins, first_wins, "b" if first_wins == "a" else "a", "tie"]:
            votes.append(Vote(pid, f"p{pid}", None, a, b, w, "a", "ann"))
            pid += 1
    table = analyze(votes, bootstrap=50)["bradley_terry"]
    assert [row["strength"] for row in table] == pytest.approx([0, 0, 0], abs=1e-9)
    assert all(row["games"] == 8 for row in table)


def test_bradley_terry_is_centred_not_anchored_and_softened_when_a_model_never_loses():
    votes = (votes_for(["b"] * 6, model_a="base", model_b="run:1")
             + votes_for(["a"] * 3 + ["b"] * 3, model_a="base", model_b="run:2", start=10)
             + votes_for(["a"] * 4, model_a="run:1", model_b="run:2", start=20))
    result = analyze(votes, bootstrap=100)
    strengths = [row["strength"] for row in result["bradley_terry"]]
    assert sum(strengths) == pytest.approx(0, abs=1e-6)
    assert result["bradley_terry"][0]["model"] == "run:1"  # never lost
    assert any("virtual tie" in note for note in result["notes"])
    # one tie on run:1's record would do: its maximum-likelihood strength is finite again
    tied = votes + votes_for(["tie"], model_a="run:1", model_b="run:2", start=30)
    assert not any("virtual tie" in note for note in analyze(tied, bootstrap=20)["notes"])


def test_a_model_with_only_skips_does_not_make_a_bradley_terry_table():
    votes = votes_for(["a", "b"]) + votes_for(["skip"], model_a="base", model_b="run:2", start=10)
    result = analyze(votes, bootstrap=0)
    assert "bradley_terry" not in result
    assert result["models"] == ["base", "run:2", "run:x"]


def test_two_models_have_no_bradley_terry_table():
    assert "bradley_terry" not in analyze(votes_for(["a", "b"]), bootstrap=0)


# -- agreement -------------------------------------------------------------------------------
def two_raters(first: list[str], second: list[str]) -> list[Vote]:
    return votes_for(first, rater="ann") + votes_for(second, rater="bob")


def test_cohen_kappa_of_two_raters_by_hand():
    # ann: a a b tie b a      bob: a b b tie(both bad) b b
    # observed agreement 4/6; chance = (3·1 + 2·4 + 1·1) / 36 = 12/36; kappa = (4/6 − 1/3) / (1 − 1/3) = 0.5
    agreement = analyze(two_raters(["a", "a", "b", "tie", "b", "a"], ["a", "b", "b", "both_bad", "b", "b"]),
                        bootstrap=0)["agreement"]
    assert agreement["method"] == "cohen"
    assert agreement["items"] == 6
    assert agreement["observed"] == pytest.approx(4 / 6, abs=1e-6)
    assert agreement["kappa"] == pytest.approx(0.5)
    assert "Cohen" in agreement["line"]


def test_fleiss_kappa_of_three_raters_by_hand():
    # Four pairs, three raters each: [a a a] [a a b] [b b tie] [tie tie tie]
    # per pair agreement 1, 1/3, 1/3, 1 → mean 2/3; label shares 5/12, 3/12, 4/12 → chance 50/144
    # kappa = (2/3 − 50/144) / (1 − 50/144) = 23/47
    labels = [("a", "a", "a"), ("a", "a", "b"), ("b", "b", "tie"), ("tie", "tie", "tie")]
    votes = [Vote(i, f"p{i}", "c", "base", "run:x", w, "a", rater)
             for i, row in enumerate(labels) for w, rater in zip(row, ("ann", "bob", "cy"))]
    agreement = analyze(votes, bootstrap=0)["agreement"]
    assert agreement["method"] == "fleiss"
    assert agreement["kappa"] == pytest.approx(23 / 47, abs=1e-6)


def test_agreement_needs_two_raters_on_one_pair():
    agreement = analyze(votes_for(["a", "b"], rater="ann") + votes_for(["a"], rater="bob", start=5),
                        bootstrap=0)["agreement"]
    assert agreement["method"] == "none"
    assert agreement["kappa"] is None


def test_experts_against_rouge_agreement_and_the_note_when_they_disagree():
    # Experts prefer run:x (b) on 4 of 5 pairs; ROUGE-L prefers base (a) on 4 of 5.
    winners = ["b", "b", "b", "b", "a"]
    metric = ["a", "a", "a", "b", "a"]
    votes = [Vote(i, f"p{i}", "c", "base", "run:x", w, "a", "ann", m) for i, (w, m) in enumerate(zip(winners, metric))]
    ma = analyze(votes, bootstrap=0)["metric_agreement"]
    # agree on pairs 3 and 4 → 2/5; chance = (experts b 4, a 1; ROUGE a 4, b 1) (4·1 + 1·4) / 25 = 8/25
    assert (ma["items"], ma["agree"]) == (5, 2)
    assert ma["share"] == pytest.approx(0.4)
    assert ma["kappa"] == pytest.approx((2 / 5 - 8 / 25) / (1 - 8 / 25))
    assert ma["by_pair"][0]["experts_prefer"] == "run:x" and ma["by_pair"][0]["metric_prefers"] == "base"
    assert "the experts decide" in ma["note"]


def test_experts_verdict_on_a_pair_with_split_raters_is_a_tie():
    votes = [Vote(1, "p1", "c", "base", "run:x", "a", "a", "ann", "tie"),
             Vote(1, "p1", "c", "base", "run:x", "b", "a", "bob", "tie")]
    ma = analyze(votes, bootstrap=0)["metric_agreement"]
    assert (ma["items"], ma["agree"]) == (1, 1)
    assert ma["note"] is None


# -- verdict and output ----------------------------------------------------------------------
def test_verdict_line_counts_categories_and_marks_the_bar():
    billing = votes_for(["b"] * 8 + ["a"] * 2, category="billing")
    shipping = votes_for(["b"] * 3 + ["a"] * 5 + ["tie", "both_bad"], category="shipping", start=100)
    result = analyze(billing + shipping, bootstrap=500)
    boot = result["pairs"][0]["view"]["bootstrap"]
    assert result["verdict"].startswith("run:x beats base in 1 of 2 categories")
    assert f"overall win rate 60.0% [{boot[0]:.1%}–{boot[1]:.1%}]" in result["verdict"]
    assert "below the 70% bar" in result["verdict"]
    strong = analyze(votes_for(["b"] * 40 + ["a"] * 2, category="billing"), bootstrap=500)
    assert "run:x beats base in 1 of 1 category (1 of them with the 95% interval above 50%)" in strong["verdict"]
    assert "above the 70% bar (its whole interval)" in strong["verdict"]


def test_a_category_won_narrowly_is_not_clearly_won():
    result = analyze(votes_for(["b"] * 6 + ["a"] * 4), bootstrap=300)
    assert "beats base in 1 of 1 category (none with the 95% interval above 50%)" in result["verdict"]


def test_json_shape_of_eval_report():
    votes = mixed_votes()
    result = json.loads(json.dumps(analyze(votes, bootstrap=100)))
    pair = result["pairs"][0]
    for key in ("model_a", "model_b", "wins_a", "wins_b", "ties", "both_bad", "skips", "n", "win_rate_a",
                "wilson", "bootstrap", "categories", "position_bias"):
        assert key in pair
    assert set(pair["categories"]["x"]) >= {"wins_a", "wins_b", "ties", "both_bad", "win_rate_a", "wilson",
                                            "bootstrap"}
    assert set(pair["position_bias"]) >= {"left_share", "n", "wilson", "warning"}
    assert 0 <= pair["win_rate_a"] <= 1
    assert {"agreement", "metric_agreement", "verdict", "verdicts"} <= set(result)


def test_no_votes_and_only_skips():
    assert analyze([], bootstrap=10)["verdict"] == "no votes yet"
    result = analyze(votes_for(["skip", "skip"]), bootstrap=10)
    assert result["pairs"][0]["win_rate_a"] is None
    assert result["verdict"] == "run:x vs base: no votes yet"
    format_text(result)  # prints without failing


def test_unknown_winner_is_refused_with_the_pair_named():
    with pytest.raises(ValueError, match="pair 0 .*'maybe'"):
        analyze(votes_for(["maybe"]))


def test_format_text_holds_the_tables():
    billing = votes_for(["b"] * 8 + ["a"] * 2, category="billing")
    text = format_text(analyze(billing, bootstrap=100))
    assert "run:x beats base" in text.splitlines()[2]
    row = next(line for line in text.splitlines() if line.startswith("| billing"))
    assert [c.strip() for c in row.strip("|").split("|")][:7] == ["billing", "10", "8", "2", "0", "0", "80.0%"]
