"""workbench.api is the one module a plugin imports from: it holds every name a plugin needs, the
example plugins use nothing else, a plugin built on it alone works end to end, it stays cheap to
import, and its protocols describe what the built-in code actually calls."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import SUPPORT_ROWS, frame, write_jsonl
from test_import_hygiene import HEAVY, run_and_list_modules
from test_plugins import install_fake_distribution
from workbench import api
from workbench.commands import main

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "plugins"

# What issue 12 promises plugin authors, whatever else the module grows.
PROMISED = {"hookimpl", "Step", "StepContext", "StepResult", "Decision", "Importer", "Exporter",
            "Categorizer", "CategorizerFactory", "PIIRecognizerFactory"}


def test_every_exported_name_exists_and_the_promised_ones_are_there():
    assert len(api.__all__) == len(set(api.__all__))
    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []
    assert PROMISED <= set(api.__all__)


def test_the_exported_types_are_the_ones_the_runner_checks_against():
    # The runner checks a step's result with isinstance; a copy of StepResult would fail that check.
    from workbench.hookspecs import hookimpl
    from workbench.steps.base import Step, StepContext, StepResult
    from workbench.records import Decision

    assert (api.Step, api.StepContext, api.StepResult, api.Decision, api.hookimpl) == \
        (Step, StepContext, StepResult, Decision, hookimpl)


# -- the example plugins -----------------------------------------------------------------------------

def workbench_imports(source: str, filename: str = "<plugin>") -> list[str]:
    """The workbench modules a source imports (a plugin's own package, workbench_*, is not one)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n == "workbench" or n.startswith("workbench.")]
    return found


def example_plugin_sources() -> dict[str, list[Path]]:
    return {
        package.name: sorted(p for p in package.rglob("*.py") if ".egg-info" not in str(p) and "build" not in p.parts)
        for package in sorted(PLUGINS.iterdir()) if (package / "pyproject.toml").exists()
    }


def test_the_example_plugins_import_nothing_from_workbench_but_its_api():
    sources = example_plugin_sources()
    assert len(sources) >= 4, sorted(sources)
    for package, files in sources.items():
        imports = {str(f.relative_to(PLUGINS)): workbench_imports(f.read_text(encoding="utf-8"), str(f))
                   for f in files}
        elsewhere = {f: [m for m in mods if m != "workbench.api"] for f, mods in imports.items()}
        assert {f: m for f, m in elsewhere.items() if m} == {}, package
        # Each plugin does use the API (at least for hookimpl), so the check above is not vacuous.
        assert any("workbench.api" in mods for mods in imports.values()), package


# -- a plugin that knows only workbench.api ----------------------------------------------------------

API_ONLY_PLUGIN = textwrap.dedent('''
    from dataclasses import dataclass
    from typing import ClassVar

    import polars as pl

    from workbench.api import ROLES, ConfigError, Decision, Step, StepContext, StepResult, hookimpl

    __version__ = "0.3"


    @dataclass
    class DropMentions(Step):
        """Drop rows whose turns of one role mention a word."""

        name: ClassVar[str] = "drop_mentions"
        description: ClassVar[str] = "drop rows that mention a word"

        word: str = ""
        role: str = "assistant"

        def check(self) -> None:
            if self.role not in ROLES:
                raise ValueError(f"role must be one of {', '.join(ROLES)}")

        def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
            if not self.word:
                raise ConfigError("drop_mentions needs word")
            text = pl.col("messages").list.eval(
                pl.element().filter(pl.element().struct.field("role") == self.role)
                .struct.field("content")).list.join(" ").str.to_lowercase()
            hit = records.select(text.str.contains(self.word.lower(), literal=True)).to_series()
            dropped = records.filter(hit).get_column("id").to_list()
            ctx.report(1, 1)
            return StepResult(
                records.filter(~hit),
                [Decision(i, "drop", "mentions_word", {"word": self.word}, step=self.name) for i in dropped],
                {"dropped": len(dropped)},
            )


    @hookimpl
    def register_steps(register):
        register(DropMentions)
''')


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_a_plugin_that_imports_only_the_api_runs_its_step_in_an_export(tmp_path, monkeypatch, capsys):
    assert workbench_imports(API_ONLY_PLUGIN) == ["workbench.api"]
    install_fake_distribution(tmp_path, "wb-mentions", API_ONLY_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("WORKBENCH_PLUGINS", "wb-mentions")
    data = write_jsonl(tmp_path / "in.jsonl", SUPPORT_ROWS)
    mentioning = [r for r in SUPPORT_ROWS if "refund" in r["messages"][-1]["content"].lower()]
    assert 0 < len(mentioning) < len(SUPPORT_ROWS)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[[steps]]\nname = "drop_mentions"\nword = "Refund"\n', encoding="utf-8")
    out = tmp_path / "out"

    assert main(["export", "--input", str(data), "--recipe", str(recipe), "--out", str(out), "-q"]) == 0

    assert "warning" not in capsys.readouterr().err  # the plugin loaded
    removed = jsonl(out / "removed.jsonl")
    assert len(removed) == len(mentioning)
    assert {(r["step"], r["reason"]) for r in removed} == {("drop_mentions", "mentions_word")}
    exported = jsonl(out / "train.jsonl") + jsonl(out / "holdout.jsonl")
    quarantined = jsonl(out / "quarantine.jsonl")  # two of the sample rows cannot be imported
    assert len(exported) == len(SUPPORT_ROWS) - len(quarantined) - len(mentioning)
    assert not any("refund" in m["content"].lower() for row in exported for m in row["messages"]
                   if m["role"] == "assistant")


# -- cheap to import ---------------------------------------------------------------------------------

def test_importing_the_api_loads_no_model_library_and_no_textual():
    modules = run_and_list_modules("import workbench.api")
    assert "workbench.api" in modules
    assert [m for m in HEAVY if m in modules] == []


# -- the protocols -----------------------------------------------------------------------------------

def call_arity(protocol_method) -> int:
    """How many positional arguments the code passes: the protocol method's, less self."""
    return len(inspect.signature(protocol_method).parameters) - 1


def takes_the_call(implementation, protocol_method) -> bool:
    """Whether `implementation` accepts the positional call the protocol method describes."""
    try:
        inspect.signature(implementation).bind(*[None] * call_arity(protocol_method))
    except TypeError:
        return False
    return True


def test_the_example_categorizer_satisfies_the_categorizer_protocols(tmp_path):
    keywords = pytest.importorskip("workbench_keyword_categorizer")
    rules = tmp_path / "rules.toml"
    rules.write_text('[categories.billing]\nkeywords = ["refund*"]\n', encoding="utf-8")
    factory = keywords.KeywordCategorizer.from_options

    assert isinstance(factory, api.CategorizerFactory)
    assert takes_the_call(factory, api.CategorizerFactory.__call__)
    categorizer = factory({"rules": str(rules)}, tmp_path)
    assert isinstance(categorizer, api.Categorizer)
    assert takes_the_call(categorizer.categorize, api.Categorizer.categorize)


def test_the_example_recognizer_factory_satisfies_its_protocol():
    employee = pytest.importorskip("workbench_employee_id")
    factory = employee.employee_id_recognizer
    assert isinstance(factory, api.PIIRecognizerFactory)
    assert takes_the_call(factory, api.PIIRecognizerFactory.__call__)
    # What the pii step checks before it calls a factory: no `analyze`, or it is a recognizer already.
    assert not hasattr(factory, "analyze")


def test_the_protocols_refuse_what_the_code_could_not_call():
    assert not isinstance(object(), api.Categorizer)
    assert not isinstance({"name": "ids"}, api.PIIRecognizerFactory)  # not callable
    assert not takes_the_call(lambda options: None, api.CategorizerFactory.__call__)
    assert not takes_the_call(lambda unlabelled, labelled: [], api.Categorizer.categorize)
    assert not takes_the_call(lambda language: None, api.PIIRecognizerFactory.__call__)


def test_the_built_in_importers_and_exporters_are_what_the_api_names():
    from workbench.io.importers import BUILTIN_IMPORTERS
    from workbench.io.writers import BUILTIN_EXPORTERS

    assert all(isinstance(i, api.Importer) for i in BUILTIN_IMPORTERS)
    assert all(isinstance(e, api.Exporter) for e in BUILTIN_EXPORTERS)


def test_a_categorizer_with_only_what_the_protocol_names_works_in_the_categorize_step():
    from workbench.steps.categorize.step import Categorize

    class FirstWord:  # nothing beyond the protocol: the step must need nothing else
        def categorize(self, unlabelled, labelled, ctx):
            assert isinstance(ctx, api.StepContext) and labelled.height == 1
            return [(row[-1]["content"].split()[0].lower(), 0.9) for row in unlabelled.get_column("messages")]

    seen = []

    def factory(options, project_dir):
        seen.append((options, project_dir))
        return FirstWord()

    assert isinstance(factory, api.CategorizerFactory) and isinstance(FirstWord(), api.Categorizer)
    records = frame([{"user": "q1", "assistant": "Billing: refunded", "category": "billing"},
                     {"user": "q2", "assistant": "Shipping is late"}])
    step = Categorize(method="first_word", conflict_threshold=None, options={"x": 1})
    ctx = api.StepContext(step="categorize", registry=SimpleNamespace(categorizers={"first_word": factory}),
                          project_dir=ROOT)
    result = step.run(records, ctx)
    assert seen == [({"x": 1}, ROOT)]
    assert result.kept.get_column("category").to_list() == ["billing", "shipping"]
