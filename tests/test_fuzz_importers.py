"""Whatever is in a file, importing it ends in records + quarantine or an InputError.

For JSONL every non-blank line is accounted for exactly once: a record or a quarantine row.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.io import ImportOptions, read_input
from workbench.io.importers import OpenAIImporter, RecordBuilder
from workbench.records import record_id

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD_ROW = {"messages": [{"role": "user", "content": "Ping?"}, {"role": "assistant", "content": "Pong."}]}
GOOD = orjson.dumps(GOOD_ROW)

texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", " ", "\u2003", "\x1c", "e\u0301", "Hi", "ok\n", "Ω", "\t"]
)
numbers = st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | numbers
json_values = st.recursive(
    scalars | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)
roles = st.sampled_from(["user", "assistant", "system", "tool", "User", ""]) | json_values
message = st.fixed_dictionaries({"role": roles, "content": texts | json_values}) | st.fixed_dictionaries(
    {"role": roles, "content": texts}, optional={"name": texts}
)
chat_rows = st.fixed_dictionaries(
    {"messages": st.lists(message, max_size=4) | json_values},
    optional={"category": texts | json_values, "origin": texts | json_values, "id": json_values, "x": json_values},
)
lines = st.one_of(
    chat_rows.map(orjson.dumps),
    json_values.map(orjson.dumps),
    st.binary(max_size=40),
    st.sampled_from([b"", b"  ", b"\r", b"{", b'{"messages": [', b"\xef\xbb\xbf{}", b"\xff\xfe"]),
).map(lambda b: b.replace(b"\n", b" "))


@contextmanager
def written(data: bytes, name: str) -> Iterator[Path]:
    """A temporary file holding data (hypothesis runs many examples per test function)."""
    with tempfile.TemporaryDirectory(prefix="wb-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def read_or_input_error(path: Path, options: ImportOptions | None = None):
    """The import result, or None when the whole file was refused with an InputError naming it."""
    try:
        return read_input(path, options)
    except InputError as e:
        assert str(path) in str(e)
        return None


@FUZZ
@given(st.lists(lines, max_size=12))
def test_every_nonblank_jsonl_line_is_a_record_or_one_quarantine_row(body):
    # A good first line makes the file JSONL; NUL bytes would make it a binary file instead.
    all_lines = [GOOD, *(line.replace(b"\x00", b"0") for line in body)]
    with written(b"\n".join(all_lines) + b"\n", "fuzz.jsonl") as path:
        result = read_input(path, ImportOptions(format="openai"))
    nonblank = {i for i, line in enumerate(all_lines, 1) if line.strip()}
    kept = result.records["source_line"].to_list()
    quarantined = [q["line"] for q in result.quarantine]
    assert len(kept) + len(quarantined) == len(nonblank)
    assert set(kept) | set(quarantined) == nonblank and not set(kept) & set(quarantined)
    assert all(q["reason"] and len(q["raw"]) <= 200 for q in result.quarantine)
    for row in result.records.iter_rows(named=True):
        assert row["id"] == record_id(row["messages"])
        assert row["messages"][-1]["role"] == "assistant"


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["x.jsonl", "x.json", "x.csv", "x.tsv", "x.parquet", "x.txt", "x"]))
def test_random_bytes_raise_nothing_but_input_error(data, name):
    with written(data, name) as path:
        result = read_or_input_error(path)
    assert result is None or result.records.height > 0


@FUZZ
@given(st.lists(lines, min_size=1, max_size=8), st.sampled_from(["x.jsonl", "x.json", "x.csv", "x.txt"]),
       st.sampled_from([None, "openai", "sharegpt", "alpaca", "dolly", "prompt_completion", "csv"]))
def test_random_lines_in_any_format_raise_nothing_but_input_error(body, name, fmt):
    with written(b"\n".join(body), name) as path:
        read_or_input_error(path, ImportOptions(format=fmt))


@FUZZ
@given(json_values | st.lists(chat_rows, max_size=4))
def test_random_json_documents_raise_nothing_but_input_error(doc):
    with written(orjson.dumps(doc, option=orjson.OPT_INDENT_2), "doc.json") as path:
        read_or_input_error(path)


@FUZZ
@given(st.lists(st.lists(texts, min_size=1, max_size=4), max_size=6), st.sampled_from(["x.csv", "x.tsv"]))
def test_random_tables_raise_nothing_but_input_error(table, name):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t" if name.endswith(".tsv") else ",").writerows([["prompt", "response"], *table])
    with written(buffer.getvalue().encode("utf-8", "surrogatepass"), name) as path:
        read_or_input_error(path)


@FUZZ
@given(st.lists(chat_rows, min_size=1, max_size=8))
def test_fast_path_and_general_path_agree(rows):
    """The JSONL hot loop accepts exactly what the general path accepts, with the same record."""
    data = [GOOD, *(orjson.dumps(r) for r in rows)]
    fast, slow = both_paths(data, "agree.jsonl")
    assert fast.records.equals(slow.records)
    assert fast.quarantine == slow.quarantine


def both_paths(data: list[bytes], name: str):
    """The lines read by the JSONL hot loop, and by the general path line by line."""
    with written(b"\n".join(data) + b"\n", name) as path:
        fast = read_input(path, ImportOptions(format="openai"))
        options = ImportOptions()
        builder = RecordBuilder(str(path), options)
        importer = OpenAIImporter()
        for number, line in enumerate(data, 1):
            importer.take_line(builder, number, line, options)
        return fast, builder.batch()


def with_repeat(value, target: int, colon: bytes) -> tuple[bytes, bool]:
    """JSON text of value (keys and values split by `colon`) in which the target-th object, in
    text order, gives its first key twice; and whether there was such an object."""
    seen = -1
    repeated = False

    def emit(v) -> bytes:
        nonlocal seen, repeated
        if type(v) is dict:
            seen += 1
            mine = seen
            items = [orjson.dumps(k) + colon + emit(x) for k, x in v.items()]
            if mine == target and v:
                items.insert(0, orjson.dumps(next(iter(v))) + colon + b"0")
                repeated = True
            return b"{" + b",".join(items) + b"}"
        if type(v) is list:
            return b"[" + b",".join(emit(x) for x in v) + b"]"
        return orjson.dumps(v)

    return emit(value), repeated


@FUZZ
@given(st.lists(st.tuples(chat_rows, st.integers(-1, 6)), min_size=1, max_size=6),
       st.sampled_from([b":", b": ", b" : "]))
def test_a_row_with_a_key_twice_is_never_kept_and_both_paths_agree(rows, colon):
    data, repeats = [GOOD], {}
    for number, (row, target) in enumerate(rows, 2):
        line, repeated = with_repeat(row, target, colon)
        data.append(line)
        repeats[number] = repeated
    fast, slow = both_paths(data, "repeat.jsonl")
    assert fast.records.equals(slow.records)
    assert fast.quarantine == slow.quarantine
    assert not {n for n, r in repeats.items() if r} & set(fast.records["source_line"].to_list())
    for q in fast.quarantine:
        assert ("duplicate key" in q["reason"]) == repeats[q["line"]] or "NUL" in q["reason"]


@FUZZ
@given(st.lists(chat_rows, min_size=1, max_size=6))
def test_a_quarantined_row_of_a_pretty_printed_array_is_at_the_line_it_starts(rows):
    text = orjson.dumps([GOOD_ROW, *rows], option=orjson.OPT_INDENT_2)
    starts = [i for i, line in enumerate(text.split(b"\n"), 1) if line.startswith(b"  {")]
    with written(text, "pretty.json") as path:
        result = read_input(path, ImportOptions(format="openai"))
    assert result.records.height + len(result.quarantine) == len(starts)
    for q in result.quarantine:
        element = int(q["reason"].split(" ", 2)[1].rstrip(":"))
        assert q["line"] == starts[element - 1], q


cp1252_texts = st.text(alphabet=st.characters(codec="cp1252", exclude_characters="\x00"), min_size=1, max_size=12)


@FUZZ
@given(st.lists(st.tuples(cp1252_texts, cp1252_texts), min_size=1, max_size=6))
def test_a_cp1252_file_gives_the_records_of_the_same_text_in_utf8(pairs):
    rows = [{"messages": [{"role": "user", "content": f"q {q}"}, {"role": "assistant", "content": f"a {a}"}]}
            for q, a in pairs]
    text = "".join(orjson.dumps(r).decode() + "\n" for r in rows)
    with written(text.encode("utf-8"), "u8.jsonl") as path:
        utf8 = read_input(path, ImportOptions(format="openai"))
    with written(text.encode("cp1252"), "win.jsonl") as path:
        try:
            legacy = read_input(path, ImportOptions(format="openai"))
        except InputError as e:
            # Bytes that are as much UTF-8 as cp1252 ("\xa0\xc2\x8c") are read as UTF-8, like any file
            # that is not cp1252 (then no assertion below either); if no row is then readable, the
            # file is refused, and it says why.
            assert "not valid UTF-8" in str(e) and not text.isascii()
            return
    if text.isascii():
        assert legacy.encoding == "utf-8"
    if legacy.encoding == "cp1252":
        assert legacy.records.drop("source_file").equals(utf8.records.drop("source_file"))
        assert [(q["line"], q["reason"]) for q in legacy.quarantine] == [(q["line"], q["reason"]) for q in utf8.quarantine]
