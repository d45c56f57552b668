"""Duplicate clusters, shared by every pairwise dedup method and by the Dedup screen.

A dedup step only finds *verified* similar pairs (similarity at or above its threshold) and can
measure the similarity of any two rows among them. This module turns those pairs into clusters
the same way for every step:

1. union-find over the verified pairs gives groups of rows;
2. each group gets its survivors: rows of the ``against`` set (never dropped), else the rows a
   reviewer marked "keep", else the one row the policy picks (``longest``, ``first``,
   ``human_first``);
3. a member is dropped only as a duplicate of a survivor it is itself similar to. Members that
   resemble other members but not the survivor (A~B, B~C, A≁C) are split off and clustered again
   among themselves, so a chain of small edits never deletes a row for resembling something it
   does not resemble.

The Dedup screen calls :func:`find_clusters`; the steps' ``run`` calls :func:`dedup_outcome`,
which uses the same clusters, so the screen and the export always agree.

A dedup step, for this module, is an object with ``name``, ``threshold``, ``policy``, ``fields``
(see :data:`TURNS`), ``against`` (a path or None) and a method
``similar_pairs(corpus, ctx) -> SimilarPairs``: a :class:`~.base.PairwiseDedup`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ...records import Decision, conversation_text, text_lengths
from .against import load_existing
from .kinds import TEXT_FIELDS, kind_groups, text_columns

# Which turns are compared; the same meanings as exact_dedup's `fields`.
TURNS: dict[str, tuple[str, ...] | None] = {"all": None, "user": ("user",), "user_system": ("system", "user")}
POLICIES = ("longest", "first", "human_first")
KEEP_ACTIONS = ("keep", "accept")
DROP_ACTIONS = ("drop", "reject")


@dataclass(frozen=True)
class Cluster:
    """One group of duplicates as the export will treat it.

    - ``id``: the smallest member id; stable while the cluster keeps the same members.
    - ``members``: record ids in input order, then rows of the ``against`` set.
    - ``survivors``: the rows that stay: the ``against`` rows in the cluster, else the reviewer's
      "keep"s, else ``(policy_survivor,)``. Several survivors mean "keep several"; a cluster where
      every member is a survivor is one the reviewer declared "not duplicates".
    - ``policy_survivor``: the row the policy keeps when no reviewer has chosen (an ``against``
      row when the cluster has one).
    - ``chosen``: the members a reviewer marked "keep" (empty when nobody chose).
    - ``existing``: members that come from the ``against`` set; they are never dropped.
    - ``duplicate_of``: each dropped member -> the survivor it duplicates.
    - ``similarity``: each member -> its similarity to the survivor it was compared with (its
      ``duplicate_of`` for dropped rows, ``survivors[0]`` for survivors; 1.0 for that one).
    """

    id: str
    members: tuple[str, ...]
    survivors: tuple[str, ...]
    policy_survivor: str
    chosen: tuple[str, ...]
    existing: tuple[str, ...]
    duplicate_of: dict[str, str]
    similarity: dict[str, float]

    @property
    def dropped(self) -> tuple[str, ...]:
        """Members the export drops, in member order."""
        return tuple(m for m in self.members if m in self.duplicate_of)


@dataclass
class ClusterResult:
    clusters: list[Cluster]
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class Corpus:
    """What is compared: the step's records (rows [0, n_new)), then rows of the `against` set."""

    ids: list[str]
    texts: pl.Series  # the compared turns of each row, joined by newlines
    lengths: np.ndarray  # characters in the whole conversation (the `longest` policy)
    origins: list[str | None]
    n_new: int
    # Each row's whole conversation (a list of {role, content}), for a method that compares more
    # than the joined text of the compared turns; None where the caller built the corpus without it.
    messages: pl.Series | None = None
    # Every row's text columns (messages, chosen, rejected, label), for a method that reads whole
    # records (exact_dedup: a preference pair's completions, a KTO row's label); None where not built.
    columns: pl.DataFrame | None = None
    # Rows may only be duplicates of rows of the same group (see kind_groups); None: all rows sft.
    groups: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class SimilarPairs:
    """A step's verified pairs (corpus rows a[i], b[i], similarity >= threshold), and a way to
    measure any other pair among the rows that occur in them."""

    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray
    measure: Callable[[np.ndarray, np.ndarray], np.ndarray]
    stats: dict[str, Any] = field(default_factory=dict)


