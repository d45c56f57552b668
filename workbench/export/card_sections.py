"""DATA_CARD.md sections for categorize, balance and synthetic_review, read from report.json.

``data_card_sections(report)`` returns markdown lines (empty when the recipe has none of these
steps and no automatic drop was overruled by a person's decision); the export's data card
appends them after the category table.
"""

from __future__ import annotations

from typing import Any

from ..agreement import Agreement


def _step(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in report.get("steps", []) if s.get("name") == name), None)


def data_card_sections(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    categorize = _step(report, "categorize")
    if categorize:
        st = categorize.get("stats") or {}
        lines += ["## Categorising", "",
                  f"Method `{st.get('method')}`; {st.get('unlabelled', 0):,} rows had no category: "
                  f"{st.get('auto_labelled', 0):,} were labelled with confidence at least "
                  f"{st.get('min_confidence', 0):.2f}, {st.get('low_confidence', 0):,} stayed unlabelled "
                  f"for review. Reviewers relabelled {st.get('relabelled', 0):,} rows; "
                  f"{st.get('conflicts', 0):,} rows have a near-identical prompt labelled differently.", ""]
    balance = _step(report, "balance")
    if balance:
        st = balance.get("stats") or {}
        before, after = st.get("before", {}), st.get("after", {})
        caps = st.get("caps", {})
        lines += ["## Balancing", "",
                  f"Over-represented categories were cut down keeping the most "
                  f"{'diverse' if st.get('select') == 'diverse' else 'randomly chosen'} rows "
                  "(dropped rows have the reason `balance` in `removed.jsonl`).", "",
                  "| category | before | after | cap |", "|---|---:|---:|---:|"]
        for cat in sorted(before, key=lambda c: (-before[c], c)):
            cap = caps.get(cat)
            lines.append(f"| {cat} | {before[cat]:,} | {after.get(cat, 0):,} | {'' if cap is None else f'{cap:,}'} |")
        lines.append("")
        over = st.get("over_cap") or {}
        if over:
            lines += ["Categories kept above their cap because of people's decisions (every row a reviewer "
                      "decided on stays):", ""]
            for cat, o in sorted(over.items()):
                lines.append(f"- **{cat}**: {o['protected']:,} rows a reviewer accepted, edited or kept exceed "
                             f"its cap of {o['cap']:,}")
            lines.append("")
        deficits = st.get("deficits") or {}
        if deficits:
            lines += ["Under-represented categories (nothing was invented to fill them):", ""]
            for cat, d in sorted(deficits.items(), key=lambda kv: (-kv[1]["missing"], kv[0])):
                target = "minimum" if d["target"] == "min_per_category" else "target share"
                lines.append(f"- **{cat}**: {d['have']:,} rows, {d['missing']:,} short of its {target} ({d['need']:,})")
            lines.append("")
        general = st.get("general")
        if general:
            lines += [f"General instruction rows mixed in (origin `general`): {general['added']:,}"
                      + (f" ({general['missing']:,} fewer than the share asked for)" if general.get("missing") else ""),
                      ""]
    review = _step(report, "synthetic_review")
    if review:
        st = review.get("stats") or {}
        lines += ["## Synthetic examples", "",
                  f"{st.get('under_review', 0):,} rows needed review ({st.get('min_verdicts', 1)} verdict(s) each, "
                  f"{st.get('rule', 'majority')} rule): {st.get('accepted', 0):,} accepted "
                  f"({st.get('edited', 0):,} of them edited by a reviewer), {st.get('rejected', 0):,} rejected, "
                  f"{st.get('disputed', 0):,} disputed, {st.get('unreviewed', 0):,} held back unreviewed"
                  + (f", {st['passed_unreviewed']:,} let through unreviewed" if st.get("passed_unreviewed") else "")
                  + "."]
        reasons = st.get("reject_reasons") or {}
        if reasons:
            lines.append("Rejection reasons: " + ", ".join(f"{r} {n:,}" for r, n in reasons.items()) + ".")
        raw = st.get("agreement")
        if raw:
            line = Agreement(**raw).line()
            lines.append(line[0].upper() + line[1:] + ".")
        lines.append("")
    vetoed = {s.get("name"): s.get("protected", 0) for s in report.get("steps", []) if s.get("protected")}
    if vetoed:
        lines += ["## Human decisions kept", "",
                  f"{sum(vetoed.values()):,} automatic drops were overruled because a person had accepted, "
                  "edited or kept the row in another step (by step: "
                  + ", ".join(f"{name} {n:,}" for name, n in vetoed.items()) + ").", ""]
    return lines
