"""The Dedup tab: duplicate clusters biggest first, members side by side with the differing
words highlighted; the reviewer chooses which copy survives, one key per decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...errors import Cancelled, WorkbenchError
from ...services import dedup_review as review
from .base import ProjectTab

COLUMNS = 3  # members shown side by side; the survivor is always the first column
OUTCOME_STYLES = {"accepted": "green", "survivor changed": "bold green", "not duplicates": "cyan",
                  "kept several": "cyan", "undecided": "yellow"}


@dataclass
class ClustersFound(Message):
    """The clusters of a dedup step were computed (or recomputed after a decision)."""

    reviews: review.ReviewSet


@dataclass
class ClusterSearchFailed(Message):
    problem: str
    cancelled: bool = False


@dataclass
class ClusterSearchProgressed(Message):
    label: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ClusterSearchProgressed)


class MemberPanel(VerticalScroll):
    """One copy in the cluster: its fate, similarity, source and the text with differences marked."""

    def show(self, row: dict, role: str, similarity: float, diff_against: str | None,
             focused: bool, position: str, decided: str | None = None) -> None:
        marks = {"survivor": ("★ survives", "bold green"), "kept": ("✓ kept too", "green"),
                 "dropped": ("✗ dropped", "red"), "existing": ("● already exported", "cyan")}
        mark, style = marks[role]
        head = Text.assemble(("▶ selected  ", "bold reverse") if focused else "", (mark, style),
                             f"  {position}  similarity {similarity:.2f}\n", style="")
        head.append(f"{row['id']}  {row.get('origin') or ''}  {row.get('category') or '(no category)'}\n",
                    style="dim")
        head.append(f"{row['source_file']}:{row['source_line']}\n", style="dim")
        if decided:  # survives unless the reviewer here chooses another copy
            head.append(f"{decided}\n", style="bold yellow")
        head.append("\n")
        body = Text()
        text = review.row_text(row)
        if diff_against is None:
            body.append(text)
        else:
            for piece, changed in review.word_diff(text, diff_against):
                body.append(piece, style="bold black on yellow" if changed else "")
        self.query_one(Static).update(head + body)
        self.set_class(focused, "focused-member")
        self.scroll_home(animate=False)

    def compose(self):
        yield Static()


class DedupTab(ProjectTab):
    TAB_ID = "dedup"
    JUDGES_ITEMS = True
    TITLE = "Dedup"

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the cluster list (focused) binds enter too, which would hide this from the footer
        Binding("enter", "accept", "Accept", priority=True,
                tooltip="Accept what is shown: the copy that survives stays, the dropped ones go"),
        Binding("s", "survivor", "Survives", tooltip="The selected copy survives; the others are dropped"),
        Binding("k", "keep", "Keep too", tooltip="Keep the selected copy as well (keep several); again: undo"),
        Binding("a", "keep_all", "Not duplicates", tooltip="Not duplicates: every copy in the cluster stays"),
        Binding("u", "undo", "Undo", tooltip="Withdraw your choice for this cluster (back to the policy)"),
        Binding("left,h", "member(-1)", "Prev copy", key_display="←", tooltip="Select the previous copy"),
        Binding("right,l", "member(1)", "Next copy", key_display="→", tooltip="Select the next copy"),
        Binding("n", "cluster(1)", "Next", tooltip="Next cluster"),
        Binding("p", "cluster(-1)", "Prev", tooltip="Previous cluster"),
        Binding("t", "switch_step", "Step",
                tooltip="Switch the dedup method (near, exact, semantic duplicates, a plugin's)"),
        Binding("f", "find", "Find again", show=False, tooltip="Find the clusters again"),
        Binding("escape", "cancel", "Cancel", tooltip="Stop finding clusters"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.reviews: review.ReviewSet | None = None
        self.current = 0  # index into reviews.clusters
        self.member = 0  # focused member index within the current cluster's display order
        self.step_name = ""  # the dedup step shown; the first search picks it
        self.started = False
        self.finding = False  # a search for clusters is running: esc stops it

    def compose(self):
        with Horizontal(id="dedup-top"):
            yield Label("", id="dedup-status")
            yield ProgressBar(id="dedup-progress", show_eta=False)
        with Horizontal(id="dedup-body"):
            yield OptionList(id="cluster-list")
            with Vertical(id="cluster-view"):
                yield Label("", id="cluster-title")
                with Horizontal(id="members"):
                    for i in range(COLUMNS):
                        yield MemberPanel(id=f"member-{i}", classes="member")

    def on_show(self) -> None:
        if not self.started:
            self.started = True
            self.action_find()

    def focus_default(self) -> None:
        self.query_one("#cluster-list", OptionList).focus()

    # -- finding clusters ---------------------------------------------------------------------
    def action_find(self) -> None:
        if not self.step_name:
            self.step_name = review.opening_dedup_step(self.project)
        self.query_one("#dedup-progress", ProgressBar).display = True
        self._status(f"finding {self.step_name} clusters…")
        self._finding(True)
        self.find_clusters()

    def _finding(self, running: bool) -> None:
        self.finding = running
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.finding if action == "cancel" else True

    @work(thread=True, exclusive=True, group="dedup", exit_on_error=False)
    def find_clusters(self) -> None:
        worker = get_current_worker()
        try:
            result = review.review_set(
                self.project, self.step_name,
                progress=lambda label, done, total: self.post_message(ClusterSearchProgressed(label, done, total)),
                cancelled=lambda: worker.is_cancelled,
            )
        except Cancelled:
            self.post_message(ClusterSearchFailed("cancelled", cancelled=True))
            return
        except WorkbenchError as e:
            self.post_message(ClusterSearchFailed(str(e)))
            return
        self.post_message(ClustersFound(result))

    def on_cluster_search_progressed(self, event: ClusterSearchProgressed) -> None:
        bar = self.query_one("#dedup-progress", ProgressBar)
        bar.update(total=max(event.total, 1), progress=event.done)
        self._status(f"{event.label} {event.done:,}/{event.total:,}")

    def on_cluster_search_failed(self, event: ClusterSearchFailed) -> None:
        self._finding(False)
        self.query_one("#dedup-progress", ProgressBar).display = False
        self._status("search cancelled; f to find again" if event.cancelled else event.problem)
        if not event.cancelled:
            self.notify(Text(event.problem), severity="error", title="Dedup")

    def on_clusters_found(self, event: ClustersFound) -> None:
        self._finding(False)
        self.query_one("#dedup-progress", ProgressBar).display = False
        self.reviews = event.reviews
        start = self.reviews.next_unreviewed(0)  # resume where the reviewer stopped
        self.current = start if start is not None else 0
        self.member = 0
        self._refresh_list()
        self._show()

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "dedup")

    def action_switch_step(self) -> None:
        self.step_name = review.next_dedup_step(self.project, self.step_name)
        self.started = True
        self.action_find()

    # -- showing ------------------------------------------------------------------------------
    def _status(self, text: str) -> None:
        self.query_one("#dedup-status", Label).update(Text(text))

    def _summary(self) -> str:
        r = self.reviews
        if r is None:
            return ""
        note = "" if r.in_recipe else "  (not in the recipe yet: decisions apply once it is added)"
        dropped = sum(len(c.dropped) for c in r.clusters)
        return (f"{r.step.name}: {len(r.clusters):,} clusters, {dropped:,} rows would be dropped · "
                f"reviewed {r.reviewed:,}/{len(r.clusters):,}{note}")

    def _refresh_list(self) -> None:
        options = self.query_one("#cluster-list", OptionList)
        options.clear_options()
        if self.reviews is None:
            return
        for i, cluster in enumerate(self.reviews.clusters):
            first = self.reviews.rows.get(cluster.members[0])
            preview = ""
            if first is not None:
                user = next((m["content"] for m in first["messages"] if m["role"] == "user"), "")
                preview = " ".join(user.split())
                preview = preview if len(preview) <= 24 else preview[:23] + "…"
            outcome = review.cluster_outcome(cluster)
            line = Text.assemble(("✓ " if cluster.chosen else "· "), (outcome, OUTCOME_STYLES[outcome]),
                                 f"\n  {len(cluster.members)}× ", (preview, "dim"))
            options.add_option(Option(line, id=str(i)))
        if self.reviews.clusters:
            options.highlighted = self.current
        self._status(self._summary())

    def _ordered_members(self, cluster) -> list[str]:
        """Survivors first (the first one is what the others are compared with), then the rest."""
        return [m for m in cluster.members if m in cluster.survivors] + \
               [m for m in cluster.members if m not in cluster.survivors]

    def _show(self) -> None:
        title = self.query_one("#cluster-title", Label)
        panels = list(self.query(MemberPanel))
        if not self.reviews or not self.reviews.clusters:
            from ...services.pii_purge import sealed_note

            note = sealed_note(self.project, self.step_name) if self.reviews else None
            title.update(Text(f"No duplicate clusters: nothing to review.{' ' + note if note else ''}"
                              if self.reviews else ""))
            title.styles.height = "auto" if note else 1
            title.styles.width = "1fr" if note else "auto"  # a fixed width lets the note wrap
            for p in panels:
                p.display = False
            return
        title.styles.height, title.styles.width = 1, "auto"
        cluster = self.reviews.clusters[self.current]
        members = self._ordered_members(cluster)
        self.member = max(0, min(self.member, len(members) - 1))
        outcome = review.cluster_outcome(cluster)
        state = outcome if cluster.chosen else "undecided: enter accepts what is shown"
        title.update(Text.assemble(
            (f"Cluster {self.current + 1} of {len(self.reviews.clusters)}", "bold"),
            f" · {len(members)} copies · copy {self.member + 1} selected · ", (state, OUTCOME_STYLES[outcome])))
        # The first column shows the first survivor; the others show a window that holds the focus.
        rest = list(range(1, len(members)))
        window_start = max(0, min(self.member - 1, len(rest) - (COLUMNS - 1))) if self.member > 0 else 0
        shown = [0] + rest[window_start:window_start + COLUMNS - 1]
        reference_row = self.reviews.rows.get(members[0])
        reference = review.row_text(reference_row) if reference_row else ""
        for panel, index in zip(panels, shown + [None] * COLUMNS):
            if index is None:
                panel.display = False
                continue
            rid = members[index]
            row = self.reviews.rows.get(rid) or {"id": rid, "messages": [], "source_file": "existing set",
                                                 "source_line": 0}
            if rid in cluster.existing:
                role = "existing"
            elif rid == members[0]:
                role = "survivor"
            elif rid in cluster.survivors:
                role = "kept"
            else:
                role = "dropped"
            panel.display = True
            panel.show(row, role, cluster.similarity.get(rid, 1.0), None if index == 0 else reference,
                       focused=index == self.member, position=f"{index + 1}/{len(members)}",
                       decided=self.reviews.protected.get(rid))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.reviews is None or event.option.id is None:
            return
        index = int(event.option.id)
        if index != self.current:
            self.current = index
            self.member = 0
            self._show()

    # -- deciding -----------------------------------------------------------------------------
    def _cluster(self):
        if not self.reviews or not self.reviews.clusters:
            return None
        return self.reviews.clusters[self.current]

    def _decided(self, focus_id: str, advance: bool) -> None:
        """Re-cluster with the new decision and move on (or stay on the same cluster)."""
        self.reviews.recluster(self.project.store)
        here = self.reviews.index_of(focus_id)
        if advance:
            after = (here if here is not None else self.current) + 1
            nxt = self.reviews.next_unreviewed(after % max(len(self.reviews.clusters), 1))
            self.current = nxt if nxt is not None else (here or 0)
            self.member = 0
        elif here is not None:
            self.current = here
        self._refresh_list()
        self._show()
        if advance and self.reviews.next_unreviewed(0) is None:
            self.notify("Every cluster is reviewed.", title="Dedup")

    def action_accept(self) -> None:
        cluster = self._cluster()
        if cluster is None:
            return
        review.accept_policy(self.project.store, self.reviews.step.name, cluster)
        self._decided(cluster.members[0], advance=True)

    def action_survivor(self) -> None:
        cluster = self._cluster()
        if cluster is None:
            return
        rid = self._ordered_members(cluster)[self.member]
        if rid in cluster.existing:
            self.notify("Rows of the existing set always survive.", severity="warning")
            return
        review.choose_survivor(self.project.store, self.reviews.step.name, cluster, rid)
        self._decided(rid, advance=True)

    def action_keep(self) -> None:
        cluster = self._cluster()
        if cluster is None:
            return
        rid = self._ordered_members(cluster)[self.member]
        if rid in cluster.existing:
            return
        review.toggle_keep(self.project.store, self.reviews.step.name, cluster, rid)
        self._decided(rid, advance=False)

    def action_keep_all(self) -> None:
        cluster = self._cluster()
        if cluster is None:
            return
        review.keep_all(self.project.store, self.reviews.step.name, cluster)
        self._decided(cluster.members[0], advance=True)

    def action_undo(self) -> None:
        cluster = self._cluster()
        if cluster is None:
            return
        review.reset(self.project.store, self.reviews.step.name, cluster)
        self._decided(cluster.members[0], advance=False)

    def action_member(self, delta: int) -> None:
        cluster = self._cluster()
        if cluster is None:
            return
        self.member = max(0, min(self.member + delta, len(cluster.members) - 1))
        self._show()

    def action_cluster(self, delta: int) -> None:
        if not self.reviews or not self.reviews.clusters:
            return
        self.current = (self.current + delta) % len(self.reviews.clusters)
        self.member = 0
        self.query_one("#cluster-list", OptionList).highlighted = self.current
        self._show()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # The cluster list has the focus most of the time; enter there accepts what is shown.
        event.stop()
        self.action_accept()
