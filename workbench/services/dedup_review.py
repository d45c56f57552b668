"""Reviewing duplicate clusters: what the Dedup screen shows and the decisions it records.

The dedup steps are the project's registered pairwise dedup methods (built-in or a plugin's,
see workbench.steps.dedup.base): :func:`dedup_steps` lists them for the screen. The clusters are
computed on the rows as they reach the dedup step in the project's recipe (after validate,
exact_dedup, ...), with the same code the step runs, so the screen shows what an export will
drop. Pairs are found once; after each decision only the cheap clustering is redone. Every
decision is one committed transaction in the project store.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import ConfigError, WorkbenchError
from ..recipe import Recipe, StepSpec, protected_rows
from ..records import Decision, record_turns, turn_text
from ..steps.dedup.base import is_pairwise_dedup
from ..steps.dedup.clusters import (Cluster, Corpus, SimilarPairs, build_corpus, human_choices, resolve,
                                     same_group_only)
from .rows import rows_before, step_context

if TYPE_CHECKING:
    from .project import Project

CHEAP_STEPS = ("validate", "exact_dedup")  # what runs before a dedup step the recipe does not have yet


@dataclass
class ReviewSet:
    """The clusters of one dedup step, biggest first, with the rows they are made of."""

    step: Any
    in_recipe: bool
    corpus: Corpus
    pairs: SimilarPairs
    rows: dict[str, dict[str, Any]]  # member id -> record (messages, origin, category, source)
    clusters: list[Cluster] = field(default_factory=list)
    protected: dict[str, str] = field(default_factory=dict)  # rows people decided on elsewhere -> what they decided

    @property
    def reviewed(self) -> int:
        return sum(1 for c in self.clusters if c.chosen)

    def recluster(self, store) -> None:
        """Apply the standing decisions again (after the reviewer changed one)."""
        human = {(d.record_id, d.target): d for d in store.decisions.standing(self.step.name).values()}
        keep, drop = human_choices(human)
        # As in the export: a copy a person accepted or edited elsewhere survives unless chosen against.
        self.protected = protected_rows(store)
        clusters = resolve(self.corpus, self.pairs, self.step.threshold, self.step.policy, keep, drop,
                           protected=set(self.protected))
        first = {rid: i for i, rid in enumerate(self.corpus.ids)}
        self.clusters = sorted(clusters, key=lambda c: (-len(c.members), first[c.members[0]]))

    def index_of(self, record_id: str) -> int | None:
        for i, cluster in enumerate(self.clusters):
            if record_id in cluster.members:
                return i
        return None

    def next_unreviewed(self, start: int = 0) -> int | None:
        n = len(self.clusters)
        for k in range(n):
            i = (start + k) % n
            if not self.clusters[i].chosen:
                return i
        return None


# -- which dedup steps --------------------------------------------------------------------------
def _methods(project: Project) -> dict[str, type]:
    """The project's registered dedup methods by name, in registration order (built-ins first)."""
    try:
        steps = project.registry().steps
    except WorkbenchError:  # a broken plugins setting: the built-ins; finding clusters says what is wrong
        from ..steps import BUILTIN_STEPS

        steps = {s.name: s for s in BUILTIN_STEPS}
    return {name: cls for name, cls in steps.items() if is_pairwise_dedup(cls)}


def dedup_steps(project: Project) -> list[str]:
    """The dedup steps the Dedup tab offers: the recipe's, in recipe order, then every other
    registered dedup method (built-in or a plugin's) in registration order."""
    methods = _methods(project)
    try:
        recipe = project.recipe()
    except WorkbenchError:  # the tab still opens; finding clusters reports the problem
        recipe = Recipe()
    in_recipe = list(dict.fromkeys(s.name for s in recipe.steps if s.name in methods))
    return in_recipe + [name for name in methods if name not in in_recipe]


def opening_dedup_step(project: Project) -> str:
    """The step the Dedup tab shows first: the first listed one whose copies may differ (exact
    copies are the least worth a reviewer's time), else the first one."""
    methods = _methods(project)
    names = dedup_steps(project)
    return next((n for n in names if not methods[n].identical_only), names[0] if names else "near_dedup")


def next_dedup_step(project: Project, current: str) -> str:
    """The step after `current` in :func:`dedup_steps`, round the list."""
    names = dedup_steps(project)
    if current not in names:
        return names[0] if names else current
    return names[(names.index(current) + 1) % len(names)]


def review_set(project: Project, step_name: str = "near_dedup",
               progress: Callable[[str, int, int], None] | None = None,
               cancelled: Callable[[], bool] = lambda: False) -> ReviewSet:
    """Find the clusters of `step_name` in the project, as the recipe would see them."""
    if step_name in project.registry().steps and step_name not in _methods(project):
        raise ConfigError(f"step '{step_name}' is not a dedup step; the dedup steps are "
                          f"{', '.join(dedup_steps(project))}")
    # Not in the recipe yet: preview it with defaults after the cheap steps.
    records, spec, recipe = rows_before(project, step_name, progress=progress, cancelled=cancelled,
                                        absent=lambda specs: [s for s in specs if s.name in CHEAP_STEPS])
    step = project.registry().build_step(spec or StepSpec(step_name), recipe.source)
    ctx = step_context(project, step.name, progress=progress, cancelled=cancelled)
    corpus = build_corpus(records, step.fields, step.against, project.path)
    pairs = same_group_only(corpus, step.similar_pairs(corpus, ctx))
    in_pairs = set(pairs.a.tolist()) | set(pairs.b.tolist())
    member_ids = [corpus.ids[i] for i in sorted(in_pairs) if i < corpus.n_new]
    rows = {r["id"]: r for r in records.filter(pl.col("id").is_in(pl.Series(member_ids, dtype=pl.String).implode()))
            .select("id", "messages", "chosen", "rejected", "label", "kind", "origin", "category", "source_file",
                    "source_line").iter_rows(named=True)}
    result = ReviewSet(step, spec is not None, corpus, pairs, rows)
    result.recluster(project.store)
    return result


