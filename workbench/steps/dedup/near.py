"""near_dedup: drop rows whose shingle sets overlap a kept row's by Jaccard >= threshold (MinHash LSH)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..base import StepContext
from .base import PairwiseDedup
from .clusters import Corpus, SimilarPairs
from .minhash import DEFAULT_NGRAM, near_duplicates


@dataclass
class NearDedup(PairwiseDedup):
    """Near duplicates by MinHash LSH, each candidate pair verified by its exact Jaccard.

    The survivor of a cluster is the reviewer's "keep" when there is one, else the policy's pick;
    a row is dropped only as a duplicate of a survivor it resembles itself (no chains). Use
    ``workbench.steps.dedup.find_clusters(step, records, ctx)`` to list the clusters without dropping.
    """

    name: ClassVar[str] = "near_dedup"
    description: ClassVar[str] = "near duplicates: MinHash LSH over word or character shingles, verified by Jaccard"
    reason: ClassVar[str] = "near_duplicate"

    threshold: float = 0.8  # Jaccard of the shingle sets
    num_perm: int = 128  # MinHash permutations
    ngram: int | None = None  # shingle size: 5 words, or 5 characters with shingle = "char"
    shingle: Literal["word", "char"] = "word"  # "char" suits short texts
    fields: Literal["all", "user", "user_system"] = "all"  # which turns are compared
    policy: Literal["longest", "first", "human_first"] = "longest"  # who survives without a reviewer
    against: str | None = None  # an export folder, JSONL or snapshot .parquet to dedup against

    def check(self) -> None:
        super().check()
        if not 16 <= self.num_perm <= 1024:
            raise ValueError(f"num_perm must be from 16 to 1024, got {self.num_perm}")
        if self.ngram is not None and not 1 <= self.ngram <= 64:
            raise ValueError(f"ngram must be from 1 to 64, got {self.ngram}")

    @property
    def shingle_size(self) -> int:
        return self.ngram if self.ngram is not None else DEFAULT_NGRAM[self.shingle]

    def similar_pairs(self, corpus: Corpus, ctx: StepContext) -> SimilarPairs:
        """Verified pairs of the corpus with Jaccard >= threshold (the clusters' input)."""
        found = near_duplicates(
            corpus.texts,
            threshold=self.threshold,
            num_perm=self.num_perm,
            ngram=self.shingle_size,
            shingle=self.shingle,
            existing_from=corpus.n_new if corpus.n_new < len(corpus) else None,
            report=lambda done, total, what: ctx.report(done, total, f"{self.name}: {what}"),
        )
        return SimilarPairs(found.a, found.b, found.similarity, found.measure, found.stats)
