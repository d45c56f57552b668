"""Every input shape imports into the same canonical records: messages, labels, meta, lines."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import polars as pl
import pytest

from workbench.errors import InputError
from workbench.io import ImportOptions, chatjsonl, finalize_ids, read_input
from workbench.io.importers import (
    BUILTIN_IMPORTERS,
    Conversation,
    JsonRowsImporter,
    OpenAIImporter,
    RecordBuilder,
    RowError,
    text_field,
)
from workbench.io.source import InputFile
from workbench.records import SCHEMA, record_id

INPUTS = Path(__file__).parent / "data" / "inputs"


def chat(*turns: str, system: str | None = None) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": system}] if system else []
    roles = ["user", "assistant"]
    return msgs + [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]


def rows(result) -> list[dict]:
    return [{**row, "messages": plain(row["messages"])} for row in result.records.to_dicts()]


def plain(turns):
    """Turns without the extra fields the input did not have (null), as the tests write them."""
    return [{k: v for k, v in t.items() if v is not None} for t in turns]


def test_openai_jsonl_keeps_messages_labels_meta_and_lines():
    result = read_input(INPUTS / "openai.jsonl")
    assert result.format == "openai"
    assert result.records.schema == pl.Schema(SCHEMA)
    assert result.quarantine == []
    first, second, third = rows(result)
    assert first["messages"] == chat(
        "How do I reset my password?", "Open Settings > Account and choose Reset password.",
        system="You are a support agent.",
    )
    assert (first["category"], first["origin"], first["source_line"]) == ("account", "human", 1)
    assert json.loads(first["meta"]) == {"id": "t-001"}  # the input's own id is kept verbatim
    assert (second["category"], second["origin"], second["meta"]) == (None, "synthetic", "{}")
    assert third["source_line"] == 4  # line 3 is blank: skipped, but still counted
    assert len(third["messages"]) == 4 and third["meta"] == '{"lang":"en"}'
    assert all(r["source_file"] == str(INPUTS / "openai.jsonl") for r in rows(result))
    assert all(r["id"] == record_id(r["messages"]) for r in rows(result))
    assert len(result.sha256) == 64


def test_source_file_is_the_path_exactly_as_given(tmp_path, monkeypatch):
    shutil.copy(INPUTS / "dolly.jsonl", tmp_path / "dolly.jsonl")
    monkeypatch.chdir(tmp_path)
    result = read_input("./dolly.jsonl")
    assert result.path == "./dolly.jsonl"
    assert set(result.records["source_file"]) == {"./dolly.jsonl"}


def test_sharegpt_maps_speakers_to_roles_and_system_field():
    result = read_input(INPUTS / "sharegpt.json")
    assert result.format == "sharegpt"
    first, second = rows(result)
    assert first["messages"] == chat(
        "How do I reset my password?", "Open Settings > Account and choose Reset password.",
        system="You are a support agent.",
    )
    assert first["category"] == "account" and json.loads(first["meta"]) == {"id": "sg-1"}
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user", "assistant"]
    assert [r["source_line"] for r in rows(result)] == [1, 2]  # element numbers of the array


def test_alpaca_joins_instruction_and_input_with_a_blank_line():
    result = read_input(INPUTS / "alpaca.json")
    assert result.format == "alpaca"
    first, second = rows(result)
    assert first["messages"] == chat("Translate to French\n\nGood morning", "Bonjour")
    assert second["messages"] == chat("Name a prime.", "7")  # empty input: instruction only
    assert second["category"] == "math" and json.loads(second["meta"]) == {"source": "handwritten"}


def test_dolly_joins_context_and_takes_category():
    result = read_input(INPUTS / "dolly.jsonl")
    assert result.format == "dolly"
    first, second = rows(result)
    assert first["messages"] == chat("Who wrote Faust?", "Johann Wolfgang von Goethe.")
    assert second["messages"][0]["content"] == (
        "Summarize the text.\n\nPolars is a DataFrame library written in Rust."
    )
    assert [r["category"] for r in rows(result)] == ["open_qa", "summarization"]
    assert all(r["meta"] == "{}" for r in rows(result))


def test_prompt_completion_accepts_completion_or_response():
    result = read_input(INPUTS / "prompt_completion.jsonl")
    assert result.format == "prompt_completion"
    first, second = rows(result)
    assert first["messages"] == chat("Translate to French\n\nGood morning", "Bonjour")
    assert second["messages"] == chat("Capital of Italy?", "Rome.")
    assert (second["category"], second["origin"]) == ("geography", "synthetic")


def test_csv_auto_maps_columns_and_reports_the_line_each_row_starts_on():
    result = read_input(INPUTS / "chat.csv")
    assert result.format == "csv" and result.quarantine == []
    got = rows(result)
    assert [r["source_line"] for r in got] == [2, 3, 5, 8]  # quoted newlines move the start lines
    assert got[1]["messages"] == chat("Write two lines\nabout the sea", "The sea is wide.")
    assert [r["category"] for r in got] == ["account", "poetry", None, "geography"]
    assert json.loads(got[1]["meta"]) == {"id": "c2", "notes": "multi-line prompt"}


def test_csv_with_an_explicit_mapping(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("q,a,topic,who\nWhat is 2+2?,4,math,bot\n", encoding="utf-8")
    options = ImportOptions(mapping={"prompt": "q", "response": "a", "category": "topic", "origin": "who"})
    (row,) = rows(read_input(path, options))
    assert row["messages"] == chat("What is 2+2?", "4")
    assert (row["category"], row["origin"], row["meta"]) == ("math", "bot", "{}")


def test_csv_mapping_naming_a_missing_column_is_an_input_error(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("q,a\nWhat is 2+2?,4\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_input(path, ImportOptions(mapping={"prompt": "question", "response": "a"}))
    assert str(path) in str(e.value) and "question" in str(e.value) and "q, a" in str(e.value)


def test_csv_without_known_columns_asks_for_a_mapping(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("left,right\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_input(path)
    assert "left, right" in str(e.value) and "--map prompt=" in str(e.value)


def test_csv_messages_column_holds_openai_json():
    (row,) = rows(read_input(INPUTS / "messages.csv"))
    assert row["messages"] == chat("Ping?", "Pong.")
    assert row["category"] == "games" and json.loads(row["meta"]) == {"conversation_id": "m1"}


def test_tsv_with_alpaca_columns_gives_the_same_records_as_alpaca_json():
    tsv, js = read_input(INPUTS / "alpaca.tsv"), read_input(INPUTS / "alpaca.json")
    assert tsv.format == "csv"
    assert tsv.records["id"].to_list() == js.records["id"].to_list()
    assert tsv.records["messages"].to_list() == js.records["messages"].to_list()


def test_parquet_maps_columns_and_numbers_rows(tmp_path):
    path = tmp_path / "chat.parquet"
    pl.DataFrame({
        "instruction": ["Translate to French", "Name a prime."],
        "input": ["Good morning", None],
        "output": ["Bonjour", "7"],
        "score": [0.5, 1.0],
    }).write_parquet(path)
    result = read_input(path)
    assert result.format == "parquet"
    first, second = rows(result)
    assert first["messages"] == chat("Translate to French\n\nGood morning", "Bonjour")
    assert [first["source_line"], second["source_line"]] == [1, 2]
    assert json.loads(second["meta"]) == {"score": 1.0}


def test_parquet_with_a_messages_list_column(tmp_path):
    path = tmp_path / "msgs.parquet"
    pl.DataFrame({"messages": [chat("Ping?", "Pong.")], "category": ["games"]}).write_parquet(path)
    (row,) = rows(read_input(path))
    assert row["messages"] == chat("Ping?", "Pong.") and row["category"] == "games"


def test_the_same_content_has_the_same_id_in_every_format(tmp_path):
    """Alpaca, prompt/completion, CSV and OpenAI rows with the same turns share their id."""
    target = record_id(chat("Translate to French\n\nGood morning", "Bonjour"))
    ids = {
        "openai": rows(read_input(INPUTS / "openai.jsonl"))[1]["id"],
        "alpaca": rows(read_input(INPUTS / "alpaca.json"))[0]["id"],
        "prompt_completion": rows(read_input(INPUTS / "prompt_completion.jsonl"))[0]["id"],
        "csv": rows(read_input(INPUTS / "chat.csv"))[2]["id"],
    }
    assert set(ids.values()) == {target}, ids


def test_json_array_and_wrapped_object_and_jsonl_are_all_accepted(tmp_path):
    wrapped = read_input(INPUTS / "wrapped.json")
    assert wrapped.format == "openai" and wrapped.records.height == 2
    assert wrapped.records["source_line"].to_list() == [1, 2]
    items = [{"messages": chat("Ping?", "Pong.")}, {"messages": chat("Marco?", "Polo.")}]
    (tmp_path / "a.json").write_text(json.dumps(items, indent=2))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(i) for i in items))  # no final newline
    for name in ("a.json", "b.jsonl"):
        result = read_input(tmp_path / name)
        assert result.records["messages"].to_list() == wrapped.records["messages"].to_list()


def test_a_jsonl_file_with_one_row_keeps_its_line_number(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text("\n\n" + json.dumps({"messages": chat("Ping?", "Pong."), "tags": ["a"]}) + "\n")
    result = read_input(path)
    assert result.records["source_line"].to_list() == [3]
    assert result.records["meta"].to_list() == ['{"tags":["a"]}']


@pytest.mark.parametrize("indent", [None, 2])
def test_one_row_with_a_list_field_is_not_mistaken_for_a_wrapper(tmp_path, indent):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"prompt": "Hi", "completion": "Hello", "tags": ["a", "b"]}, indent=indent))
    (row,) = rows(read_input(path))
    assert row["messages"] == chat("Hi", "Hello") and row["meta"] == '{"tags":["a","b"]}'


def test_a_json_file_holding_one_conversation_is_one_row(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"messages": chat("Ping?", "Pong.")}, indent=2))
    result = read_input(path)
    assert result.records.height == 1 and result.records["source_line"].to_list() == [1]


def test_forced_format_wins_over_detection(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"prompt": "Hi", "response": "Hello", "instruction": "x", "output": "y"}) + "\n")
    assert read_input(path, ImportOptions(format="prompt_completion")).format == "prompt_completion"
    assert plain(read_input(path, ImportOptions(format="alpaca")).records["messages"][0].to_list()) == chat("x", "y")


def test_unknown_forced_format_names_the_known_ones():
    with pytest.raises(InputError) as e:
        read_input(INPUTS / "openai.jsonl", ImportOptions(format="llama"))
    assert "llama" in str(e.value) and "sharegpt" in str(e.value)


def test_undetectable_json_names_the_keys_and_asks_for_a_format():
    with pytest.raises(InputError) as e:
        read_input(INPUTS / "unknown_shape.jsonl")
    message = str(e.value)
    assert str(INPUTS / "unknown_shape.jsonl") in message
    assert "answer_text, difficulty, question_text" in message and "--input-format NAME" in message


def test_default_origin_comes_from_options():
    result = read_input(INPUTS / "dolly.jsonl", ImportOptions(default_origin="synthetic"))
    assert set(result.records["origin"]) == {"synthetic"}


def test_ids_are_base_ids_and_finalize_ids_makes_repeats_unique(tmp_path):
    path = tmp_path / "dups.jsonl"
    row = json.dumps({"messages": chat("Ping?", "Pong.")})
    path.write_text(f"{row}\n{row}\n{row}\n")
    records = read_input(path).records
    assert records["id"].n_unique() == 1
    base = records["id"][0]
    assert finalize_ids(records)["id"].to_list() == [base, f"{base}-2", f"{base}-3"]


def test_registry_importers_are_used_and_a_plugin_importer_can_be_detected(tmp_path):
    class QAImporter(JsonRowsImporter):
        name = "qa"
        description = "question/answer JSON"
        required_keys = (("question_text", "answer_text"),)

        def convert(self, row, options):
            q = text_field(row, "question_text", options.max_field_chars)
            a = text_field(row, "answer_text", options.max_field_chars)
            if q.endswith("?") is False:
                raise RowError("the question does not end with a question mark")
            return Conversation(messages=chat(q, a), used={"question_text", "answer_text"})

    class Registry:
        importers = {imp.name: imp for imp in BUILTIN_IMPORTERS} | {"qa": QAImporter()}

    result = read_input(INPUTS / "unknown_shape.jsonl", registry=Registry())
    assert result.format == "qa"
    assert rows(result)[0]["messages"] == chat("What is 2+2?", "4")
    assert json.loads(rows(result)[0]["meta"]) == {"difficulty": 1}


def test_builtins_register_through_the_plugin_hook():
    from workbench.plugins import load_registry

    registry = load_registry()
    for name in ("openai", "sharegpt", "alpaca", "dolly", "prompt_completion", "csv", "parquet"):
        assert name in registry.importers
    assert read_input(INPUTS / "sharegpt.json", registry=registry).format == "sharegpt"


def test_utf8_bom_and_utf16_files_decode_to_the_same_records(tmp_path):
    text = (INPUTS / "openai.jsonl").read_text(encoding="utf-8")
    expected = read_input(INPUTS / "openai.jsonl").records.drop("source_file")
    for name, encoding in [("bom8.jsonl", "utf-8-sig"), ("u16le.jsonl", "utf-16"), ("u16be.jsonl", "utf-16-be")]:
        path = tmp_path / name
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        path.write_bytes(data)
        result = read_input(path)
        assert result.quarantine == [], name
        assert result.records.drop("source_file").equals(expected), name


def test_utf16_csv_with_bom(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_bytes((INPUTS / "chat.csv").read_text(encoding="utf-8").encode("utf-16"))
    result = read_input(path)
    assert result.records["source_line"].to_list() == [2, 3, 5, 8]


# The fast path and the general path must agree row for row.

FAST_PATH_ROWS = [
    {"messages": chat("Hi", "Hello")},
    {"messages": chat("  Hi  ", "Hello\n")},
    {"messages": chat("Café", "Ça va", system="Soyez bref.")},
    {"messages": chat("e\u0301", "ok")},  # decomposed é: the id normalizes it
    {"messages": chat("Hi", "Hello"), "category": " greet "},
    {"messages": chat("Hi", "Hello"), "category": "", "origin": ""},
    {"messages": chat("Hi", "Hello"), "origin": "synthetic", "id": 7, "tags": ["a", "b"]},
    {"messages": chat("Hi", "Hello"), "z": None, "a": {"nested": "ü"}},
    {"messages": [{"role": "system", "content": ""}, *chat("Hi", "Hello")]},
    {"messages": chat("Hi", "Hello", "More?", "Yes.")},
    {"messages": [{"role": "assistant", "content": "Welcome!"}, *chat("Hi", "Hello")]},
    {"messages": chat("Hi", "Hello"), "category": 3},
    {"messages": [{"role": "user", "content": "Hi", "name": "ann"}, {"role": "assistant", "content": "Hello"}]},
    {"messages": chat("Hi", "\u2003")},
    {"messages": chat("\x1c", "x")},
]


def test_the_fast_path_and_the_general_path_give_the_same_records(tmp_path):
    path = tmp_path / "mix.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in FAST_PATH_ROWS))
    fast = read_input(path)
    options = ImportOptions()
    builder = RecordBuilder(str(path), options)
    importer = OpenAIImporter()
    for number, row in enumerate(FAST_PATH_ROWS, 1):
        importer.take(builder, number, row, orjson.dumps(row), options)
    slow = builder.batch()
    assert fast.records.equals(slow.records)
    assert [(q["line"], q["reason"]) for q in fast.quarantine] == [(q["line"], q["reason"]) for q in slow.quarantine]
    assert all(r["id"] == record_id(r["messages"]) for r in rows(fast))


def test_a_big_file_read_by_worker_processes_matches_a_one_process_read(tmp_path, monkeypatch):
    lines = []
    for i in range(3000):
        if i % 97 == 5:
            lines.append(b'{"messages": "broken"}')
        elif i % 89 == 3:
            lines.append(b"")
        elif i % 101 == 7:
            lines.append(orjson.dumps({"messages": chat(f"q{i}", "a"), "category": 1}))
        else:
            lines.append(orjson.dumps({"messages": chat(f"question {i}", f"answer {i}"), "id": i}))
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setenv(chatjsonl.WORKERS_ENV, "1")
    one = read_input(path)
    monkeypatch.setattr(chatjsonl, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chatjsonl, "WORKER_OVERHEAD_S", 0.0)  # split even a small file
    monkeypatch.setenv(chatjsonl.WORKERS_ENV, "3")
    assert len(chatjsonl._slices(InputFile(path), 3)) == 3
    answered = []
    collect = chatjsonl._collect
    monkeypatch.setattr(chatjsonl, "_collect", lambda worker: answered.append(collect(worker)) or answered[-1])
    many = read_input(path)
    assert len(answered) == 2 and all(answered)  # both workers did their share
    assert many.records.equals(one.records)
    assert many.quarantine == one.quarantine
    assert many.sha256 == one.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert one.records["source_line"].is_sorted()


@pytest.mark.parametrize("failure", ["cannot start", "exits with an error", "writes garbage"])
def test_a_worker_that_fails_costs_only_time(tmp_path, monkeypatch, failure):
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"messages": chat(f"q{i}", "a")}) + b"\n" for i in range(500)))
    monkeypatch.setattr(chatjsonl, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chatjsonl, "WORKER_OVERHEAD_S", 0.0)  # split even a small file
    monkeypatch.setenv(chatjsonl.WORKERS_ENV, "2")
    code = {"exits with an error": "import sys; sys.exit(3)", "writes garbage": "print('hello')"}

    def start(source, start, end, limit, origin, out, want_sha):
        if failure == "cannot start":
            return chatjsonl._Worker(start, end, out, None)
        process = subprocess.Popen([sys.executable, "-c", code[failure]], stdout=subprocess.PIPE)
        return chatjsonl._Worker(start, end, out, process)

    monkeypatch.setattr(chatjsonl, "_start", start)
    result = read_input(path)
    assert result.records["source_line"].to_list() == list(range(1, 501))
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
def test_lines_read_in_chunks_are_the_lines_of_the_file(tmp_path, monkeypatch, chunk):
    from workbench.io import _chatlines

    data = b'{"a": 1}\n\n{"b": 2}\r\nno newline at the end'
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr(_chatlines, "CHUNK", chunk)
    with open(path, "rb") as f:
        assert list(_chatlines.read_lines(f, 0, None)) == data.split(b"\n")
        assert list(_chatlines.read_lines(f, 10, 20)) == [b'{"b": 2}\r']


def test_csv_content_without_a_csv_extension_is_detected_by_its_header(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("prompt,response\nHi,Hello\n")
    result = read_input(path)
    assert result.format == "csv" and plain(result.records["messages"][0].to_list()) == chat("Hi", "Hello")


def test_a_plugin_importer_for_a_text_format_feeds_a_record_builder(tmp_path):
    from workbench.io.importers import BaseImporter

    class QAText(BaseImporter):
        """Blocks of 'Q: ...' and 'A: ...' lines."""

        name = "qa_text"
        description = "Q:/A: text"
        extensions = (".qa",)

        def read(self, source, options):
            builder = RecordBuilder(source.name, options)
            with source.lines() as lines:
                for number, line in enumerate(lines, 1):
                    text = line.decode("utf-8").strip()
                    if text.startswith("Q:"):
                        question, start = text[2:].strip(), number
                    elif text.startswith("A:"):
                        conv = Conversation(messages=chat(question, text[2:].strip()))
                        builder.add(start, conv, None, text)
            return builder.batch()

    path = tmp_path / "notes.qa"
    path.write_text("Q: Ping?\nA: Pong.\n\nQ: Empty?\nA:\n")

    class Registry:
        importers = {"qa_text": QAText()}

    result = read_input(path, registry=Registry())
    assert result.format == "qa_text"
    assert rows(result)[0]["messages"] == chat("Ping?", "Pong.") and rows(result)[0]["source_line"] == 1
    assert [(q["line"], "empty" in q["reason"]) for q in result.quarantine] == [(4, True)]


def test_json_objects_with_other_field_names_import_with_a_mapping():
    options = ImportOptions(mapping={"prompt": "question_text", "response": "answer_text"})
    result = read_input(INPUTS / "unknown_shape.jsonl", options)
    assert result.format == "prompt_completion"
    assert rows(result)[0]["messages"] == chat("What is 2+2?", "4")
    assert json.loads(rows(result)[0]["meta"]) == {"difficulty": 1}


def test_a_mapping_is_refused_not_ignored_by_formats_that_do_not_use_it():
    with pytest.raises(InputError) as e:
        read_input(INPUTS / "openai.jsonl", ImportOptions(mapping={"category": "topic"}))
    assert "--map" in str(e.value) and "openai" in str(e.value)


@pytest.mark.parametrize("cores,load,workers", [(2, 0.2, 2), (2, 1.3, 1), (2, 3.5, 1), (16, 0.5, 16), (16, 6.0, 11)])
def test_workers_are_one_per_idle_core(monkeypatch, cores, load, workers):
    monkeypatch.delenv(chatjsonl.WORKERS_ENV, raising=False)
    monkeypatch.setattr(chatjsonl.os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(chatjsonl.os, "getloadavg", lambda: (load, load, load))
    assert chatjsonl.worker_count() == workers
    monkeypatch.setenv(chatjsonl.WORKERS_ENV, "3")
    assert chatjsonl.worker_count() == 3
