"""Bad input never gives a traceback and is never silent.

A bad row goes to the quarantine with its line and a reason that names the problem while the
good rows still import; a file that cannot be read at all raises InputError naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import polars as pl
import pytest

from workbench.errors import InputError
from workbench.io import ImportOptions, read_input

GOOD = {"messages": [{"role": "user", "content": "Ping?"}, {"role": "assistant", "content": "Pong."}]}


def msgs(*pairs: tuple[str, object]) -> dict:
    return {"messages": [{"role": r, "content": c} for r, c in pairs]}


def jsonl(tmp_path: Path, bad: bytes, name: str = "in.jsonl") -> Path:
    """A file whose line 2 is `bad`, between two good lines."""
    path = tmp_path / name
    good = orjson.dumps(GOOD)
    path.write_bytes(good + b"\n" + bad + b"\n" + good + b"\n")
    return path


ROW_CASES = {
    "malformed JSON": (b'{"messages": [{"role": "user", "content": "hi"}', ["malformed JSON", "column"]),
    "missing comma": (b'{"messages": [] "category": "x"}', ["malformed JSON", "column 17"]),
    # Valid UTF-8 elsewhere in the file: a file whose only odd bytes look like Windows-1252 is read as that.
    "not UTF-8": (b'{"messages": "caf\xe9", "note": "d\xc3\xa9j\xc3\xa0 vu"}',
                  ["not valid UTF-8", "byte 0xe9 at column 18", "save the file as UTF-8"]),
    "no user turn": (orjson.dumps(msgs(("system", "Be brief."), ("assistant", "Hi."))), ["no user turn"]),
    "no assistant turn": (orjson.dumps(msgs(("user", "Hello?"))), ["no assistant turn"]),
    "ends with a user turn": (
        orjson.dumps(msgs(("user", "Hi"), ("assistant", "Hello"), ("user", "And?"))),
        ["ends with a user turn", "must end with an assistant reply"],
    ),
    "unknown role": (orjson.dumps(msgs(("user", "Hi"), ("bot", "{}"), ("assistant", "ok"))), ["'bot'", "role"]),
    "tool result without a call": (orjson.dumps(msgs(("user", "Hi"), ("tool", "{}"), ("assistant", "ok"))),
                                   ["tool turn", "messages[1]", "does not follow a tool call"]),
    "empty reply": (orjson.dumps(msgs(("user", "Hi"), ("assistant", ""))), ["assistant turn", "empty"]),
    "whitespace reply": (orjson.dumps(msgs(("user", "Hi"), ("assistant", " \n\t "))), ["assistant turn", "empty"]),
    "empty user turn": (orjson.dumps(msgs(("user", "   "), ("assistant", "ok"))), ["user turn", "empty"]),
    "messages is a string": (b'{"messages": "Ping? Pong."}', ["'messages'", "a string", "expected a list"]),
    "messages is missing": (b'{"messages": null}', ["'messages'", "null"]),
    "content is a number": (
        orjson.dumps(msgs(("user", 42), ("assistant", "ok"))), ["messages[0].content", "a number", "expected a string"]
    ),
    "content is null": (
        orjson.dumps(msgs(("user", "Hi"), ("assistant", None))), ["messages[1].content", "null", "expected a string"]
    ),
    "message is a string": (b'{"messages": ["hi", "there"]}', ["messages[0]", "a string", "expected an object"]),
    "message without content": (b'{"messages": [{"role": "user"}]}', ["messages[0]", "no 'content'"]),
    "category is a list": (orjson.dumps({**GOOD, "category": ["a"]}), ["'category'", "a list", "expected a string"]),
    "line is a list": (b'[1, 2, 3]', ["a list", "expected a JSON object"]),
    "line is a string": (b'"just text"', ["a string", "expected a JSON object"]),
    "line is a number": (b'12', ["a number", "expected a JSON object"]),
    "empty messages": (b'{"messages": []}', ["no messages"]),
}


@pytest.mark.parametrize("case", list(ROW_CASES))
def test_a_bad_jsonl_line_is_quarantined_with_its_line_and_reason(tmp_path, case):
    bad, words = ROW_CASES[case]
    path = jsonl(tmp_path, bad)
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1, 3]  # the good rows still import
    (q,) = result.quarantine
    assert q["file"] == str(path) and q["line"] == 2
    for word in words:
        assert word in q["reason"], (word, q["reason"])
    assert q["raw"] == bad.decode("utf-8", "replace")[:200]


def test_blank_lines_are_not_rows(tmp_path):
    path = tmp_path / "in.jsonl"
    good = orjson.dumps(GOOD).decode()
    path.write_text(f"\n{good}\n   \n\t\r\n{good}\n\n")
    result = read_input(path)
    assert result.quarantine == [] and result.records["source_line"].to_list() == [2, 5]


def test_windows_line_endings_are_fine(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(orjson.dumps(GOOD) + b"\r\n" + orjson.dumps(GOOD) + b"\r\n")
    result = read_input(path)
    assert result.quarantine == [] and result.records.height == 2


def test_a_field_over_the_size_limit_says_its_size_the_limit_and_how_to_raise_it(tmp_path):
    huge = "x" * 10_000_001
    path = jsonl(tmp_path, orjson.dumps(msgs(("user", "Hi"), ("assistant", huge))))
    result = read_input(path)
    (q,) = result.quarantine
    assert q["line"] == 2
    assert "10,000,001 characters" in q["reason"] and "2,000,000" in q["reason"]
    assert "max_field_chars" in q["reason"]
    assert len(q["raw"]) == 200
    assert read_input(path, ImportOptions(max_field_chars=20_000_000)).records.height == 3


def test_an_oversized_unmapped_field_is_quarantined_too(tmp_path):
    path = jsonl(tmp_path, orjson.dumps({**GOOD, "notes": "n" * 101}))
    (q,) = read_input(path, ImportOptions(max_field_chars=100)).quarantine
    assert "'notes'" in q["reason"] and "101 characters" in q["reason"]


def test_sharegpt_unknown_speaker_and_wrong_types(tmp_path):
    path = tmp_path / "sg.jsonl"
    good = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}
    rows = [
        good,
        {"conversations": [{"from": "human", "value": "Hi"}, {"from": "narrator", "value": "{}"}]},
        {"conversations": [{"from": "human", "value": 3}, {"from": "gpt", "value": "Hello"}]},
        {"conversations": "Hi"},
        {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": ""}]},
        good,
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = read_input(path)
    assert result.format == "sharegpt" and result.records["source_line"].to_list() == [1, 6]
    reasons = {q["line"]: q["reason"] for q in result.quarantine}
    assert "'narrator'" in reasons[2] and "conversations[1].from" in reasons[2]
    assert "conversations[0].value is a number" in reasons[3]
    assert "'conversations' is a string" in reasons[4]
    assert "assistant turn (conversations[1].value) is empty" in reasons[5]


def test_alpaca_missing_or_wrong_fields(tmp_path):
    path = tmp_path / "alpaca.json"
    rows = [
        {"instruction": "Say hi", "input": "", "output": "Hi"},
        {"instruction": "Say hi", "output": None},
        {"instruction": "Say hi", "input": 5, "output": "Hi"},
        {"instruction": "", "input": "", "output": "Hi"},
        {"instruction": "Say bye", "output": "Bye"},
    ]
    path.write_text(json.dumps(rows, indent=1))
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1, 5]  # records keep their element number
    # A quarantined row is reported at the file line where it starts, and its element is named.
    reasons = {q["line"]: q["reason"] for q in result.quarantine}
    assert sorted(reasons) == [7, 11, 16]
    assert "'output' is null" in reasons[7] and reasons[7].startswith("element 2")
    assert "'input' is a number" in reasons[11]
    assert "user turn (instruction) is empty" in reasons[16]


def test_array_elements_that_are_not_objects(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([GOOD, "oops", GOOD, None]))
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1, 3]
    # One line holds the whole array: the reasons name the elements.
    assert [(q["line"], q["reason"].split(" is ")[0], "expected a JSON object" in q["reason"])
            for q in result.quarantine] == [(1, "element 2", True), (1, "element 4", True)]


def test_a_broken_json_array_with_one_element_per_line_keeps_the_good_elements(tmp_path):
    path = tmp_path / "a.json"
    good = json.dumps(GOOD)
    path.write_text(f"[\n{good},\n{{\"messages\": [oops]}},\n{good}\n]\n")
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1, 3]
    (q,) = result.quarantine
    assert q["line"] == 3 and q["reason"].startswith("element 2: malformed JSON")


def test_a_broken_pretty_printed_json_document_says_where(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([GOOD, GOOD], indent=2)[:-10])
    with pytest.raises(InputError) as e:
        read_input(path)
    assert str(path) in str(e.value) and "not valid JSON" in str(e.value) and "line" in str(e.value)


def test_csv_bad_rows(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(
        b"prompt,response\n"
        b"Hi,H\xc3\xa9llo\n"
        b"caf\xe9,ok\n"
        b"one,two,three\n"
        b",empty prompt\n"
        b'"Two\nlines",fine\n'
        b"Bye,Goodbye\n"
    )
    result = read_input(path)
    assert result.records["source_line"].to_list() == [2, 6, 8]
    reasons = {q["line"]: q["reason"] for q in result.quarantine}
    assert "not valid UTF-8 (byte 0xe9 at column 4)" in reasons[3]
    assert "3 fields" in reasons[4] and "2 columns" in reasons[4]
    assert "'prompt'" in reasons[5] and "empty" in reasons[5]
    assert all(q["file"] == str(path) for q in result.quarantine)


def test_csv_unclosed_quote_is_reported(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('prompt,response\nHi,Hello\n"never closed,oops\n')
    result = read_input(path)
    assert result.records.height == 1
    (q,) = result.quarantine
    assert q["line"] == 3


def test_parquet_rows_with_nulls_or_wrong_types(tmp_path):
    path = tmp_path / "in.parquet"
    pl.DataFrame({"prompt": ["Hi", None, "Yo"], "response": ["Hello", "x", ""]}).write_parquet(path)
    result = read_input(path)
    assert result.records["source_line"].to_list() == [1]
    reasons = {q["line"]: q["reason"] for q in result.quarantine}
    assert "'prompt'" in reasons[2] and "empty" in reasons[2]
    assert "assistant turn" in reasons[3] and "empty" in reasons[3]


# Whole-file failures -------------------------------------------------------------------------


def raises_input_error(path, *words, options=None):
    with pytest.raises(InputError) as e:
        read_input(path, options)
    message = str(e.value)
    assert str(path) in message, message
    for word in words:
        assert word in message, (word, message)
    return e.value


def test_missing_file(tmp_path):
    raises_input_error(tmp_path / "nope.jsonl", "file not found")


def test_a_directory(tmp_path):
    raises_input_error(tmp_path, "directory")


def test_permission_denied(tmp_path, monkeypatch):
    import workbench.io.source as source

    path = jsonl(tmp_path, orjson.dumps(GOOD))

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(source, "open", denied, raising=False)
    raises_input_error(path, "permission denied")


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n"])
def test_empty_files(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    raises_input_error(path, "empty")


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("\n\n")
    raises_input_error(path, "empty")


def test_a_binary_file(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 10)
    raises_input_error(path, "binary")
    jsonl_named = tmp_path / "data.jsonl"
    jsonl_named.write_bytes(b'{"messages": []}\x00\x00\x00\x01')
    raises_input_error(jsonl_named, "binary")


def test_a_corrupt_parquet_file(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\x15\x00garbage" * 20)
    raises_input_error(path, "Parquet")
    named = tmp_path / "text.parquet"
    named.write_text("prompt,response\nHi,Hello\n")
    raises_input_error(named, "Parquet")


def test_all_rows_quarantined_says_how_many_and_why(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(msgs(("user", f"q{i}"))) for i in range(5)))
    error = raises_input_error(path, "no row could be imported", "all 5 rows", "no assistant turn", "line 1")
    assert error.file == str(path)


def test_a_file_of_text_is_not_a_format(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing structured\n")
    raises_input_error(path, "cannot tell the input format", "--input-format NAME")


def test_a_jsonl_of_garbage_lines_fails_with_the_reasons(tmp_path):
    path = tmp_path / "garbage.jsonl"
    path.write_text("{not json\n{also not\n")
    raises_input_error(path, "no row could be imported", "malformed JSON", options=ImportOptions(format="openai"))


@pytest.mark.parametrize("name,content", [("a.json", "[]"), ("b.json", '{"data": []}'), ("c.csv", "prompt,response\n")])
def test_no_rows_at_all(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    raises_input_error(path, "no rows", options=ImportOptions(format="csv" if name.endswith(".csv") else "openai"))
    raises_input_error(path, "no rows")  # the same without a format


def test_utf16_that_is_cut_in_half(tmp_path):
    path = tmp_path / "u16.jsonl"
    path.write_bytes((json.dumps(GOOD) + "\n").encode("utf-16") + b"\x00")
    raises_input_error(path, "not valid UTF-16", "save the file as UTF-8")


def test_a_json_row_without_a_mapped_field_is_quarantined(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"q": "Hi?", "a": "Hello."}\n{"q": "Bye?"}\n{"q": "Why?", "a": 42}\n')
    result = read_input(path, ImportOptions(mapping={"prompt": "q", "response": "a"}))
    assert result.records["source_line"].to_list() == [1]
    reasons = {q["line"]: q["reason"] for q in result.quarantine}
    assert "response='a'" in reasons[2] and "not there" in reasons[2]
    assert "field 'a' (response) is a number" in reasons[3]
