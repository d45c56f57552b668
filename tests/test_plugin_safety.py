"""Plugins cannot take the app down or hide: a plugin that exits, half-registers, takes a built-in
name or returns garbage from its step is named in one line, and nothing the user made is touched.
Config files that are not UTF-8 are refused with the file and the place of the first bad byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SUPPORT_ROWS, chat, frame, write_jsonl
from test_plugins import install_fake_distribution
from workbench.commands import main
from workbench.errors import Cancelled, StepFailed
from workbench.services.project import Project

HEADER = textwrap.dedent('''
    from dataclasses import dataclass
    from typing import ClassVar
    import polars as pl
    from workbench.hookspecs import hookimpl
    from workbench.io.writers import Exporter
    from workbench.steps.base import Step, StepResult
    from workbench.records import Decision
''')


def step_plugin(name: str, body: str, extra: str = "") -> str:
    """A plugin with one step whose run() is `body` (records and ctx in scope)."""
    return HEADER + textwrap.dedent(f'''
        @dataclass
        class Plugged(Step):
            name: ClassVar[str] = {name!r}

            def run(self, records, ctx):
        ''') + textwrap.indent(textwrap.dedent(body).strip(), " " * 8) + "\n" + textwrap.dedent(f'''
        @hookimpl
        def register_steps(register):
            register(Plugged)
        ''') + textwrap.dedent(extra)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    # Messages are one line; a wide console keeps rich from wrapping them inside the test.
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("WORKBENCH_PLUGINS", raising=False)


def make_project(tmp_path: Path, plugins: dict[str, str], steps: list[str] = ()) -> Path:
    """A project of the support sample with the given plugin files and extra recipe steps."""
    source = write_jsonl(tmp_path / "support.jsonl", SUPPORT_ROWS)
    path = tmp_path / "proj"
    Project.create(path, inputs=[source]).close()
    for file, text in plugins.items():
        (path / file).write_text(text, encoding="utf-8")
    config = path / "workbench.toml"
    text = config.read_text(encoding="utf-8").replace("plugins = []", f"plugins = {json.dumps(list(plugins))}")
    text += "".join(f'\n[[recipe.steps]]\nname = "{s}"\n' for s in steps)
    config.write_text(text, encoding="utf-8")
    return path


def listed(out: str, label: str) -> str:
    """The names `workbench plugins` lists after `label:`."""
    return [line for line in out.splitlines() if line.startswith(label + ":")][0]


def one_line(text: str) -> str:
    return " ".join(text.split())


def snapshot_files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / ".workbench" / "snapshots").iterdir())


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- loading: exits, interrupts, half registrations ---------------------------------------------------

def test_a_plugin_that_calls_sys_exit_at_import_is_reported_and_the_export_still_happens(tmp_path):
    project = make_project(tmp_path, {"quitter.py": "import sys\nsys.exit(0)\n"})
    exe = os.path.join(os.path.dirname(sys.executable), "workbench")
    out = tmp_path / "out"
    proc = subprocess.run([exe, "export", str(project), "--out", str(out), "-q"], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "400"})
    assert proc.returncode == 0, proc.stderr
    assert (out / "train.jsonl").exists() and (out / "report.json").exists()
    err = one_line(proc.stderr)
    assert "plugin 'quitter.py'" in err and "plugins = ['quitter.py']" in err
    assert "sys.exit(0)" in err and "Traceback" not in proc.stderr


@pytest.mark.parametrize("statement, shown", [
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("raise SystemExit('bye')", "sys.exit('bye')"),
    ("raise GeneratorExit('odd')", "GeneratorExit"),
])
def test_any_exception_at_import_is_reported_with_the_plugin_and_the_app_goes_on(tmp_path, capsys, statement,
                                                                                shown):
    project = make_project(tmp_path, {"odd.py": statement + "\n"})
    assert main(["export", str(project), "--out", str(tmp_path / "out"), "-q"]) == 0
    err = one_line(capsys.readouterr().err)
    assert "plugin 'odd.py'" in err and shown in err and "odd.py:1" in err
    assert (tmp_path / "out" / "train.jsonl").exists()


def test_a_plugin_whose_second_hook_fails_leaves_nothing_behind(tmp_path, monkeypatch, capsys):
    half = step_plugin("half_step", "return StepResult(records)", extra='''
        @hookimpl
        def register_exporters(register):
            register(Exporter("halfjson", "jsonl", None, "never"))
            raise RuntimeError("cannot register exporters today")
        ''')
    project = make_project(tmp_path, {"half.py": half}, steps=["half_step"])
    assert main(["export", str(project), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert "plugin 'half.py'" in err and "cannot register exporters today" in err
    assert "unknown step 'half_step'" in err  # the step its first hook registered was rolled back
    assert not (tmp_path / "out").exists()

    monkeypatch.chdir(project)
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "half_step" not in listed(out, "steps") and "halfjson" not in listed(out, "export formats")
    assert "cannot register exporters today" in one_line(out)


# -- names that are taken -----------------------------------------------------------------------------

CLASHING = HEADER + textwrap.dedent('''
    from workbench.io.importers import JsonRowsImporter

    class Hijack(JsonRowsImporter):
        name = "openai"
        required_keys = (("messages",),)

        def convert(self, row, options):
            raise RuntimeError("the hijacked importer ran")

    @dataclass
    class EatAll(Step):
        name: ClassVar[str] = "exact_dedup"

        def run(self, records, ctx):
            return StepResult(records.clear(), [Decision(i, "drop", "eaten") for i in records["id"]])

    @dataclass
    class Innocent(Step):
        name: ClassVar[str] = "innocent"

        def run(self, records, ctx):
            return StepResult(records)

    @hookimpl
    def register_importers(register):
        register(Hijack())

    @hookimpl
    def register_steps(register):
        register(Innocent)
        register(EatAll)
''')


def test_a_plugin_that_takes_a_built_in_name_is_refused_whole_and_the_built_ins_still_work(tmp_path, monkeypatch,
                                                                                           capsys):
    project = make_project(tmp_path, {"hijack.py": CLASHING})
    out = tmp_path / "out"
    assert main(["export", str(project), "--out", str(out), "-q"]) == 0
    err = one_line(capsys.readouterr().err)
    assert "plugin 'hijack.py'" in err and "importer 'openai'" in err and "built-in" in err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # The built-in openai importer read the file and the built-in exact_dedup removed the one duplicate.
    assert report["steps"][1]["name"] == "exact_dedup" and sum(report["steps"][1]["removed"].values()) == 1
    assert report["splits"]["train"] + report["splits"]["holdout"] == 5
    reasons = {json.loads(line)["reason"] for line in (out / "removed.jsonl").read_text().splitlines()}
    assert "eaten" not in reasons
    more = write_jsonl(tmp_path / "more.jsonl", [{"messages": chat("Is it open on Sunday?", "Yes, 10-4.")}])
    assert main(["import", str(project), str(more)]) == 0
    assert "imported 1 rows" in one_line(capsys.readouterr().err)

    monkeypatch.chdir(project)
    assert main(["plugins"]) == 0
    out_text, err_text = capsys.readouterr()
    row = one_line(" ".join(line for line in out_text.splitlines() if "hijack.py" in line))
    assert "not loaded" in row and "importer 'openai'" in one_line(out_text)
    assert "innocent" not in listed(out_text, "steps")  # the whole plugin was refused
    assert "hijack.py" in err_text


def test_two_plugins_with_the_same_step_name_the_first_one_wins(tmp_path, capsys):
    first = step_plugin("tidy", 'return StepResult(records.filter(pl.col("category") != "billing"), '
                        '[Decision(i, "drop", "tidied_by_first") for i in '
                        'records.filter(pl.col("category") == "billing")["id"]])')
    second = step_plugin("tidy", "raise RuntimeError('second tidy ran')")
    project = make_project(tmp_path, {"first.py": first, "second.py": second}, steps=["tidy"])
    out = tmp_path / "out"
    assert main(["export", str(project), "--out", str(out), "-q"]) == 0
    err = one_line(capsys.readouterr().err)
    assert "plugin 'second.py'" in err and "step 'tidy'" in err and "plugin 'first.py'" in err
    reasons = [json.loads(line)["reason"] for line in (out / "removed.jsonl").read_text().splitlines()]
    assert reasons.count("tidied_by_first") == 2


def test_installed_plugins_cannot_take_a_metric_categorizer_or_recognizer_name_that_is_taken(tmp_path, monkeypatch, capsys):
    install_fake_distribution(tmp_path, "wb-metric", textwrap.dedent('''
        from workbench.hookspecs import hookimpl

        @hookimpl
        def register_eval_metrics(register):
            register("rouge_l", lambda prompt, reply, reference: 1.0)
    '''))
    install_fake_distribution(tmp_path, "wb-knn", textwrap.dedent('''
        from workbench.hookspecs import hookimpl

        @hookimpl
        def register_categorizers(register):
            register("knn", object)
    '''))
    for dist in ("wb-ids-a", "wb-ids-b"):  # two plugins whose PII recognizers share a name
        install_fake_distribution(tmp_path, dist, textwrap.dedent('''
            from workbench.hookspecs import hookimpl

            def acme_ids():
                raise RuntimeError("not built while loading")

            @hookimpl
            def register_pii_recognizers(register):
                register(acme_ids)
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("WORKBENCH_PLUGINS", "wb-metric,wb-knn,wb-ids-a,wb-ids-b")
    monkeypatch.chdir(tmp_path)
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    out, err = one_line(out), one_line(err)
    assert "metric 'rouge_l'" in out and "categorizer 'knn'" in out
    assert "plugin 'wb-metric'" in err and "plugin 'wb-knn'" in err
    assert "plugin 'wb-ids-b'" in err and "PII recognizer 'acme_ids'" in err and "plugin 'wb-ids-a'" in err
    assert "plugin 'wb-ids-a' from" not in err  # the first one loaded


# -- steps that fail or return a wrong value ----------------------------------------------------------

BAD_STEPS = {
    "raises": ("raise ValueError('cannot parse the moon')", "ValueError: cannot parse the moon"),
    "exits": ("import sys; sys.exit(0)", "sys.exit(0)"),
    "returns_none": ("return None", "not a StepResult"),
    "returns_a_dict": ("return StepResult({'id': []})", "not a polars DataFrame"),
    "drops_a_column": ('return StepResult(records.drop("meta"))', "missing column(s) meta"),
    "invents_a_row": ('return StepResult(pl.concat([records, records.head(1).with_columns(id=pl.lit("zz"))]))',
                      "id(s) it was not given"),
    "decides_about_a_stranger": ('return StepResult(records, [Decision("nobody", "flag", "odd")])',
                                 "id(s) it was not given"),
    "loses_rows_silently": ("return StepResult(records.head(2))", "without a decision"),
    "duplicates_a_row": ("return StepResult(pl.concat([records, records.head(1)]))", "more than once"),
    "wrong_type": ('return StepResult(records.with_columns(messages=pl.lit("hi")))', "messages"),
}


@pytest.mark.parametrize("case", sorted(BAD_STEPS))
def test_a_bad_plugin_step_stops_the_run_naming_plugin_and_step_and_touches_nothing(tmp_path, capsys, case):
    body, shown = BAD_STEPS[case]
    project = make_project(tmp_path, {"badstep.py": step_plugin("bad_step", body)})
    earlier = tmp_path / "earlier"
    assert main(["export", str(project), "--out", str(earlier), "-q"]) == 0
    before = folder_bytes(earlier)
    snapshots = snapshot_files(project)
    config = project / "workbench.toml"
    config.write_text(config.read_text() + '\n[[recipe.steps]]\nname = "bad_step"\n')
    capsys.readouterr()

    # --force: the user asks to replace the earlier export, and the failed run still must not.
    assert main(["export", str(project), "--out", str(earlier), "--force", "-q"]) == StepFailed.exit_code != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "step 'bad_step'" in err and "plugin 'badstep.py'" in err and shown in err
    assert folder_bytes(earlier) == before  # the earlier export is byte-identical
    assert main(["export", str(project), "-q"]) == StepFailed.exit_code
    assert not (project / "exports").exists()
    assert snapshot_files(project) == snapshots  # the runner wrote no snapshot


def test_a_failing_step_of_an_installed_plugin_in_stateless_mode_writes_no_export(tmp_path, monkeypatch, capsys):
    install_fake_distribution(tmp_path, "wb-crash", step_plugin("crash", "return {'kept': records}"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("WORKBENCH_PLUGINS", "wb-crash")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[[steps]]\nname = "validate"\n\n[[steps]]\nname = "crash"\n', encoding="utf-8")
    data = write_jsonl(tmp_path / "in.jsonl", SUPPORT_ROWS)
    out = tmp_path / "out"
    code = main(["export", "--input", str(data), "--recipe", str(recipe), "--out", str(out), "-q"])
    assert code == StepFailed.exit_code
    err = one_line(capsys.readouterr().err)
    assert "step 'crash'" in err and "plugin 'wb-crash'" in err and "package wb-crash" in err
    assert "not a StepResult" in err and "Traceback" not in err
    assert not out.exists()


def test_a_plugin_step_that_cannot_be_built_is_a_config_error_naming_the_plugin(tmp_path, capsys):
    source = HEADER + textwrap.dedent('''
        @dataclass
        class Fussy(Step):
            name: ClassVar[str] = "fussy"

            def __post_init__(self):
                raise KeyError("needs a licence key")

        @hookimpl
        def register_steps(register):
            register(Fussy)
        ''')
    project = make_project(tmp_path, {"fussy.py": source}, steps=["fussy"])
    assert main(["export", str(project), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert "step 'fussy'" in err and "plugin 'fussy.py'" in err and "needs a licence key" in err
    assert "Traceback" not in err


def test_a_bug_in_a_built_in_step_is_a_message_naming_the_step(tmp_path, monkeypatch, capsys):
    from workbench.steps.dedup.exact import ExactDedup

    def broken(self, records, ctx):
        return {}["no such key"]

    monkeypatch.setattr(ExactDedup, "run", broken)
    project = make_project(tmp_path, {})
    assert main(["export", str(project), "-q"]) == StepFailed.exit_code
    err = one_line(capsys.readouterr().err)
    assert "step 'exact_dedup' (built-in) failed: KeyError: 'no such key'" in err and "Traceback" not in err
    assert not (project / "exports").exists()


def test_workbench_debug_shows_the_traceback_of_a_failed_step(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path, {"badstep.py": step_plugin("bad_step", "raise ValueError('moon')")},
                           steps=["bad_step"])
    monkeypatch.setenv("WORKBENCH_DEBUG", "1")
    assert main(["export", str(project), "-q"]) == StepFailed.exit_code
    err = capsys.readouterr().err
    assert "Traceback" in err and "badstep.py" in err and "step 'bad_step'" in err


def test_ctrl_c_while_a_plugin_loads_still_stops_the_program(tmp_path):
    marker = tmp_path / "loading"
    slow = f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(120)\n"
    project = make_project(tmp_path, {"slowimport.py": slow})
    exe = os.path.join(os.path.dirname(sys.executable), "workbench")
    proc = subprocess.Popen([exe, "export", str(project), "-q"], stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):  # until the plugin is being imported, however slow the machine
            if marker.exists() or proc.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    # The user's cancel (click's Abort, exit 130), not a plugin reported as broken and skipped.
    assert proc.returncode == 130 and "Traceback" not in err and "not loaded" not in err
    assert not (project / "exports").exists()


def test_a_cancel_inside_a_plugin_step_is_still_a_cancel(tmp_path):
    from workbench.plugins import load_registry
    from workbench.recipe import Recipe, StepSpec, run_recipe

    (tmp_path / "slow.py").write_text(step_plugin("slow", "ctx.report(1, 2)\nreturn StepResult(records)"))
    registry = load_registry(["slow.py"], tmp_path)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1  # the user cancels while the step runs

    records = frame([{"user": "q", "assistant": "a"}])
    with pytest.raises(Cancelled):
        run_recipe(records, Recipe((StepSpec("slow"),)), registry, cancelled=cancelled)


# -- config files that are not UTF-8 ------------------------------------------------------------------

def test_a_recipe_file_that_is_not_utf8_names_the_file_line_and_byte(tmp_path, capsys):
    recipe = tmp_path / "recipe.toml"
    recipe.write_bytes(b'[[steps]]\nname = "validate"\n# caf\xe9 rules\n')
    data = write_jsonl(tmp_path / "in.jsonl", [{"messages": chat("q", "a")}])
    code = main(["export", "--input", str(data), "--recipe", str(recipe), "--out", str(tmp_path / "o"), "-q"])
    err = one_line(capsys.readouterr().err)
    assert code == 2 and "Traceback" not in err
    assert str(recipe) in err and "not UTF-8" in err and "0xe9" in err and "line 3" in err and "offset 33" in err
    assert not (tmp_path / "o").exists()


def test_a_recipe_file_saved_with_a_utf8_byte_order_mark_is_read(tmp_path, capsys):
    recipe = tmp_path / "recipe.toml"
    recipe.write_bytes(b'\xef\xbb\xbf[[steps]]\nname = "validate"\n')
    data = write_jsonl(tmp_path / "in.jsonl", [{"messages": chat("q", "a")}])
    assert main(["export", "--input", str(data), "--recipe", str(recipe), "--out", str(tmp_path / "o"), "-q"]) == 0


def test_a_utf16_recipe_file_says_so(tmp_path, capsys):
    recipe = tmp_path / "recipe.toml"
    recipe.write_bytes('[[steps]]\nname = "validate"\n'.encode("utf-16"))
    data = write_jsonl(tmp_path / "in.jsonl", [{"messages": chat("q", "a")}])
    assert main(["export", "--input", str(data), "--recipe", str(recipe), "--out", str(tmp_path / "o"), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert "UTF-16" in err and "save it as UTF-8" in err


def test_a_workbench_toml_that_is_not_utf8_names_the_file_and_line(tmp_path, capsys):
    project = make_project(tmp_path, {})
    config = project / "workbench.toml"
    config.write_bytes(config.read_bytes().replace(b"# Extra plugins", b"# Extra pl\xfcgins"))
    assert main(["export", str(project), "-q"]) == 2
    err = one_line(capsys.readouterr().err)
    assert str(config) in err and "not UTF-8" in err and "0xfc" in err and "line 3" in err
    assert "Traceback" not in err and not (project / "exports").exists()


# -- the TUI says so on start -------------------------------------------------------------------------

async def test_the_tui_warns_about_a_refused_plugin_on_start(tmp_path):
    from workbench.tui.app import make_app

    project = make_project(tmp_path, {"hijack.py": CLASHING})
    app = make_app(project)
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        messages = [one_line(str(n.message)) for n in app._notifications]
        assert any("hijack.py" in m and "importer 'openai'" in m for m in messages), messages
