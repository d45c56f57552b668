"""The pipeline at a glance: inputs, quarantine, and each step of the last recipe run."""

from __future__ import annotations

from pathlib import PurePath

from textual.content import Content
from textual.widgets import Static

from ..summary import PipelineSummary


def describe_pipeline(summary: PipelineSummary) -> Content:
    parts: list[str | tuple[str, str]] = [("Inputs", "bold"), "\n"]
    if not summary.inputs:
        parts += [("  none yet: workbench import PROJECT FILE", "dim"), "\n"]
    for item in summary.inputs:
        parts += [f"  {PurePath(str(item['path'])).name}", "\n",
                  f"    {int(item['rows']):,} rows", (f" · {item['format']}", "dim"), "\n"]
    if summary.quarantined:
        rows = "row" if summary.quarantined == 1 else "rows"
        parts += [("  quarantined ", "$warning"), (f"{summary.quarantined:,}", "bold $warning"),
                  (f" unreadable {rows}", "$warning"), "\n"]
    else:
        parts += [("  quarantined 0", "dim"), "\n"]
    parts.append("\n")
    if summary.recipe_problem:
        parts += [("Recipe problem", "bold $error"), "\n", summary.recipe_problem, "\n"]
    if summary.last_run is None:
        steps = " → ".join([*summary.recipe_steps, "split"])
        parts += [("Recipe not run yet", "bold"), (" (press r)", "dim"), "\n", f"  {steps}", "\n"]
        return Content.assemble(*parts)
    parts += [("Last run ", "bold"), (summary.last_run, "dim"), "\n"]
    width = max([12, *(len(step["name"]) for step in summary.steps)]) + 2  # synthetic_review is 16 long
    if summary.run_is_stale:
        parts += [("  records were imported since; press r", "$warning"), "\n"]
    for step in summary.steps:
        name, rows_in, rows_out = step["name"], step["rows_in"], step["rows_out"]
        parts += [f"  {name:<{width}}", f"{rows_in:,} → {rows_out:,}", "\n"]
        removed = step.get("removed") or {}
        if removed:
            biggest_first = sorted(removed.items(), key=lambda kv: (-kv[1], kv[0]))
            reasons = ", ".join(f"{count:,} {reason}" for reason, count in biggest_first)
            parts += [("    − ", "$error"), reasons, "\n"]
        extras = [f"{step[k]:,} {k}" for k in ("edited", "flagged", "human_overrides") if step.get(k)]
        if step.get("protected"):  # automatic drops the runner refused: a person had decided on the row
            extras.append(f"{step['protected']:,} kept for a reviewer's decision")
        if extras:
            parts += ["    ", (", ".join(extras), "dim"), "\n"]
    if summary.split:
        order = sorted(summary.split, key=lambda name: (name != "train", name != "holdout", name))
        split = " · ".join(f"{name} {summary.split[name]:,}" for name in order)
        parts += [f"  {'split':<{width}}", split, "\n"]
    return Content.assemble(*parts)


class PipelinePanel(Static):
    """Static text redrawn from a PipelineSummary whenever a snapshot loads."""

    def show(self, summary: PipelineSummary) -> None:
        self.update(describe_pipeline(summary))