# -- outcomes ----------------------------------------------------------------------------------
OUTCOMES = ("accepted", "survivor changed", "not duplicates", "kept several", "undecided")


def cluster_outcome(cluster: Cluster) -> str:
    """What the reviewer decided for `cluster`, in words (one of OUTCOMES): "accepted" (the
    policy's survivor, as shown), "survivor changed" (another copy survives), "not duplicates"
    (every copy stays), "kept several" (some copies stay), "undecided" (nobody chose yet)."""
    if not cluster.chosen:
        return "undecided"
    own = [m for m in cluster.members if m not in cluster.existing]
    kept = [m for m in cluster.survivors if m not in cluster.existing]
    if len(own) > 1 and len(kept) == len(own):
        return "not duplicates"
    if len(kept) > 1:
        return "kept several"
    if not kept or kept[0] == cluster.policy_survivor:
        return "accepted"
    return "survivor changed"


# -- decisions ---------------------------------------------------------------------------------
def _commit(store, step: str, items: list[tuple[str, str]], rater: str | None) -> None:
    store.decisions.decide_many([Decision(rid, action, step=step, rater=rater) for rid, action in items])


def choose_survivor(store, step: str, cluster: Cluster, record_id: str, rater: str | None = None) -> None:
    """This copy survives, the others go: keep it, withdraw any other keep in the cluster."""
    items = [(rid, "revert") for rid in cluster.chosen if rid != record_id]
    if record_id not in cluster.chosen:
        items.append((record_id, "keep"))
    _commit(store, step, items or [(record_id, "keep")], rater)


def _shown_survivors(cluster: Cluster) -> list[str]:
    """The copies that survive as shown (policy or protected ones), minus the existing set's rows."""
    return [rid for rid in cluster.survivors if rid not in cluster.existing]


def toggle_keep(store, step: str, cluster: Cluster, record_id: str, rater: str | None = None) -> None:
    """Keep several: add this copy to the kept ones, or take it out again.

    Before any choice the survivors are the policy's; "keep this too" means keep them as well,
    so they are recorded with it (a lone keep would make this copy the only survivor).
    """
    if record_id in cluster.chosen:
        _commit(store, step, [(record_id, "revert")], rater)
        return
    also = [] if cluster.chosen else [(rid, "keep") for rid in _shown_survivors(cluster) if rid != record_id]
    _commit(store, step, [*also, (record_id, "keep")], rater)


def keep_all(store, step: str, cluster: Cluster, rater: str | None = None) -> None:
    """Not duplicates: every member stays."""
    items = [(rid, "keep") for rid in cluster.members if rid not in cluster.chosen and rid not in cluster.existing]
    if items:
        _commit(store, step, items, rater)


def accept_policy(store, step: str, cluster: Cluster, rater: str | None = None) -> None:
    """What is shown is right: record its survivors as the reviewer's choice."""
    if not cluster.chosen:
        _commit(store, step, [(rid, "keep") for rid in _shown_survivors(cluster) or [cluster.policy_survivor]],
                rater)


def reset(store, step: str, cluster: Cluster, rater: str | None = None) -> None:
    """Withdraw the reviewer's choices for this cluster: back to the policy."""
    if cluster.chosen:
        _commit(store, step, [(rid, "revert") for rid in cluster.chosen], rater)


# -- showing differences -----------------------------------------------------------------------
_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(text: str, reference: str) -> list[tuple[str, bool]]:
    """`text` cut into pieces, each marked True where it differs from `reference` (word level)."""
    tokens = _TOKENS.findall(text)
    ref_words = [t for t in _TOKENS.findall(reference) if not t.isspace()]
    words = [(i, t) for i, t in enumerate(tokens) if not t.isspace()]
    matcher = difflib.SequenceMatcher(None, [w for _, w in words], ref_words, autojunk=False)
    changed = [True] * len(words)
    for block in matcher.get_matching_blocks():
        for k in range(block.a, block.a + block.size):
            changed[k] = False
    flags = {i: c for (i, _), c in zip(words, changed)}
    pieces: list[tuple[str, bool]] = []
    for i, token in enumerate(tokens):
        flag = flags.get(i, False)
        if pieces and pieces[-1][1] == flag:
            pieces[-1] = (pieces[-1][0] + token, flag)
        else:
            pieces.append((token, flag))
    return pieces


def row_text(row: dict[str, Any]) -> str:
    """One record's turns as the Dedup screen shows them: role-labelled, blank line between; a
    preference pair's or KTO row's completions after the prompt ("chosen assistant: ..."), tool
    calls as name(arguments), a KTO label last."""
    parts = [f"{m['role'] if column == 'messages' else column + ' ' + m['role']}: {turn_text(m)}"
             for column, _, m in record_turns(row)]
    if row.get("label") is not None:
        parts.append(f"label: {'desirable' if row['label'] else 'undesirable'}")
    return "\n\n".join(parts)
