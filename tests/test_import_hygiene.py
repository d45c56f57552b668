"""The headless path must start fast: no textual, and no heavy model libraries unless a step needs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import SUPPORT_ROWS, write_jsonl

HEAVY = ["textual", "torch", "transformers", "presidio_analyzer", "spacy", "sentence_transformers"]


def run_and_list_modules(code: str) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(m for m in sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "COLUMNS": "120"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_export_never_imports_textual_or_models(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", SUPPORT_ROWS)
    code = ("from workbench.commands import main\n"
            f"rc = main(['export', '--input', {str(src)!r}, '--out', {str(tmp_path / 'out')!r}, '-q'])\n"
            "assert rc == 0, rc")
    modules = run_and_list_modules(code)
    assert (tmp_path / "out" / "train.jsonl").exists()
    loaded = [m for m in HEAVY if m in modules]
    assert loaded == [], f"workbench export imported {loaded}"


def test_help_imports_nothing_heavy():
    modules = run_and_list_modules(
        "from workbench.commands import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert [m for m in HEAVY + ["polars"] if m in modules] == []


def test_import_linter_contract_holds():
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _top_level() -> set[str]:
    package = Path(__file__).parents[1] / "workbench"
    return {p.stem for p in package.glob("*.py") if p.stem != "__init__"} | \
        {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}


def _contracts() -> dict[str, dict]:
    import tomllib

    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_every_top_level_module_has_its_layer_and_none_but_the_tui_may_import_textual():
    # `exhaustive` makes lint-imports name a new top-level module that has no layer yet; the
    # textual contract lists its sources by name, so a new module would be left out of it silently.
    layers = next(c for c in _contracts().values() if c["type"] == "layers")
    assert layers["exhaustive"] is True and layers["containers"] == ["workbench"]
    listed = {name.strip() for layer in layers["layers"] for name in layer.replace(":", "|").split("|")}
    assert listed == _top_level()
    textual = _contracts()["Only the TUI imports textual"]
    assert set(textual["source_modules"]) == {f"workbench.{m}" for m in _top_level() - {"tui"}}


def test_no_import_cycles_between_top_level_packages():
    import grimp

    graph = grimp.build_graph("workbench")
    names = sorted(_top_level())
    cycles = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
              if graph.chain_exists(f"workbench.{a}", f"workbench.{b}", as_packages=True)
              and graph.chain_exists(f"workbench.{b}", f"workbench.{a}", as_packages=True)]
    assert cycles == []


def test_no_module_is_over_400_lines():
    # Past that a module holds more than one thing; split it by what it holds (issue 12).
    package = Path(__file__).parents[1] / "workbench"
    long = {str(p.relative_to(package)): n for p in package.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
