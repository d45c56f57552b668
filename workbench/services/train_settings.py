"""The training settings a person changes from the Train tab, checked as the command line checks
them and saved to workbench.toml [train].

Only the lines of the changed keys inside the ``[train]`` table are rewritten (a comment after a
value stays); a missing key is added at the end of the table, a missing table at the end of the
file. The result is parsed again and compared with what was meant before it replaces the file
(atomically, keeping its mode); anything unexpected leaves the file alone and says so.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, WorkbenchError
from ..files import stat_mode, write_atomically
from ..layout import CONFIG
from ..train.config import HELP, SETTINGS, TrainConfig, build_config, coerce
from .recipe_edit import toml_value

if TYPE_CHECKING:
    from .project import Project

# The settings the Train tab's form offers, in its order, with the label it shows.
FORM_FIELDS: tuple[tuple[str, str], ...] = (
    ("base_model", "Base model"),
    ("epochs", "Epochs"),
    ("max_steps", "Max steps"),
    ("learning_rate", "Learning rate"),
    ("r", "LoRA rank"),
    ("max_seq_len", "Max sequence length"),
    ("eval_every", "Holdout eval every"),
    ("eval_rows", "Holdout rows to eval"),
)
FORM_HELP = {
    **{name: HELP[name] for name, _ in FORM_FIELDS},
    "base_model": "A model folder, a .gguf file or a model id in the local Hugging Face cache; "
                  "empty: SmolLM2-135M-Instruct.",
    "max_steps": "Stop after this many steps; 0: as many as the epochs take. The quick way to a short run.",
    "eval_every": "Steps between holdout evaluations; 0: about ten per run.",
    "eval_rows": "Evaluate on the first N holdout rows; 0: all of them. Fewer rows: quicker, noisier evaluations.",
}

_TABLE = re.compile(r"^\s*\[\s*train\s*\]\s*(#.*)?$")
_ANY_TABLE = re.compile(r"^\s*\[")


def _text(name: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def form_values(project: Project) -> dict[str, str]:
    """The form's fields as text: workbench.toml [train], else the defaults."""
    table = project.config.get("train") or {}
    table = table if isinstance(table, dict) else {}
    defaults = TrainConfig()
    return {name: _text(name, table.get(name, getattr(defaults, name))) for name, _ in FORM_FIELDS}


def model_problem(setting: str, project_dir: Path | None) -> str | None:
    """Why `base_model` names no model a run can load, in the words `workbench train` uses; None if it does."""
    from ..train.model import resolve_base_model

    if not setting:
        return None
    path = Path(setting).expanduser()
    if not path.is_absolute() and project_dir is not None and (project_dir / path).exists():
        path = project_dir / path
    if path.is_file() and path.suffix == ".gguf":
        return None  # converted once, when a run (or the speed measurement) first loads it
    try:
        resolve_base_model(setting, project_dir)
    except ConfigError as e:
        return str(e).split(": ", 1)[-1]
    return None


def check_form(texts: dict[str, str], table: dict[str, Any] | None = None,
               project_dir: Path | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed values of the form and a message per field that is refused.

    Each value is checked as `workbench train` checks it (the same types, ranges and messages; a
    base model that is not there is refused now, not when the run starts); then the whole [train]
    table with the new values must make a config.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    labels = dict(FORM_FIELDS)
    for name, text in texts.items():
        text = text.strip()
        if name != "base_model" and not text:
            problems[name] = "enter a number"
            continue
        try:
            values[name] = coerce(name, text, labels.get(name, name))
        except ConfigError as e:
            problems[name] = str(e).split(": ", 1)[-1]
    if "base_model" in values and (problem := model_problem(values["base_model"], project_dir)):
        problems["base_model"] = problem
    if not problems:
        try:
            build_config({**(table or {}), **values})
        except ConfigError as e:
            problems["_"] = str(e)
    return values, problems


def save_train_settings(project: Project, values: dict[str, Any], rater: str | None = None) -> dict[str, Any]:
    """Write `values` (already checked) into workbench.toml [train]; returns what changed."""
    table = project.config.get("train") or {}
    defaults = TrainConfig()
    changed = {k: v for k, v in values.items() if table.get(k, getattr(defaults, k)) != v}
    if not changed:
        return {}
    set_train_values(project.path / CONFIG, changed)
    project.store.log("train_settings_saved", {"changed": changed}, who=rater)
    return changed


def set_train_values(config: Path, values: dict[str, Any]) -> None:
    """Set `values` in the [train] table of the file `config`, leaving every other line as it is."""
    unknown = [k for k in values if k not in SETTINGS]
    if unknown:
        raise WorkbenchError(f"unknown training setting(s): {', '.join(unknown)}")
    text = config.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WorkbenchError(f"{config}: not valid TOML: {e}") from None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    header = next((i for i, line in enumerate(lines) if _TABLE.match(line)), None)
    if header is None:
        lines += ["\n", "[train]\n"] + [f"{k} = {toml_value(v)}\n" for k, v in values.items()]
    else:
        end = next((i for i in range(header + 1, len(lines)) if _ANY_TABLE.match(lines[i])), len(lines))
        missing = []
        for key, value in values.items():
            at = next((i for i in range(header + 1, end) if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i])), None)
            if at is None:
                missing.append(f"{key} = {toml_value(value)}\n")
            else:
                lines[at] = f"{key} = {toml_value(value)}{_comment(lines[at])}\n"
        last = max((i for i in range(header, end) if lines[i].strip()), default=header)
        lines[last + 1:last + 1] = missing
    new_text = "".join(lines)
    wanted = {**data, "train": {**(data.get("train") or {}), **values}}
    try:
        written = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        written = None
    if written != wanted:
        raise WorkbenchError(f"{config}: could not update the [train] table safely; set "
                             f"{', '.join(values)} there by hand")
    write_atomically(config, new_text, mode=stat_mode(config))


def _comment(line: str) -> str:
    """The comment after a `key = value` line (with the spaces before it), or ''."""
    body = line.rstrip("\n")
    for at in [m.start() for m in re.finditer("#", body)]:
        try:
            tomllib.loads(body[:at])
        except tomllib.TOMLDecodeError:
            continue
        head = body[:at].rstrip()
        return body[len(head):]
    return ""


__all__ = ["FORM_FIELDS", "FORM_HELP", "check_form", "form_values", "model_problem", "save_train_settings",
           "set_train_values"]
