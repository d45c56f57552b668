"""Writing one step's parameters into workbench.toml without disturbing the rest of the file.

The Balance screen saves its targets here. Only the lines of the given keys inside that step's
``[[recipe.steps]]`` table change (comments and everything else stay as written); a missing step
gets a new table in its usual place. The result is parsed again and compared with what was meant
before it replaces the file (atomically); anything unexpected leaves the file alone and says so.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from ..errors import WorkbenchError
from ..files import stat_mode, write_atomically

_STEPS_HEADER = re.compile(r"^\s*\[\[\s*recipe\s*\.\s*steps\s*\]\]\s*(#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    """A value as inline TOML (tables inline, on one line)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_value(str(key))


def set_step_params(config: str | Path, step: str, params: dict[str, Any],
                    before: tuple[str, ...] = ()) -> None:
    """Set (or with None, remove) `params` of the first `step` in the recipe of `config`.

    A recipe without that step gets it before the first step named in `before`, else after the
    last step.
    """
    config = Path(config)
    text = config.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WorkbenchError(f"{config}: not valid TOML: {e}") from None
    steps = (data.get("recipe") or {}).get("steps")
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _STEPS_HEADER.match(line)]
    if not isinstance(steps, list) or len(headers) != len(steps):
        raise WorkbenchError(f"{config}: the recipe's steps are not written as [[recipe.steps]] tables; "
                             f"add the {step} step there by hand")
    names = [s.get("name") for s in steps]
    wanted = [dict(s) for s in steps]
    body = [f"{_key(k)} = {toml_value(v)}\n" for k, v in params.items() if v is not None]
    if step in names:
        k = names.index(step)
        start = headers[k] + 1
        end = next((i for i in range(start, len(lines)) if _TABLE_HEADER.match(lines[i])), len(lines))
        block = [line for line in lines[start:end]
                 if not any(re.match(rf"^\s*{re.escape(_key(key))}\s*=", line) for key in params)]
        name_at = next((i for i, line in enumerate(block) if re.match(r"^\s*name\s*=", line)), -1)
        block[name_at + 1:name_at + 1] = body
        lines[start:end] = block
        for key, value in params.items():
            if value is None:
                wanted[k].pop(key, None)
            else:
                wanted[k][key] = value
    else:
        table = ["[[recipe.steps]]\n", f"name = {toml_value(step)}\n", *body, "\n"]
        later = [names.index(n) for n in before if n in names]
        if later:
            at = headers[min(later)]
            wanted.insert(min(later), {"name": step, **{k: v for k, v in params.items() if v is not None}})
        else:
            last = headers[-1] if headers else None
            if last is None:
                raise WorkbenchError(f"{config}: the recipe has no [[recipe.steps]] yet; add the {step} step by hand")
            at = next((i for i in range(last + 1, len(lines)) if _TABLE_HEADER.match(lines[i])), len(lines))
            wanted.append({"name": step, **{k: v for k, v in params.items() if v is not None}})
            if at == len(lines) and lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            table = ["\n", *table[:-1]] if at == len(lines) else table
        lines[at:at] = table
    new_text = "".join(lines)
    try:
        written = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        written = None
    def rest(d: dict[str, Any]) -> tuple:
        recipe = {k: v for k, v in (d.get("recipe") or {}).items() if k != "steps"}
        return recipe, {k: v for k, v in d.items() if k != "recipe"}

    if written is None or written.get("recipe", {}).get("steps") != wanted or rest(written) != rest(data):
        raise WorkbenchError(f"{config}: could not update the {step} step safely; set its parameters by hand")
    # The file the user edits keeps the mode it has (a new project's is 0600).
    write_atomically(config, new_text, mode=stat_mode(config))
