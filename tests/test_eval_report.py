"""The evaluation report: a project with pairs and votes in its store gives files with the right numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import SUPPORT_ROWS, chat, write_jsonl

from workbench.errors import WorkbenchError
from workbench.evaluate.arena import Arena, make_pairs
from workbench.evaluate.report import collect, write_report
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.train.runs import Run

Z = 1.959963984540054
TUNED = "run:r1"

# Six held-out prompts; the tuned model's fate on each: billing 3 wins and a tie, shipping a loss and "both bad".
PROMPTS = [
    ("b1", "billing", "Why was I charged twice?", "The second charge is a hold; it drops off in 3 days.", "tuned"),
    ("b2", "billing", "Can I get an invoice?", "Yes: Settings > Billing > Invoices.", "tuned"),
    ("b3", "billing", "How do I change my card?", "Open Billing and choose Update card.", "tuned"),
    ("b4", "billing", "Is VAT included?", "Prices include VAT in the EU.", "tie"),
    ("s1", "shipping", "Where is my parcel?", "Tracking is in your confirmation email.", "base"),
    ("s2", "shipping", "Do you ship to Canada?", "Yes, in 5-8 business days.", "both_bad"),
]


def wilson_by_hand(successes: float, n: int) -> tuple[float, float]:
    p = successes / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def make_eval_project(root: Path, rater: str = "ann") -> Path:
    """A project with an export, a training run, replies from base and run:r1, pairs and one rater's votes."""
    path = root / "eval-demo"
    Project.create(path, inputs=[write_jsonl(root / "support.jsonl", SUPPORT_ROWS)]).close()
    export = export_project(path).out_dir
    run = Run.create(path, "r1", status="finished", export={"folder": str(export)},
                     base_model={"label": "SmolLM2-135M-Instruct"})
    for step, loss, holdout in ((1, 2.0, 2.2), (2, 1.5, None), (3, 1.2, 1.6)):
        run.append_metrics({"step": step, "total": 3, "loss": loss, **({"holdout_loss": holdout} if holdout else {})})
    project = Project.open(path)
    store = project.store
    store.evals.add_prompts({"prompt_id": pid, "source": "holdout", "category": cat, "messages": chat(q, a)[:1],
                            "reference": a, "origin": {}} for pid, cat, q, a, _ in PROMPTS)
    store.evals.add_model("base", "base", {"label": "SmolLM2-135M-Instruct"})
    store.evals.add_model(TUNED, "adapter", {"run": "r1"})
    store.evals.add_generations([(pid, "base", "{}", "I do not know.", 4) for pid, *_ in PROMPTS]
                                + [(pid, TUNED, "{}", a, 8) for pid, _, _, a, _ in PROMPTS])
    make_pairs(store, "base", TUNED, seed=0)
    vote_all(store, rater)
    project.close()
    return path


def vote_all(store, rater: str) -> None:
    """Vote every pair as PROMPTS says, pressing left/right by where the model was shown, as a rater would."""
    fate = {pid: f for pid, *_, f in PROMPTS}
    arena = Arena(store, rater)
    while (view := arena.next_pair()) is not None:
        pair = store.arena.pair(view.pair_id)
        tuned_side = "left" if (pair["left"] == "b") else "right"  # run:r1 is model_b ("base" < "run:r1")
        choice = {"tuned": tuned_side, "base": "right" if tuned_side == "left" else "left",
                  "tie": "tie", "both_bad": "both_bad"}[fate[pair["prompt_id"]]]
        arena.vote(view.pair_id, choice)


@pytest.fixture
def eval_project(tmp_path: Path) -> Path:
    return make_eval_project(tmp_path)


