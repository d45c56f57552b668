"""The hot loop for OpenAI chat JSONL (the common shape only) and the columns it fills.

It imports nothing from the package so that it can also run as a worker process over a slice
of a large file (see chatjsonl.py), which is how a big import uses a second core without
starting a second copy of the whole program. Rows it does not accept (anything unusual, and
every bad row) go to ``slow`` untouched; the importer reads those through the general path,
which gives the same record for a good row and the reason for a bad one.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import orjson

USED = frozenset({"messages", "category", "origin"})
# Row fields the full form maps (tool schemas, media lists): such rows take the general path.
RICH_FIELDS = frozenset({"tools", "functions", "images", "videos", "audios"})
SYSTEM, USER, ASSISTANT = "system", "user", "assistant"  # one object each: less memory, faster frames
META_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
CHUNK = 1 << 24


class Columns:
    """Canonical columns as flat lists (messages as roles/contents plus end offsets)."""

    __slots__ = ("ids", "roles", "contents", "ends", "numbers", "categories", "origins", "metas")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.roles: list[str] = []
        self.contents: list[str] = []
        self.ends: list[int] = [0]
        self.numbers: list[int] = []
        self.categories: list[str | None] = []
        self.origins: list[str] = []
        self.metas: list[str] = []

    def state(self) -> tuple[list[Any], ...]:
        return tuple(getattr(self, name) for name in self.__slots__)


def read_lines(f: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    """The lines of bytes [start, end) of f, without their "\\n"; start is a line start."""
    f.seek(start)
    remaining = float("inf") if end is None else end - start
    carry = b""
    while remaining > 0:
        block = f.read(CHUNK if remaining > CHUNK else int(remaining))
        if not block:
            break
        remaining -= len(block)
        lines = (carry + block).split(b"\n") if carry else block.split(b"\n")
        carry = lines.pop()
        yield from lines
    if carry:
        yield carry


def meta_of(row: dict[str, Any], limit: int) -> str | None:
    """The meta JSON of a row's unmapped fields; None when one of them is over the limit."""
    rest = {k: v for k, v in row.items() if k not in USED}
    if not rest:
        return "{}"
    for v in rest.values():
        if type(v) is str and len(v) > limit:
            return None
    return orjson.dumps(rest, option=META_OPTIONS, default=str).decode()


def scan(
    lines: Iterator[bytes],
    cols: Columns,
    slow: Callable[[int, bytes], Any],
    limit: int,
    default_origin: str,
    first_number: int = 1,
) -> int:
    """Append each good row in the common shape to cols; pass every other non-blank line to
    slow(number, line). Returns the number of lines read."""
    loads, dumps, sha, nfc = orjson.loads, orjson.dumps, hashlib.sha256, unicodedata.normalize
    count = bytes.count
    decode_error = orjson.JSONDecodeError
    ids, roles, contents, ends, numbers = cols.ids, cols.roles, cols.contents, cols.ends, cols.numbers
    categories, origins, metas = cols.categories, cols.origins, cols.metas
    number = first_number - 1
    for number, line in enumerate(lines, first_number):  # noqa: B007 (number is returned)
        try:
            row = loads(line)
        except decode_error:
            if line.strip():
                slow(number, line)
            continue
        msgs = row.get("messages") if type(row) is dict else None
        if type(msgs) is not list or not msgs or (len(row) > 1 and not RICH_FIELDS.isdisjoint(row)):
            slow(number, line)
            continue
        # No field can be longer than the line that holds it.
        short = len(line) <= limit
        canon = []
        mark = len(roles)
        has_user = False
        role = None
        for m in msgs:
            if type(m) is not dict or len(m) != 2:
                break
            role = m.get("role")
            c = m.get("content")
            if type(c) is not str or not (short or len(c) <= limit) or "\x00" in c:
                break
            s = c.strip() if c.isascii() else nfc("NFC", c).strip()
            if role == "user":
                if not s:
                    break
                has_user = True
                role = USER
            elif role == "assistant":
                if not s:
                    break
                role = ASSISTANT
            elif role == "system":
                role = SYSTEM
            else:
                break
            canon.append((role, s))
            roles.append(role)
            contents.append(c)
        else:
            if has_user and role is ASSISTANT:
                # Each string of the text, keys included, has two quotes and any quote inside it is
                # escaped: quotes the parsed row does not account for are a key given twice, of
                # which orjson kept one (jsoncheck.py says which). Strings: "messages", and role
                # and content, key and value, of each message.
                quotes = 2 + 8 * len(msgs)
                if len(row) == 1:
                    category = origin = None
                    meta = "{}"
                else:
                    category, origin = row.get("category"), row.get("origin")
                    others = len(row) - 1 - ("category" in row) - ("origin" in row)  # fields for meta
                    meta = meta_of(row, limit) if others else "{}"
                    if (
                        meta is None
                        or not (category is None or (type(category) is str and "\x00" not in category))
                        or not (origin is None or (type(origin) is str and "\x00" not in origin))
                        or "\\u0000" in meta
                    ):
                        del roles[mark:], contents[mark:]
                        slow(number, line)
                        continue
                    quotes += 2 * (len(row) - 1 - others + (category is not None) + (origin is not None))
                    if others:  # orjson's text of the other fields: their strings, nested ones too
                        quotes += meta.count('"')
                blob = dumps(canon)  # holds the contents' quotes, 4 a message besides
                found = count(line, b'"')
                if found != quotes and found != quotes + count(blob, b'"') - 4 * len(msgs) + (
                    (category.count('"') if category else 0) + (origin.count('"') if origin else 0)
                ):
                    del roles[mark:], contents[mark:]
                    slow(number, line)
                    continue
                categories.append((category.strip() or None) if category else None)
                origins.append((origin.strip() or default_origin) if origin else default_origin)
                metas.append(meta)
                ids.append(sha(blob).hexdigest()[:16])
                ends.append(len(roles))
                numbers.append(number)
                continue
        del roles[mark:], contents[mark:]
        slow(number, line)
    return number - first_number + 1


