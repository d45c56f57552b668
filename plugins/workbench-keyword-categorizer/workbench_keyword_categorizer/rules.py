"""The `keywords` categorizer: a row gets the category whose keywords its prompt mentions most.

Rules come from a TOML file (see examples/quillfield.toml):

    roles = ["user"]      # which turns are searched (default: the user's)
    min_hits = 1          # a row needs at least this many keyword hits for a guess

    [categories.billing]
    keywords = ["refund*", "charged", "invoice", "double charge"]

A keyword matches as a whole word or phrase, ignoring case; a trailing ``*`` matches any ending
("refund*" matches refund, refunds, refunded). A category scores one point per distinct keyword
found. The guess is the top-scoring category (alphabetically first on a tie) and its confidence
is its share of all points, so a prompt that mentions only billing words gets 1.0 and one that
mentions billing and shipping words equally gets 0.5, which the categorize step sends to review.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

ROLES = ("system", "user", "assistant")
KNOWN_KEYS = {"roles", "min_hits", "categories"}


@dataclass
class Rules:
    categories: dict[str, list[str]]
    roles: tuple[str, ...] = ("user",)
    min_hits: int = 1
    source: str = "rules"


def _pattern(keyword: str) -> str:
    """A case-insensitive whole-word pattern for polars (Rust regex syntax)."""
    prefix = keyword.endswith("*")
    words = keyword.rstrip("*").strip().split()
    body = r"\s+".join(re.escape(w) for w in words)
    return rf"(?i)\b{body}" + (r"\w*" if prefix else r"\b")


def load_rules(path: str | Path) -> Rules:
    """Read and check a rules file; ValueError names the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"rules file {path} not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; a rules file has roles, min_hits "
                         "and [categories.NAME] tables")
    roles = data.get("roles", ["user"])
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
        raise ValueError(f"{path}: roles must be a list of {', '.join(ROLES)}, got {roles!r}")
    min_hits = data.get("min_hits", 1)
    if isinstance(min_hits, bool) or not isinstance(min_hits, int) or min_hits < 1:
        raise ValueError(f"{path}: min_hits must be a whole number of at least 1, got {min_hits!r}")
    tables = data.get("categories")
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{path}: no [categories.NAME] tables with keywords")
    categories: dict[str, list[str]] = {}
    for name, table in tables.items():
        keywords = table.get("keywords") if isinstance(table, dict) else None
        if (not isinstance(keywords, list) or not keywords
                or not all(isinstance(k, str) and k.strip(" *") for k in keywords)):
            raise ValueError(f"{path}: [categories.{name}] needs keywords = a list of words or phrases")
        extra = sorted(set(table) - {"keywords"})
        if extra:
            raise ValueError(f"{path}: [categories.{name}] has unknown key(s) {', '.join(extra)}")
        categories[name] = list(dict.fromkeys(k.strip() for k in keywords))
    return Rules(categories, tuple(roles), min_hits, str(path))


class KeywordCategorizer:
    """A categorizer for the categorize step: ``method = "keywords"``, ``options = {rules = "FILE"}``."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    @classmethod
    def from_options(cls, options: dict[str, Any], project_dir: Path | None = None) -> "KeywordCategorizer":
        unknown = sorted(set(options) - {"rules"})
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; the keywords categorizer takes rules = \"FILE\"")
        rules = options.get("rules")
        if not isinstance(rules, str) or not rules:
            raise ValueError('needs options.rules = "FILE", a TOML file of keyword rules (relative to the project)')
        path = Path(rules).expanduser()
        if not path.is_absolute() and project_dir is not None:
            path = Path(project_dir) / path
        return cls(load_rules(path))

    def scores(self, records: pl.DataFrame) -> pl.DataFrame:
        """Points per category (one column each) for every row."""
        text = pl.col("messages").list.eval(
            pl.element().filter(pl.element().struct.field("role").is_in(list(self.rules.roles)))
            .struct.field("content")).list.join("\n").fill_null("")
        frame = records.select(text.alias("text"))
        return frame.select([
            pl.sum_horizontal([pl.col("text").str.contains(_pattern(k)).cast(pl.Int32) for k in keywords])
            .alias(name)
            for name, keywords in self.rules.categories.items()
        ])

    def categorize(self, unlabelled: pl.DataFrame, labelled: pl.DataFrame, ctx: Any) -> list[tuple[str | None, float]]:
        if unlabelled.height == 0:
            return []
        scores = self.scores(unlabelled)
        names = sorted(scores.columns)
        out: list[tuple[str | None, float]] = []
        for row in scores.select(names).iter_rows():
            total = sum(row)
            best = max(row)
            if best < self.rules.min_hits or total == 0:
                out.append((None, 0.0))
                continue
            out.append((names[row.index(best)], best / total))
        return out
