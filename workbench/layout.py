"""Where things live inside a project folder; the one place these paths are spelled.

    PROJECT/workbench.toml
    PROJECT/.workbench/workbench.db       the store
    PROJECT/.workbench/snapshots/         import and recipe snapshots
    PROJECT/.workbench/cache/             derived data (embeddings), keyed by record id and model
"""

from __future__ import annotations

from pathlib import Path

CONFIG = "workbench.toml"
STATE = ".workbench"


def state_dir(project_dir: str | Path) -> Path:
    return Path(project_dir) / STATE


def store_path(project_dir: str | Path) -> Path:
    return state_dir(project_dir) / "workbench.db"


def snapshots_dir(project_dir: str | Path) -> Path:
    return state_dir(project_dir) / "snapshots"


def cache_dir(project_dir: str | Path) -> Path:
    return state_dir(project_dir) / "cache"
