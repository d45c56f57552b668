"""Issue 14's input problems: where a row of a JSON document is, files that are not UTF-8,
duplicate keys and NUL characters.

A quarantined row of a pretty-printed JSON document is reported at the file line where it
starts; a cp1252 (or latin-1) file is read as such and says so; a row with a duplicate key or a
NUL character is quarantined with a reason that says which key or field, in every format and
on the fast path as on the general one.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import orjson
import polars as pl
import pytest

from workbench.errors import InputError
from workbench.io import ImportOptions, chatjsonl, read_input
from workbench.io.importers import OpenAIImporter, RecordBuilder

GOOD = {"messages": [{"role": "user", "content": "Ping?"}, {"role": "assistant", "content": "Pong."}]}
NO_REPLY = {"messages": [{"role": "user", "content": "Hello?"}]}
SHAREGPT = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}
ALPACA = {"instruction": "Say hi", "input": "", "output": "Hi"}


def turns(result) -> list[list[dict[str, str]]]:
    """Each record's messages as role and content (whatever other fields a turn has)."""
    return [[{"role": m["role"], "content": m["content"]} for m in msgs] for msgs in result.records["messages"].to_list()]


def reasons(result) -> dict[int, str]:
    return {q["line"]: q["reason"] for q in result.quarantine}


