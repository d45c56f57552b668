"""The estimate before a run (steps from rows, epochs, batch and accumulation; time from a measured
speed), the training settings saved to workbench.toml, and a run that records estimate and actual."""

from __future__ import annotations

import tomllib

import pytest

from workbench.errors import WorkbenchError
from workbench.train.config import TrainConfig
from workbench.train.estimate import (Estimate, Speed, actual_text, duration, estimate, evaluations, row_tokens,
                                      train_steps)


def test_steps_follow_rows_epochs_batch_and_accumulation():
    # 1,000 rows in batches of 2 are 500 passes an epoch; 4 passes a step: 125 steps an epoch.
    assert train_steps(1000, TrainConfig(epochs=3, batch_size=2, grad_accum=4)) == 375
    assert train_steps(1001, TrainConfig(epochs=1, batch_size=2, grad_accum=4)) == 126  # 501 passes
    assert train_steps(1000, TrainConfig(epochs=0.5, batch_size=8, grad_accum=1)) == 63
    assert train_steps(1000, TrainConfig(epochs=3, max_steps=40)) == 40  # max steps wins
    assert train_steps(3, TrainConfig(epochs=1, batch_size=2, grad_accum=4)) == 1  # never 0


def test_evaluations_one_before_the_first_step_and_every_interval():
    assert evaluations(100, TrainConfig(eval_every=25), holdout_rows=10) == 5  # 0, 25, 50, 75, 100
    assert evaluations(101, TrainConfig(eval_every=25), holdout_rows=10) == 6  # and the last step
    assert evaluations(100, TrainConfig(eval_every=0), holdout_rows=10) == 11  # about ten
    assert evaluations(100, TrainConfig(), holdout_rows=0) == 0


def test_time_is_steps_times_measured_seconds_per_step():
    cfg = TrainConfig(epochs=1, batch_size=2, grad_accum=4, max_seq_len=1024)
    lengths = [128] * 800  # 100 steps of 8 rows of 128 tokens
    speed = Speed(seconds_per_pass=0.5, seq=128, batch_size=2, device="CPU, 1 thread")
    est = estimate(cfg, lengths, holdout_rows=0, speed=speed)
    assert est.steps == 100 and est.tokens_per_step == 1024
    assert est.seconds_per_step == pytest.approx(2.0)  # 4 passes of 0.5 s
    assert est.seconds == pytest.approx(200.0)
    assert est.summary() == "about 3 min (100 steps × ~2.0 s/step, measured)"
    assert not est.over_an_hour
    long = estimate(TrainConfig(epochs=3, batch_size=2, grad_accum=4), [128] * 8000, 0, speed)
    assert long.over_an_hour and long.summary().startswith("about 1 h 40 min (3,000 steps")
    unmeasured = estimate(cfg, lengths, 0, None)
    assert unmeasured.seconds is None and "not measured" in unmeasured.summary()


def test_row_tokens_are_characters_over_four_plus_role_markers():
    assert row_tokens([{"role": "user", "content": "x" * 40}, {"role": "assistant", "content": "y" * 4}]) == 21


def test_durations_read_at_a_glance():
    assert [duration(s) for s in (12, 90, 2460, 3600, 11400)] == ["12 s", "2 min", "41 min", "1 h", "3 h 10 min"]
    record = {"estimate": Estimate(1, 0, 1, 0, 1, 1, 16, 2.0, 2460.0).to_dict(), "result": {"seconds": 2820}}
    assert actual_text(record) == "estimated 41 min, took 47 min"


# -- the settings form's service ------------------------------------------------------------------------

TOML = """# my project
name = "demo"

[train]
epochs = 3   # the default, for now
learning_rate = 0.0002

[eval]
judge = "me"  # keep this
"""


def _project(tmp_path):
    from workbench.services.project import Project

    path = tmp_path / "p"
    Project.create(path).close()
    text = (path / "workbench.toml").read_text(encoding="utf-8")
    (path / "workbench.toml").write_text(text + "\n" + TOML.split("\n", 2)[2], encoding="utf-8")
    return Project.open(path)


