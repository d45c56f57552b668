"""How a row problem names what it found: the JSON type of a value, a field over the size limit."""

from __future__ import annotations

from typing import Any

from .interface import RowError


def json_type(value: Any) -> str:
    """The JSON name of a value's type, as a user reads it in their file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def too_long(where: str, length: int, limit: int) -> RowError:
    return RowError(
        f"{where} is {length:,} characters long, over the limit of {limit:,} characters; "
        f"raise max_field_chars in the import options if fields this long are intended"
    )
