"""`python -m workbench.demo DIR`: build the sample project that `make demo` opens."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import WorkbenchError
from .project import Project, is_project

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"
DEMO_INPUTS = [SAMPLE_DATA / "support" / "support_chats.jsonl"]


def build_demo(target: Path) -> Project:
    if is_project(target):
        return Project.open(target)
    missing = [p for p in DEMO_INPUTS if not p.exists()]
    if missing:
        raise WorkbenchError(f"sample data not found: {missing[0]} (run from a clone of the repository)")
    # A path relative to where make runs, so exports name the file the same on every machine.
    inputs = [os.path.relpath(p) for p in DEMO_INPUTS]
    project = Project.create(target, inputs, name="quillfield-support-demo")
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
