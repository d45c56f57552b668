"""`python -m workbench.services.demo DIR`: build the sample project that `make demo` opens."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..errors import WorkbenchError
from .project import Project, is_project

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
DEMO_INPUTS = [SAMPLE_DATA / "support" / "support_chats.jsonl"]

# Quillfield's own product, feature and partner names: not people, though the small spaCy model
# takes some of them for names ("PayPal", "Android").
DEMO_ALLOW_LIST = [
    "Quillfield", "Quillfield Plus", "Quillfield Finance", "Quillfield Support", "Quillfield Home Energy",
    "Tempo", "Tempo 3", "Tempo Lite", "Sense", "Vault", "Vault 10", "Vault 15", "Gateway",
    "Plus", "Smart Shift", "Storm Watch",
    "PayPal", "Android", "Alexa", "Safari", "Google Home", "Apple Home", "SmartThings",
    "Eero", "Orbi", "Deco", "Moto G",
]

# The demo's recipe goes on from the template's with personal-data scrubbing and the review of the
# sample's synthetic rows (categorize and balance are left for the Balance tab to try).
DEMO_STEPS = f"""
[[recipe.steps]]
name = "pii"
allow_list = {json.dumps(DEMO_ALLOW_LIST)}   # product names, not people

[[recipe.steps]]
name = "synthetic_review"   # synthetic rows reach the export once accepted in the Review tab
"""


def build_demo(target: Path, inputs: list[Path] | None = None) -> Project:
    """The demo project at `target` (opened if it is there): the sample support chats, or
    `inputs` (a test's smaller sample), with the demo's recipe, run once."""
    if is_project(target):
        return Project.open(target)
    sources = list(inputs or DEMO_INPUTS)
    missing = [p for p in sources if not Path(p).exists()]
    if missing:
        raise WorkbenchError(f"sample data not found: {missing[0]} (run from a clone of the repository)")
    # A path relative to where make runs, so exports name the file the same on every machine.
    inputs = [os.path.relpath(p) for p in sources]
    project = Project.create(target, inputs, name="quillfield-support-demo")
    config = target / "workbench.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("\n[recipe.split]", DEMO_STEPS + "\n[recipe.split]", 1), encoding="utf-8")
    project.run()
    return project


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "demo-project")
    fresh = not is_project(target)
    try:
        project = build_demo(target)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if fresh:
        rows = project.records().height
        print(f"demo project created in {target}: {rows:,} records imported and the recipe run once")
    project.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
