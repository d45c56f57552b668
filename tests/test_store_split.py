"""The store stays split by what it stores: no class in workbench/store/ grows past 15 public methods."""

import ast
from pathlib import Path

import workbench.store
from workbench.store import Store

MAX_PUBLIC_METHODS = 15
PACKAGE = Path(workbench.store.__file__).parent


def public_methods(cls: ast.ClassDef) -> list[str]:
    """Names defined on the class (methods and properties alike) that do not start with `_`."""
    return [node.name for node in cls.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_")]


def test_no_store_class_has_more_than_15_public_methods():
    classes = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                classes[f"{path.name}:{node.name}"] = public_methods(node)
    assert "db.py:Store" in classes  # the walk found the package
    too_big = {name: len(methods) for name, methods in classes.items() if len(methods) > MAX_PUBLIC_METHODS}
    assert not too_big, f"split these by what they store: {too_big}"


def test_each_kind_of_data_is_a_part_of_the_store(tmp_path):
    store = Store(tmp_path / "wb.db")
    try:
        for name in ("decisions", "inputs", "pii", "evals", "arena"):
            part = getattr(store, name)
            assert isinstance(part, workbench.store.Part)
            assert part._store is store  # one connection, lock and transaction for all of them
        seq = store.decisions.decide("exact_dedup", "r1", "keep", rater="ana")
        assert [r["seq"] for r in store.decisions.history("r1")] == [seq]
        assert store.inputs.all() == [] and store.pii.findings() == [] and store.arena.votes() == []
    finally:
        store.close()
