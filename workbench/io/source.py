"""Opening an input file: the checks that fail the whole file, encodings, lines, JSON layouts.

Every whole-file problem becomes an InputError that names the file; everything about one line
is left to the importer, which quarantines that line and goes on.
"""

from __future__ import annotations

import codecs
import io
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..errors import InputError

HEAD_BYTES = 8192
SAMPLE_ROWS = 50
SAMPLE_LINES = 1000
# Fields of the built-in row shapes: an object with one of these is a row, not a wrapper like
# {"data": [...]}.
ROW_KEYS = frozenset(
    {"messages", "conversations", "prompt", "completion", "instruction", "output", "response"}
)

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WHITESPACE = b" \t\r\n\x0b\x0c"
# A file without a byte-order mark whose head is not UTF-8 is read as Windows-1252 (of which
# latin-1 is nearly a subset); the five bytes cp1252 leaves undefined are read as latin-1.
# A file that is UTF-8 in its head stays UTF-8: a bad byte further on quarantines its line.
LEGACY = "cp1252"
_LEGACY_ERRORS = "workbench-latin1"


def _as_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(_LEGACY_ERRORS, _as_latin1)


def _is_legacy(head: bytes, whole: bool) -> bool:
    """A head that is not UTF-8 (a character cut by its end, when it is not the whole file,
    aside) and has more bytes that are not UTF-8 than characters that are: a UTF-8 file with a
    few bad bytes keeps its characters, which cp1252 would turn into mojibake."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
        return False
    except UnicodeDecodeError:
        pass
    text = head.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    return bad > good


class InputFile:
    """An input file that exists and is readable, with its encoding worked out.

    ``name`` is the path exactly as the caller gave it; ``head`` is the first 8 KB as UTF-8
    bytes without a byte-order mark (the raw bytes for a binary file).
    """

    def __init__(self, path: str | Path) -> None:
        self.name = str(path)
        self.path = Path(path)
        self.extension = self.path.suffix.lower()
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise self.error("file not found") from None
        except PermissionError:
            raise self.error("permission denied: the file cannot be read") from None
        except OSError as e:
            raise self.error(f"the file cannot be read: {e.strerror or e}") from None
        if stat.S_ISDIR(st.st_mode):
            raise self.error("is a directory, not a file; pass the data file itself")
        self.size = st.st_size
        if self.size == 0:
            raise self.error("the file is empty (0 bytes)")
        with self.open() as f:
            raw_head = f.read(HEAD_BYTES)
        self.raw_head = raw_head
        self.encoding, self.bom = "utf-8", b""
        for bom, encoding in _BOMS:
            if raw_head.startswith(bom):
                self.encoding, self.bom = encoding, bom
                break
        else:
            if _is_legacy(raw_head, whole=self.size <= HEAD_BYTES):
                self.encoding = LEGACY
        # How undecodable bytes are read: cp1252's holes as latin-1; anything else is an error.
        self.errors = _LEGACY_ERRORS if self.encoding == LEGACY else "strict"
        if self.encoding == "utf-8":
            self.head = raw_head[len(self.bom) :]
        else:
            decoder = codecs.getincrementaldecoder(self.encoding)(self.errors if self.encoding == LEGACY else "replace")
            self.head = decoder.decode(raw_head, final=self.size <= HEAD_BYTES).encode("utf-8", "replace")
        stripped = self.head.lstrip(_WHITESPACE)
        self.first_char = stripped[:1]
        self._document: Any = None
        self._text: bytes | None = None
        self._layout: str | None = None

    def error(self, problem: str, line: int | None = None) -> InputError:
        return InputError(self.name, problem, line)

    def open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except PermissionError:
            raise self.error("permission denied: the file cannot be read") from None
        except IsADirectoryError:
            raise self.error("is a directory, not a file; pass the data file itself") from None
        except OSError as e:
            raise self.error(f"the file cannot be read: {e.strerror or e}") from None

    @property
    def is_binary(self) -> bool:
        """NUL bytes in the first 8 KB of text: not a text file in any encoding we read."""
        return b"\x00" in self.head

    @property
    def is_parquet(self) -> bool:
        return self.raw_head.startswith(b"PAR1")

    def is_blank(self) -> bool:
        """Only whitespace (or nothing but a byte-order mark) in the whole file."""
        if self.head.strip(_WHITESPACE):
            return False
        if self.size <= HEAD_BYTES:
            return True
        with self.lines() as lines:
            return all(not line.strip(_WHITESPACE) for line in lines)

    @contextmanager
    def lines(self) -> Iterator[Iterator[bytes]]:
        """The file's physical lines as UTF-8 bytes (line endings kept, BOM removed)."""
        f = self.open()
        try:
            if self.encoding == "utf-8":
                f.seek(len(self.bom))
                yield f
            elif self.encoding == LEGACY:  # one byte a character: lines end where UTF-8 lines do
                yield (line.decode(LEGACY, self.errors).encode("utf-8") for line in f)
            else:
                yield self._transcoded(f)
        finally:
            f.close()

    def _transcoded(self, f: BinaryIO) -> Iterator[bytes]:
        text = io.TextIOWrapper(f, encoding=self.encoding, errors=self.errors, newline=None)
        try:
            for line in text:
                yield line.encode("utf-8", "surrogatepass")
        except UnicodeDecodeError as e:
            raise self.error(
                f"not valid {self.encoding.upper()} although the file starts with a {self.encoding.upper()} "
                f"byte-order mark ({e.reason}); save the file as UTF-8"
            ) from None

    def read_text(self) -> bytes:
        """The whole text as UTF-8 bytes without a BOM (for documents that parse as a whole)."""
        with self.open() as f:
            f.seek(len(self.bom))
            data = f.read()
        if self.encoding == "utf-8":
            return data
        try:
            return data.decode(self.encoding, self.errors).encode("utf-8", "surrogatepass")
        except UnicodeDecodeError as e:
            raise self.error(f"not valid {self.encoding.upper()} ({e.reason}); save the file as UTF-8") from None

    # JSON ---------------------------------------------------------------------------------

    def json_layout(self) -> str:
        """'lines' (JSONL), 'document' (one JSON value: an array, a wrapper object or one row)."""
        if self._layout is None:
            self._layout = self._find_layout()
        return self._layout

    def _find_layout(self) -> str:
        if self.first_char == b"[":
            return "document"
        if self.first_char != b"{":
            return "lines"
        with self.lines() as lines:
            rows = (line for line in lines if line.strip(_WHITESPACE))
            first = next(rows, b"")
            one_line = next(rows, None) is None
        try:
            obj = orjson.loads(first)
        except orjson.JSONDecodeError:
            obj = None  # "{" alone, or '{"data": [': one pretty-printed document, or a broken first line
        if isinstance(obj, dict) and not (one_line and wrapped_list(obj) is not None):
            return "lines"
        try:
            self.document()
        except orjson.JSONDecodeError:
            return "lines"  # a JSONL file whose first lines are broken: quarantine them
        return "document"

    def document(self) -> Any:
        """The file parsed as one JSON value (raises orjson.JSONDecodeError)."""
        if self._document is None:
            self._text = self.read_text()
            self._document = orjson.loads(self._text)
        return self._document

    def document_text(self) -> bytes:
        """The text document() parsed (UTF-8), for the checks orjson does not make."""
        if self._text is None:
            self._text = self.read_text()
        return self._text

    def document_problem(self) -> str | None:
        """Why a file that is one JSON document gives no rows; None when it does or is JSONL."""
        if self.first_char not in (b"{", b"[") or self.json_layout() != "document":
            return None
        try:
            doc = self.document()
        except orjson.JSONDecodeError as e:
            return f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        if unwrap_document(doc) == []:
            return "no rows to import: the JSON document holds an empty list"
        return None

    def sample_rows(self) -> list[dict[str, Any]]:
        """Up to SAMPLE_ROWS of the first JSON objects, for format detection."""
        if self.is_binary or self.first_char not in (b"{", b"["):
            return []
        if self.json_layout() == "document":
            try:
                elements = unwrap_document(self.document())
            except orjson.JSONDecodeError:
                elements = [row for _, row in array_lines_sample(self)]
            return [e for e in elements[: SAMPLE_ROWS * 4] if isinstance(e, dict)][:SAMPLE_ROWS]
        rows: list[dict[str, Any]] = []
        with self.lines() as lines:
            for i, line in enumerate(lines):
                if i >= SAMPLE_LINES or len(rows) >= SAMPLE_ROWS:
                    break
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    rows.append(obj)
        return rows


