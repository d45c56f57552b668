"""Finding and loading plugins: built-ins, the `workbench` entry-point group, project plugins.

A plugin never takes the app down and never hides what it replaced:
- anything it raises while it is imported or while its hooks run (SystemExit included) is
  reported with its name and source, and the app goes on without it;
- its registrations are staged and kept only when all its hooks succeeded, so a plugin that
  fails part-way leaves nothing behind;
- a name that is already taken (by a built-in, or by a plugin loaded earlier: built-ins first,
  then entry points in name order, then the project's plugins in their listed order) refuses
  the whole plugin, so a plugin cannot silently replace the `openai` importer or the `pii` step.
A Ctrl+C the user presses while plugins load still stops the program.

WORKBENCH_PLUGINS (comma-separated entry-point names) restricts which installed plugins load;
set it to an empty string to load none.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .errors import ConfigError, WorkbenchError

BUILTIN_MODULES = (
    "workbench.io.importers",
    "workbench.io.writers",
    "workbench.steps",
)

# hook -> (what one registration is called in messages, the Registry attribute it fills)
HOOKS = {
    "register_importers": ("importer", "importers"),
    "register_steps": ("step", "steps"),
    "register_pii_recognizers": ("PII recognizer", "pii_recognizers"),
    "register_categorizers": ("categorizer", "categorizers"),
    "register_eval_metrics": ("metric", "eval_metrics"),
    "register_exporters": ("exporter", "exporters"),
}


@dataclass
class PluginInfo:
    name: str
    version: str
    source: str  # "built-in", "package <dist>" (entry point), "project setting ..."
    hooks: list[str] = field(default_factory=list)
    provides: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)

    def describe(self) -> str:
        """How messages name where a step or importer came from."""
        return "built-in" if self.source == "built-in" else f"plugin '{self.name}' ({self.source})"


@dataclass
class PluginError:
    name: str
    source: str
    message: str


class Registry:
    """Everything the hooks registered, by kind and name, and which plugin registered each name."""

    def __init__(self) -> None:
        self.importers: dict[str, Any] = {}
        self.steps: dict[str, type] = {}
        self.pii_recognizers: list[Any] = []
        self.categorizers: dict[str, Any] = {}
        self.eval_metrics: dict[str, Any] = {}
        self.exporters: dict[str, Any] = {}
        self.plugins: list[PluginInfo] = []
        self.errors: list[PluginError] = []
        self.owners: dict[tuple[str, str], PluginInfo] = {}  # (kind, name) -> who registered it

    def origin(self, kind: str, name: str) -> str:
        """'built-in', "plugin 'x' (package x)", or '' for a name set directly (as tests do)."""
        owner = self.owners.get((kind, name))
        return owner.describe() if owner is not None else ""

    def build_step(self, spec, where: str = "recipe") -> Any:
        cls = self.steps.get(spec.name)
        if cls is None:
            raise ConfigError(
                f"{where}: unknown step '{spec.name}'; available steps: {', '.join(sorted(self.steps))}"
            )
        try:
            return cls.from_params(spec.params, where)
        except WorkbenchError:
            raise
        except Exception as e:  # a plugin's constructor bug is a message, not a traceback
            origin = self.origin("step", spec.name)
            raise ConfigError(f"{where}: step '{spec.name}'{f' from {origin}' if origin else ''} could not "
                              f"be set up: {describe_error(e)}") from e

    def exporter(self, name: str) -> Any:
        if name not in self.exporters:
            raise ConfigError(f"unknown export format '{name}'; available: {', '.join(sorted(self.exporters))}")
        return self.exporters[name]

    def _reserve_builtin_names(self) -> None:
        """Names built into workbench that no hook registers, so no plugin can shadow them."""
        from . import __version__
        from .steps.categorize.categorizers import BUILTIN_METHODS

        workbench = PluginInfo("workbench", __version__, "built-in")
        for name in hookspecs.BUILTIN_METRICS:
            self.owners[("metric", name)] = workbench
        for name in BUILTIN_METHODS:
            self.owners[("categorizer", name)] = workbench


class _Staged:
    """One plugin's registrations, held back until all of its hooks have run."""

    def __init__(self, registry: Registry, info: PluginInfo) -> None:
        self.registry = registry
        self.info = info
        self.items: list[tuple[str, str, str, Any]] = []  # (kind, attribute, name, value)
        self.refusals: list[str] = []
        self.open = True

    def sink(self, hook: str) -> Callable[..., None]:
        kind, attribute = HOOKS[hook]
        named = attribute in ("categorizers", "eval_metrics")  # register(name, value)

        def register(*args: Any) -> None:
            if not self.open:
                raise RuntimeError(f"{hook}: register() was called after the plugin finished loading")
            if named:
                if len(args) != 2:
                    raise TypeError(f"{hook}: register(name, value) takes 2 arguments, got {len(args)}")
                name, value = args
            else:
                if len(args) != 1:
                    raise TypeError(f"{hook}: register(value) takes 1 argument, got {len(args)}")
                value = args[0]
                name = _registered_name(attribute, value)
            if not isinstance(name, str) or not name:
                raise TypeError(f"{hook}: {value!r} has no name (give it a non-empty `name`)")
            self._check_free(kind, name)
            self.items.append((kind, attribute, name, value))

        return register

    def _check_free(self, kind: str, name: str) -> None:
        owner = self.registry.owners.get((kind, name))
        if owner is not None:
            taken_by = "the built-in one" if owner.source == "built-in" else f"the one of {owner.describe()}"
            problem = f"its {kind} '{name}' has the same name as {taken_by}, which stays; rename it in the plugin"
        elif any(k == kind and n == name for k, _, n, _ in self.items):
            problem = f"it registers the {kind} '{name}' twice"
        else:
            return
        # Kept even if the plugin catches the exception: a refused name refuses the whole plugin.
        self.refusals.append(problem)
        raise ValueError(problem)

    def commit(self) -> None:
        reg = self.registry
        for kind, attribute, name, value in self.items:
            target = getattr(reg, attribute)
            if isinstance(target, list):
                target.append(value)
            else:
                target[name] = value
            reg.owners[(kind, name)] = self.info
            self.info.provides.append((kind, name))


