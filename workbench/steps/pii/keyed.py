"""Keyed hashes of personal values, for a project whose originals were purged (`workbench pii purge`).

After a purge the store keeps no original value. What a later run still needs is kept as a keyed
hash (BLAKE2b with a secret key, 16 bytes): the pseudonym map (hash of a value -> its stand-in,
so the same value gets the same stand-in in rows imported later) and the values the leak check
looks up verbatim in an export (and those a reviewer kept). A hash without the key cannot be
checked against a list of names, so the key lives outside the project: in the file named by
$WORKBENCH_PII_KEY, else `pii.key` in the user's workbench config folder (~/.config/workbench),
created 0600 at the first purge. The store records which key (its id, a hash of the key) a
project was purged with, and a run refuses any other.

A value's hash is over its exact text; a pseudonym's over its original key (case and spacing
ignored, as replace.original_key). For the verbatim lookup each value also keeps the hash of its
first word, where that word starts in it and its length, so that a text is hashed once per word
and only where a first word matches is the whole value's stretch hashed (the same whole-word rule
as occurrences.word_occurrences).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ...errors import ConfigError
from ...files import make_dirs, write_atomically
from .occurrences import _WORD, stands_alone

KEY_ENV = "WORKBENCH_PII_KEY"
KEY_BYTES = 32


def key_path() -> Path:
    """Where the key is read from (and created by a purge)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs

        return Path(platformdirs.user_config_dir("workbench")) / "pii.key"
    except ImportError:  # pragma: no cover - platformdirs comes with textual
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / "workbench" / "pii.key"


@dataclass(frozen=True)
class Key:
    secret: bytes
    path: Path

    @property
    def id(self) -> str:
        """Names the key in the store without revealing it."""
        return hashlib.blake2b(self.secret, digest_size=8, person=b"wb-key-id").hexdigest()

    def digest(self, text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8"), key=self.secret, digest_size=16).hexdigest()


def load_key(create: bool = False) -> Key:
    """The user's key; with `create`, a new random one is written first where none is."""
    path = key_path()
    if not path.exists() and create:
        make_dirs(path.parent)
        write_atomically(path, secrets.token_hex(KEY_BYTES) + "\n")
    try:
        text = path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no PII key here (set {KEY_ENV} to the key file's path)") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: not a workbench PII key ({e}); it holds {KEY_BYTES * 2} hex digits") from None
    if len(secret) < 16:
        raise ConfigError(f"{path}: the PII key is too short ({len(secret)} bytes; a new one has {KEY_BYTES})")
    return Key(secret, path)


def project_key(key_id: str | None) -> Key | None:
    """The key a purged project needs (None for a project never purged); refuses any other key."""
    if not key_id:
        return None
    try:
        key = load_key()
    except ConfigError as e:
        raise ConfigError(f"{e}. This project's originals were purged (`workbench pii purge`) with the key "
                          f"{key_id}; a run needs it to give known values their stand-ins and for the "
                          f"leak check. Put the key file back, or point {KEY_ENV} at it.") from None
    if key.id != key_id:
        raise ConfigError(f"{key.path}: this is the PII key {key.id}, but this project was purged with the key "
                          f"{key_id}; point {KEY_ENV} at that key's file")
    return key


# -- the values the leak check looks up after a purge -------------------------------------------
SCRUBBED = "scrubbed"  # looked up verbatim in an export: finding one is a leak
KEPT = "kept"  # a reviewer said it is no personal data: a fresh scan finding it does not count


def sealed_rows(key: Key, values: dict[str, str], kind: str) -> list[tuple[str, str, int, int, str, str]]:
    """(value hash, first-word hash, first word's offset, length, entity, kind) for each value of
    {value: entity}; values without a word are left out (the verbatim lookup never finds them)."""
    out = []
    for value, entity in sorted(values.items()):
        first = _WORD.search(value)
        if first is not None:
            out.append((key.digest(value), key.digest(first.group()), first.start(), len(value), entity, kind))
    return out


class SealedValues:
    """The purged values the leak check still looks up, as keyed hashes (see the module doc)."""

    def __init__(self, key: Key, rows: Iterable[tuple[str, str, int, int, str, str]], conflicts: int = 0) -> None:
        self.key = key
        self.conflicts = conflicts  # values a reviewer kept in one place and were scrubbed in another
        self.by_first: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
        self.kept: set[str] = set()
        self.hashes: set[str] = set()
        self.scrubbed = 0
        for value_hash, first_hash, lead, length, entity, kind in rows:
            if kind == KEPT:
                self.kept.add(value_hash)
            else:
                self.scrubbed += 1
                self.hashes.add(value_hash)
                self.by_first[first_hash].append((lead, length, value_hash, entity))
        self._words: dict[str, str] = {}

    def _word(self, word: str) -> str:
        digest = self._words.get(word)
        if digest is None:
            if len(self._words) > 200_000:
                self._words.clear()
            digest = self._words[word] = self.key.digest(word)
        return digest

    def occurrences(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        """(start, end, value hash, entity) of each scrubbed value standing in `text` as whole words."""
        if not self.by_first:
            return
        for m in _WORD.finditer(text):
            candidates = self.by_first.get(self._word(m.group()))
            for lead, length, value_hash, entity in candidates or ():
                start, end = m.start() - lead, m.start() - lead + length
                if start < 0 or end > len(text) or not stands_alone(text, start, end):
                    continue
                if self.key.digest(text[start:end]) == value_hash:
                    yield start, end, value_hash, entity

    def is_kept(self, value: str) -> bool:
        """Whether a reviewer kept this value (it is no personal data) before the purge."""
        return bool(self.kept) and self.key.digest(value) in self.kept

    def is_scrubbed(self, value: str) -> bool:
        """Whether this value was purged (it is among those looked up verbatim)."""
        return self.key.digest(value) in self.hashes


def purged_values(store) -> SealedValues | None:
    """The values a project's purges left for the leak check (None: never purged)."""
    key = project_key(store.pii.key_id())
    if key is None:
        return None
    conflicts = sum(int(p["detail"].get("leak_check_conflicts", 0)) for p in store.pii.purges())
    return SealedValues(key, store.pii.sealed_values(), conflicts)