def element_starts(text: str, indent: str) -> list[int]:
    """The lines (1-based) where the elements of an indented JSON list start."""
    pattern = re.compile(rf"^{indent}[^ \]}}]")
    return [i for i, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def general_path(path: Path, lines: list[bytes]) -> list[tuple[int, str]]:
    """(line, reason) of the quarantine when every line goes through the general path."""
    options = ImportOptions()
    builder = RecordBuilder(str(path), options)
    importer = OpenAIImporter()
    for number, line in enumerate(lines, 1):
        importer.take_line(builder, number, line, options)
    return [(q["line"], q["reason"]) for q in builder.batch().quarantine]


# 1. Rows of a JSON document are reported at the line where they start --------------------------


@pytest.mark.parametrize("indent", [1, 2, 4])
def test_a_pretty_printed_array_quarantines_rows_at_the_line_they_start(tmp_path, indent):
    rows = [GOOD, NO_REPLY, GOOD, "oops", {**GOOD, "category": 5}]
    text = json.dumps(rows, indent=indent)
    path = tmp_path / "rows.json"
    path.write_text(text)
    starts = element_starts(text, " " * indent)
    assert len(starts) == 5
    result = read_input(path)
    assert result.records.height == 2
    got = reasons(result)
    assert sorted(got) == [starts[1], starts[3], starts[4]]
    assert "no assistant turn" in got[starts[1]] and "element 2" in got[starts[1]]
    assert "element 4 is a string" in got[starts[3]]
    assert "'category' is a number" in got[starts[4]] and "element 5" in got[starts[4]]


def test_a_wrapped_pretty_printed_document_quarantines_rows_at_the_line_they_start(tmp_path):
    doc = {"version": 2, "about": {"source": "export", "tags": "a,b"}, "data": [GOOD, GOOD, NO_REPLY]}
    text = json.dumps(doc, indent=2)
    path = tmp_path / "wrapped.json"
    path.write_text(text)
    starts = [i for i, line in enumerate(text.splitlines(), 1) if line == "    {"]  # not the "about" fields
    assert len(starts) == 3
    result = read_input(path)
    assert result.records.height == 2
    assert list(reasons(result)) == [starts[2]]


def test_a_wrapper_with_the_list_first_and_crlf_line_endings(tmp_path):
    text = json.dumps({"rows": [NO_REPLY, GOOD, NO_REPLY], "count": 3}, indent=2)
    path = tmp_path / "wrapped.json"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    starts = element_starts(text, "    ")
    assert sorted(reasons(read_input(path))) == [starts[0], starts[2]]


def test_a_document_in_utf16_counts_the_same_lines(tmp_path):
    text = json.dumps([GOOD, NO_REPLY], indent=2)
    path = tmp_path / "u16.json"
    path.write_bytes(text.encode("utf-16"))
    assert list(reasons(read_input(path))) == [element_starts(text, "  ")[1]]


@pytest.mark.parametrize("fmt", ["sharegpt", "alpaca"])
def test_sharegpt_and_alpaca_documents_quarantine_at_the_line_too(tmp_path, fmt):
    good = SHAREGPT if fmt == "sharegpt" else ALPACA
    bad = {"conversations": [{"from": "human", "value": "Hi"}]} if fmt == "sharegpt" else {**ALPACA, "output": None}
    text = json.dumps([good, good, bad, good], indent=2)
    path = tmp_path / f"{fmt}.json"
    path.write_text(text)
    result = read_input(path)
    assert result.format == fmt and result.records.height == 3
    assert list(reasons(result)) == [element_starts(text, "  ")[2]]


def test_a_one_line_array_names_the_element_in_the_reason(tmp_path):
    path = tmp_path / "one_line.json"
    path.write_text(json.dumps([GOOD, "oops", GOOD, NO_REPLY]))
    result = read_input(path)
    assert [q["line"] for q in result.quarantine] == [1, 1]
    assert "element 2" in result.quarantine[0]["reason"]
    assert "element 4" in result.quarantine[1]["reason"] and "no assistant turn" in result.quarantine[1]["reason"]


def test_a_broken_array_with_one_element_per_line_reports_file_lines(tmp_path):
    good = json.dumps(GOOD)
    path = tmp_path / "broken.json"
    path.write_text(f"[\n\n{good},\n{{\"messages\": [oops]}},\n{good},\n\n{json.dumps(NO_REPLY)}\n]\n")
    result = read_input(path)
    assert result.records.height == 2
    got = reasons(result)
    assert sorted(got) == [4, 7]
    assert "malformed JSON" in got[4] and "element 2" in got[4]
    assert "no assistant turn" in got[7] and "element 4" in got[7]


# 2. A file that is not UTF-8 ----------------------------------------------------------------

CP1252_ROWS = [
    {"messages": [{"role": "user", "content": "Un café, s'il vous plaît?"},
                  {"role": "assistant", "content": "Voilà: 2,50 € – “merci”."}]},
    {"messages": [{"role": "user", "content": "Größe?"}, {"role": "assistant", "content": "Naïve ½ answer…"}]},
]


def test_a_cp1252_jsonl_file_is_read_as_cp1252_and_says_so(tmp_path):
    path = tmp_path / "win.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in CP1252_ROWS).encode("cp1252"))
    result = read_input(path)
    assert result.format == "openai" and result.quarantine == []
    assert result.encoding == "cp1252"
    assert turns(result) == [r["messages"] for r in CP1252_ROWS]


def test_bytes_that_cp1252_leaves_undefined_are_read_as_latin1(tmp_path):
    path = tmp_path / "latin1.jsonl"
    row = {"messages": [{"role": "user", "content": "é\x81\x8d\x8f\x90\x9d?"}, {"role": "assistant", "content": "ñ"}]}
    path.write_bytes(json.dumps(row, ensure_ascii=False).encode("latin-1") + b"\n")
    result = read_input(path)
    assert result.encoding == "cp1252"
    assert turns(result) == [row["messages"]]


def test_a_cp1252_json_document_csv_and_sharegpt_file(tmp_path):
    doc = tmp_path / "win.json"
    doc.write_bytes(json.dumps(CP1252_ROWS, indent=2, ensure_ascii=False).encode("cp1252"))
    result = read_input(doc)
    assert result.encoding == "cp1252" and result.records.height == 2
    table = tmp_path / "win.csv"
    table.write_bytes("prompt,response\nCafé?,Oui – 2 €\n".encode("cp1252"))
    result = read_input(table)
    assert result.encoding == "cp1252" and result.quarantine == []
    assert turns(result)[0][1]["content"] == "Oui – 2 €"
    sharegpt = tmp_path / "win_sg.jsonl"
    row = {"conversations": [{"from": "human", "value": "Ça va?"}, {"from": "gpt", "value": "Très bien."}]}
    sharegpt.write_bytes(json.dumps(row, ensure_ascii=False).encode("cp1252") + b"\n")
    result = read_input(sharegpt)
    assert result.format == "sharegpt" and result.encoding == "cp1252" and result.records.height == 1


def test_a_big_cp1252_file_is_read_in_this_process_not_by_workers(tmp_path, monkeypatch):
    path = tmp_path / "big.jsonl"
    path.write_bytes("".join(json.dumps(CP1252_ROWS[i % 2], ensure_ascii=False) + "\n"
                             for i in range(400)).encode("cp1252"))
    monkeypatch.setattr(chatjsonl, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chatjsonl, "WORKER_OVERHEAD_S", 0.0)
    monkeypatch.setenv(chatjsonl.WORKERS_ENV, "2")
    result = read_input(path)
    assert result.quarantine == [] and result.records.height == 400 and result.encoding == "cp1252"


def test_utf8_files_say_utf8_and_utf16_files_say_utf16(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text(json.dumps(CP1252_ROWS[0], ensure_ascii=False) + "\n", encoding="utf-8")
    assert read_input(path).encoding == "utf-8"
    path.write_text(json.dumps(CP1252_ROWS[0], ensure_ascii=False) + "\n", encoding="utf-16")
    assert read_input(path).encoding == "utf-16"


def test_a_utf8_character_cut_by_the_end_of_the_first_8kb_is_still_utf8(tmp_path):
    first = json.dumps({**GOOD, "pad": ""}).encode()
    pad = 8193 - len(first)  # "é" (2 bytes) starts at byte 8191: cut in half by the 8 KB head
    row = {**GOOD, "pad": "x" * pad + "é"}
    data = json.dumps(row, ensure_ascii=False).encode() + b"\n" + orjson.dumps(GOOD) + b"\n"
    assert data[8191:8193] == "é".encode()
    path = tmp_path / "cut.jsonl"
    path.write_bytes(data)
    result = read_input(path)
    assert result.encoding == "utf-8" and result.quarantine == [] and result.records.height == 2


def test_a_file_that_is_utf8_in_its_head_keeps_quarantining_bad_bytes_later(tmp_path):
    good = json.dumps(CP1252_ROWS[0], ensure_ascii=False).encode()
    lines = [good] * (9000 // len(good) + 1) + [json.dumps(CP1252_ROWS[0], ensure_ascii=False).encode("cp1252")]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = read_input(path)
    assert result.encoding == "utf-8"
    (q,) = result.quarantine
    assert q["line"] == len(lines) and "not valid UTF-8" in q["reason"]


def test_a_utf8_head_with_a_few_bad_bytes_stays_utf8_rather_than_turning_into_mojibake(tmp_path):
    good = json.dumps(CP1252_ROWS[0], ensure_ascii=False).encode()  # UTF-8 "é", "€", ...
    bad = json.dumps(CP1252_ROWS[1], ensure_ascii=False).encode("cp1252")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good + b"\n" + bad + b"\n" + good + b"\n")
    result = read_input(path)
    assert result.encoding == "utf-8" and result.records["source_line"].to_list() == [1, 3]
    assert turns(result)[0] == CP1252_ROWS[0]["messages"]
    assert [(q["line"], "not valid UTF-8" in q["reason"]) for q in result.quarantine] == [(2, True)]


# 3. Duplicate keys --------------------------------------------------------------------------

DUPLICATES = [
    (b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A", "content": "B"}]}',
     'duplicate key "content" in messages[1]'),
    (b'{"messages":[{"role":"user","role":"user","content":"Hi"},{"role":"assistant","content":"A"}]}',
     'duplicate key "role" in messages[0]'),
    (b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A"}], '
     b'"category": "a", "category": "b"}', 'duplicate key "category"'),
    (b'{"messages": [{"role": "user", "content": "Hi"}], '
     b'"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A"}]}',
     'duplicate key "messages"'),
    (b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A"}], '
     b'"extra": {"a": 1, "b": [{"c": 1, "c": 2}]}}', 'duplicate key "c" in extra.b[0]'),
    (b'{"messages" : [{"role" : "user", "content" : "Hi"}, {"role" : "assistant", "content" : "A", '
     b'"content" : "B"}]}', 'duplicate key "content" in messages[1]'),
]
NOT_DUPLICATES = [
    {"messages": [{"role": "user", "content": 'He said "stop": now'}, {"role": "assistant", "content": "ok"}]},
    {"messages": [{"role": "user", "content": '{"a": 1, "a": 2}'}, {"role": "assistant", "content": "JSON"}]},
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "ok"}],
     "note": 'x": "y', "tags": {"k\":": ["\":", {"n": 1}]}},
]