def _registered_name(attribute: str, value: Any) -> Any:
    if attribute == "pii_recognizers":  # the name the pii step keys its cache by
        return getattr(value, "name", None) or getattr(value, "__name__", None) or type(value).__name__
    return getattr(value, "name", None)


def _register(pm: pluggy.PluginManager, registry: Registry, plugin: Any, info: PluginInfo) -> str | None:
    """Run one plugin's hooks into a staging area; commit all of it, or nothing. None means it loaded."""
    if pm.get_plugin(info.name) is not None:
        return f"a plugin named '{info.name}' is already loaded; it is listed twice"
    if pm.is_registered(plugin):
        return f"the same module is already loaded as plugin '{pm.get_name(plugin)}'; list it once"
    staged = _Staged(registry, info)
    try:
        pm.register(plugin, name=info.name)
        for hook in HOOKS:
            impl = getattr(plugin, hook, None)
            if impl is None:
                continue
            impl(register=staged.sink(hook))
            info.hooks.append(hook)
        if staged.refusals:
            raise ValueError(staged.refusals[0])
    except BaseException as e:
        staged.open = False
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        info.hooks.clear()
        if _user_pressed_ctrl_c(e):
            raise
        return staged.refusals[0] if staged.refusals else describe_error(e)
    staged.open = False
    staged.commit()
    return None


def load_registry(project_plugins: list[str] | None = None, project_dir: Path | None = None) -> Registry:
    registry = Registry()
    registry._reserve_builtin_names()
    pm = pluggy.PluginManager("workbench")
    pm.add_hookspecs(hookspecs)

    def add(plugin: Any, name: str, version: str, source: str) -> None:
        info = PluginInfo(name, str(version), source)
        problem = _register(pm, registry, plugin, info)
        if problem is None:
            registry.plugins.append(info)
        else:
            registry.errors.append(PluginError(name, source, problem))

    from . import __version__

    with _watch_ctrl_c():
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
            except BaseException as e:
                if _user_pressed_ctrl_c(e):
                    raise
                registry.errors.append(PluginError(ep.name, source, describe_error(e)))
                continue
            add(plugin, ep.name, version, source)

        for ref in project_plugins or []:
            source = f"project setting plugins = [{ref!r}]"
            try:
                plugin = _load_project_plugin(ref, project_dir)
            except BaseException as e:
                if _user_pressed_ctrl_c(e):
                    raise
                registry.errors.append(PluginError(ref, source, describe_error(e)))
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
        try:
            spec.loader.exec_module(module)
        except BaseException:
            # As `import` does: a module that failed to run is not left behind half-made.
            if sys.modules.get(name) is module:
                del sys.modules[name]
            raise
        return module
    return importlib.import_module(ref)


# -- telling the user's Ctrl+C from a plugin that raises KeyboardInterrupt -----------------------------

_ctrl_c_pressed = threading.local()


@contextmanager
def _watch_ctrl_c() -> Iterator[None]:
    """While plugins load, note whether SIGINT really arrived (only the main thread receives it)."""
    _ctrl_c_pressed.value = False
    watch = (threading.current_thread() is threading.main_thread()
             and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if not watch:
        yield
        return

    def pressed(signum: int, frame: Any) -> None:
        _ctrl_c_pressed.value = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, pressed)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _user_pressed_ctrl_c(e: BaseException) -> bool:
    return isinstance(e, KeyboardInterrupt) and getattr(_ctrl_c_pressed, "value", False)


def describe_error(e: BaseException) -> str:
    """One line: what was raised and the file:line it came from."""
    if isinstance(e, SystemExit):
        what = f"called sys.exit({'' if e.code is None else repr(e.code)})"
    else:
        text = str(e).replace("\n", " ").strip()
        what = f"{type(e).__name__}: {text}" if text else type(e).__name__
    frame = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return what + where


def report_errors(registry: Registry, echo=None) -> None:
    """Tell the user about plugins that were not loaded, on stderr."""
    echo = echo or (lambda m: print(m, file=sys.stderr))
    for err in registry.errors:
        echo(f"warning: plugin '{err.name}' from {err.source} was not loaded: {err.message}")
