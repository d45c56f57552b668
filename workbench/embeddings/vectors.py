"""Sentence embeddings of records for categorize, balance and the Review screen.

A thin layer over the semantic-dedup helpers (workbench.embeddings.encoder): the same packaged
MiniLM, the same on-disk cache under ``.workbench/cache/embeddings/<model>/`` keyed by record id
and a hash of the embedded text. Rows embedded once (by any of these steps, or by semantic_dedup
with the same ``fields``) are never encoded again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from ..errors import ConfigError
from ..records import conversation_text
from .encoder import PACKAGED_MODEL

# Which turns are embedded; the meanings of exact_dedup's and semantic_dedup's `fields`.
TURNS: dict[str, tuple[str, ...] | None] = {"all": None, "user": ("user",), "user_system": ("system", "user")}

__all__ = ["PACKAGED_MODEL", "TURNS", "record_texts", "cache_keys", "embedding_cache", "record_vectors"]


def record_texts(records: pl.DataFrame, fields: str) -> list[str]:
    return conversation_text(records, TURNS[fields]).fill_null("").to_list()


def cache_keys(records: pl.DataFrame, texts: list[str]) -> list[str]:
    from . import encoder as embeddings

    return embeddings.text_keys(records.get_column("id").to_list(), texts)


def _resolve(model: str, project_dir: Any, step: str) -> tuple[str, str]:
    from . import encoder as embeddings

    try:
        return embeddings.resolve_model(model, project_dir)
    except ConfigError as e:  # its messages name semantic_dedup; say which step needs the model
        raise ConfigError(str(e).replace("semantic_dedup", step)) from None


def embedding_cache(model: str, cache_dir: Any, project_dir: Any = None, step: str = "embeddings"):
    """The EmbeddingCache semantic_dedup uses for `model`, or None without a cache folder."""
    from . import encoder as embeddings

    if cache_dir is None:
        return None
    _, slug = _resolve(model, project_dir, step)
    return embeddings.EmbeddingCache(cache_dir / "embeddings" / slug)


def record_vectors(records: pl.DataFrame, *, model: str = PACKAGED_MODEL, fields: str = "user",
                   batch_size: int = 32, cache_dir: Any = None, project_dir: Any = None,
                   step: str = "embeddings",
                   report: Callable[[int, int], None] = lambda done, total: None) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per record, from the cache where possible."""
    from . import encoder as embeddings

    if records.height == 0:
        return np.empty((0, 0), dtype=np.float32)
    path, _ = _resolve(model, project_dir, step)
    cache = embedding_cache(model, cache_dir, project_dir, step)
    texts = record_texts(records, fields)

    def load():
        try:
            return embeddings.load_encoder(path, False)
        except ConfigError as e:
            raise ConfigError(str(e).replace("semantic_dedup", step)) from None

    vectors, _ = embeddings.embed(texts, cache_keys(records, texts), load, batch_size=batch_size,
                                  cache=cache, report=report)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def step_vectors(step: Any, records: pl.DataFrame, ctx: Any, label: str = "encoding") -> np.ndarray:
    """record_vectors with a step's model / fields / batch_size and its context's cache and progress."""
    return record_vectors(
        records, model=step.model, fields=step.fields, batch_size=step.batch_size,
        cache_dir=ctx.cache_dir, project_dir=ctx.project_dir, step=step.name,
        report=lambda done, total: ctx.report(done, total, f"{step.name}: {label}"))
