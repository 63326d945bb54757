"""Files that are never half-written: temp file in the same folder, fsync, rename, fsync."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

TEMP_PREFIX = ".tmp-"  # readers skip these; a killed writer may leave one behind
TEMP_SUFFIX = ".part"


def fsync_dir(folder: Path) -> None:
    """Make a rename in folder durable (best effort where the OS does not allow it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Replace path with text so that a crash leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def remove_stale_temp_files(folder: Path, older_than: float = 600.0) -> int:
    """Delete temp files a killed writer left behind (only old ones: a writer may be busy)."""
    removed = 0
    now = time.time()
    for temp in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if now - temp.stat().st_mtime > older_than:
                temp.unlink()
                removed += 1
    return removed