def test_saving_changes_only_the_train_values_and_keeps_comments(tmp_path):
    from workbench.services.train_settings import check_form, form_values, save_train_settings

    project = _project(tmp_path)
    try:
        texts = form_values(project)
        assert texts["epochs"] == "3" and texts["max_steps"] == "0" and texts["r"] == "16"
        values, problems = check_form({**texts, "max_steps": "40", "epochs": "1"})
        assert problems == {}
        changed = save_train_settings(project, values)
        assert changed == {"max_steps": 40, "epochs": 1.0}
        text = (project.path / "workbench.toml").read_text(encoding="utf-8")
        assert "epochs = 1.0   # the default, for now" in text and 'judge = "me"  # keep this' in text
        data = tomllib.loads(text)
        assert data["train"] == {"epochs": 1.0, "learning_rate": 0.0002, "max_steps": 40}
        assert data["eval"] == {"judge": "me"} and data["recipe"]["steps"]
    finally:
        project.close()


def test_bad_values_are_refused_with_the_cli_message(tmp_path):
    from workbench.services.train_settings import check_form

    _, problems = check_form({"r": "0", "learning_rate": "2", "max_seq_len": "abc", "epochs": ""})
    assert problems["r"] == "must be at least 1, got 0"
    assert "far too high" in problems["learning_rate"]
    assert problems["max_seq_len"] == "should be a whole number, got 'abc'"
    assert problems["epochs"] == "enter a number"


def test_a_train_table_written_inline_is_left_alone(tmp_path):
    from workbench.services.train_settings import set_train_values

    config = tmp_path / "workbench.toml"
    config.write_text('name = "x"\ntrain = { epochs = 2 }\n', encoding="utf-8")
    with pytest.raises(WorkbenchError, match="by hand"):
        set_train_values(config, {"epochs": 1.0})
    assert config.read_text(encoding="utf-8") == 'name = "x"\ntrain = { epochs = 2 }\n'


# -- measured on a tiny model, then checked against the run -------------------------------------------

def test_a_measured_estimate_is_recorded_with_the_actual_duration(tmp_path):
    pytest.importorskip("torch")
    from test_train import make_project, make_tiny_model
    from workbench.services.project import Project
    from workbench.services.train_run import TrainRequest, train
    from workbench.services.training import estimate_next_run, measure_next_run

    path = make_project(tmp_path, make_tiny_model(tmp_path / "tiny-llama"), settings={"max_steps": 3})
    project = Project.open(path)
    try:
        assert estimate_next_run(project).seconds is None  # not measured yet
        measured = measure_next_run(project)
        assert measured.steps == 3 and measured.seconds is not None and measured.seconds > 0
        again = estimate_next_run(project)  # cached in the project
        assert again.seconds == measured.seconds and "measured" in again.summary()
    finally:
        project.close()
    run = train(TrainRequest(path, {}))
    record = run.read()
    assert record["status"] == "finished"
    assert record["estimate"]["steps"] == 3 and record["estimate"]["seconds"] == pytest.approx(measured.seconds)
    assert record["result"]["seconds"] > 0
    assert actual_text(record).startswith("estimated ") and ", took " in actual_text(record)
    # The next estimate of the same settings goes by the speed the run trained at.
    project = Project.open(path)
    try:
        assert estimate_next_run(project).speed_source == f"run {run.id}"
    finally:
        project.close()


def test_a_base_model_that_is_not_there_is_refused_in_the_form(tmp_path):
    from workbench.services.train_settings import check_form

    _, problems = check_form({"base_model": str(tmp_path / "no-such-model")}, project_dir=tmp_path)
    assert problems["base_model"] == "no such file or folder"
    (tmp_path / "folder").mkdir()
    _, problems = check_form({"base_model": "folder"}, project_dir=tmp_path)
    assert "has no config.json" in problems["base_model"]
    assert check_form({"base_model": ""}, project_dir=tmp_path)[1] == {}  # the default model
