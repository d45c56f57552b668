"""validate: drop rows that cannot train a chat model, each with the reason that applies first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl

from ..records import ROLES, Decision
from .base import Step, StepContext, StepResult


def estimated_tokens(text: pl.Expr) -> pl.Expr:
    """A tokenizer-free, language-agnostic token estimate.

    BPE vocabularies spend about one token per four characters of ASCII text and about one per
    character of CJK or other non-Latin script, so count ASCII characters / 4 plus every other
    character as one. It over-counts accented Latin slightly, which errs on the safe side of a limit.
    """
    total = text.str.len_chars()
    ascii_chars = text.str.count_matches(r"[\x00-\x7f]")
    return ((ascii_chars / 4).ceil() + (total - ascii_chars)).cast(pl.Int64)


@dataclass
class Validate(Step):
    name: ClassVar[str] = "validate"
    description: ClassVar[str] = "roles in order, no empty turns, length limits"

    max_chars: int | None = None  # whole conversation
    min_chars: int = 1  # shortest acceptable assistant reply (after trimming)
    max_tokens: int | None = None  # estimated tokens of the whole conversation
    max_turns: int | None = None
    require_system: bool = False
    on_problem: Literal["drop", "flag"] = "drop"

    def check(self) -> None:
        for field in ("max_chars", "max_tokens", "max_turns"):
            value = getattr(self, field)
            if value is not None and value < 1:
                raise ValueError(f"{field} must be at least 1, got {value}")
        if self.min_chars < 0:
            raise ValueError(f"min_chars must be 0 or more, got {self.min_chars}")

    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        role = pl.element().struct.field("role")
        content = pl.element().struct.field("content")
        msgs = pl.col("messages")
        text = msgs.list.eval(content).list.join("\n")
        last_role = msgs.list.last().struct.field("role")
        non_system = msgs.list.eval(role.filter(role != "system"))
        shortest_reply = msgs.list.eval(content.filter(role == "assistant").str.strip_chars().str.len_chars()).list.min()
        checks: list[tuple[str, pl.Expr]] = [
            ("no_messages", msgs.list.len() == 0),
            ("unknown_role", msgs.list.eval(~role.is_in(list(ROLES))).list.any()),
            ("empty_turn", msgs.list.eval(content.str.strip_chars().str.len_chars() == 0).list.any()),
            ("no_user_turn", ~msgs.list.eval(role == "user").list.any()),
            ("no_assistant_turn", ~msgs.list.eval(role == "assistant").list.any()),
            ("last_turn_not_assistant", last_role != "assistant"),
            # after an optional system prompt, turns alternate user / assistant starting with user
            ("roles_out_of_order",
             non_system.list.eval(role_order_broken()).list.any()
             | msgs.list.eval((role == "system") & (pl.int_range(pl.len()) > 0)).list.any()),
            ("reply_too_short", shortest_reply < self.min_chars),
        ]
        if self.require_system:
            checks.append(("no_system_prompt", msgs.list.first().struct.field("role") != "system"))
        if self.max_turns is not None:
            checks.append(("too_many_turns", msgs.list.len() > self.max_turns))
        if self.max_chars is not None:
            checks.append(("too_long_chars", text.str.len_chars() > self.max_chars))
        if self.max_tokens is not None:
            checks.append(("too_long_tokens", estimated_tokens(text) > self.max_tokens))

        reason = pl.lit(None, dtype=pl.String)
        for name, cond in reversed(checks):  # the first failing check names the reason
            reason = pl.when(cond.fill_null(True)).then(pl.lit(name)).otherwise(reason)
        measured = records.select("id", reason.alias("reason"), text.str.len_chars().alias("chars"),
                                  shortest_reply.alias("reply_chars"), msgs.list.len().alias("turns"),
                                  estimated_tokens(text).alias("tokens"))
        bad = measured.filter(pl.col("reason").is_not_null())
        decisions = [Decision(row["id"], self.on_problem, row["reason"], self._measured(row), step=self.name)
                     for row in bad.iter_rows(named=True)]
        kept = records
        if self.on_problem == "drop":
            kept = records.filter(~pl.col("id").is_in(bad.get_column("id").implode()))
        return StepResult(kept, decisions, {"checked": records.height})


    def _measured(self, row: dict) -> dict:
        """What the reason is about, measured, with the limit it broke: the shortest reply for
        reply_too_short, not the whole conversation."""
        reason = row["reason"]
        if reason == "reply_too_short":
            return {"reply_chars": row["reply_chars"] or 0, "min_chars": self.min_chars}
        if reason == "too_long_tokens":
            return {"tokens": row["tokens"], "max_tokens": self.max_tokens}
        if reason == "too_many_turns":
            return {"turns": row["turns"], "max_turns": self.max_turns}
        if reason == "too_long_chars":
            return {"chars": row["chars"], "max_chars": self.max_chars}
        return {"chars": row["chars"]}


def role_order_broken() -> pl.Expr:
    """Inside list.eval over non-system roles: True where the role is not the expected one."""
    expected = pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("user")).otherwise(pl.lit("assistant"))
    return pl.element() != expected
