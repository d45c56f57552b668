"""Training data from an export: conversations in, token ids and loss labels out.

The loss covers assistant tokens only, tool calls included. Each conversation is rendered once with
the model's chat template (with its tool schemas, `tools=`); the character spans of its assistant
turns come from rendering the prefixes before and through each turn, and a fast tokenizer's offsets
map those spans onto tokens. Everything else (system prompt, tool schemas, user turns, tool results,
role headers) gets the label -100, which the loss ignores. How export rows become conversations is
in rows.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError, InputError, WorkbenchError
from .rows import TRAINER_FOR, Chat, as_chat, chat_problem, not_sft_message, row_kind, to_chat, to_messages
from .tool_template import require_tool_template, rendered_problem, tool_template_error

__all__ = ["Chat", "ExportData", "chat_problem", "encode_all", "latest_export", "load_export", "to_messages"]

IGNORE = -100


@dataclass
class ExportData:
    """An export folder's train and holdout conversations and what identifies it."""

    folder: Path
    report: dict[str, Any]
    train: list[Chat]
    holdout: list[Chat]
    skipped: dict[str, int] = field(default_factory=dict)  # rows that are not trainable chats, by reason
    hashes: dict[str, str] = field(default_factory=dict)  # sha256 of the bytes read, by file name
    report_sha256: str | None = None

    def identity(self) -> dict[str, Any]:
        """What the run record keeps about the export it trained on: the hashes are of the
        bytes this run parsed, not copied from report.json."""
        return {
            "folder": str(self.folder),
            "report_sha256": self.report_sha256,
            "snapshot": self.report.get("snapshot"),
            "input_hash": self.report.get("input_hash"),
            "recipe_hash": self.report.get("recipe_hash"),
            "created_at": self.report.get("created_at"),
            "format": self.report.get("format"),
            "files": dict(self.hashes),
            "train_rows": len(self.train),
            "holdout_rows": len(self.holdout),
        }


def latest_export(project_dir: Path, skipped: list[str] | None = None) -> Path:
    """The newest export under PROJECT/exports/ that can be trained on: one whose files are what
    its report.json says and that did not fail its personal-data leak check (one kept with
    --allow-leaks counts), of sft rows (an export of preference or kto rows is for TRL's trainers).
    Each newer export passed over is added to `skipped` with the reason."""
    from ..export.verify import NoTrainableExport, export_problem

    root = project_dir / "exports"
    found = []
    for folder in root.iterdir() if root.is_dir() else []:
        report = folder / "report.json"
        if folder.name.startswith(".") or not folder.is_dir():
            continue  # a temporary folder of an export still being written (or killed)
        try:
            created = json.loads(report.read_text(encoding="utf-8")).get("created_at") or ""
            mtime = report.stat().st_mtime
        except (OSError, ValueError, AttributeError):
            created, mtime = "", 0.0  # not an export: export_problem says why below
        found.append((str(created), mtime, folder.name, folder))
    passed: list[str] = []
    for *_, folder in sorted(found, reverse=True):  # newest first; the older ones are not even hashed
        kind = _report_kind(folder / "report.json")
        if kind in TRAINER_FOR:
            problem: str | None = (f"an export of {kind} rows (for TRL's {TRAINER_FOR[kind]}); workbench train "
                                   "trains sft rows")
        else:
            problem = export_problem(folder)
        if problem is None:
            if skipped is not None:
                skipped += passed
            return folder
        passed.append(f"exports/{folder.name}: {problem}")
    if skipped is not None:
        skipped += passed
    if not passed:
        raise WorkbenchError(f"{project_dir}: no export to train on yet; run `workbench export {project_dir}` "
                             "first (or pass --data EXPORT_DIR)")
    raise NoTrainableExport(f"{project_dir}: no export to train on ({len(passed)} skipped: {'; '.join(passed[:3])}"
                         f"{'; …' if len(passed) > 3 else ''}); run `workbench export {project_dir}` again")