@pytest.mark.parametrize("line,reason", DUPLICATES)
def test_a_jsonl_row_with_a_duplicate_key_is_quarantined_on_both_paths(tmp_path, line, reason):
    good = orjson.dumps(GOOD)
    lines = [good, line, good, json.dumps(GOOD).encode()]
    path = tmp_path / "dup.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1, 3, 4]
    assert [(q["line"], q["reason"]) for q in result.quarantine] == [(2, reason)]
    assert general_path(path, lines) == [(2, reason)]


@pytest.mark.parametrize("row", NOT_DUPLICATES)
@pytest.mark.parametrize("dumps", [orjson.dumps, lambda r: json.dumps(r).encode()])
def test_quotes_and_colons_inside_strings_are_not_duplicate_keys(tmp_path, row, dumps):
    path = tmp_path / "fine.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\n" + dumps(row) + b"\n")
    result = read_input(path)
    assert result.quarantine == [] and result.records.height == 2


def test_unusual_but_valid_json_text_is_not_a_duplicate_key(tmp_path):
    lines = [
        b'{"messages" : [ {"role" :"user" , "content":\t"Hi"} , {"role": "assistant", "content": "A"} ] }',
        b'{"messages": [{"role": "user", "content": "say \\u0022hi\\u0022"}, {"r\\u006fle": "assistant", "content": "A"}]}',
    ]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = read_input(path)
    assert result.quarantine == [] and turns(result)[1][0]["content"] == 'say "hi"'