def wrapped_list(doc: dict[str, Any]) -> list[Any] | None:
    """The rows of a {"data": [...]} wrapper: its only list field, a list of objects, in an
    object that is not itself a row (such as {"prompt": ..., "tags": [...]})."""
    if ROW_KEYS & doc.keys():
        return None
    lists = [v for v in doc.values() if isinstance(v, list)]
    if len(lists) == 1 and all(isinstance(e, dict) for e in lists[0]):
        return lists[0]
    return None


def unwrap_document(doc: Any) -> list[Any]:
    """The rows of a JSON document: a top-level list, a {"data": [...]} wrapper, or one row."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        rows = wrapped_list(doc)
        if rows is not None:
            return rows
    return [doc]


def array_line_body(line: bytes, first: bool) -> bytes:
    """One element of a JSON array written one element per line: brackets and commas removed."""
    body = line.strip(_WHITESPACE)
    if first and body.startswith(b"["):
        body = body[1:].lstrip(_WHITESPACE)
    if body.endswith(b","):
        body = body[:-1].rstrip(_WHITESPACE)
    if body == b"]":
        return b""
    if body.endswith(b"}]"):
        body = body[:-1]
    return body


def array_lines(lines: Iterator[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """(element number, file line, element text) for a JSON array written one element per line."""
    n = 0
    first = True
    for number, line in enumerate(lines, 1):
        body = array_line_body(line, first)
        if line.strip(_WHITESPACE):
            first = False
        if body:
            n += 1
            yield n, number, body


def array_lines_sample(source: InputFile) -> Iterator[tuple[int, dict[str, Any]]]:
    with source.lines() as lines:
        for n, _, body in array_lines(lines):
            if n > SAMPLE_LINES:
                break
            try:
                obj = orjson.loads(body)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                yield n, obj
