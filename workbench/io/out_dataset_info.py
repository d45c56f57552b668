"""dataset_info.json for LLaMA-Factory: how to read an export's train and holdout files.

The keys are those of LLaMA-Factory's data/README.md: `file_name`, `formatting`, `ranking`,
`columns` (prompt, query, response, history, messages, system, tools, images, videos, audios,
chosen, rejected, kto_tag) and, for sharegpt, `tags`. A column is named only when the file has
it, since LLaMA-Factory reads every column it is told of.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson

FILE_NAME = "dataset_info.json"
FORMATS = ("sharegpt", "alpaca")
SHAREGPT_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"}
# LLaMA-Factory's column name -> the key our rows use, when a file has it.
_OPTIONAL = {"system": "system", "history": "history", "tools": "tools", "images": "images", "videos": "videos",
             "audios": "audios"}


def file_keys(path: Path) -> set[str]:
    """The top-level keys the rows of a JSONL file use."""
    keys: set[str] = set()
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                keys.update(orjson.loads(line))
    return keys


def dataset_entry(file_name: str, keys: set[str], fmt: str, kind: str) -> dict[str, Any]:
    """One dataset's description in dataset_info.json."""
    entry: dict[str, Any] = {"file_name": file_name, "formatting": fmt}
    if kind == "preference":
        entry["ranking"] = True
    if fmt == "sharegpt":
        columns = {"messages": "conversations"}
    else:
        columns = {"prompt": "instruction", "query": "input"}
        if kind != "preference":
            columns["response"] = "output"
    columns.update({column: key for column, key in _OPTIONAL.items() if key in keys})
    if kind == "preference":
        columns.update(chosen="chosen", rejected="rejected")
    elif kind == "kto":
        columns["kto_tag"] = "kto_tag"
    entry["columns"] = columns
    if fmt == "sharegpt":
        entry["tags"] = dict(SHAREGPT_TAGS)
    return entry


def dataset_name(project: str | None) -> str:
    """The datasets' name prefix: the project's name as a plain identifier, else `workbench`."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", project or "").strip("_.-")
    return name or "workbench"


def write_dataset_info(folder: Path, files: dict[str, str], fmt: str, kind: str, project: str | None) -> None:
    """Write dataset_info.json describing each split's file (`files`: split -> file name)."""
    name = dataset_name(project)
    info = {f"{name}_{split}": dataset_entry(file_name, file_keys(folder / file_name), fmt, kind)
            for split, file_name in files.items()}
    (folder / FILE_NAME).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8",
                                    newline="\n")
