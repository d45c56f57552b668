"""Writing files: atomically (a crash leaves the old file or the new one, never half of either),
and readable by the user only.

A project holds personal data (the store keeps the original values the pii step found, the import
snapshot the raw input), so what workbench writes in it is created private: folders 0700, files
0600 (`PRIVATE_DIR`, `PRIVATE_FILE`). Exports are too unless asked to be shared (`SHARED_DIR`,
`SHARED_FILE`). The modes are given where each folder and file is made, never through the process
umask, which would also change what libraries write elsewhere (a model download into a shared
Hugging Face cache) and what the user's own code does in the same process.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SHARED_DIR = 0o755
SHARED_FILE = 0o644


def write_atomically(path: Path, data: str | bytes, mode: int = PRIVATE_FILE) -> None:
    """Write `data` to `.NAME.tmp-PID` beside `path`, flush it to disk, then rename it over `path`.

    Text is written as UTF-8 with "\\n" line ends. The file gets `mode` (by default readable by
    its owner only), whatever the umask. The temporary name is the one housekeeping recognises;
    on an error it is removed and the error goes on to the caller.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        # Created no more open than 0600, then given `mode` exactly: the umask may take bits away,
        # and a stale temporary file would keep its old mode.
        with open(tmp, "wb", opener=private_opener) as f:
            os.chmod(tmp, mode)
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def private_opener(path: str, flags: int) -> int:
    """For `open(path, mode, opener=private_opener)`: a file it creates is readable by its owner only."""
    return os.open(path, flags, PRIVATE_FILE)


def make_dirs(path: Path, mode: int = PRIVATE_DIR) -> Path:
    """Create the folder `path` and its missing parents with `mode` (by default for the owner only),
    whatever the umask. Folders that exist already are left as they are. Returns `path`."""
    path = Path(path)
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode & PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process, or a file: as mkdir -p
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, mode)
    return missing[0] if missing else path


def set_mode(path: Path, mode: int) -> None:
    """Give `path` (a file or folder workbench made, never a link) exactly `mode`."""
    if stat_mode(path) != mode:
        os.chmod(path, mode)


def tighten(path: Path, mode: int) -> None:
    """Take from `path` the permissions `mode` does not give, where it exists and is a file or
    folder (not a link) that this user owns; anything else is left as it is."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    uid = os.getuid() if hasattr(os, "getuid") else st.st_uid
    if stat.S_ISLNK(st.st_mode) or st.st_uid != uid:
        return
    current = stat.S_IMODE(st.st_mode)
    if current & ~mode:
        os.chmod(path, current & mode)


def set_tree_modes(root: Path, dir_mode: int, file_mode: int) -> None:
    """Give a folder workbench wrote, and every folder and file in it, `dir_mode` and `file_mode`
    (links are left as they are)."""
    for folder, dirs, files in os.walk(root):
        set_mode(Path(folder), dir_mode)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                set_mode(path, file_mode)


def stat_mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)
