"""Batches without padding waste: packed sequences, or rows of similar length batched together.

Packing puts several conversations into one sequence of at most max_seq_len tokens (best-fit
decreasing, so no conversation is split) and restarts the position ids at each one. transformers
reads restarting position ids without an attention mask as packed sequences and builds a
block-diagonal causal mask, so a conversation never attends to its neighbours.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from typing import Any

from .data import IGNORE, Encoded


@dataclass
class Batch:
    """One forward pass worth of examples (indices into the encoded list) and how to lay them out."""

    rows: list[list[int]]  # each inner list is one sequence: one example, or several when packed
    packed: bool

    def tokens(self, examples: list[Encoded]) -> int:
        return sum(len(examples[i]) for row in self.rows for i in row)


def pack(lengths: list[int], capacity: int) -> list[list[int]]:
    """Best-fit decreasing: example indices grouped into bins of at most `capacity` tokens.

    The free room of the open bins is kept sorted, so each example finds the fullest bin it still
    fits in by bisection: O(n log n) for a million rows, where a scan of every bin would be O(n^2).
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    bins: list[list[int]] = []
    rooms: list[tuple[int, int]] = []  # (free tokens, bin index), sorted
    for i in order:
        n = min(lengths[i], capacity)
        k = bisect.bisect_left(rooms, (n, -1))
        if k < len(rooms):
            free, b = rooms.pop(k)
            bins[b].append(i)
            free -= n
        else:
            b, free = len(bins), capacity - n
            bins.append([i])
        if free > 0:
            bisect.insort(rooms, (free, b))
    return bins


def epoch_batches(lengths: list[int], batch_size: int, seed: int, *, packing: bool, group_by_length: bool,
                  capacity: int) -> list[Batch]:
    """The batches of one epoch, in a seeded order (the same seed gives the same batches)."""
    rng = random.Random(seed)
    if packing:
        bins = pack(lengths, capacity)
        rng.shuffle(bins)
        # Sequences of similar packed length together, so the last bins do not pad the full ones.
        return _group(bins, [sum(lengths[i] for i in b) for b in bins], batch_size, rng, packed=True)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not group_by_length:
        return [Batch([[i] for i in order[s:s + batch_size]], False) for s in range(0, len(order), batch_size)]
    return _group([[i] for i in order], [lengths[i] for i in order], batch_size, rng, packed=False)


def _group(rows: list[list[int]], sizes: list[int], batch_size: int, rng: random.Random, packed: bool) -> list[Batch]:
    """Sort within mega-batches of 50 batches, cut into batches, shuffle the batches.

    The same idea as transformers' LengthGroupedSampler: nearly no padding, and still a
    different mix of rows in every epoch.
    """
    mega = batch_size * 50
    batches = []
    for s in range(0, len(rows), mega):
        chunk = sorted(range(s, min(s + mega, len(rows))), key=lambda i: -sizes[i])
        for b in range(0, len(chunk), batch_size):
            batches.append(Batch([rows[i] for i in chunk[b:b + batch_size]], packed))
    rng.shuffle(batches)
    return batches


def eval_batches(lengths: list[int], batch_size: int) -> list[Batch]:
    """Holdout batches sorted by length (order does not matter for a mean loss)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [Batch([[i] for i in order[s:s + batch_size]], False) for s in range(0, len(order), batch_size)]


def collate(batch: Batch, examples: list[Encoded], pad_id: int) -> dict[str, Any]:
    """Tensors for one batch: padded to its longest sequence, labels -100 on padding."""
    import torch

    seqs_ids, seqs_labels, seqs_pos = [], [], []
    for row in batch.rows:
        ids: list[int] = []
        labels: list[int] = []
        pos: list[int] = []
        for i in row:
            ex = examples[i]
            ids += ex.input_ids
            # The first token of each packed example must not be predicted from its neighbour.
            labels += [IGNORE] + ex.labels[1:]
            pos += range(len(ex))
        seqs_ids.append(ids)
        seqs_labels.append(labels)
        seqs_pos.append(pos)
    width = max(len(s) for s in seqs_ids)
    input_ids = torch.full((len(seqs_ids), width), pad_id, dtype=torch.long)
    labels_t = torch.full((len(seqs_ids), width), IGNORE, dtype=torch.long)
    out: dict[str, Any] = {"input_ids": input_ids, "labels": labels_t}
    if batch.packed:
        # Padding continues as its own short "sequence" (positions from 0), so no real token sees it.
        position_ids = torch.zeros((len(seqs_ids), width), dtype=torch.long)
        for r, (ids, labels, pos) in enumerate(zip(seqs_ids, seqs_labels, seqs_pos)):
            n = len(ids)
            input_ids[r, :n] = torch.tensor(ids)
            labels_t[r, :n] = torch.tensor(labels)
            position_ids[r, :n] = torch.tensor(pos)
            position_ids[r, n:] = torch.arange(width - n)
        out["position_ids"] = position_ids
    else:
        attention_mask = torch.zeros((len(seqs_ids), width), dtype=torch.long)
        for r, (ids, labels) in enumerate(zip(seqs_ids, seqs_labels)):
            n = len(ids)
            input_ids[r, :n] = torch.tensor(ids)
            labels_t[r, :n] = torch.tensor(labels)
            attention_mask[r, :n] = 1
        out["attention_mask"] = attention_mask
    return out