def to_frame(cols: Columns, file: str, weights: list[int | None] | None = None) -> Any:
    """The canonical records frame of the columns (messages built from flat lists + offsets);
    `weights`, when given, has one entry per turn of the flat lists."""
    import polars as pl
    import pyarrow as pa

    n = len(cols.ids)
    fields = {"role": pl.String, "content": pl.String, **({"weight": pl.Int8} if weights is not None else {})}
    data = {"role": cols.roles, "content": cols.contents, **({"weight": weights} if weights is not None else {})}
    flat = pl.DataFrame(data, schema=fields).to_struct("m")
    messages = pa.LargeListArray.from_arrays(pa.array(cols.ends, type=pa.int64()), flat.to_arrow())
    message = pl.Struct(fields)
    return pl.DataFrame(
        {
            "id": pl.Series(cols.ids, dtype=pl.String),
            "messages": pl.Series("messages", messages).cast(pl.List(message)),
            "category": pl.Series(cols.categories, dtype=pl.String),
            "origin": pl.Series(cols.origins, dtype=pl.String),
            "source_file": pl.repeat(file, n, dtype=pl.String, eager=True),
            "source_line": pl.Series(cols.numbers, dtype=pl.Int64),
            "meta": pl.Series(cols.metas, dtype=pl.String),
        }
    )


def main(argv: list[str]) -> None:
    """Worker: scan bytes [START, END) of PATH, write the records frame as Arrow IPC to OUT, and
    pickle (lines read, slow lines, sha256 of the whole file or None) to stdout."""
    path, start, end, limit, default_origin, file, out, want_sha = argv
    cols = Columns()
    slow: list[tuple[int, bytes]] = []
    with open(path, "rb") as f:
        lines = read_lines(f, int(start), int(end))
        count = scan(lines, cols, lambda n, line: slow.append((n, line)), int(limit), default_origin)
    to_frame(cols, file).write_ipc(out, compression="uncompressed")
    digest = None
    if want_sha == "1":
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    pickle.dump((count, slow, digest), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


def _die_with_parent() -> None:
    """Linux: end this worker when the importing process dies (kill -9 included) instead of
    reading the rest of its slice for nobody (workbench/procs.py does the same for forked workers)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


if __name__ == "__main__":
    import gc

    _die_with_parent()
    gc.disable()
    main(sys.argv[1:])
