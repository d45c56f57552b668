"""The importer interface: what a plugin implements to read a new input shape.

An importer is any object with

- ``name`` (str): what the user passes to ``--input-format``;
- ``description`` (str): one line for ``workbench plugins`` and for detection errors;
- ``binary`` (bool): True when it reads bytes that are not text (Parquet); text importers are
  protected from binary files by the caller;
- ``detect(sample) -> float``: how sure it is that it reads the file described by ``sample``:
  0 = not mine, 1 = certain (an extension of its own, a magic number), a fraction for "most of
  the first rows look like mine". The highest score of at least 0.5 wins;
- ``read(source, options) -> ImportBatch``: records and quarantine rows for the whole file.
  ``source`` is an InputFile (``name`` as the user gave it, ``path``, ``lines()``, ``open()``,
  ``error(problem)``); ``options`` an ImportOptions. Feed rows to a RecordBuilder (``add`` a
  Conversation, or ``reject`` a row with its reason) and return ``builder.batch()``. Raise
  ``source.error(...)`` (an InputError) when the whole file cannot be read; any other exception
  from a plugin's importer is reported as an InputError naming the importer.

Most importers read JSON objects and only need to say how one object becomes a conversation:
subclass :class:`workbench.io.importers.JsonRowsImporter`, set ``required_keys`` and implement
``convert(row, options) -> Conversation`` (raise :class:`RowError` with a clear sentence for a
row that cannot be imported). File handling, line numbers, encodings, JSONL versus JSON arrays,
validation, ids and the quarantine are done for you.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import polars as pl

if TYPE_CHECKING:  # pragma: no cover
    from .base import ImportOptions
    from .source import InputFile


class RowError(ValueError):
    """One row that cannot be imported; the message is the reason the user reads."""


@dataclass
class Conversation:
    """One input row mapped onto the canonical record.

    ``used`` names the input fields that were mapped; every other field of the row is kept in
    the record's ``meta``. ``origin`` None means the import's default origin. ``where`` may
    name, for each message, the input field it came from, so that reasons point at it.
    """

    messages: list[dict[str, Any]]
    category: str | None = None
    origin: str | None = None
    used: frozenset[str] | set[str] | tuple[str, ...] = frozenset()
    where: list[str] | None = None
    meta: dict[str, Any] | None = None
    # The record's full form (docs/record-form.md): a message may carry tool_calls,
    # tool_call_id, name, weight and parts besides role and content (role "tool" too); `kind`
    # "preference" puts the prompt in messages and the completions in chosen/rejected, "kto" the
    # completion in chosen and its judgement in label; `tools` is JSON text of the tool schemas.
    kind: str = "sft"
    chosen: list[dict[str, Any]] | None = None
    rejected: list[dict[str, Any]] | None = None
    label: bool | None = None
    tools: str | None = None


@dataclass
class ImportBatch:
    """What an importer read from one file: canonical records (base ids) and the quarantine.

    An importer that hashed the file's bytes on the way may give ``sha256``; else it is computed.
    """

    records: pl.DataFrame
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    sha256: str | None = None


class Sample:
    """What detection may look at: the path, the first bytes and the first JSON objects."""

    def __init__(self, source: InputFile) -> None:
        self.source = source
        self.path = source.name
        self.extension = source.extension
        self.head = source.head  # the first 8 KB, as UTF-8 text bytes when the file is text

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """Up to 50 of the first JSON objects in the file ([] when it is not JSON)."""
        return self.source.sample_rows()

    @property
    def looks_like_json(self) -> bool:
        return self.source.first_char in (b"{", b"[")


@runtime_checkable
class Importer(Protocol):
    name: str
    description: str
    binary: bool

    def detect(self, sample: Sample) -> float: ...

    def read(self, source: InputFile, options: ImportOptions) -> ImportBatch: ...


class BaseImporter:
    """A base class for importers: set the class attributes, implement ``read``.

    The default ``detect`` claims files by extension (``extensions``, lower case, with dot).
    """

    name: str = ""
    description: str = ""
    binary: bool = False
    extensions: tuple[str, ...] = ()

    def detect(self, sample: Sample) -> float:
        return 1.0 if sample.extension in self.extensions else 0.0

    def read(self, source: InputFile, options: ImportOptions) -> ImportBatch:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<importer {self.name}>"