def build_corpus(records: pl.DataFrame, fields: str, against: str | None = None,
                 base_dir: Any = None) -> Corpus:
    """The records plus, when `against` names an existing dataset, its rows after them."""
    roles = TURNS[fields]
    ids = records.get_column("id").to_list()
    texts = conversation_text(records, roles)
    lengths = text_lengths(records).to_numpy()
    origins = records.get_column("origin").to_list()
    messages = records.get_column("messages")
    columns = records.select([c for c in TEXT_FIELDS if c in records.columns])
    groups = kind_groups(records)
    n_new = len(ids)
    if against:
        existing = load_existing(against, base_dir)
        ids += existing.get_column("id").to_list()
        texts = pl.concat([texts, conversation_text(existing, roles)])
        lengths = np.concatenate([lengths, np.zeros(existing.height, dtype=lengths.dtype)])
        origins += [None] * existing.height
        messages = pl.concat([messages, existing.get_column("messages").cast(messages.dtype)])
        columns = pl.concat([columns, text_columns(existing, columns)])
        old_groups = kind_groups(existing)
        if groups is not None or old_groups is not None:
            def as_groups(frame: pl.DataFrame, found: pl.Series | None) -> pl.Series:
                return found if found is not None else pl.Series(["sft"] * frame.height, dtype=pl.String)

            groups = pl.concat([as_groups(records, groups), as_groups(existing, old_groups)])
    group_codes = None if groups is None else groups.rank("dense").to_numpy().astype(np.int64)
    return Corpus(ids, texts, lengths.astype(np.int64), origins, n_new, messages, columns, group_codes)


