"""What evaluation needs of a project, as a protocol: evaluation sits below the use-case layer that
opens projects (workbench.services.project), so it names the attributes it uses instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..store import Store


class EvalProject(Protocol):
    """A project folder as generation and reports use it (`services.project.Project` is one)."""

    path: Path
    store: Store

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> dict[str, Any]: ...

    def registry(self) -> Any: ...
