"""The public API for Workbench plugins: import everything a plugin needs from here.

A plugin is a module with hook functions marked ``@hookimpl`` (see workbench.hookspecs for the
hooks and what each ``register`` accepts). The modules these names come from will move; this
module's names will not, so a plugin that imports only from here keeps working.

Hooks
    ``hookimpl``          marks a plugin's hook functions (``register_steps``, ...).

Curation steps (``register_steps``)
    ``Step``              base class: a dataclass whose fields are the recipe parameters, with
                          ``name``, ``description`` and ``run(records, ctx) -> StepResult``.
    ``StepContext``       what ``run`` sees besides the records: people's decisions, folders,
                          progress and cancel (``ctx.report``), the registry.
    ``StepResult``        what ``run`` returns: the kept rows, a Decision per dropped or edited
                          row, and stats for the report.
    ``Decision``          one decision about one record (``Decision(id, "drop", "reason", {...})``).
    ``ROLES``             the roles a message may have, in the canonical record.
    ``WorkbenchError``, ``ConfigError``
                          raise these to tell the user something they can fix, in your words;
                          anything else a step raises is reported as a bug of the plugin.

Dedup methods (``register_steps``)
    ``PairwiseDedup``     the base class of a dedup step: implement ``similar_pairs(corpus, ctx)
                          -> SimilarPairs`` and set ``name``, ``description``, ``reason``; the
                          clustering, survivors, drops and the Dedup tab come with it.
    ``Corpus``            what ``similar_pairs`` compares: ``ids``, ``texts`` (the compared
                          turns), ``messages``, ``lengths``, ``origins``; rows from ``n_new`` on
                          are the ``against`` set.
    ``SimilarPairs``      what it returns: rows ``a``, ``b``, their ``similarity``, a ``measure``
                          for any other pair among their rows, and ``stats`` for the report.

Importers (``register_importers``)
    ``Importer``          the protocol an importer satisfies (name, description, binary,
                          detect, read).
    ``BaseImporter``      a base class for any file kind: set ``name`` and ``extensions``,
                          implement ``read``.
    ``JsonRowsImporter``  the base most built-in importers use: implement ``convert(row, options)
                          -> Conversation`` and get JSONL/JSON arrays, encodings, validation, ids
                          and the quarantine done for you.
    ``Conversation``      one input row mapped onto the canonical record.
    ``RowError``          raise it from ``convert`` for a row that cannot be imported.
    ``text_field``        a required string field of a row, or a RowError naming it.
    ``RecordBuilder``, ``ImportBatch``
                          what a ``read`` that is not JSON rows feeds and returns.
    ``ImportOptions``, ``InputFile``, ``Sample``
                          the types ``read`` and ``detect`` are given.

Exporters (``register_exporters``)
    ``Exporter``          a name, a file extension and ``write(records, path, with_meta)``.

Categorizers (``register_categorizers``) and PII recognizers (``register_pii_recognizers``)
    ``CategorizerFactory``, ``Categorizer``, ``CategoryGuess``
                          what the categorize step calls: see the protocols below.
    ``PIIRecognizerFactory``
                          a recognizer built only when a PII scan is set up, so a plugin need
                          not import Presidio when it is loaded.

Importing this module loads polars (and numpy), because Step is defined on polars frames and
its module loads the built-in steps; it never loads torch, transformers, Presidio, spaCy or
textual.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .errors import ConfigError, WorkbenchError
from .hookspecs import hookimpl
from .io.base import ImportOptions
from .io.interface import BaseImporter, Conversation, ImportBatch, Importer, RowError, Sample
from .io.jsonrows import JsonRowsImporter
from .io.rows import RecordBuilder, text_field
from .io.source import InputFile
from .io.writers import Exporter
from .records import ROLES, Decision
from .steps.base import Step, StepContext, StepResult
from .steps.dedup.base import PairwiseDedup
from .steps.dedup.clusters import Corpus, SimilarPairs

if TYPE_CHECKING:  # only for annotations: importing Presidio here would load it for every plugin
    import polars as pl
    from presidio_analyzer import EntityRecognizer

# (category, confidence from 0 to 1) for one row; category None means "no guess".
CategoryGuess = tuple[str | None, float]


@runtime_checkable
class Categorizer(Protocol):
    """Guesses categories for the categorize step (``method = "NAME"`` in the recipe).

    The step calls ``categorize`` once per run with the rows that have no category and the rows
    that do (after reviewers' relabels). It must return one guess per unlabelled row, in their
    order; a guess at or above the step's ``min_confidence`` labels the row, one below it is
    flagged for review with the category as a suggestion.
    """

    def categorize(self, unlabelled: pl.DataFrame, labelled: pl.DataFrame,
                   ctx: StepContext) -> list[CategoryGuess]: ...


@runtime_checkable
class CategorizerFactory(Protocol):
    """What ``register_categorizers`` registers: ``register("NAME", factory)``.

    The categorize step calls ``factory(options, project_dir)`` when it runs, with a copy of the
    step's ``options`` table and the project folder (None without a project), so relative paths
    in the options can be resolved. Raise ValueError (or OSError) for bad options: the user sees
    it as a configuration error of the step. A classmethod such as ``MyCategorizer.from_options``
    is a factory.
    """

    def __call__(self, options: dict[str, Any], project_dir: Path | None) -> Categorizer: ...


@runtime_checkable
class PIIRecognizerFactory(Protocol):
    """A PII recognizer built only when a scan is set up: ``register(factory)``.

    The pii step calls ``factory()`` with no arguments when it sets up a scan and adds the
    Presidio recognizer it returns to its analyzer; an exception becomes a configuration error
    of the pii step. A class (a Presidio recognizer class) is always called; any other object
    is called unless it has an ``analyze`` method, which marks a ready-made recognizer.

    Set a ``name`` on the function: it must differ from every other plugin's recognizer (without
    it, ``__name__`` is the name). The hook's documentation also asks for ``supported_entities``;
    today the step reads the entities from the built recognizer instead, so nothing reads it
    from the factory. Neither is a member of this protocol, because a type checker cannot see
    attributes set on a function after it is defined.
    """

    def __call__(self) -> EntityRecognizer: ...


__all__ = [
    "ROLES",
    "BaseImporter",
    "Categorizer",
    "CategorizerFactory",
    "CategoryGuess",
    "ConfigError",
    "Conversation",
    "Corpus",
    "Decision",
    "Exporter",
    "ImportBatch",
    "ImportOptions",
    "Importer",
    "InputFile",
    "JsonRowsImporter",
    "PIIRecognizerFactory",
    "PairwiseDedup",
    "RecordBuilder",
    "RowError",
    "Sample",
    "SimilarPairs",
    "Step",
    "StepContext",
    "StepResult",
    "WorkbenchError",
    "hookimpl",
    "text_field",
]
