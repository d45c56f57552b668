"""Reading the TOML files a user writes (recipes, workbench.toml) with errors that say where."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError


def read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    """A TOML file as a dict; a missing, unreadable, non-UTF-8 or malformed one is a ConfigError
    naming the file and the place."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the {what}: {e.strerror or e}") from None
    # Windows editors often save UTF-8 with a byte-order mark; it is not part of the text.
    skip = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: {_not_utf8(raw, e.start + skip)}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None


def _not_utf8(raw: bytes, at: int) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 text (as some Windows tools save it); save it as UTF-8"
    line = raw.count(b"\n", 0, at) + 1
    column = at - (raw.rfind(b"\n", 0, at) + 1) + 1
    return (f"not UTF-8 text: byte 0x{raw[at]:02x} at line {line}, column {column} (byte offset {at}); "
            "save the file as UTF-8")