def test_duplicate_keys_in_sharegpt_and_alpaca_rows(tmp_path):
    path = tmp_path / "sg.jsonl"
    path.write_bytes(orjson.dumps(SHAREGPT) + b'\n{"conversations": [{"from": "human", "value": "Hi", "value": "Ho"}, '
                     b'{"from": "gpt", "value": "Hello"}]}\n')
    result = read_input(path)
    assert reasons(result) == {2: 'duplicate key "value" in conversations[0]'}
    path = tmp_path / "alpaca.jsonl"
    path.write_bytes(orjson.dumps(ALPACA) + b'\n{"instruction": "a", "output": "b", "output": "c"}\n')
    result = read_input(path)
    assert result.format == "alpaca" and reasons(result) == {2: 'duplicate key "output"'}


def test_duplicate_keys_in_json_documents(tmp_path):
    dup = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A", "content": "B"}]}'
    good = json.dumps(GOOD)
    pretty = tmp_path / "pretty.json"
    pretty.write_text(f'[\n  {good},\n  {good},\n  {dup}\n]\n')
    assert reasons(read_input(pretty)) == {4: 'element 3: duplicate key "content" in messages[1]'}
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(f'{{"data": [\n{dup},\n{good}\n], "n": 2}}')
    assert reasons(read_input(wrapped)) == {2: 'element 1: duplicate key "content" in messages[1]'}
    broken = tmp_path / "broken.json"
    broken.write_text(f'[\n{good},\n{{"messages": oops}},\n{dup}\n]\n')
    got = reasons(read_input(broken))
    assert sorted(got) == [3, 4] and 'duplicate key "content" in messages[1]' in got[4]
    one_row = tmp_path / "one.json"
    one_row.write_text('{"prompt": "Hi", "completion": "Hello",\n "completion": "Bye"}')
    with pytest.raises(InputError) as e:
        read_input(one_row)
    assert 'duplicate key "completion"' in str(e.value)


def test_duplicate_keys_found_by_worker_processes(tmp_path, monkeypatch):
    dup = DUPLICATES[0][0]
    lines = [dup if i % 50 == 49 else orjson.dumps({"messages": GOOD["messages"], "i": i}) for i in range(1000)]
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(chatjsonl, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chatjsonl, "WORKER_OVERHEAD_S", 0.0)
    monkeypatch.setenv(chatjsonl.WORKERS_ENV, "2")
    result = read_input(path)
    assert [q["line"] for q in result.quarantine] == list(range(50, 1001, 50))
    assert {q["reason"] for q in result.quarantine} == {DUPLICATES[0][1]}


def test_a_wrapper_that_gives_its_rows_field_twice_is_refused(tmp_path):
    path = tmp_path / "twice.json"
    path.write_text(json.dumps({"data": [GOOD]})[:-1] + ', "data": ' + json.dumps([GOOD, GOOD]) + "}")
    with pytest.raises(InputError) as e:
        read_input(path)
    assert str(path) in str(e.value) and "'data' more than once" in str(e.value)


# 4. NUL characters --------------------------------------------------------------------------

NULS = [
    ({"messages": [{"role": "user", "content": "a\x00b"}, {"role": "assistant", "content": "ok"}]},
     "messages[0].content contains a NUL character (\\u0000)"),
    ({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "ok\x00"}]},
     "messages[1].content contains a NUL character (\\u0000)"),
    ({**GOOD, "category": "x\x00"}, "category contains a NUL character (\\u0000)"),
    ({**GOOD, "notes": ["fine", {"deep": "\x00"}]}, "notes[1].deep contains a NUL character (\\u0000)"),
    ({**GOOD, "bad\x00key": 1}, 'the key "bad\\u0000key" contains a NUL character (\\u0000)'),
]


