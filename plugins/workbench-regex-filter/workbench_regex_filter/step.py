"""regex_filter: drop rows whose text matches any of a list of regular expressions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

import polars as pl

from workbench.api import ROLES, Decision, Step, StepContext, StepResult

REASON = "regex_filter"


def _why(error: Exception) -> str:
    """The one line of a polars regex error that says what is wrong ("unclosed group", ...)."""
    lines = [line.strip() for line in str(error).splitlines()]
    return next((line.removeprefix("error: ") for line in lines if line.startswith("error:")), lines[0])


@dataclass
class RegexFilter(Step):
    """Drop every row in which a scanned turn matches one of ``patterns``.

    The decision names the pattern that matched (the first one in the list, if several do) and
    the role of the first turn it matched in, so a reviewer can see why each row went.
    """

    name: ClassVar[str] = "regex_filter"
    description: ClassVar[str] = "drop rows whose text matches any of a list of regular expressions"

    patterns: list[str] = field(default_factory=list)
    roles: list[str] | None = None  # which turns to scan; None scans all of them
    ignore_case: bool = True

    def check(self) -> None:
        if not self.patterns:
            raise ValueError('patterns is required: give at least one regular expression, e.g. '
                             'patterns = ["(?i)as an ai language model"]')
        for i, pattern in enumerate(self.patterns):
            # Compile with the engine that will run it (polars uses Rust's regex crate), so a
            # pattern it cannot run fails here, when the recipe is loaded, not halfway through.
            try:
                pl.select(pl.lit("").str.contains(self._compiled(pattern)))
            except pl.exceptions.PolarsError as e:
                raise ValueError(f"patterns[{i}] {pattern!r} is not a valid regular expression: {_why(e)}") from None
        if self.roles is not None:
            unknown = sorted(set(self.roles) - set(ROLES))
            if unknown:
                raise ValueError(f"roles has unknown role(s) {', '.join(map(repr, unknown))}; "
                                 f"roles are {', '.join(ROLES)}")
            if not self.roles:
                raise ValueError("roles is empty; leave it out to scan every turn")

    def _compiled(self, pattern: str) -> str:
        return f"(?i){pattern}" if self.ignore_case else pattern

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        turns = self._turns(records)
        total = len(self.patterns)
        hits = []
        for index, pattern in enumerate(self.patterns):
            hits.append(
                turns.filter(pl.col("content").str.contains(self._compiled(pattern)))
                .select("row", "turn", "role", pl.lit(index, dtype=pl.Int64).alias("pattern"))
            )
            ctx.report(index + 1, total, f"{self.name}: pattern {index + 1} of {total}")
        # One decision per row: the first pattern in list order, at the first turn it matched.
        first = (
            pl.concat(hits)
            .sort("row", "pattern", "turn")
            .group_by("row", maintain_order=True)
            .first()
        )
        dropped = set(first.get_column("row").to_list())
        ids = records.get_column("id")
        decisions = [
            Decision(ids[row], "drop", REASON, {"pattern": self.patterns[pattern], "role": role}, step=self.name)
            for row, pattern, role in first.select("row", "pattern", "role").iter_rows()
        ]
        kept = records.with_row_index("__row").filter(~pl.col("__row").is_in(list(dropped))).drop("__row")
        by_pattern = Counter(d.detail["pattern"] for d in decisions)
        return StepResult(kept, decisions, {"dropped": len(decisions), "by_pattern": dict(by_pattern)})

    def _turns(self, records: pl.DataFrame) -> pl.DataFrame:
        """One row per scanned turn: record position, turn index, role and content."""
        turns = (
            records.select(pl.col("messages"))
            .with_row_index("row")
            .explode("messages")
            .filter(pl.col("messages").is_not_null())
            .with_columns(pl.int_range(pl.len()).over("row").alias("turn"))
            .unnest("messages")
        )
        if self.roles is not None:
            turns = turns.filter(pl.col("role").is_in(list(self.roles)))
        return turns.with_columns(pl.col("row").cast(pl.Int64), pl.col("content").fill_null(""))