def _report_kind(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def load_export(folder: Path, recorded: dict[str, str] | None = None) -> ExportData:
    """Read train and holdout from an export in any built-in format (openai, sharegpt, alpaca, parquet).

    Refused (exit 2, naming the file): a folder without report.json, an export whose leak check
    failed, one whose files differ from report.json's table, and -- for a resumed run --
    `recorded` hashes (the files the run started on) that the files no longer have. Each file
    is read once: the bytes hashed are the bytes parsed.
    """
    from ..export.verify import ExportTampered, read_report, require_intact, require_trainable, sha256_bytes

    folder = Path(folder)
    if not folder.is_dir():
        raise WorkbenchError(f"{folder}: no such export folder")
    report, report_bytes = read_report(folder)
    if report.get("kind") in ("preference", "kto"):
        train_file = next((n for n in report.get("files") or {} if n.startswith("train.")), "train.jsonl")
        raise WorkbenchError(not_sft_message(folder / train_file, report["kind"]))
    require_trainable(folder, report)
    data: dict[str, bytes] = {}
    for split in ("train", "holdout"):
        name = next((n for n in report["files"] if n.startswith(f"{split}.")), None)
        if name is None:
            if split == "train":
                raise ExportTampered(str(folder / "report.json"), "lists no train file; is this an export folder?")
            continue
        try:
            data[name] = (folder / name).read_bytes()
        except FileNotFoundError:
            pass  # require_intact names it as missing
    hashes = {name: sha256_bytes(raw) for name, raw in data.items()}
    require_intact(folder, report, hashes)
    for name, digest in (recorded or {}).items():
        if hashes.get(name) != digest:
            raise ExportTampered(str(folder / name), "differs from the file this run started on (the export "
                                                     "was replaced or changed since); start a new run")
    skipped: dict[str, int] = {}
    splits: dict[str, list] = {"train": [], "holdout": []}
    for name, raw in data.items():
        splits[name.split(".", 1)[0]] = _read_split(folder / name, raw, skipped)
    if not splits["train"]:
        raise WorkbenchError(f"{folder}: no train rows to train on"
                             + (f" ({sum(skipped.values())} rows were not chats ending in an assistant turn)"
                                if skipped else ""))
    return ExportData(folder, report, splits["train"], splits["holdout"], skipped, hashes,
                      sha256_bytes(report_bytes))


def _split_file(folder: Path, split: str, report: dict[str, Any]) -> Path | None:
    """The file of one split (train, holdout) of an export folder, or None."""
    for name in report.get("files") or {}:
        if name.startswith(f"{split}.") and (folder / name).is_file():
            return folder / name
    for ext in ("jsonl", "parquet"):
        if (folder / f"{split}.{ext}").is_file():
            return folder / f"{split}.{ext}"
    return None


def _read_split(path: Path, raw: bytes, skipped: dict[str, int]) -> list[Chat]:
    if path.suffix == ".parquet":
        import io

        import polars as pl

        try:
            rows = pl.read_parquet(io.BytesIO(raw)).to_dicts()
        except Exception as e:  # polars raises several kinds for a broken file
            raise InputError(str(path), f"not a readable Parquet file ({e})") from None
        items = [(i, row) for i, row in enumerate(rows, 1)]
    else:
        items = []
        for i, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                items.append((i, orjson.loads(line)))
            except orjson.JSONDecodeError as e:
                raise InputError(str(path), f"not valid JSON ({e})", line=i) from None
    out = []
    for _, row in items:
        if not isinstance(row, dict):
            skipped["not a chat row"] = skipped.get("not a chat row", 0) + 1
            continue
        kind = row_kind(row)
        if kind != "sft":  # never trained on as a conversation: a rejected reply would be imitated
            raise WorkbenchError(not_sft_message(path, kind))
        chat = to_chat(row)
        problem = chat_problem(chat.messages) or (
            "has image, audio or video parts (workbench train trains on text)" if chat.media else None)
        if problem:
            skipped[problem] = skipped.get(problem, 0) + 1
            continue
        out.append(chat)
    return out


# -- tokenizing with the loss mask -----------------------------------------------------------------

@dataclass
class Encoded:
    """Token ids of one conversation and its labels (-100 outside assistant turns)."""

    input_ids: list[int]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class EncodeStats:
    rows: int = 0
    truncated: int = 0
    prompt_too_long: int = 0  # no assistant token fits in max_seq_len
    shortest_prompt: int | None = None
    tokens: int = 0
    trained_tokens: int = 0
    tool_call_rows: int = 0  # rows with tool calls (trained on with the assistant turns that make them)
    whole_turns: str = "every assistant turn"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ChatMasker:
    """Finds the characters of each assistant turn in the rendered conversation."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.last_turn_only = False

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
               generation_prompt: bool = False) -> str:
        if not messages:
            return ""
        try:
            return self.tokenizer.apply_chat_template(messages, tools=tools, tokenize=False,
                                                      add_generation_prompt=generation_prompt)
        except Exception as e:
            from jinja2 import TemplateError  # what a template's raise_exception() raises

            if not isinstance(e, (TemplateError, TypeError, ValueError, KeyError)):
                raise
            first = next((m["content"] for m in messages if m["role"] == "user"), "")[:60]
            model = getattr(self.tokenizer, "name_or_path", None) or "the base model"
            raise ConfigError(f"base model {model}: its chat template cannot render the conversation {first!r} "
                              f"({type(e).__name__}: {e}); use a base model whose chat template takes such "
                              "conversations, or leave them out of the export") from None

    def spans(self, chat: Chat | list[dict[str, Any]]) -> tuple[str, list[tuple[int, int]]]:
        chat = as_chat(chat)
        messages, tools = chat.messages, chat.tools
        full = self.render(messages, tools)
        last = len(messages) - 1
        turns = ([last] if messages[last].get("weight") != 0 else []) if self.last_turn_only else \
            [k for k, m in enumerate(messages) if m["role"] == "assistant" and m.get("weight") != 0]
        spans = []
        replies: dict[int, str] = {}
        for k in turns:
            before = self.render(messages[:k], tools, generation_prompt=True)
            through = full if k == last else self.render(messages[: k + 1], tools)
            if not (through.startswith(before) and full.startswith(through)):
                if not self.last_turn_only:
                    # Some templates rewrite earlier turns (e.g. drop old reasoning); then only the
                    # last reply can be located reliably.
                    self.last_turn_only = True
                    return self.spans(chat)
                raise ConfigError("the base model's chat template renders a conversation differently from its "
                                  "prefix, so prompt tokens cannot be masked; use a model with a plain chat "
                                  "template")
            # The reply (text and tool calls) and its end-of-turn token; not the newline the
            # template adds after it.
            end = len(through.rstrip())
            spans.append((len(before), end))
            replies[k] = full[len(before):end]
        if chat.uses_tools:
            problem = rendered_problem(chat, full, replies)
            if problem:
                first = next((m["content"] for m in messages if m["role"] == "user"), "")[:60]
                raise tool_template_error(self.tokenizer, problem, f"the conversation {first!r} needs it")
        return full, spans


def encode_all(tokenizer: Any, conversations: Sequence[Chat | list[dict[str, Any]]], max_seq_len: int,
               what: str = "train") -> tuple[list[Encoded], EncodeStats]:
    """Tokenize conversations with assistant-only labels, cut to max_seq_len.

    A conversation whose first assistant token lies beyond max_seq_len cannot teach anything and
    is left out (counted in `prompt_too_long`). Conversations that use tools are refused
    (ConfigError) when the chat template cannot render their tools, calls and results.
    """
    conversations = [as_chat(c) for c in conversations]
    require_tool_template(tokenizer, conversations, what)
    masker = ChatMasker(tokenizer)
    stats = EncodeStats(rows=len(conversations), tool_call_rows=sum(1 for c in conversations if c.tool_calls))
    rendered = [masker.spans(chat) for chat in conversations]
    if masker.last_turn_only:
        stats.whole_turns = "the last assistant turn (the chat template rewrites earlier turns)"
        rendered = [masker.spans(chat) for chat in conversations]
    texts = [text for text, _ in rendered]
    batch = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    out: list[Encoded] = []
    for (text, spans), ids, offsets in zip(rendered, batch["input_ids"], batch["offset_mapping"]):
        labels = [IGNORE] * len(ids)
        s = 0
        for i, (start, _end) in enumerate(offsets):
            while s < len(spans) and start >= spans[s][1]:
                s += 1
            if s < len(spans) and spans[s][0] <= start < spans[s][1]:
                labels[i] = ids[i]
        first = next((i for i, label in enumerate(labels) if label != IGNORE), None)
        if first is None:
            stats.prompt_too_long += 1  # an empty reply; cannot teach anything either
            continue
        stats.shortest_prompt = first if stats.shortest_prompt is None else min(stats.shortest_prompt, first)
        if first >= max_seq_len:
            stats.prompt_too_long += 1
            continue
        if len(ids) > max_seq_len:
            stats.truncated += 1
            ids, labels = ids[:max_seq_len], labels[:max_seq_len]
        stats.tokens += len(ids)
        stats.trained_tokens += sum(1 for label in labels if label != IGNORE)
        out.append(Encoded(list(ids), labels))
    if conversations and not out and what == "train":
        raise ConfigError(f"max_seq_len = {max_seq_len} is below the prompt length of every {what} row (the "
                          f"shortest prompt is {stats.shortest_prompt} tokens); raise max_seq_len")
    return out, stats
