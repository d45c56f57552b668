"""Import, exact dedup and export of a generated chat dataset: workbench vs a plain-Python script.

    .venv/bin/python benchmarks/io_export.py [--rows 1000000] [--dup-share 0.05]

The baseline is what a user would write by hand with the standard library: json.loads per line,
a set of normalized texts (NFKC, casefold, collapsed whitespace) for exact duplicates, and
json.dumps per row for the export. Both run in this process on the same file; the script prints
rows/s for each stage and the ratio ours / baseline.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402

from workbench.export.folder import ExportInfo, write_export  # noqa: E402
from workbench.io import finalize_ids, read_input  # noqa: E402
from workbench.plugins import load_registry  # noqa: E402
from workbench.recipe import Recipe, StepSpec, run_recipe  # noqa: E402

WORDS = ("account billing charge refund invoice password reset login order parcel tracking delivery "
         "thermostat battery firmware update app schedule warranty replacement install wiring "
         "subscription plan cancel upgrade payment card bank transfer email phone address").split()
CATEGORIES = ["billing", "technical", "account", "shipping", "installation", "warranty"]


def generate(path: Path, rows: int, dup_share: float, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines: list[str] = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            if lines and rng.random() < dup_share:
                line = rng.choice(lines[-1000:])
                if rng.random() < 0.5:  # a copy that differs in case and spacing only
                    line = line.replace("the ", "The  ")
            else:
                q = " ".join(rng.choices(WORDS, k=rng.randint(8, 20)))
                a = " ".join(rng.choices(WORDS, k=rng.randint(20, 60)))
                msgs = [{"role": "system", "content": "You are a helpful support agent."},
                        {"role": "user", "content": f"Ticket {i}: the {q}?"},
                        {"role": "assistant", "content": f"Thanks for asking. {a}."}]
                line = json.dumps({"messages": msgs, "category": rng.choice(CATEGORIES)})
                lines.append(line)
                if len(lines) > 2000:
                    del lines[:1000]
            f.write(line + "\n")


def baseline(path: Path, out: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    t1 = time.perf_counter()
    seen, kept = set(), []
    for row in rows:
        key = " ".join(unicodedata.normalize("NFKC", "\n".join(
            f"{m['role']}: {m['content']}" for m in row["messages"])).casefold().split())
        if key not in seen:
            seen.add(key)
            kept.append(row)
    t2 = time.perf_counter()
    with open(out, "w", encoding="utf-8") as f:
        for row in kept:
            f.write(json.dumps({"messages": row["messages"]}, ensure_ascii=False) + "\n")
    t3 = time.perf_counter()
    return {"import": t1 - t0, "dedup": t2 - t1, "export": t3 - t2, "kept": len(kept)}


def ours(path: Path, out: Path) -> dict[str, float]:
    registry = load_registry()
    t0 = time.perf_counter()
    result = read_input(str(path), registry=registry)
    records = finalize_ids(result.records)
    t1 = time.perf_counter()
    outcome = run_recipe(records, Recipe((StepSpec("exact_dedup"),)), registry)
    t2 = time.perf_counter()
    info = ExportInfo(Recipe((StepSpec("exact_dedup"),)),
                      [{"path": result.path, "format": result.format, "sha256": result.sha256,
                        "rows": result.records.height, "quarantined": len(result.quarantine)}],
                      result.quarantine)
    write_export(outcome, out, info, registry.exporter("openai"))
    t3 = time.perf_counter()
    return {"import": t1 - t0, "dedup": t2 - t1, "export": t3 - t2, "kept": outcome.kept.height}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dup-share", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "chats.jsonl"
        t = time.perf_counter()
        generate(src, args.rows, args.dup_share)
        print(f"generated {args.rows:,} rows ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
        gc.collect()
        b = baseline(src, tmp / "baseline.jsonl")
        gc.collect()
        o = ours(src, tmp / "ours")
        print(f"{'stage':<8} {'baseline rows/s':>16} {'workbench rows/s':>17} {'ratio':>7}")
        for stage in ("import", "dedup", "export"):
            n = args.rows if stage != "export" else o["kept"]
            print(f"{stage:<8} {n / b[stage]:>16,.0f} {n / o[stage]:>17,.0f} {b[stage] / o[stage]:>6.1f}x")
        total_b = sum(b[s] for s in ("import", "dedup", "export"))
        total_o = sum(o[s] for s in ("import", "dedup", "export"))
        print(f"{'total':<8} {total_b:>15.1f}s {total_o:>16.1f}s {total_b / total_o:>6.1f}x")
        print(f"kept: baseline {b['kept']:,}, workbench {o['kept']:,} (workbench also writes holdout, "
              "removed.jsonl with reasons, report.json and DATA_CARD.md)")


if __name__ == "__main__":
    main()
