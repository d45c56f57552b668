"""What a dedup method is: a step that finds similar pairs; the clustering and drops are shared.

A method finds the *pairs* of rows it holds to be duplicates (with a similarity from 0 to 1, at
or above its threshold) and can measure any other pair among their rows. Everything else is the
same for every method (workbench.steps.dedup.clusters): union-find over the pairs, which copy
survives (the against set, else the reviewer's "keep", else the policy), no chains, the drop
decisions of an export, and the Dedup tab where a reviewer chooses the survivor. The tab lists
every registered step class that is a :class:`PairwiseDedup`, so a method needs no screen code.

Adding one (see near.py and semantic.py, or a plugin built only from workbench.api)::

    @dataclass
    class SamePrefix(PairwiseDedup):
        name: ClassVar[str] = "prefix_dedup"
        description: ClassVar[str] = "rows whose compared turns start alike"
        reason: ClassVar[str] = "same_prefix"      # the reason of its drops in removed.jsonl

        chars: int = 40                              # its own parameters, as for any step
        fields: Literal["all", "user", "user_system"] = "user"
        policy: Literal["longest", "first", "human_first"] = "first"

        def similar_pairs(self, corpus: Corpus, ctx: StepContext) -> SimilarPairs: ...

then register the class: a line in BUILTIN_STEPS (workbench/steps/__init__.py), or a plugin's
``register_steps`` hook. ``fields``, ``threshold``, ``policy`` and ``against`` are read by the
shared code; declare them as dataclass fields to make them recipe parameters, or leave them out
to use the class defaults below (then they are not parameters).
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from ..base import Step, StepContext, StepResult
from .clusters import POLICIES, TURNS, Corpus, SimilarPairs, dedup_outcome


class PairwiseDedup(Step):
    """A dedup method: ``similar_pairs(corpus, ctx)``; ``run`` turns the pairs into clusters and drops.

    - ``similar_pairs(corpus, ctx) -> SimilarPairs``: the pairs of corpus rows (``a[i] < b[i]``
      is not required; each pair once) whose similarity is at or above ``threshold``, their
      similarities, and ``measure(a, b)`` giving the similarity of any other pair of rows that
      occur in them (the clustering asks it whether a member resembles the survivor). Rows from
      ``corpus.n_new`` on belong to the ``against`` set: leave out pairs between two of those.
      Report progress and honour cancel with ``ctx.report(done, total, label)``.
    - ``fields``: which turns make ``corpus.texts`` ("all", "user", "user_system").
    - ``threshold``: the similarity from which two rows are duplicates (above 0, at most 1).
    - ``policy``: which copy survives when no reviewer chose ("longest", "first", "human_first").
    - ``against``: an export folder, JSONL file or snapshot .parquet whose rows are compared too
      and never dropped, or None.
    - ``reason``: the reason of this method's drop decisions (``detail`` holds ``duplicate_of``,
      ``similarity`` and ``cluster``).
    - ``identical_only``: its clusters only ever hold copies that are the same text (exact_dedup);
      the Dedup tab opens on another method when the project has one.
    """

    reason: ClassVar[str] = "duplicate"
    identical_only: ClassVar[bool] = False

    # Read by the shared clustering; a method's dataclass fields of these names override them.
    fields: str = "all"
    threshold: float = 1.0
    policy: str = "longest"
    against: str | None = None

    def check(self) -> None:
        """Refuse parameters the shared clustering cannot use (a subclass adds its own checks)."""
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be above 0 and at most 1, got {self.threshold}")
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}")
        if self.fields not in TURNS:
            raise ValueError(f"fields must be one of {', '.join(TURNS)}, got {self.fields!r}")

    def similar_pairs(self, corpus: Corpus, ctx: StepContext) -> SimilarPairs:  # pragma: no cover
        raise NotImplementedError

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        self.check()
        return StepResult(*dedup_outcome(self, records, ctx, self.reason))


def is_pairwise_dedup(step_class: Any) -> bool:
    """Whether a registered step class is a dedup method (the Dedup tab offers it)."""
    return isinstance(step_class, type) and issubclass(step_class, PairwiseDedup) and step_class is not PairwiseDedup
