import subprocess
import sys
import textwrap

import pytest

from conftest import frame
from workbench.commands import main
from workbench.plugins import load_registry
from workbench.recipe import Recipe, StepSpec, run_recipe

GOOD_STEP = textwrap.dedent('''
    from dataclasses import dataclass
    from typing import ClassVar
    import polars as pl
    from workbench.hookspecs import hookimpl
    from workbench.steps.base import Step, StepResult
    from workbench.records import Decision

    __version__ = "1.2.3"

    @dataclass
    class DropShort(Step):
        name: ClassVar[str] = "drop_short"
        min_words: int = 3

        def run(self, records, ctx):
            words = records.select(pl.col("messages").list.last().struct.field("content")
                                   .str.split(" ").list.len()).to_series()
            short = records.filter(words < self.min_words).get_column("id").to_list()
            return StepResult(records.filter(~pl.col("id").is_in(short)),
                              [Decision(i, "drop", "too_few_words") for i in short])

    @hookimpl
    def register_steps(register):
        register(DropShort)
''')


def install_fake_distribution(root, name, module_source, entry="plugin_mod"):
    """A minimal installed distribution with a `workbench` entry point, found via sys.path."""
    dist = root / f"{name.replace('-', '_')}-0.9.dist-info"  # as pip names it
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.9\n")
    (dist / "entry_points.txt").write_text(f"[workbench]\n{name} = {entry}_{name.replace('-', '_')}\n")
    (root / f"{entry}_{name.replace('-', '_')}.py").write_text(module_source)


def test_project_plugin_file_adds_a_usable_step(tmp_path):
    (tmp_path / "my_steps.py").write_text(GOOD_STEP)
    registry = load_registry(["my_steps.py"], tmp_path)
    assert not registry.errors
    info = [p for p in registry.plugins if p.name == "my_steps.py"][0]
    assert info.version == "1.2.3" and info.hooks == ["register_steps"]
    records = frame([{"user": "q", "assistant": "one two three four"}, {"user": "q2", "assistant": "no"}])
    out = run_recipe(records, Recipe((StepSpec("drop_short"),)), registry)
    assert out.kept.height == 1 and out.removed.get_column("reason").to_list() == ["too_few_words"]


def test_broken_plugins_are_reported_and_skipped(tmp_path, monkeypatch):
    install_fake_distribution(tmp_path, "wb-broken-import", "raise ImportError('needs libfoo')\n")
    install_fake_distribution(tmp_path, "wb-broken-hook", textwrap.dedent('''
        from workbench.hookspecs import hookimpl
        @hookimpl
        def register_steps(register):
            raise RuntimeError("cannot register today")
    '''))
    install_fake_distribution(tmp_path, "wb-good", GOOD_STEP)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "proj_bad.py").write_text("syntax error here (\n")
    registry = load_registry(["proj_bad.py", "no_such_module_xyz"], tmp_path)
    errors = {e.name: e.message for e in registry.errors}
    assert "needs libfoo" in errors["wb-broken-import"]
    assert "cannot register today" in errors["wb-broken-hook"]
    assert "SyntaxError" in errors["proj_bad.py"]
    assert "No module named" in errors["no_such_module_xyz"]
    # The good ones still load, built-ins included.
    assert {"drop_short", "validate", "exact_dedup"} <= set(registry.steps)
    good = [p for p in registry.plugins if p.name == "wb-good"][0]
    assert good.version == "0.9" and "wb-good" in good.source


def test_env_variable_restricts_installed_plugins(tmp_path, monkeypatch):
    install_fake_distribution(tmp_path, "wb-good", GOOD_STEP)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("WORKBENCH_PLUGINS", "")
    assert "drop_short" not in load_registry().steps
    monkeypatch.setenv("WORKBENCH_PLUGINS", "wb-good")
    assert "drop_short" in load_registry().steps


def test_plugins_command_lists_versions_sources_and_warns_about_broken_ones(tmp_path, monkeypatch, capsys):
    install_fake_distribution(tmp_path, "wb-good", GOOD_STEP)
    install_fake_distribution(tmp_path, "wb-broken-import", "raise ImportError('needs libfoo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    assert "wb-good" in out and "0.9" in out and "workbench.steps" in out and "built-in" in out
    assert "drop_short" in out
    assert "wb-broken-import" in err and "needs libfoo" in err
