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


def project_with_embeddings(tmp_path: Path, rows: list[dict], shape=None) -> Path:
    """A project made from `rows`, with random unit vectors already in its embedding cache, as if
    the packaged sentence model had embedded the user turns (no model load in TUI tests).
    `shape(vectors)` may move some vectors before they are normalised."""
    import numpy as np

    from workbench.services.project import Project
    from workbench.embeddings import vectors as V

    source = write_jsonl(tmp_path / "chats.jsonl", rows)
    path = tmp_path / "project"
    project = Project.create(path, inputs=[source])
    records = project.records()
    vectors = np.random.default_rng(0).normal(size=(records.height, 16))
    if shape is not None:
        shape(vectors)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cache = V.embedding_cache(V.PACKAGED_MODEL, path / ".workbench" / "cache")
    cache.put(V.cache_keys(records, V.record_texts(records, "user")), vectors.astype(np.float32))
    project.close()
    return path


async def settle(pilot, rounds: int = 3) -> None:
    """Let the app's workers finish and the screen catch up."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_dedup_tab(pilot):
    """The Dedup tab (key 2) once the app has started and the tab has found its clusters."""
    from workbench.tui.screens.dedup import DedupTab

    await settle(pilot, 4)
    await pilot.press("2")
    await settle(pilot, 4)
    return pilot.app.screen.query_one(DedupTab)


NEAR_WORDS = ("thermostat battery schedule firmware refund invoice account password delivery parcel warranty "
              "install wiring app sensor heating cooling energy report plan upgrade cancel charge card").split()


def near_copies(category: str | None = None) -> list[dict]:
    """A human answer and a synthetic near copy of it (one word changed), and an unrelated row."""
    import random

    rng = random.Random(3)
    base = " ".join(rng.choice(NEAR_WORDS) for _ in range(120))
    words = base.split()
    words[10] = "CHANGED"
    return [{"messages": chat("Question about the plan", base + " thanks"), "origin": "human", "category": category},
            {"messages": chat("Question about the plan", " ".join(words)), "origin": "synthetic",
             "category": category},
            {"messages": chat("Unrelated", "something else entirely"), "origin": "human", "category": category}]


def pii_recipe(tmp_path: Path, holdout: float = 0.0, **params) -> Path:
    """recipe.toml with one pii step (patterns only, no spaCy model) and `params`, for `--recipe`."""
    lines = ['[[steps]]', 'name = "pii"', 'spacy_model = "none"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in params.items()]
    lines += ["[split]", f"holdout = {holdout}"]
    path = tmp_path / "recipe.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def set_recipe(project, steps_toml: str) -> None:
    """Replace the project's recipe in workbench.toml by `steps_toml`, with nothing held out."""
    config = project.path / "workbench.toml"
    text = config.read_text(encoding="utf-8")
    start, end = text.index("[recipe]"), text.index("# Inputs are added below")
    config.write_text(text[:start] + "[recipe]\n" + steps_toml + "\n[recipe.split]\nholdout = 0\n\n" + text[end:],
                      encoding="utf-8")


@pytest.fixture(autouse=True)
def _pii_key(tmp_path_factory, monkeypatch):
    """A purge in a test writes its PII key here, never into the user's config folder."""
    monkeypatch.setenv("WORKBENCH_PII_KEY", str(tmp_path_factory.getbasetemp() / "pii.key"))
