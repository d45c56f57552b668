"""DATA_CARD.md: report.json for people (sources, steps, removals, categories, split, hashes)."""

from __future__ import annotations

from typing import Any


def data_card(report: dict[str, Any]) -> str:
    """A human-readable summary of report.json (without the time stamp)."""
    title = report.get("project") or "dataset"
    total = report["splits"]["train"] + report["splits"]["holdout"]
    cannot_hold = report["removed"].get("cannot_hold") or {}
    left_out = sum(cannot_hold.values())
    lines = [
        f"# Data card: {title}",
        "",
        f"Exported by workbench {report['workbench_version']} in `{report['format']}` format. "
        f"{total:,} examples: {report['splits']['train']:,} for training and "
        f"{report['splits']['holdout']:,} held out (never trained on), from {report['rows_in']:,} "
        f"imported rows; {report['removed']['total'] - left_out:,} removed by the recipe"
        + (f", {left_out:,} left out because the `{report['format']}` format cannot hold them" if left_out else "")
        + f" and {report['quarantined']:,} unreadable input rows quarantined.",
        "",
        *_kind_lines(report, cannot_hold),
        "## Sources",
        "",
        "| file | format | rows | quarantined | sha256 |",
        "|---|---|---:|---:|---|",
    ]
    for item in report["inputs"]:
        lines.append(f"| `{item['path']}` | {item['format']} | {item['rows']:,} | {item['quarantined']:,} "
                     f"| `{item['sha256'][:12]}` |")
    weights = report.get("turn_weights")
    if weights:
        lines += ["", f"{weights['rows']:,} rows weight their assistant turns (`weight` 0: context, not trained on)"
                  + ("; the files keep the weights." if weights["written"] else
                     f"; **the `{report['format']}` format cannot hold them**, so a trainer will train on "
                     "every assistant turn of those rows. Export with `--format openai` or `parquet` to keep them.")]
    lines += ["", "## Curation steps", "", "| step | rows in | rows out | removed (by reason) |",
              "|---|---:|---:|---|"]
    for s in report["steps"]:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in s["removed"].items()) or "none"
        lines.append(f"| {s['name']} | {s['rows_in']:,} | {s['rows_out']:,} | {reasons} |")
    lines += ["", "Every removed row is listed in `removed.jsonl` with its source file and line, the step, "
              "the reason and, for duplicates, the id of the row that was kept.", ""]
    lines += ["## Categories", "", "| category | train | holdout | total | share |", "|---|---:|---:|---:|---:|"]
    for cat, c in sorted(report["categories"].items(), key=lambda kv: (-kv[1]["total"], kv[0])):
        share = c["total"] / total if total else 0
        lines.append(f"| {cat} | {c['train']:,} | {c['holdout']:,} | {c['total']:,} | {share:.1%} |")
    lines.append("")
    from .card_sections import data_card_sections  # categorize, balance, synthetic_review (when in the recipe)

    lines += data_card_sections(report)
    from ..steps.pii.leak import data_card_lines as leak_check_lines  # the leak check (with a pii step)

    lines += leak_check_lines(report)
    split = report["recipe"]["split"]
    lines += ["## Split", "",
              f"Holdout share {split['holdout']:.0%} per category (stratified: {str(split['stratify']).lower()}), "
              f"assigned by a seeded hash of each record id (seed {split['seed']}), so a row keeps its side "
              "when the data around it changes.", ""]
    if report["origins"]:
        lines += ["## Origins", "", "| origin | rows |", "|---|---:|"]
        lines += [f"| {o} | {n:,} |" for o, n in report["origins"].items()]
        lines.append("")
    lines += ["## Reproducing", "",
              f"- input hash: `{report['input_hash']}`",
              f"- recipe hash: `{report['recipe_hash']}`", ""]
    for name, f in report["files"].items():
        rows = f"{f['rows']:,} rows, " if "rows" in f else ""
        lines.append(f"- `{name}`: {rows}sha256 `{f['sha256']}`")
    lines.append("")
    return "\n".join(lines)


def _kind_lines(report: dict[str, Any], cannot_hold: dict[str, int]) -> list[str]:
    """The record kind written, rows of other kinds, and the rows the format cannot hold (nothing
    for an export of sft rows that wrote every row)."""
    kind, others = report.get("kind", "sft"), report.get("other_kinds") or {}
    lines: list[str] = []
    if kind != "sft" or others:
        lines += [f"Record kind: `{kind}`"
                  + ("." if not others else "; not written, being of other kinds: "
                     + ", ".join(f"{n:,} {k} (`--kind {k}`)" for k, n in others.items()) + "."), ""]
    if cannot_hold:
        lines += [f"## Rows the `{report['format']}` format cannot hold", "",
                  "Listed in `removed.jsonl` (step `export`, reason `format_cannot_hold`):", ""]
        lines += [f"- {n:,} × {reason}" for reason, n in cannot_hold.items()]
        lines.append("")
    return lines
