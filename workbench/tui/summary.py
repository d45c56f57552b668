"""The pipeline at a glance: inputs, quarantine, and the counts of the last recipe run.

Plain data gathered in a worker thread (it touches SQLite and the snapshot manifests), so the
panel that draws it never blocks on the disk. No textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import WorkbenchError


@dataclass
class PipelineSummary:
    inputs: list[dict[str, Any]] = field(default_factory=list)  # path, format, rows, quarantined
    quarantined: int = 0
    recipe_steps: list[str] = field(default_factory=list)  # as configured in workbench.toml
    recipe_problem: str | None = None  # why the configured recipe cannot be read
    last_run: str | None = None  # id of the newest recipe snapshot
    run_is_stale: bool = False  # records were imported after the last run
    steps: list[dict[str, Any]] = field(default_factory=list)  # manifest["steps"] of last_run
    rows_in: int | None = None
    split: dict[str, int] = field(default_factory=dict)  # train / holdout rows of the shown snapshot


def pipeline_summary(project: Any) -> PipelineSummary:
    """Read what the pipeline panel shows from `project` (a workbench.services.project.Project)."""
    summary = PipelineSummary(inputs=project.inputs())
    summary.quarantined = sum(int(i.get("quarantined") or 0) for i in summary.inputs)
    try:
        summary.recipe_steps = [step.name for step in project.recipe().steps]
    except WorkbenchError as e:
        summary.recipe_problem = str(e)
    snapshots = project.snapshots()
    runs = [s for s in snapshots if s.manifest.get("step") == "recipe"]
    if runs:
        last = runs[-1]
        summary.last_run = last.id
        summary.run_is_stale = snapshots[-1].manifest.get("step") == "import"
        summary.steps = list(last.manifest.get("steps") or [])
        counts = last.manifest.get("counts") or {}
        summary.rows_in = counts.get("rows_in")
    return summary
