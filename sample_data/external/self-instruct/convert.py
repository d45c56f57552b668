"""Turn self-instruct's user-oriented instructions into Alpaca-shaped JSONL.

The source file (yizhongw/self-instruct, human_eval/user_oriented_instructions.jsonl) has one
row per task with a list of instances; Workbench's Alpaca importer expects one row per example.
Each instance becomes one row: instruction, input, output, category (the source's
motivation_app) and source_id (the task id, with "#<n>" appended when a task has several
instances). Texts are copied verbatim; the source file is read, never changed.

    python sample_data/external/self-instruct/convert.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "user_oriented_instructions.jsonl"
TARGET = HERE / "self_instruct_alpaca.jsonl"


def convert_task(task: dict) -> list[dict]:
    """The Alpaca rows for one self-instruct task, one per instance."""
    instances = task["instances"]
    rows = []
    for n, instance in enumerate(instances):
        source_id = task["id"] if len(instances) == 1 else f"{task['id']}#{n}"
        rows.append({
            "instruction": task["instruction"],
            "input": instance.get("input", ""),
            "output": instance["output"],
            "category": task["motivation_app"],
            "source_id": source_id,
        })
    return rows


def main() -> None:
    lines = []
    with SOURCE.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                for row in convert_task(json.loads(line)):
                    lines.append(json.dumps(row, ensure_ascii=False))
    tmp = TARGET.with_suffix(".jsonl.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, TARGET)  # a crash never leaves half a file behind
    print(f"wrote {len(lines)} rows to {TARGET.name}")


if __name__ == "__main__":
    main()
