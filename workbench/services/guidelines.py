"""A project's annotation guidelines: the Markdown file named in workbench.toml,

    [review]
    guidelines = "GUIDELINES.md"   # relative to the project folder

that the reviewer reads beside the item they judge (`g` on the Dedup, PII, Review and Compare tabs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkbenchError
from ..layout import CONFIG

if TYPE_CHECKING:
    from .project import Project

SETTING = "[review] guidelines"
EXAMPLE = '[review]\nguidelines = "GUIDELINES.md"'


@dataclass(frozen=True)
class Guidelines:
    """The guidelines' Markdown, or `problem`: why there is none to show (in the user's words)."""

    markdown: str | None
    path: Path | None
    problem: str | None = None


def guidelines_path(project: Project) -> Path | None:
    """The file the project names (None: it names none). Relative paths are the project folder's."""
    review = project.config.get("review", {})
    if not isinstance(review, dict):
        raise WorkbenchError(f"{project.path / CONFIG}: [review] must be a table")
    name = review.get("guidelines")
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise WorkbenchError(f"{project.path / CONFIG}: {SETTING} must be a file name in quotes")
    path = Path(name).expanduser()
    return path if path.is_absolute() else project.path / path


def read_guidelines(project: Project) -> Guidelines:
    """The guidelines to show; never raises: a missing setting or file says what to do instead."""
    try:
        path = guidelines_path(project)
    except WorkbenchError as e:
        return Guidelines(None, None, str(e))
    if path is None:
        return Guidelines(None, None, f"This project has no annotation guidelines. To add some, write them "
                                      f"in a Markdown file in the project folder and name it in {CONFIG}:\n\n"
                                      f"{EXAMPLE}")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return Guidelines(None, path, f"The guidelines file {path} is missing: {CONFIG} names it "
                                      f"({SETTING}), but there is no such file.")
    except OSError as e:
        return Guidelines(None, path, f"The guidelines file {path} cannot be read: {e.strerror or e}.")
    if not text.strip():
        return Guidelines(None, path, f"The guidelines file {path} is empty.")
    return Guidelines(text, path)
