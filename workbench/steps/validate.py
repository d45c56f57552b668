"""validate: drop rows that cannot train a chat model, each with the reason that applies first.

The rules follow the record's kind (docs/record-form.md):

- sft: after an optional system prompt the turns go user, assistant, user, ... and end with an
  assistant turn. An assistant turn that calls tools may have empty content and is answered by
  one or more tool turns, after which the assistant speaks again (or the conversation ends with
  the call). reply_too_short measures the assistant's replies, not its calls.
- preference: `messages` is the prompt (with a user turn, ending with a user or tool turn);
  `chosen` and `rejected` are completions (assistant and tool turns, ending with an assistant
  turn) that each continue the prompt by the sft rules, and differ. reply_too_short measures
  the shorter of the two final replies; the length limits the longer of prompt + completion.
- kto: the prompt as for preference, one completion in `chosen`, and a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl

from ..records import KINDS, ROLES, Decision, record_turns, rich_rows, turn_text, with_rich_rows
from .base import Step, StepContext, StepResult

COMPLETION_ROLES = ("assistant", "tool")


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
    description: ClassVar[str] = "roles in order, no empty turns, length limits (per record kind)"

    max_chars: int | None = None  # whole conversation (prompt + the longer completion)
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
        calls = pl.element().struct.field("tool_calls").is_not_null()
        msgs = pl.col("messages")
        kind = pl.col("kind").fill_null("sft")
        rich = rich_rows(records)
        plain = rich is None and records.select((kind == "sft").all()).item()
        if plain:  # every row an sft conversation of roles and contents: the conversation is msgs
            with_chosen = with_rejected = msgs
        else:
            empty = msgs.list.head(0)
            with_chosen = pl.when(kind == "sft").then(msgs).otherwise(
                pl.concat_list([msgs, pl.col("chosen").fill_null(empty)]))
            with_rejected = pl.when(kind == "preference").then(
                pl.concat_list([msgs, pl.col("rejected").fill_null(empty)])).otherwise(with_chosen)
        conversations = (with_chosen,) if plain else (with_chosen, with_rejected)

        def any_turn(cond: pl.Expr) -> pl.Expr:
            return pl.any_horizontal([c.list.eval(cond).list.any() for c in conversations])

        def last_role(c: pl.Expr) -> pl.Expr:
            return c.list.last().struct.field("role")

        sft, pref, kto = kind == "sft", kind == "preference", kind == "kto"
        completion_bad = pl.lit(False)
        if not plain:
            for column, applies in (("chosen", ~sft), ("rejected", pref)):
                completion_bad = completion_bad | (applies & pl.col(column).list.eval(
                    ~role.is_in(list(COMPLETION_ROLES))).list.any().fill_null(False))
        checks: list[tuple[str, pl.Expr]] = [
            ("unknown_kind", ~kind.is_in(list(KINDS))),
            ("no_messages", msgs.list.len() == 0),
        ]
        if not plain:
            checks += [
                ("no_chosen", pref & (pl.col("chosen").list.len().fill_null(0) == 0)),
                ("no_rejected", pref & (pl.col("rejected").list.len().fill_null(0) == 0)),
                ("no_completion", kto & (pl.col("chosen").list.len().fill_null(0) == 0)),
                ("no_label", kto & pl.col("label").is_null()),
            ]
        checks += [
            ("unknown_role", any_turn(~role.is_in(list(ROLES)))),
            # a turn that only calls tools has no text, and that is fine
            ("empty_turn", any_turn(content.str.strip_chars().str.len_chars() == 0) if plain else
             any_turn((content.str.strip_chars().str.len_chars() == 0) & ~((role == "assistant") & calls))),
            ("no_user_turn", ~msgs.list.eval(role == "user").list.any()),
            ("no_assistant_turn", ~pl.all_horizontal([c.list.eval(role == "assistant").list.any()
                                                      for c in conversations])),
        ]
        if not plain:
            checks.append(("prompt_not_ending_with_user", ~sft & ~last_role(msgs).is_in(["user", "tool"])))
        checks += [
            ("last_turn_not_assistant", pl.any_horizontal([last_role(c) != "assistant" for c in conversations])),
            # after an optional system prompt: user, assistant, user, ...; tool turns answer a call
            ("roles_out_of_order",
             pl.any_horizontal([c.list.eval(role.filter(role != "system")).list.eval(alternation_broken()).list.any()
                                if plain else
                                c.list.eval(pl.element().filter(role != "system")).list.eval(order_broken()).list.any()
                                for c in conversations])
             | any_turn((role == "system") & (pl.int_range(pl.len()) > 0)) | completion_bad),
        ]
        if not plain:
            checks.append(("chosen_equals_rejected", pref & (same_turns("chosen") == same_turns("rejected"))))
        reply = self._reply(plain)
        checks.append(("reply_too_short", pl.when(reply.is_null()).then(False).otherwise(reply < self.min_chars)))
        if self.require_system:
            checks.append(("no_system_prompt", msgs.list.first().struct.field("role") != "system"))
        texts = self._texts(records, rich, plain)
        turns = pl.max_horizontal([c.list.len() for c in conversations])
        chars = pl.max_horizontal([pl.col(t).str.len_chars() for t in texts])
        tokens = pl.max_horizontal([estimated_tokens(pl.col(t)) for t in texts])
        if self.max_turns is not None:
            checks.append(("too_many_turns", turns > self.max_turns))
        if self.max_chars is not None:
            checks.append(("too_long_chars", chars > self.max_chars))
        if self.max_tokens is not None:
            checks.append(("too_long_tokens", tokens > self.max_tokens))

        reason = pl.lit(None, dtype=pl.String)
        for name, cond in reversed(checks):  # the first failing check names the reason
            reason = pl.when(cond.fill_null(True)).then(pl.lit(name)).otherwise(reason)
        measured = records.with_columns(**texts).select(
            "id", reason.alias("reason"), chars.alias("chars"), reply.alias("reply_chars"),
            turns.alias("turns"), tokens.alias("tokens"))
        bad = measured.filter(pl.col("reason").is_not_null())
        decisions = [Decision(row["id"], self.on_problem, row["reason"], self._measured(row), step=self.name)
                     for row in bad.iter_rows(named=True)]
        kept = records
        if self.on_problem == "drop":
            kept = records.filter(~pl.col("id").is_in(bad.get_column("id").implode()))
        stats = {"checked": records.height}
        if not plain:
            stats["kinds"] = dict(sorted(records.group_by(kind.alias("kind")).len().iter_rows()))
        return StepResult(kept, decisions, stats)

    def _reply(self, plain: bool) -> pl.Expr:
        """The reply reply_too_short measures, in characters after trimming (null: nothing to
        measure, e.g. a conversation that ends with a tool call)."""
        role = pl.element().struct.field("role")
        length = pl.element().struct.field("content").str.strip_chars().str.len_chars()
        no_calls = pl.element().struct.field("tool_calls").is_null()
        if plain:  # no turn calls tools
            return pl.col("messages").list.eval(length.filter(role == "assistant")).list.min()
        shortest = pl.col("messages").list.eval(length.filter((role == "assistant") & no_calls)).list.min()
        kind = pl.col("kind").fill_null("sft")

        def final(column: str) -> pl.Expr:  # the completion's last turn, unless it only calls tools
            last = pl.col(column).list.last()
            text = last.struct.field("content").str.strip_chars().str.len_chars()
            return pl.when(last.struct.field("tool_calls").is_not_null() & (text == 0)).then(None).otherwise(text)

        return (pl.when(kind == "preference").then(pl.min_horizontal(final("chosen"), final("rejected")))
                .when(kind == "kto").then(final("chosen")).otherwise(shortest))

    @staticmethod
    def _texts(records: pl.DataFrame, rich: pl.Series | None, plain: bool) -> dict[str, pl.Series]:
        """The text the length limits measure: the conversation, and for a preference pair the
        prompt with each completion; tool calls count as name(arguments)."""
        contents = records.select(pl.col("messages").list.eval(pl.element().struct.field("content"))
                                  .list.join("\n")).to_series()
        if plain:
            return {"__text": contents}

        def text(*columns: str):
            def of(row: dict) -> str:
                picked = {c: row.get(c) for c in columns}
                return "\n".join(turn_text(t) for _, _, t in record_turns(picked))
            return of

        # rows without a rejected completion measure the prompt alone there: never the longer text
        return {"__text": with_rich_rows(contents, records, text("messages", "chosen"), rich),
                "__text_rejected": with_rich_rows(contents, records, text("messages", "rejected"), rich)}

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


def same_turns(column: str) -> pl.Expr:
    """A completion's turns as one comparable text: role, trimmed content and tool calls."""
    turn = pl.element().struct
    return pl.col(column).list.eval(pl.concat_str(
        [turn.field("role"), turn.field("content").str.strip_chars(), turn.field("tool_calls").fill_null("")],
        separator="\x1f")).list.join("\x1e")


def order_broken() -> pl.Expr:
    """Inside list.eval over a conversation's non-system turns: True where a turn may not follow
    the one before it. The first is the user's; a user speaks after an assistant reply, the
    assistant after the user or a tool's answer, and a tool answers the assistant's call (or
    follows another tool's answer)."""
    role = pl.element().struct.field("role")
    calls = pl.element().struct.field("tool_calls").is_not_null()
    prev, prev_calls = role.shift(1), calls.shift(1)
    return (pl.when(pl.int_range(pl.len()) == 0).then(role != "user")
            .when(role == "user").then(~((prev == "assistant") & ~prev_calls))
            .when(role == "assistant").then(~prev.is_in(["user", "tool"]))
            .when(role == "tool").then(~((prev == "tool") | ((prev == "assistant") & prev_calls)))
            .otherwise(False))


def alternation_broken() -> pl.Expr:
    """order_broken for conversations without tool calls, over their non-system roles (the same
    rule, cheaper): user, assistant, user, ..."""
    expected = pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("user")).otherwise(pl.lit("assistant"))
    return pl.element() != expected
