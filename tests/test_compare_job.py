"""A new comparison from the Compare tab's service: replies generated and paired in a process of
its own, with progress and seconds left, pairs made while it runs, and a cancel that keeps what
was made. The tiny lively model of test_eval_generate answers."""

from __future__ import annotations

import os
import time

import pytest

from test_eval_generate import eval_project, lively_model  # noqa: F401 - fixtures
from workbench.services import compare_job
from workbench.services.compare_job import ComparisonRequest, latest_job, model_choices, preview, run_job, start
from workbench.services.project import Project

pytest.importorskip("torch")


def wait_for_end(job, polls: int = 1200) -> dict:
    """The job's record once it has ended (a bound on the polls, so a broken job fails the test)."""
    for _ in range(polls):
        if job.status() not in compare_job.ACTIVE:
            return job.read()
        time.sleep(0.25)
    raise AssertionError(f"the job did not end: {job.read()}")


def test_the_form_offers_the_base_and_finished_runs_and_previews_the_prompts(eval_project):  # noqa: F811
    choices = model_choices(eval_project)
    assert [c.value for c in choices] == ["base", "run:r1"] and choices[0].label == "base model (lively)"
    p = Project.open(eval_project)
    try:
        seen = preview(p, ComparisonRequest("base", "run:r1", "holdout", limit=None))
        assert seen.prompts == 8 and seen.holdout == 8 and seen.general == 0 and not seen.problem
        both = preview(p, ComparisonRequest("base", "run:r1", "both", limit=5))
        assert both.prompts == 5 and both.describe().startswith("5 prompts")
        assert "two different models" in preview(p, ComparisonRequest("base", "base")).describe()
    finally:
        p.close()


def test_a_job_in_its_own_process_reports_progress_and_makes_pairs(eval_project):  # noqa: F811
    job = start(eval_project, ComparisonRequest("base", "run:r1", "holdout", limit=4, max_new_tokens=4,
                                                batch_size=2), rater="ann")
    assert job.process is not None and job.process.pid != os.getpid()  # not this process
    assert latest_job(eval_project).folder == job.folder
    record = wait_for_end(job)
    job.process.wait()
    assert record["status"] == "finished", (record, job.log_file.read_text())
    assert record["done"] == record["total"] == 8 and record["pairs"] == 4 and record["remaining_s"] == 0
    assert compare_job.describe(record, "finished") == "finished: 8 new replies, 4 pairs ready"
    p = Project.open(eval_project)
    try:
        pairs = p.store.arena.pairs("base vs run:r1", texts=False)
        assert len(pairs) == 4
    finally:
        p.close()


def test_a_cancelled_job_keeps_its_replies_and_pairs(eval_project, monkeypatch):  # noqa: F811
    job = compare_job.CompareJob(compare_job.make_dirs(compare_job.jobs_dir(eval_project) / "compare-1"))
    job.update(status="starting", request=vars(ComparisonRequest("base", "run:r1", "holdout", limit=None,
                                                                 max_new_tokens=4, batch_size=2)))
    real = compare_job._Meter.prompts

    def prompts(meter, model, done, total):
        real(meter, model, done, total)
        if model == "run:r1" and meter.per_model[model][0] >= 4:  # the tuned model answered two batches: esc
            job.request_cancel()

    monkeypatch.setattr(compare_job._Meter, "prompts", prompts)
    assert run_job(eval_project, job.folder) == 0
    record = job.read()
    assert record["status"] == "cancelled"
    assert record["done"] == 8 + 4 and record["total"] == 16 and record["pairs"] == 4
    assert compare_job.describe(record, "cancelled") == "cancelled: 12 of 16 replies kept, 4 pairs ready"
    p = Project.open(eval_project)
    try:
        assert len(p.store.evals.generations("run:r1")) == 4  # what was generated is kept and usable
        assert len(p.store.arena.pairs("base vs run:r1", texts=False)) == 4
    finally:
        p.close()


def test_describe_says_how_far_and_how_long():
    running = {"done": 12, "total": 40, "remaining_s": 170, "pairs": 5, "phase": "answering with model B"}
    assert compare_job.describe(running, "running") == \
        "12 of 40 replies, about 3 min left · 5 pairs ready · answering with model B"
    assert compare_job.describe({**running, "remaining_s": 20}, "running").startswith(
        "12 of 40 replies, under a minute left")