def row_of(markdown: str, first_cell: str, after: str = "## Win rates") -> list[str]:
    text = markdown[markdown.index(after):]
    line = next(line for line in text.splitlines() if line.startswith(f"| {first_cell} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_report_tables_hold_the_hand_computed_numbers(eval_project, tmp_path):
    project = Project.open(eval_project)
    try:
        paths = write_report(project, tmp_path / "out")
    finally:
        project.close()
    assert [p.name for p in paths] == ["report.md", "report.html"]
    md = paths[0].read_text(encoding="utf-8")
    # overall for run:r1: (3 wins + ½ × (1 tie + 1 both bad)) / 6 = 4 / 6
    lo, hi = wilson_by_hand(4, 6)
    assert row_of(md, "overall")[:8] == ["overall", "6", "3", "1", "1", "1", "66.7%", f"{lo:.1%}–{hi:.1%}"]
    # billing: (3 + ½) / 4; shipping: (0 + ½) / 2
    assert row_of(md, "billing")[:7] == ["billing", "4", "3", "0", "1", "0", "87.5%"]
    assert row_of(md, "shipping")[:7] == ["shipping", "2", "0", "1", "0", "1", "25.0%"]
    verdict = md.split("## Verdict", 1)[1].strip().splitlines()
    # the plain words first: both categories have fewer than 5 votes, both bad is counted apart
    assert verdict[0] == (f"**There are too few votes yet to tell whether the tuned model ({TUNED}) is better than "
                          "base in any of its 2 categories (about 2–6 more each would settle it).**")
    assert verdict[2].startswith(f"Overall {TUNED} won 3 of 4 votes that picked a side (75%); 1 of 6 votes was a tie.")
    assert "17% of votes (1 of 6): both replies unusable" in verdict[2]
    assert "- billing: too few votes (4 votes, 1 tie; about 2 more would settle it)" in verdict
    # the statistics below them, ties and both bad as half a win
    stats_line = next(line for line in verdict if line.startswith("In statistical terms"))
    assert f"{TUNED} beats base in 1 of 2 categories" in stats_line
    assert "overall win rate 66.7% [" in stats_line and "below the 70% bar" in stats_line
    # the data card of the export run:r1 trained on, its training curve, and the metrics side by side
    data = md[md.index("## Data"):md.index("## Training")]
    assert f"From the export {TUNED} trained on, exports/" in data
    assert ("5 examples, 5 for training and 0 held out, from 6 imported rows; 1 removed by the recipe and "
            "2 unreadable rows quarantined") in data
    assert row_of(md, "exact_dedup", after="## Data") == ["exact_dedup", "6", "5", "exact_duplicate: 1"]
    assert row_of(md, "r1", after="## Training")[:7] == ["r1", "finished", "SmolLM2-135M-Instruct", "3", "1.2000",
                                                          "2.2000", "1.6000"]
    exact = row_of(md, "exact_match", after="## Automated metrics")
    assert exact == ["exact_match", "0.000", "1.000"]  # base, run:r1 (it answered with the references)
    assert "Position bias" in md and "Agreement" in md


def test_html_is_self_contained(eval_project, tmp_path):
    project = Project.open(eval_project)
    try:
        _, html_path = write_report(project, tmp_path / "out")
    finally:
        project.close()
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 2  # win rates per category, and the loss curves
    lowered = html.lower()
    for external in ("http:", "https:", "src=", "href=", "<script", "<link", "url(", "@import", "<img"):
        assert external not in lowered, external
    assert "87.5%" in html and "66.7%" in html


def test_same_inputs_give_the_same_bytes_apart_from_the_generated_line(eval_project, tmp_path):
    project = Project.open(eval_project)
    try:
        first = write_report(project, tmp_path / "one")
        second = write_report(project, tmp_path / "two")
    finally:
        project.close()
    for a, b in zip(first, second):
        lines_a = [line for line in a.read_text(encoding="utf-8").splitlines() if "Generated " not in line]
        lines_b = [line for line in b.read_text(encoding="utf-8").splitlines() if "Generated " not in line]
        assert lines_a == lines_b
        assert len(lines_a) == len(a.read_text(encoding="utf-8").splitlines()) - 1  # exactly one line differs
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["report.html", "report.md"]  # no temp files


def test_a_second_rater_shows_up_in_agreement(eval_project):
    project = Project.open(eval_project)
    try:
        vote_all(project.store, "bob")  # bob votes exactly like ann
        data = collect(project, bootstrap=200)
    finally:
        project.close()
    agreement = data["stats"]["agreement"]
    assert (agreement["method"], agreement["items"], agreement["observed"]) == ("cohen", 6, 1.0)
    assert data["counts"]["raters"] == ["ann", "bob"]
    # the second rater doubles the votes but not the prompts: the overall rate is unchanged
    view = data["stats"]["pairs"][0]["view"]
    assert (view["n"], view["win_rate"]) == (12, pytest.approx(4 / 6))


def test_a_project_without_votes_still_gets_a_report(tmp_path):
    path = tmp_path / "empty"
    Project.create(path, inputs=[write_jsonl(tmp_path / "s.jsonl", SUPPORT_ROWS)]).close()
    project = Project.open(path)
    try:
        md_path, html_path = write_report(project, tmp_path / "out")
    finally:
        project.close()
    md = md_path.read_text(encoding="utf-8")
    assert "**No votes yet.**" in md
    assert "No export found" in md and "No replies stored yet" in md
    assert "<svg" not in html_path.read_text(encoding="utf-8")


def test_out_dir_that_is_a_file_is_refused(eval_project, tmp_path):
    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder\n")
    project = Project.open(eval_project)
    try:
        with pytest.raises(WorkbenchError, match="report.txt: exists and is not a folder"):
            write_report(project, blocker)
    finally:
        project.close()
