"""Shared fixtures: small record sets and input files written the way users write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.io import finalize_ids
from workbench.records import make_frame, record_id


def chat(user: str, assistant: str, system: str | None = None) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def frame(rows: list[dict], source: str = "mem.jsonl"):
    """Records from dicts with `messages` (or user/assistant) and optional category/origin."""
    out = []
    for i, row in enumerate(rows, 1):
        msgs = row.get("messages") or chat(row["user"], row["assistant"], row.get("system"))
        out.append({"id": record_id(msgs), "messages": msgs, "category": row.get("category"),
                    "origin": row.get("origin", "human"), "source_file": source, "source_line": i,
                    "meta": "{}"})
    return finalize_ids(make_frame(out))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


SUPPORT_ROWS = [
    {"messages": chat("How do I reset my password?", "Open Settings > Account and choose Reset password."),
     "category": "account"},
    {"messages": chat("My invoice shows a double charge.", "I have refunded the second charge; it shows in 3-5 days."),
     "category": "billing"},
    {"messages": chat("how do I  reset my PASSWORD?", "Open Settings > Account and choose Reset password."),
     "category": "account"},  # exact duplicate of row 1 after normalization
    {"messages": chat("Where is my parcel?", "It left our warehouse yesterday; tracking is in your email."),
     "category": "shipping"},
    {"messages": [{"role": "user", "content": "Hello?"}], "category": "misc"},  # quarantined: no reply
    {"messages": chat("Can I pay by bank transfer?", "Yes, choose Bank transfer at checkout."),
     "category": "billing"},
    {"messages": chat("The app crashes on start.", "   "), "category": "technical"},  # quarantined: empty reply
    {"messages": chat("Do you ship to Canada?", "Yes, in 5-8 business days."), "category": "shipping"},
]


@pytest.fixture
def support_jsonl(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "support.jsonl", SUPPORT_ROWS)