def same_group_only(corpus: Corpus, pairs: SimilarPairs) -> SimilarPairs:
    """The pairs between rows of one group (see kind_groups), and a measure that gives 0 across."""
    groups = corpus.groups
    if groups is None:
        return pairs
    keep = groups[pairs.a] == groups[pairs.b]
    measure = pairs.measure

    def within(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(groups[a] == groups[b], measure(a, b), 0.0)

    stats = dict(pairs.stats)
    if not keep.all():
        stats["pairs_across_kinds"] = int((~keep).sum())
    return SimilarPairs(pairs.a[keep], pairs.b[keep], pairs.similarity[keep], within, stats)


def human_choices(human: dict) -> tuple[set[str], set[str]]:
    """Record ids a reviewer marked keep, and those marked drop, from ctx.human."""
    keep = {rid for (rid, target), d in human.items() if not target and d.action in KEEP_ACTIONS}
    drop = {rid for (rid, target), d in human.items() if not target and d.action in DROP_ACTIONS}
    return keep, drop


def cluster_records(step: Any, records: pl.DataFrame, ctx: Any) -> ClusterResult:
    """Clusters of `records` for a dedup step, honouring the reviewer's choices in ctx.human."""
    corpus = build_corpus(records, step.fields, step.against, getattr(ctx, "project_dir", None))
    pairs = same_group_only(corpus, step.similar_pairs(corpus, ctx))
    keep, drop = human_choices(getattr(ctx, "human", {}) or {})
    clusters = resolve(corpus, pairs, step.threshold, step.policy, keep, drop,
                       protected=set(getattr(ctx, "protected", None) or ()))
    stats = dict(pairs.stats)
    stats.update({
        "clusters": len(clusters),
        "duplicates": sum(len(c.duplicate_of) for c in clusters),
        "verified_pairs": int(len(pairs.a)),
    })
    if corpus.n_new < len(corpus):
        stats["against_rows"] = len(corpus) - corpus.n_new
    return ClusterResult(clusters, stats)


def find_clusters(step: Any, records: pl.DataFrame, ctx: Any) -> list[Cluster]:
    """List the duplicate clusters a dedup step sees in `records`, without dropping anything.

    - `step`: a configured pairwise dedup method (``NearDedup``, ``SemanticDedup``, a plugin's), e.g.
      ``registry.build_step(spec)`` for the recipe's step spec.
    - `records`: the rows as they reach that step in the recipe (after the steps before it, e.g.
      validate and exact_dedup); other input gives other clusters than the export.
    - `ctx`: a ``StepContext(step=step.name, human=..., project_dir=project,
      cache_dir=project / ".workbench" / "cache", progress=..., cancelled=...)`` where ``human``
      is ``{(d.record_id, d.target): d for d in store.decisions.standing(step.name).values()}``. The same
      cache_dir as the export lets semantic_dedup reuse its embeddings; ``progress`` receives
      (label, done, total) and ``cancelled`` returning True raises ``Cancelled``.

    Clusters come in input order of their first member; see :class:`Cluster` for the fields. To
    let a reviewer choose, record ``store.decisions.decide(step.name, record_id, "keep")`` for each member
    to keep ("keep" on every member means "not duplicates"; "revert" withdraws it) and call this
    again. The step's ``run`` uses this same function, so an export drops exactly
    ``cluster.dropped`` of every cluster, each as a duplicate of ``cluster.duplicate_of[id]``.
    """
    return cluster_records(step, records, ctx).clusters


def dedup_outcome(step: Any, records: pl.DataFrame, ctx: Any,
                  reason: str) -> tuple[pl.DataFrame, list[Decision], dict[str, Any]]:
    """(kept records, drop decisions, stats) for a dedup step's run()."""
    result = cluster_records(step, records, ctx)
    position = {rid: i for i, rid in enumerate(records.get_column("id").to_list())}
    drops = []
    for cluster in result.clusters:
        for rid, survivor in cluster.duplicate_of.items():
            detail = {"duplicate_of": survivor, "similarity": round(cluster.similarity[rid], 4),
                      "cluster": cluster.id}
            drops.append((position[rid], Decision(rid, "drop", reason, detail, step=step.name)))
    drops.sort(key=lambda item: item[0])
    decisions = [d for _, d in drops]
    dropped = [d.record_id for d in decisions]
    kept = records.filter(~pl.col("id").is_in(pl.Series(dropped, dtype=pl.String).implode())) if dropped else records
    return kept, decisions, result.stats


class UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index becomes the root, so groups do not depend on edge order.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def _policy_key(corpus: Corpus, policy: str) -> Callable[[int], tuple]:
    if policy == "first":
        return lambda m: (m,)
    if policy == "longest":
        return lambda m: (-int(corpus.lengths[m]), m)
    if policy == "human_first":
        rank = {"human": 0, "synthetic": 2}
        return lambda m: (rank.get(corpus.origins[m], 1), m)
    raise ValueError(f"unknown survivor policy {policy!r}; expected one of {', '.join(POLICIES)}")


def _components(rows: Iterable[int], neighbours: dict[int, list[int]]) -> list[list[int]]:
    """Connected groups of `rows` using only pairs between rows of that set."""
    left = set(rows)
    groups = []
    for start in sorted(left):
        if start not in left:
            continue
        left.discard(start)
        group, stack = [start], [start]
        while stack:
            for nb in neighbours[stack.pop()]:
                if nb in left:
                    left.discard(nb)
                    group.append(nb)
                    stack.append(nb)
        groups.append(sorted(group))
    return groups


def resolve(corpus: Corpus, pairs: SimilarPairs, threshold: float, policy: str,
            keep: set[str] = frozenset(), drop: set[str] = frozenset(),
            protected: set[str] = frozenset()) -> list[Cluster]:
    """Clusters from verified pairs: survivors first, then each member against its survivor.

    Rows a person decided on in another step (`protected`) survive where this step's reviewer
    has not chosen, so a cluster keeps every accepted or edited copy.
    """
    key = _policy_key(corpus, policy)
    ids = corpus.ids
    a_list, b_list = pairs.a.tolist(), pairs.b.tolist()
    known: dict[tuple[int, int], float] = {}
    neighbours: dict[int, list[int]] = defaultdict(list)
    uf = UnionFind(len(corpus))
    for a, b, s in zip(a_list, b_list, pairs.similarity.tolist()):
        known[(a, b) if a < b else (b, a)] = s
        neighbours[a].append(b)
        neighbours[b].append(a)
        uf.union(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for node in sorted(neighbours):
        groups[uf.find(node)].append(node)

    def fixed(m: int) -> bool:
        return m >= corpus.n_new or ids[m] in keep

    def pick(members: list[int]) -> int:
        eligible = [m for m in members if ids[m] not in drop] or members
        return min(eligible, key=key)

    clusters: list[tuple[int, Cluster]] = []
    pending = list(groups.values())
    while pending:
        plans = []
        wanted: list[tuple[int, int]] = []
        for members in pending:
            survivors = [m for m in members if fixed(m)]
            if not any(ids[m] in keep for m in members):
                survivors = sorted(survivors + [m for m in members if m < corpus.n_new and ids[m] in protected
                                                and ids[m] not in drop])
            survivors = survivors or [pick(members)]
            others = [m for m in members if m not in survivors]
            wanted += [(m, s) for m in others for s in survivors]
            wanted += [(s, survivors[0]) for s in survivors[1:]]
            plans.append((members, survivors, others))
        sim = _measure(wanted, known, pairs.measure)
        pending = []
        for members, survivors, others in plans:
            assigned: dict[int, tuple[int, float]] = {}
            rest = []
            for m in others:
                best = None
                for s in survivors:
                    value = sim[(m, s) if m < s else (s, m)]
                    if value >= threshold and (best is None or value > best[1]):
                        best = (s, value)
                if best is None:
                    rest.append(m)
                else:
                    assigned[m] = best
            if assigned or len(survivors) > 1:
                clusters.append((min(survivors + list(assigned)),
                                 _cluster(corpus, survivors, assigned, sim, pick, keep)))
            pending += [g for g in _components(rest, neighbours) if len(g) > 1]
    clusters.sort(key=lambda item: item[0])
    return [c for _, c in clusters]


def _measure(wanted: list[tuple[int, int]], known: dict[tuple[int, int], float],
             measure: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> dict[tuple[int, int], float]:
    """Similarities for the wanted pairs: known ones from the verified pairs, the rest measured."""
    missing = sorted({(a, b) if a < b else (b, a) for a, b in wanted} - known.keys())
    if missing:
        arr = np.array(missing, dtype=np.int64)
        values = measure(arr[:, 0], arr[:, 1])
        known.update(zip(missing, (float(v) for v in values)))
    return known


def _cluster(corpus: Corpus, survivors: list[int], assigned: dict[int, tuple[int, float]],
             sim: dict[tuple[int, int], float], pick: Callable[[list[int]], int],
             keep: set[str]) -> Cluster:
    ids = corpus.ids
    members = sorted(survivors + list(assigned))
    existing = [m for m in members if m >= corpus.n_new]
    first = survivors[0]
    similarity = {ids[first]: 1.0}
    for s in survivors[1:]:
        similarity[ids[s]] = sim[(s, first) if s < first else (first, s)]
    for m, (_, value) in assigned.items():
        similarity[ids[m]] = value
    return Cluster(
        id=min(ids[m] for m in members),
        members=tuple(ids[m] for m in members),
        survivors=tuple(ids[s] for s in sorted(survivors)),
        policy_survivor=ids[existing[0]] if existing else ids[pick(members)],
        chosen=tuple(ids[m] for m in members if m < corpus.n_new and ids[m] in keep),
        existing=tuple(ids[m] for m in existing),
        duplicate_of={ids[m]: ids[s] for m, (s, _) in sorted(assigned.items())},
        similarity={ids[m]: similarity[ids[m]] for m in members},
    )
