"""The canonical record's later form (issue 14): record kinds and turn extras exist in every
frame, older snapshots are brought up to it, and a turn's extras survive the steps that rewrite
turns."""

from __future__ import annotations

import polars as pl

from tests.conftest import SUPPORT_ROWS, chat, frame, write_jsonl
from workbench.records import MESSAGE, PLAIN_MESSAGE, SCHEMA, conform
from workbench.services.headless import export_project
from workbench.services.project import Project
from workbench.steps.base import StepContext
from workbench.steps.pii.step import Pii

FILES = ["train.jsonl", "holdout.jsonl", "removed.jsonl", "quarantine.jsonl", "DATA_CARD.md"]


def test_a_frame_in_the_first_form_is_brought_up_to_date():
    old = pl.DataFrame({"id": ["a"], "messages": [[{"role": "user", "content": "hi"},
                                                  {"role": "assistant", "content": "hello"}]],
                        "category": [None], "origin": ["human"], "source_file": ["f.jsonl"], "source_line": [1],
                        "meta": ["{}"]}, schema_overrides={"messages": pl.List(PLAIN_MESSAGE)})
    new = conform(old)
    assert new.schema == pl.Schema(SCHEMA)
    row = new.row(0, named=True)
    assert row["kind"] == "sft" and row["chosen"] is None and row["label"] is None and row["tools"] is None
    assert row["messages"][1] == {"role": "assistant", "content": "hello", "tool_calls": None, "tool_call_id": None,
                                  "name": None, "weight": None, "parts": None}


def test_a_project_whose_snapshot_has_the_first_form_exports_as_before(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", SUPPORT_ROWS * 3)
    project = Project.create(tmp_path / "p", [source])
    snap = project.latest_import()
    project.close()
    export_project(tmp_path / "p", tmp_path / "before")
    # The import snapshot as the first form wrote it: no kind, no turn extras.
    first = pl.read_parquet(snap.path).select(
        "id", pl.col("messages").list.eval(pl.struct(pl.element().struct.field("role"),
                                                      pl.element().struct.field("content"))),
        "category", "origin", "source_file", "source_line", "meta")
    assert first.schema["messages"] == pl.List(PLAIN_MESSAGE)
    first.write_parquet(snap.path)
    export_project(tmp_path / "p", tmp_path / "after")
    for name in FILES:
        assert (tmp_path / "before" / name).read_bytes() == (tmp_path / "after" / name).read_bytes(), name
    assert (tmp_path / "after" / "train.jsonl").read_text(encoding="utf-8").startswith(
        '{"messages":[{"role":"user","content":')


def test_the_pii_step_keeps_a_turns_extras_when_it_rewrites_its_text():
    records = frame([{"messages": chat("Call me at 415-555-0132 please", "Done, I will call you.")}])
    records = records.with_columns(pl.col("messages").list.eval(pl.struct(
        pl.element().struct.field("role"), pl.element().struct.field("content"),
        pl.lit('[{"id": "c1", "name": "lookup", "arguments": "{}"}]').alias("tool_calls"),
        pl.lit(None, dtype=pl.String).alias("tool_call_id"), pl.lit(None, dtype=pl.String).alias("name"),
        pl.lit(0, dtype=pl.Int8).alias("weight"), pl.lit(None, dtype=pl.String).alias("parts"))).cast(pl.List(MESSAGE)))
    step = Pii(spacy_model="none")
    result = step.run(records, StepContext(step="pii", human={}))
    user = result.kept.row(0, named=True)["messages"][0]
    assert "415-555-0132" not in user["content"] and "<PHONE_NUMBER>" in user["content"]
    assert user["weight"] == 0 and user["tool_calls"] == '[{"id": "c1", "name": "lookup", "arguments": "{}"}]'