@pytest.mark.parametrize("row,reason", NULS)
def test_a_jsonl_row_with_a_nul_character_is_quarantined_on_both_paths(tmp_path, row, reason):
    lines = [orjson.dumps(GOOD), orjson.dumps(row), json.dumps(GOOD).encode()]
    assert b"\\u0000" in lines[1]
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1, 3]
    assert [(q["line"], q["reason"]) for q in result.quarantine] == [(2, reason)]
    assert general_path(path, lines) == [(2, reason)]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(tmp_path):
    row = {"messages": [{"role": "user", "content": "C:\\u0000"}, {"role": "assistant", "content": "ok"}]}
    path = tmp_path / "fine.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    result = read_input(path)
    assert result.quarantine == [] and turns(result) == [row["messages"]]


def test_nul_characters_in_sharegpt_alpaca_and_documents(tmp_path):
    path = tmp_path / "sg.jsonl"
    bad = {"conversations": [{"from": "human", "value": "Hi\x00"}, {"from": "gpt", "value": "Hello"}]}
    path.write_bytes(orjson.dumps(SHAREGPT) + b"\n" + orjson.dumps(bad) + b"\n")
    assert reasons(read_input(path)) == {2: "conversations[0].value contains a NUL character (\\u0000)"}
    path = tmp_path / "alpaca.json"
    text = json.dumps([ALPACA, {**ALPACA, "input": "\x00"}], indent=2)
    path.write_text(text)
    assert reasons(read_input(path)) == {
        element_starts(text, "  ")[1]: "element 2: input contains a NUL character (\\u0000)"
    }


def test_nul_characters_in_csv_and_parquet_cells(tmp_path):
    path = tmp_path / "nul.csv"
    # NUL bytes in the first 8 KB make a binary file; later, they are one bad row.
    filler = "".join(f"question {i},answer {i}\n" for i in range(600))
    path.write_text("prompt,response\n" + filler + "Hi,Hel\x00lo\nBye,Goodbye\n")
    result = read_input(path)
    assert result.records.height == 601
    assert reasons(result) == {602: "column 'response' contains a NUL character (\\u0000)"}
    path = tmp_path / "nul.parquet"
    pl.DataFrame({"prompt": ["Hi", "Yo\x00"], "response": ["Hello", "x"], "id": ["a", "b"]}).write_parquet(path)
    result = read_input(path)
    assert result.records.height == 1
    assert reasons(result) == {2: "column 'prompt' contains a NUL character (\\u0000)"}


def test_no_importer_lets_a_nul_character_into_a_record(tmp_path):
    from workbench.io.importers import Conversation

    builder = RecordBuilder("plugin.txt", ImportOptions())
    conv = Conversation(messages=[{"role": "user", "content": "Hi\x00"}, {"role": "assistant", "content": "ok"}],
                        where=["question", "answer"])
    assert not builder.add(1, conv, None, "raw")
    assert builder.quarantine[0]["reason"] == "the user turn (question) contains a NUL character (\\u0000)"
    path = tmp_path / "messages.csv"
    with open(path, "w", newline="") as f:  # the escaped NUL in the cell is a NUL once the JSON is parsed
        csv.writer(f).writerows([["messages"], [json.dumps(GOOD["messages"])], [json.dumps(NULS[0][0]["messages"])]])
    result = read_input(path)
    assert reasons(result) == {3: "the user turn (messages[0]) contains a NUL character (\\u0000)"}


# End to end -----------------------------------------------------------------------------------


def test_init_quarantines_each_problem_with_its_line_and_reason(tmp_path, capsys):
    from workbench.commands import main
    from workbench.services.project import Project

    rows = [GOOD, NO_REPLY, {"messages": [{"role": "user", "content": "a\x00"}, {"role": "assistant", "content": "b"}]}]
    text = json.dumps(rows, indent=2)
    dup = '{"messages": [{"role": "user", "content": "Hi", "content": "Ho"}, {"role": "assistant", "content": "A"}]}'
    text = text[:-2] + ",\n  " + dup + "\n]"
    path = tmp_path / "in.json"
    path.write_text(text)
    starts = element_starts(text, "  ")
    assert main(["init", str(tmp_path / "p"), "--input", str(path)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    project = Project.open(tmp_path / "p")
    try:
        got = {q["line"]: q["reason"] for q in project.quarantine()}
    finally:
        project.close()
    assert sorted(got) == starts[1:]
    assert "no assistant turn" in got[starts[1]]
    assert "messages[0].content contains a NUL character" in got[starts[2]]
    assert 'duplicate key "content" in messages[0]' in got[starts[3]]
