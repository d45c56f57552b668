"""The verdict in plain words: counted over the votes that picked a side, "both bad" said apart,
small categories marked "too few votes", and "about N more" the votes that would settle it."""

from __future__ import annotations

import pytest

from workbench.errors import ConfigError
from workbench.evaluate.intervals import wilson
from workbench.evaluate.report_words import min_votes_setting, plain_verdict, text_lines, votes_to_settle
from workbench.evaluate.stats import analyze
from workbench.evaluate.votes import Vote


def votes_of(fates: dict[str, list[str]]) -> list[Vote]:
    """Votes of one rater on base vs run:x; "tuned" is a win of run:x (model b), "base" a loss."""
    out, n = [], 0
    for category, winners in fates.items():
        for fate in winners:
            n += 1
            winner = {"tuned": "b", "base": "a"}.get(fate, fate)
            out.append(Vote(n, f"p{n}", category, "base", "run:x", winner, "a", "ann"))
    return out


FATES = {
    "billing": ["tuned"] * 7 + ["base"] + ["both_bad"] * 2,  # better: 7 of 8 that picked a side
    "account": ["base"] * 8 + ["tie"],  # worse
    "returns": ["tuned"] * 6 + ["base"] * 4,  # 60%: not settled
    "shipping": ["tuned", "tuned"],  # two votes: too few
    "privacy": ["both_bad"] * 5,  # nobody won
}


def words_for(fates, min_votes=5):
    return plain_verdict(analyze(votes_of(fates), bootstrap=50), min_votes)


def test_the_headline_counts_categories_in_plain_words():
    words = words_for(FATES)
    assert words["headline"] == (
        "The tuned model (run:x) is better than base in 1 of 5 categories and worse in 1; in 2 there are too few "
        "votes to tell (about 3–87 more each would settle it); in 1 no vote picked a side.")
    by_name = {c["category"]: c for c in words["categories"]}
    assert by_name["billing"]["words"] == "better — won 7 of 8 (88%); 2 both bad"
    assert by_name["account"]["status"] == "worse"
    assert by_name["returns"]["words"].startswith("not settled — won 6 of 10 (60%); about 87 more votes")
    assert by_name["shipping"]["words"] == "too few votes (2 votes; about 3 more would settle it)"
    assert "[" not in by_name["shipping"]["words"]  # no interval for a category this small
    assert by_name["privacy"]["words"] == "no vote picked a side (5 both bad)"


def test_both_bad_is_said_apart_and_not_counted_as_half_a_win():
    # 4 wins, 3 losses and 4 "both bad" in 11 votes: half a win each would read 54.5%
    words = words_for({"billing": ["tuned"] * 4 + ["base"] * 3 + ["both_bad"] * 4})
    assert words["overall"] == ("Overall run:x won 4 of 7 votes that picked a side (57%). "
                                "36% of votes (4 of 11): both replies unusable.")
    assert words["bar"].startswith("That is below the 70% bar for a strong signal; more votes could still change that")


def test_about_n_more_is_the_votes_that_would_move_the_interval_off_50_percent():
    # 6 of 10 at the same rate: the Wilson interval of the share won clears 50% first at 97 votes that pick a side
    more = votes_to_settle(6, 4, 10)
    assert wilson(0.6 * (10 + more), 10 + more)[0] > 0.5
    assert wilson(0.6 * (10 + more - 1), 10 + more - 1)[0] <= 0.5
    # ties and both bad keep their share: with as many both bad as decisive votes it takes twice the votes
    assert votes_to_settle(6, 4, 20) in (2 * more - 1, 2 * more, 2 * more + 1)
    # the smallest number of votes is a floor too: 3 of 3 would need 1 more to settle, 2 more to reach 5 votes
    assert votes_to_settle(3, 0, 3, least=5) == 2
    assert votes_to_settle(5, 5, 10) is None and votes_to_settle(0, 0, 4) is None  # even: never at this rate
    assert votes_to_settle(9, 0, 9) == 0  # already settled


def test_the_bar_line_says_whether_the_70_percent_bar_is_cleared():
    assert words_for({"billing": ["tuned"] * 30})["bar"] == (
        "That clears the 70% bar for a strong signal, even at the low end of its 95% interval.")
    reaches = words_for({"billing": ["tuned"] * 8 + ["base"] * 2})["bar"]
    assert reaches.startswith("That reaches the 70% bar for a strong signal, but there are too few votes to be sure")
    below = words_for({"billing": ["tuned"] * 10 + ["base"] * 30})["bar"]
    assert below == "That is below the 70% bar for a strong signal."


def test_when_nothing_is_settled_the_headline_says_so_first():
    words = words_for({"billing": ["tuned"], "shipping": ["tuned", "base", "tuned"]})
    assert words["headline"].startswith("There are too few votes yet to tell whether the tuned model (run:x) is better "
                                        "than base in any of its 2 categories")


def test_min_votes_comes_from_the_eval_settings():
    assert min_votes_setting({}) == 5
    assert min_votes_setting({"eval": {"min_votes": 2}}) == 2
    with pytest.raises(ConfigError, match=r"\[eval\] min_votes = 'many'"):
        min_votes_setting({"eval": {"min_votes": "many"}})
    few = {c["category"]: c["status"] for c in words_for(FATES, min_votes=2)["categories"]}
    assert few["shipping"] == "not settled"  # two votes are enough to be judged at min_votes = 2


def test_text_lines_put_the_headline_first_and_each_category_after_it():
    lines = text_lines(words_for(FATES))
    assert lines[0].startswith("The tuned model (run:x) is better than base in 1 of 5 categories")
    assert "  shipping: too few votes (2 votes; about 3 more would settle it)" in lines


def test_no_votes():
    assert plain_verdict(analyze([], bootstrap=10))["headline"] == "No votes yet."


def test_two_tuned_models_are_told_from_the_side_of_the_one_ahead():
    votes = [Vote(i, f"p{i}", "billing", "run:a", "run:b", "b" if i < 8 else "a", "a", "ann") for i in range(10)]
    words = plain_verdict(analyze(votes, bootstrap=20))
    assert words["headline"].startswith("There are too few votes yet to tell whether run:b is better than run:a")
    assert words["overall"].startswith("Overall run:b won 8 of 10 votes that picked a side (80%)")
