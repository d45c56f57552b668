"""The reveal: which model wrote A and which wrote B, for the pairs this rater has voted on."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from .compare_panels import CHOICE_WORDS


def tally(revealed: list[dict[str, Any]]) -> list[Content]:
    """One line per model pair: how often each model won this rater's votes, ties, both bad, skips."""
    groups: dict[tuple[str, str], Counter] = {}
    for row in revealed:
        models = tuple(sorted((str(row["left_model"]), str(row["right_model"]))))
        counts = groups.setdefault(models, Counter())
        winner = row.get("winner")
        counts[row.get("winner_model") if winner in ("a", "b") else winner] += 1
    lines = []
    for (first, second), counts in sorted(groups.items()):
        parts: list[str | tuple[str, str]] = [(f"{first} vs {second}", "bold"), ": "]
        parts += [(first, "$accent"), f" better {counts[first]}  ·  ", (second, "$accent"), f" better {counts[second]}"]
        parts += [f"  ·  tie {counts['tie']}  ·  both bad {counts['both_bad']}", (f"  ·  skipped {counts['skip']}", "dim")]
        lines.append(Content.assemble(*parts))
    return lines


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def outcome(row: dict[str, Any]) -> str:
    winner = row.get("winner")
    if winner in ("a", "b"):
        return f"{row.get('winner_model')} better"
    return {"tie": "tie", "both_bad": "both bad", "skip": "skipped"}.get(winner, str(winner))


class RevealDialog(ModalScreen[None]):
    """A table of this rater's votes with the model names; escape or v closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,v", "close", "Close"),
    ]

    def __init__(self, rater: str, revealed: list[dict[str, Any]], details: dict[int, dict[str, Any]],
                 sets: list[str], set_index: int) -> None:
        super().__init__()
        self.rater = rater
        self.revealed = revealed
        self.details = details
        self.sets = sets
        self.set_index = set_index

    def compose(self):
        with Vertical(id="reveal-box"):
            which = ""
            if len(self.sets) > 1:
                which = f" in set {self.set_index}" if self.set_index else f" in all {len(self.sets)} sets"
            yield Label(Content.assemble(("Revealed: ", "bold"),
                                         f"the {len(self.revealed):,} pairs {self.rater} voted on{which}"),
                        id="reveal-title")
            if not self.revealed:
                yield Static(Content.styled(
                    "You have not voted on any pair yet. Names are shown only for pairs you have voted on, "
                    "so they cannot sway a vote.", "dim"), id="reveal-none")
            for line in tally(self.revealed):
                yield Static(line, classes="reveal-tally")
            if len(self.sets) > 1:
                legend = "   ".join(f"set {i}: {name}" for i, name in enumerate(self.sets, 1))
                yield Static(Content.styled(legend, "dim"), id="reveal-sets")
            yield DataTable(id="reveal-table", cursor_type="row", zebra_stripes=True)
            yield Label(Content.styled("A was the left reply, B the right one  ·  esc or v closes", "dim"),
                        id="reveal-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("prompt", "category", "A (left)", "B (right)", "your vote", "outcome", "reason")
        for row in self.revealed:
            detail = self.details.get(row["pair_id"], {})
            table.add_row(clip(detail.get("question", ""), 36), row.get("category") or "(none)",
                          str(row["left_model"]), str(row["right_model"]),
                          CHOICE_WORDS.get(row.get("choice"), row.get("choice") or "?"), outcome(row),
                          clip(detail.get("reason", ""), 30))
        table.display = bool(self.revealed)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
