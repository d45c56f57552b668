"""`workbench check`: is an export still what its report.json says, and does it leak?

The hash check needs the export alone; the leak check of an export made from a project looks up
the personal values recorded in that project (found next to the export or named with --project).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..export.verify import (Verification, has_pii_step, leak_check_stateless, leak_check_with_findings,
                             verify_files)
from ..steps.pii.keyed import purged_values
from ..steps.pii.leak import store_findings
from .project import Project, is_project


def verify_export(folder: Path, project_dir: Path | None = None) -> Verification:
    """Re-run the hash check and, for a recipe with a pii step, the leak check on an export."""
    result = verify_files(folder)
    if not has_pii_step(result.report):
        return result
    project_path = find_project(result.folder, result.report, project_dir)
    if project_path is None:
        leak_check_stateless(result)
        return result
    project = Project.open(project_path)
    try:
        if result.report.get("project") not in (None, project.name):
            raise InputError(str(project_path), f"is project {project.name!r}, but {result.folder} was exported "
                                                f"from {result.report['project']!r}")
        findings = store_findings(project.store)
        sealed = purged_values(project.store)
        source = f"the {len(findings[0]):,} findings recorded in project {project_path}"
        if sealed is not None:
            source += f" and the {sealed.scrubbed:,} values its PII purge kept as keyed hashes"
        leak_check_with_findings(result, project.registry(), project.path, findings, source, sealed=sealed)
    finally:
        project.close()
    return result


def find_project(folder: Path, report: dict[str, Any], project_dir: Path | None) -> Path | None:
    """The project an export came from: `project_dir`, or the first folder above it holding one."""
    if report.get("project") is None and project_dir is None:
        return None  # a stateless export (`workbench export --input`)
    if project_dir is not None:
        found = Project.open(project_dir).path  # a clear error when it is not a project
    else:
        found = next((p for p in Path(folder).resolve().parents if is_project(p)), None)
        if found is None:
            raise InputError(str(folder), f"exported from project {report['project']!r}, which is not a folder "
                                          "above it; pass --project PATH (the leak check needs its recorded "
                                          "personal values)")
    return found
