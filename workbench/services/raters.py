"""Who is rating: the name a person gave the first time they opened a project, remembered per
project and per login (several experts may share one machine and one project folder).

Kept in PROJECT/.workbench/raters.toml, a table of login -> name:

    [raters]
    ana = "Ana Dias"
"""

from __future__ import annotations

import getpass
import os
import tomllib
from typing import TYPE_CHECKING

import tomli_w

from ..files import write_atomically
from ..layout import state_dir
from ..store.base import use_rater

if TYPE_CHECKING:
    from pathlib import Path

    from .project import Project

FILE = "raters.toml"
MAX_NAME = 60


def login() -> str:
    """The OS user running the app (the key under which their name is remembered)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER") or "unknown"


def _path(project: Project) -> Path:
    return state_dir(project.path) / FILE


def _all(project: Project) -> dict[str, str]:
    try:
        data = tomllib.loads(_path(project).read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # a damaged file: ask again rather than refuse to open the project
    raters = data.get("raters", {})
    return {k: v for k, v in raters.items() if isinstance(v, str) and v.strip()} if isinstance(raters, dict) else {}


def remembered_rater(project: Project) -> str | None:
    """The name this login gave in this project, or None when they have not been asked yet."""
    return _all(project).get(login())


def clean_name(name: str) -> str | None:
    """The name as it will be stored (spaces trimmed, one line), or None when it is unusable."""
    name = " ".join(name.split())
    return name[:MAX_NAME] if name else None


def remember_rater(project: Project, name: str) -> str:
    """Remember `name` for this login in this project and rate as it from now on; returns it."""
    cleaned = clean_name(name)
    if cleaned is None:
        raise ValueError("a rater needs a name")
    raters = _all(project)
    if raters.get(login()) != cleaned:
        raters[login()] = cleaned
        write_atomically(_path(project), tomli_w.dumps({"raters": raters}))
        project.store.log("rater_named", {"login": login(), "rater": cleaned}, who=cleaned)
    use_rater(cleaned)
    return cleaned


def rate_as(name: str | None) -> None:
    """Rate as `name` in this process without remembering it (None: back to the default)."""
    use_rater(clean_name(name) if name else None)


def suggested_rater(explicit: str | None = None) -> str:
    """What the question "who is rating?" proposes: `--rater`, else $WORKBENCH_RATER; never the
    login name, which on a shared machine is often "root" or a service account."""
    return clean_name(explicit or os.environ.get("WORKBENCH_RATER") or "") or ""
