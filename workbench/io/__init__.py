"""Reading inputs into canonical records, and writing exports (see importers.py, writers.py)."""

from .base import ImportOptions, ImportResult, finalize_ids, read_input

__all__ = ["ImportOptions", "ImportResult", "finalize_ids", "read_input"]
