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


def test_the_layer_contracts_cover_every_top_level_module():
    # A forbidden contract lists its sources by name, so a new top-level module would be left
    # out of "nothing imports the commands" (or "only the commands import the TUI") silently.
    import tomllib

    root = Path(__file__).parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    sources = {c["name"]: set(c["source_modules"]) for c in config["tool"]["importlinter"]["contracts"]}
    package = root / "workbench"
    top_level = {f"workbench.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"} | \
        {f"workbench.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert sources["Nothing imports the commands"] == top_level - {"workbench.commands"}
    assert sources["Only the commands import the TUI"] == top_level - {"workbench.commands", "workbench.tui"}
