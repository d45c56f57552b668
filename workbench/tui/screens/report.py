"""The Report tab: the verdict of the blind A/B votes in plain words ("better in 5 of 8
categories; in 3 too few votes to tell"), then, one key (s) away, the statistics: win rates per
category with intervals, Bradley-Terry, the automated metrics, position bias and agreement.

Everything is computed in a worker (`evaluate.report.collect`) each time the tab is shown and on
r; w writes report.md and report.html into PROJECT/report/ from what is on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich import box
from rich.table import Table
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState

from ...errors import WorkbenchError
from .base import ProjectTab
from .report_chart import WinRateChart

REPORT_DIR = "report"  # inside the project folder
NARROW = 110  # below this width the win-rate table leaves out the Wilson interval


@dataclass
class ReportCollected(Message):
    """The figures of the report were computed (`data` is `evaluate.report.collect`'s result)."""

    data: dict[str, Any]


@dataclass
class ReportFailed(Message):
    """Computing or writing the report failed; `problem` says why in the user's words."""

    problem: str


@dataclass
class ReportWritten(Message):
    """report.md and report.html were written."""

    paths: list[Path]


def rich_table(headers: list[str], rows: list[list[str]], bold_first_row: bool = False,
               first_width: int | None = None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right", no_wrap=i == 0,
                         max_width=first_width if i == 0 else None, overflow="ellipsis" if i == 0 else "fold")
    for i, row in enumerate(rows):
        table.add_row(*row, style="bold" if bold_first_row and i == 0 else None)
    return table


class ReportTab(ProjectTab):
    TAB_ID = "report"
    TITLE = "Report"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh_report", "Refresh"),
        Binding("s", "toggle_statistics", "Statistics"),
        Binding("w", "write_report", "Write report files"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.data: dict[str, Any] | None = None
        self.written: list[Path] = []
        self.show_statistics = False

    def compose(self):
        with Horizontal(id="report-top"):
            yield Label("", id="report-status")
        with VerticalScroll(id="report-body"):
            yield Static("", id="report-verdict")
            yield Static("", id="report-words")
            yield Static("", id="report-summary")
            yield Static("", id="report-notes", classes="report-section")
            with Vertical(id="report-stats"):
                yield Static("", id="report-stats-verdict")
                yield Vertical(id="report-pairs")
                yield Static("", id="report-bt", classes="report-section")
                yield Static("", id="report-metrics", classes="report-section")
                yield Static("", id="report-position", classes="report-section")
                yield Static("", id="report-agreement", classes="report-section")

    def on_mount(self) -> None:
        self.query_one("#report-stats").display = self.show_statistics

    def on_show(self) -> None:
        self.action_refresh_report()

    def focus_default(self) -> None:
        self.screen.set_focus(self.query_one("#report-body"))

    # -- computing ----------------------------------------------------------------------------
    def action_refresh_report(self) -> None:
        self._status(Content.styled("computing win rates, intervals and metrics…", "$text-muted"))
        self.collect_figures()

    @work(thread=True, exclusive=True, group="report-collect", exit_on_error=False)
    def collect_figures(self) -> None:
        from ...evaluate.report import collect

        try:
            data = collect(self.project)
        except WorkbenchError as e:
            self.post_message(ReportFailed(str(e)))
            return
        self.post_message(ReportCollected(data))

    def on_report_failed(self, event: ReportFailed) -> None:
        self._status(Content.styled(event.problem, "$error"))

    def on_report_collected(self, event: ReportCollected) -> None:
        self.data = event.data
        self._show(event.data)

    # -- showing ------------------------------------------------------------------------------
    def _status(self, text: Content | str) -> None:
        self.query_one("#report-status", Label).update(text)

    def _show(self, data: dict[str, Any]) -> None:
        stats, counts = data["stats"], data["counts"]
        bar = stats["settings"]["bar"]
        words = self._show_words(data)
        raters = len(counts["raters"])
        summary = (f"{counts['votes']:,} standing votes by {raters} rater{'s' * (raters != 1)} on "
                   f"{counts['pairs']:,} blind pairs over {counts['prompts']:,} prompts")
        if not stats["pairs"]:
            summary += ("\nNo votes yet: generate replies and rate pairs in the Compare tab, or import judgements "
                        "(`workbench eval import-judgements`); this tab refreshes when shown.")
        self.query_one("#report-summary", Static).update(Content.styled(summary, "$text-muted"))
        self._show_pairs(stats, bar, words["min_votes"])
        self._show_bradley_terry(stats)
        self._show_metrics(data["metrics"])
        self._show_position(stats)
        self._show_agreement(stats)
        notes = self.query_one("#report-notes", Static)
        notes.display = bool(stats["notes"])
        notes.update(Content.assemble(("Notes", "bold"), *[part for n in stats["notes"] for part in ("\n• ", n)]))
        self._show_keys()

    def _show_words(self, data: dict[str, Any]) -> dict[str, Any]:
        """The verdict in plain words at the top; the statistical verdict lines inside the statistics."""
        from ...evaluate.report_words import plain_verdict

        stats = data["stats"]
        words = data.get("words") or plain_verdict(stats)
        verdict = self.query_one("#report-verdict", Static)
        verdict.set_classes([words["tone"]])
        verdict.update(Content.styled(words["headline"], "bold"))
        parts: list[str | tuple[str, str]] = []
        for line in (words["overall"], words["bar"]):
            if line:
                parts += [line, "\n"]
        style = {"better": "$success", "worse": "$error"}
        for c in words["categories"]:
            status, _, rest = c["words"].partition(" — ")
            parts += ["\n  ", (c["category"], "bold"), ": ", (status, style.get(c["status"], "$warning"))]
            parts += [" — ", rest] if rest else []
        for other in words["pairs"][1:]:
            parts += ["\n\n", (other["headline"], "bold")]
            parts += [part for line in (other["overall"], other["bar"]) if line for part in ("\n", line)]
        widget = self.query_one("#report-words", Static)
        widget.display = bool(parts)
        widget.update(Content.assemble(*parts))
        lines: list[str | tuple[str, str]] = [("Statistics", "bold"), "\n", (words["basis"], "$text-muted")]
        if stats["pairs"]:
            lines += ["\n", ("In statistical terms (ties and both bad as half a win each):", "$text-muted")]
            lines += [part for v in stats["verdicts"] for part in ("\n", v)]
        self.query_one("#report-stats-verdict", Static).update(Content.assemble(*lines))
        return words

    def _show_keys(self) -> None:
        where = f" · last written to {self._shown_path(self.written[0].parent)}/" if self.written else ""
        stats = "hide the statistics" if self.show_statistics else "show the statistics"
        self._status(Content.assemble(("r", "bold"), " refresh  ", ("s", "bold"), f" {stats}  ", ("w", "bold"),
                                      f" write report.md and report.html to {REPORT_DIR}/", (where, "$text-muted")))

    def action_toggle_statistics(self) -> None:
        """Show or hide the intervals, tables, Bradley-Terry and the rest below the plain words."""
        self.show_statistics = not self.show_statistics
        self.query_one("#report-stats").display = self.show_statistics
        if self.data is not None:
            self._show_keys()
        if self.show_statistics:
            self.query_one("#report-stats").scroll_visible(top=True)

    def _show_pairs(self, stats: dict[str, Any], bar: float, min_votes: int = 1) -> None:
        from ...evaluate.report_tables import chart_rows, pair_title, too_few_votes
        from ...evaluate.text import win_rate_rows

        box_ = self.query_one("#report-pairs", Vertical)
        box_.remove_children()
        widgets = []
        for entry in stats["pairs"]:
            hero, rows = chart_rows(entry)
            headers, table_rows = win_rate_rows(entry, short=True)
            table_rows = too_few_votes(table_rows, min_votes)
            narrow = 0 < self.size.width < NARROW
            if narrow:  # the bootstrap interval is the one the verdict quotes
                headers, table_rows = headers[:-2] + headers[-1:], [r[:-2] + r[-1:] for r in table_rows]
                headers = [{"votes": "n", "losses": "lost", "win rate": "rate", "bootstrap 95%": "95%"}.get(h, h)
                           for h in headers]
            widgets += [Static(Content.styled(pair_title(entry, whose=True), "bold"), classes="report-heading"),
                        WinRateChart(rows, bar, min_votes=min_votes, classes="report-chart"),
                        Static(rich_table(headers, table_rows, bold_first_row=True, first_width=16 if narrow else None),
                               classes="report-table")]
        box_.mount_all(widgets)

    def _show_bradley_terry(self, stats: dict[str, Any]) -> None:
        from ...evaluate.text import bt_rows

        widget = self.query_one("#report-bt", Static)
        widget.display = bool(stats.get("bradley_terry"))
        if widget.display:
            headers, rows = bt_rows(stats["bradley_terry"])
            table = rich_table(headers, rows)
            table.title = "Bradley-Terry strengths (ties as half; centred on the mean model)"
            table.title_style = "bold"
            table.title_justify = "left"
            widget.update(table)

    def _show_metrics(self, metrics: dict[str, Any]) -> None:
        from rich.console import Group
        from rich.text import Text

        from ...evaluate.report_tables import metric_tables, unused_metrics

        widget = self.query_one("#report-metrics", Static)
        tables = metric_tables(metrics, sep="\n")
        if not tables:
            widget.update(Content.assemble(("Automated metrics", "bold"), "\n",
                                           ("no replies stored yet: run `workbench generate`", "$text-muted")))
            return
        parts: list[Any] = [Text("Automated metrics", style="bold")]
        for title, headers, rows in tables:
            parts += [Text(title, style="italic"), rich_table(headers, rows)]
        unused = unused_metrics(metrics)
        parts.append(Text("rouge_l and exact_match over prompts with a reference; length in words"
                          + (f"; no reply had a value for {', '.join(unused)}" if unused else ""), style="dim"))
        for name, why in metrics.get("errors", {}).items():
            parts.append(Text(f"metric {name} failed and was left out: {why}", style="red"))
        widget.update(Group(*parts))

    def _show_position(self, stats: dict[str, Any]) -> None:
        from ...evaluate.text import position_line

        widget = self.query_one("#report-position", Static)
        widget.display = bool(stats["pairs"])
        parts: list[str | tuple[str, str]] = [("Position bias", "bold")]
        for entry in stats["pairs"]:
            bias = entry["position_bias"]
            line = position_line(bias).replace("position bias: ", "")
            style = "$warning bold" if bias["warning"] else ""
            parts += ["\n", f"{entry['model_a']} vs {entry['model_b']}: ", (line, style)]
        widget.update(Content.assemble(*parts))

    def _show_agreement(self, stats: dict[str, Any]) -> None:
        widget = self.query_one("#report-agreement", Static)
        widget.display = bool(stats["pairs"])
        ma = stats["metric_agreement"]
        parts: list[str | tuple[str, str]] = [("Agreement", "bold"), "\n", stats["agreement"]["line"], "\n", ma["line"]]
        if ma["note"]:
            parts += ["\n", (ma["note"], "$warning")]
        widget.update(Content.assemble(*parts))

    # -- writing ------------------------------------------------------------------------------
    def action_write_report(self) -> None:
        self._status(Content.styled("writing report.md and report.html…", "$text-muted"))
        self.write_files(self.data)

    @work(thread=True, exclusive=True, group="report-write", exit_on_error=False)
    def write_files(self, data: dict[str, Any] | None) -> None:
        from ...evaluate.report import write_report

        try:
            paths = write_report(self.project, self.project.path / REPORT_DIR, data=data)
        except WorkbenchError as e:
            self.post_message(ReportFailed(str(e)))
            return
        self.post_message(ReportWritten(paths))

    def on_report_written(self, event: ReportWritten) -> None:
        self.written = event.paths
        shown = ", ".join(self._shown_path(p) for p in event.paths)
        self._status(Content.assemble(("Wrote ", "$success"), (shown, "bold $success"),
                                      (f"  (in {self.project.path})", "$text-muted")))
        self.notify(f"{shown}\nin {self.project.path}", title="Report written", timeout=10, markup=False)

    def _shown_path(self, path: Path) -> str:
        try:
            return str(Path(path).relative_to(self.project.path))
        except ValueError:
            return str(path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group.startswith("report"):
            error = event.worker.error
            self._status(Content.styled(f"Could not compute the report: {type(error).__name__}: {error}", "$error"))
            self.notify(f"{type(error).__name__}: {error}", title="Unexpected error", severity="error",
                        timeout=20, markup=False)
