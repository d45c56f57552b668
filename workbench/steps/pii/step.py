"""pii: find personal data with Presidio and replace it (or drop the row), span by span reviewable."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import polars as pl

from ...errors import ConfigError
from ...files import private_opener
from ...records import Decision
from ..base import Step, StepContext, StepResult
from .entities import DEFAULT_ENTITIES

ALLOW_LIST_FILE = "pii_allow_list.txt"


@dataclass
class Pii(Step):
    """Personal data found by Presidio (spaCy NER + pattern recognizers + plugin recognizers).

    Findings are stored per record and span in the project store; the reviewer's decisions
    there (accept / reject each span, flag a missed one) decide what is replaced. The map from
    each original value to its pseudonym stays in the store and never goes into an export.
    """

    name: ClassVar[str] = "pii"
    description: ClassVar[str] = "personal data (names, emails, phones, cards, ...) replaced or dropped"

    entities: list[str] | None = None  # None: the common personal ones, plus your patterns' and plugins'
    score_threshold: float = 0.35  # spans scored below this are not reported
    allow_list: list[str] = field(default_factory=list)  # words that are never PII (product names, ...)
    allow_list_file: str = ALLOW_LIST_FILE  # one term per line, relative to the project; the PII screen adds to it
    deny_list: dict[str, list[str]] = field(default_factory=dict)  # {ENTITY = ["word", ...]}: always that entity
    patterns: list[dict[str, Any]] = field(default_factory=list)  # [{entity, regex, score}]: extra recognizers
    language: str = "en"
    spacy_model: str = "en_core_web_sm"  # any installed spaCy pipeline or folder; "none": patterns only
    turns: Literal["all", "user", "assistant", "user_system", "user_assistant"] = "all"
    mode: Literal["placeholder", "pseudonym", "drop_row"] = "placeholder"
    pseudonym_style: Literal["numbered", "fake"] = "numbered"  # <PERSON_1>, or a realistic fake (needs Faker)
    propagate: bool = True  # also replace every other whole-word occurrence of a value that was found
    processes: int = 0  # 0: one per core for big inputs; 1: never spawn
    rescan: bool = True  # scan the scrubbed text again and scrub what that finds, until nothing new (rescan.py)

    def check(self) -> None:
        if not 0 <= self.score_threshold <= 1:
            raise ValueError(f"score_threshold must be from 0 to 1, got {self.score_threshold}")
        if self.entities is not None and not self.entities:
            raise ValueError("entities is empty; leave it out for the default set")
        for entity in self.entities or ():
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", entity):
                raise ValueError(f"entity names are upper case like PERSON or EMAIL_ADDRESS, got {entity!r}")
        for entity, words in self.deny_list.items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ValueError(f"deny_list.{entity} must be a list of strings")
        for i, spec in enumerate(self.patterns, 1):
            if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str) \
                    or not isinstance(spec.get("regex"), str):
                raise ValueError(f"patterns[{i}] needs entity and regex, e.g. "
                                 "{ entity = \"ORDER_ID\", regex = \"QF-\\\\d{6}\" }")
            try:
                re.compile(spec["regex"])
            except re.error as e:
                raise ValueError(f"patterns[{i}] regex {spec['regex']!r} is not a valid regular expression: {e}") from None
            score = spec.get("score", 0.85)
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 < score <= 1:
                raise ValueError(f"patterns[{i}] score must be above 0 and at most 1, got {score!r}")
        if self.mode == "pseudonym" and self.pseudonym_style == "fake":
            from .fake import require

            require()
        if self.processes < 0:
            raise ValueError(f"processes must be 0 (automatic) or more, got {self.processes}")

    # -- set-up -------------------------------------------------------------------------------
    def scan_config(self, project_dir: Path | None, registry: Any = None):
        from .engine import ScanConfig

        extra = plugin_recognizers(registry)
        entities = list(self.entities) if self.entities is not None else [
            *DEFAULT_ENTITIES, *self.deny_list, *(p["entity"] for p in self.patterns),
            *(e for r in extra for e in getattr(r, "supported_entities", ()))]
        return ScanConfig(
            entities=tuple(dict.fromkeys(entities)),
            score_threshold=self.score_threshold,
            allow_list=tuple(sorted(set(self.allow_list) | set(read_allow_list(self.allow_file(project_dir))))),
            deny=tuple(sorted((e, tuple(w)) for e, w in self.deny_list.items())),
            patterns=tuple((p["entity"], p["regex"], float(p.get("score", 0.85))) for p in self.patterns),
            language=self.language,
            spacy_model=self.spacy_model,
            plugin_recognizers=tuple(sorted(getattr(r, "name", type(r).__name__) for r in extra)),
        ), extra

    def allow_file(self, project_dir: Path | None) -> Path | None:
        if not self.allow_list_file:
            return None
        path = Path(self.allow_list_file)
        if not path.is_absolute():
            if project_dir is None:
                return None
            path = project_dir / path
        return path

    def scanner(self, project_dir: Path | None = None, registry: Any = None):
        from .scan import get_scanner

        config, extra = self.scan_config(project_dir, registry)
        return get_scanner(config, extra)

    # -- the step -----------------------------------------------------------------------------
    def run(self, records: pl.DataFrame, ctx: StepContext) -> StepResult:
        from . import findings as pf
        from .replace import StandIns

        self.check()
        scanner = self.scanner(ctx.project_dir, ctx.registry)
        turns = pf.scanned_turns(records, pf.ROLES[self.turns])
        texts = {(t.record_id, t.turn): t.text for t in turns}
        found = pf.find(turns, scanner, propagate=self.propagate, human=ctx.human, processes=self.processes,
                        report=lambda done, total: ctx.report(done, total, f"{self.name}: scanning"))
        # After a purge: the values it left as keyed hashes, and the key the pseudonym map is kept by.
        from .keyed import purged_values

        sealed = purged_values(ctx.store) if ctx.store is not None else None
        found += self._purged_values_in(turns, found, sealed)
        review = pf.apply_review(found, ctx.human, texts)
        stand_ins = StandIns(self.mode, self.pseudonym_style, ctx.store.pii.pseudonyms() if ctx.store else None,
                             key_of=sealed.key.digest if sealed is not None and self.mode == "pseudonym" else None)
        rescanned, passes = [], 0
        if self.mode != "drop_row" and self.rescan and review.scrub:
            from .rescan import rescan

            rescanned, passes = rescan(review.scrub, texts, scanner, stand_ins, ctx.human,
                                       pf.rejected_values(turns, ctx.human),
                                       report=lambda done, total: ctx.report(done, total, f"{self.name}: re-scanning"))
            review.scrub.extend(rescanned)
        if ctx.store is not None:
            ctx.store.pii.replace_findings(pf.store_rows(found + rescanned + review.added, texts))

        by_record: dict[str, dict[int, list]] = {}
        for f in review.scrub:
            by_record.setdefault(f.record_id, {}).setdefault(f.turn, []).append((f.start, f.end, f.entity, f.score))
        counts = Counter(f.entity for f in review.scrub)
        stats: dict[str, Any] = {
            "model": scanner.model, "mode": self.mode, "turns_scanned": len(turns),
            "records_with_pii": len(by_record), "spans": dict(sorted(counts.items())),
            "propagated": sum(1 for f in review.scrub if f.found_by == "propagated"),
            "rejected_by_reviewer": len(review.rejected), "added_by_reviewer": len(review.added),
        }
        if self.rescan and self.mode != "drop_row":
            stats["rescan"] = {"passes": passes, "spans": len(rescanned)}
        if scanner.model is None and scanner.config.spacy_model.lower() not in ("", "none"):
            stats["warning"] = (f"spaCy model {self.spacy_model!r} is not installed: only pattern "
                                "recognizers ran, so names were not found")
        if not by_record:
            return StepResult(records, [], stats)

        if self.mode == "drop_row":
            decisions = []
            for rid, turns_ in by_record.items():
                entities = Counter(e for spans in turns_.values() for _, _, e, _ in spans)
                decisions.append(Decision(rid, "drop", "pii", {"entities": dict(sorted(entities.items()))},
                                          step=self.name))
            kept = records.filter(~pl.col("id").is_in(list(by_record)))
            return StepResult(kept, decisions, stats)

        kept, decisions = self._scrubbed(records, by_record, stand_ins)
        if ctx.store is not None and stand_ins.new:
            ctx.store.pii.add_pseudonyms(stand_ins.new)
        return StepResult(kept, decisions, stats)

    def _scrubbed(self, records: pl.DataFrame, by_record: dict[str, dict[int, list]],
                  stand_ins: Any) -> tuple[pl.DataFrame, list[Decision]]:
        """The records with every span replaced, and an "edit" decision for each changed one. Only
        the texts change: a turn's other fields (tool calls' ids and names, weight, parts) and
        every other column stay as they were; tool-call arguments stay valid JSON."""
        from .places import scrub_record
        from .replace import merge

        # A plain frame has no completions: leave those columns out (and untouched).
        columns = ["messages", *(c for c in ("chosen", "rejected")
                                 if c in records.columns and records.get_column(c).null_count() < records.height)]
        changed = records.filter(pl.col("id").is_in(list(by_record))).select("id", *columns)
        patches: dict[str, list] = {c: [] for c in columns}
        ids, decisions = [], []
        for row in changed.iter_rows(named=True):
            rid = row["id"]
            new = scrub_record(row, by_record[rid], stand_ins, merge)
            ids.append(rid)
            for c in columns:
                patches[c].append(new[c])
            entities = Counter(e for spans in by_record[rid].values() for _, _, e, _ in spans)
            decisions.append(Decision(rid, "edit", "pii_scrubbed", {"entities": dict(sorted(entities.items()))},
                                      step=self.name))
        patch = pl.DataFrame({"id": ids, "__hit": [True] * len(ids), **{f"__{c}": v for c, v in patches.items()}},
                             schema={"id": pl.String, "__hit": pl.Boolean,
                                     **{f"__{c}": records.schema[c] for c in columns}})
        kept = records.join(patch, on="id", how="left", maintain_order="left").with_columns(
            [pl.when(pl.col("__hit")).then(pl.col(f"__{c}")).otherwise(pl.col(c)).alias(c) for c in columns]
        ).drop("__hit", *(f"__{c}" for c in columns))
        return kept, decisions

    def _purged_values_in(self, turns: list, found: list, sealed: Any) -> list:
        """After a purge, the purged values in the rows imported since that the scan did not find:
        known by their keyed hash only, they are looked up as the leak check looks them up, and
        scrubbed like a value carried from another conversation."""
        from .findings import Finding

        if sealed is None or not sealed.scrubbed:
            return []
        taken: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for f in found:
            taken.setdefault((f.record_id, f.turn), []).append((f.start, f.end))
        out = []
        for t in turns:
            for start, end, _, entity in sealed.occurrences(t.text):
                if not any(a < end and start < b for a, b in taken.get((t.record_id, t.turn), ())):
                    out.append(Finding(t.record_id, t.turn, start, end, entity, 1.0, "purged value",
                                       t.text[start:end], "propagated"))
        return out


def plugin_recognizers(registry: Any) -> list[Any]:
    """The plugins' PII recognizers, built now when a plugin registered a factory."""
    out = []
    for item in getattr(registry, "pii_recognizers", None) or []:
        if isinstance(item, type) or not hasattr(item, "analyze"):
            try:
                item = item()
            except Exception as e:  # a plugin's bug: name it, do not crash the run
                name = getattr(item, "name", None) or getattr(item, "__name__", repr(item))
                raise ConfigError(f"pii step: the plugin recognizer {name} could not be built: "
                                  f"{type(e).__name__}: {e}") from None
        out.append(item)
    return out


def read_allow_list(path: Path | None) -> list[str]:
    """Terms of a project allow-list file: one per line, `#` starts a comment."""
    if path is None or not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: the PII allow list could not be read: {e}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def add_to_allow_list(path: Path, term: str) -> bool:
    """Append a term to the allow-list file (created with a header); False if it was there."""
    term = " ".join(term.split())
    existing = {t.casefold() for t in read_allow_list(path)}
    if not term or term.casefold() in existing:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not path.exists()
    with open(path, "a", encoding="utf-8", newline="\n", opener=private_opener) as f:
        if new_file:
            f.write("# Terms the pii step never treats as personal data, one per line (case ignored).\n")
        f.write(term + "\n")
    return True
