"""The queue of records with personal data on the PII tab: one line per record, marked pending
(●) or done (✓), with its number of spans and the values found."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class PiiQueueList(OptionList):
    """The records of a ReviewQueue, in input order."""

    def fill(self, records, highlighted: int) -> None:
        self.clear_options()
        self.add_options([Option(option_label(rec), id=rec.id) for rec in records])
        if records:
            self.highlighted = highlighted

    def refresh_records(self, records, indexes) -> None:
        """Redraw the lines of these records (after a decision changed them)."""
        for i in set(indexes):
            if 0 <= i < len(records):
                self.replace_option_prompt_at_index(i, option_label(records[i]))


def option_label(rec) -> Text:
    """● 3 Ana Dias, ana@example.org, …: pending or done, how many spans, what they hold."""
    values = ", ".join(dict.fromkeys(" ".join(s.value.split()) for s in rec.spans))
    if len(values) > 21:  # one line in the list
        values = values[:20] + "…"
    mark = "● " if rec.pending else "✓ "
    style = "" if rec.pending else "dim"
    return Text.assemble((mark, "yellow" if rec.pending else "green"),
                         (f"{len(rec.spans):>2} ", style), (values, style))
