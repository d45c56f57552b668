"""Finding and loading plugins: built-ins, the `workbench` entry-point group, project plugins.

A plugin that fails to import or to register is reported and skipped; it never takes the app
down. WORKBENCH_PLUGINS (comma-separated entry-point names) restricts which installed plugins
load; set it to an empty string to load none.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .errors import ConfigError

BUILTIN_MODULES = (
    "workbench.io.importers",
    "workbench.io.writers",
    "workbench.steps",
)


@dataclass
class PluginInfo:
    name: str
    version: str
    source: str  # "built-in", "package <dist>" (entry point), "project setting ..." 
    hooks: list[str] = field(default_factory=list)


@dataclass
class PluginError:
    name: str
    source: str
    message: str


class Registry:
    """Everything the hooks registered, by kind and name."""

    def __init__(self) -> None:
        self.importers: dict[str, Any] = {}
        self.steps: dict[str, type] = {}
        self.pii_recognizers: list[Any] = []
        self.categorizers: dict[str, Any] = {}
        self.eval_metrics: dict[str, Any] = {}
        self.exporters: dict[str, Any] = {}
        self.plugins: list[PluginInfo] = []
        self.errors: list[PluginError] = []

    def build_step(self, spec, where: str = "recipe") -> Any:
        cls = self.steps.get(spec.name)
        if cls is None:
            raise ConfigError(
                f"{where}: unknown step '{spec.name}'; available steps: {', '.join(sorted(self.steps))}"
            )
        return cls.from_params(spec.params, where)

    def exporter(self, name: str) -> Any:
        if name not in self.exporters:
            raise ConfigError(f"unknown export format '{name}'; available: {', '.join(sorted(self.exporters))}")
        return self.exporters[name]


def _collect(pm: pluggy.PluginManager, registry: Registry, plugin: Any, info: PluginInfo) -> None:
    """Call one plugin's hooks into the registry; on failure, undo nothing global and report."""
    sinks = {
        "register_importers": lambda imp: registry.importers.__setitem__(imp.name, imp),
        "register_steps": lambda cls: registry.steps.__setitem__(cls.name, cls),
        "register_pii_recognizers": registry.pii_recognizers.append,
        "register_categorizers": lambda name, factory: registry.categorizers.__setitem__(name, factory),
        "register_eval_metrics": lambda name, metric: registry.eval_metrics.__setitem__(name, metric),
        "register_exporters": lambda exp: registry.exporters.__setitem__(exp.name, exp),
    }
    for hook, sink in sinks.items():
        impl = getattr(plugin, hook, None)
        if impl is None:
            continue
        impl(register=sink)
        info.hooks.append(hook)


def load_registry(project_plugins: list[str] | None = None, project_dir: Path | None = None) -> Registry:
    registry = Registry()
    pm = pluggy.PluginManager("workbench")
    pm.add_hookspecs(hookspecs)

    def add(plugin: Any, name: str, version: str, source: str) -> None:
        info = PluginInfo(name, version, source)
        try:
            pm.register(plugin, name=name)
            _collect(pm, registry, plugin, info)
        except Exception as e:  # a broken plugin is reported, never fatal
            registry.errors.append(PluginError(name, source, _describe(e)))
            return
        registry.plugins.append(info)

    from . import __version__

    for module_name in BUILTIN_MODULES:
        add(importlib.import_module(module_name), module_name, __version__, "built-in")

    allowed = os.environ.get("WORKBENCH_PLUGINS")
    allow = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
    for ep in sorted(md.entry_points(group="workbench"), key=lambda e: e.name):
        if allow is not None and ep.name not in allow:
            continue
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        source = f"package {dist}"
        try:
            plugin = ep.load()
        except Exception as e:
            registry.errors.append(PluginError(ep.name, source, _describe(e)))
            continue
        add(plugin, ep.name, version, source)

    for ref in project_plugins or []:
        source = f"project setting plugins = [{ref!r}]"
        try:
            plugin = _load_project_plugin(ref, project_dir)
        except Exception as e:
            registry.errors.append(PluginError(ref, source, _describe(e)))
            continue
        add(plugin, ref, getattr(plugin, "__version__", "-"), source)
    return registry


def _load_project_plugin(ref: str, project_dir: Path | None) -> Any:
    """A module name importable from the environment, or a .py file (relative to the project)."""
    if ref.endswith(".py"):
        path = Path(ref)
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        if not path.exists():
            raise FileNotFoundError(f"plugin file {path} does not exist")
        name = f"workbench_project_plugin_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(ref)


def _describe(e: BaseException) -> str:
    frame = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"{type(e).__name__}: {e}{where}"


def report_errors(registry: Registry, echo=None) -> None:
    """Tell the user about plugins that failed to load, on stderr."""
    echo = echo or (lambda m: print(m, file=sys.stderr))
    for err in registry.errors:
        echo(f"warning: plugin '{err.name}' from {err.source} failed to load and was skipped: {err.message}")
