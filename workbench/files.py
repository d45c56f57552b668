"""Writing a file so that a crash leaves the old file or the new one, never half of either."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write `data` to `.NAME.tmp-PID` beside `path`, flush it to disk, then rename it over `path`.

    Text is written as UTF-8 with "\\n" line ends. The temporary name is the one housekeeping
    recognises; on an error it is removed and the error goes on to the caller.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
