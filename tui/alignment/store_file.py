"""The history file itself: what a SQLite failure on it means (one line naming the file
and the fix), opening it read-only when it cannot be written, refusing another program's
database or a newer coalign's, and moving a damaged one aside (never deleting it)."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tui.alignment.text import strip_control
from tui.errors import HistoryDamaged, HistoryError

ELSEWHERE = "or set COALIGN_HOME to another folder"
# Failures that mean "cannot save here" (a reader then opens the file read-only instead).
CANNOT_SAVE = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
               sqlite3.SQLITE_IOERR}


def error_code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code of a failure (0 for sqlite3's own errors)."""
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def problem(exc: sqlite3.Error, path: Path | str) -> Exception:
    """What a SQLite failure on the history file means, as one line naming the file and
    the fix (a HistoryError); any other failure (a bug) is returned as it is."""
    code = error_code(exc)
    folder = Path(path).parent
    if code == sqlite3.SQLITE_FULL:
        return HistoryError(f"history is full: cannot save to {path}; free space on {folder}")
    if code == sqlite3.SQLITE_READONLY:
        return read_only_error(path)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return HistoryDamaged(f"history {path} is damaged ({exc}): move it aside (mv {path} "
                              f"{path}.broken) and coalign starts a fresh one", str(exc))
    if code == sqlite3.SQLITE_CANTOPEN:
        return HistoryError(f"cannot open history {path} ({exc}): check that it and its "
                            f"folder can be read and written, {ELSEWHERE}")
    if code == sqlite3.SQLITE_IOERR:
        return HistoryError(f"cannot read or write history {path} ({exc}): check the disk "
                            f"and free space on {folder}")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return HistoryError(f"history {path} is busy ({exc}): another coalign is writing "
                            "it; try again")
    return exc


def read_only_error(path: Path | str) -> HistoryError:
    return HistoryError(f"history {path} is read-only: make it and its folder writable "
                        f"(chmod u+w, chattr -i), {ELSEWHERE}")


def writable(path: Path) -> bool:
    """Whether history at path can be saved: the file, if any, and its folder (where SQLite
    keeps the -wal and -shm files beside it) can be written."""
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(path.parent, os.W_OK)


def connect(path: Path | str, read_only: bool, schema: str) -> sqlite3.Connection:
    """A connection to the history; read-only ones never write a byte (mode=ro, or
    immutable where a WAL database's -shm cannot be made in a read-only folder)."""

    def opened(where: str, uri: bool = False) -> sqlite3.Connection:
        return sqlite3.connect(where, uri=uri, check_same_thread=False, isolation_level=None)

    if not read_only:
        return opened(str(path))
    if not Path(path).exists():  # nothing saved yet, and nowhere to save: an empty history
        db = opened(":memory:")
        db.executescript(schema)
        db.execute("PRAGMA query_only = ON")
        return db
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    db = opened(uri, uri=True)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        db.close()
        return opened(f"{uri}&immutable=1", uri=True)
    return db


def check_schema(db: sqlite3.Connection, path: Path | str, ours: dict[str, set[str]],
                 version: int) -> None:
    """Refuse another program's database (tables, but not ours) or one a newer coalign
    wrote (a higher user_version): both may be valid data, so they are left as they are."""
    found = db.execute("PRAGMA user_version").fetchone()[0]
    tables = sorted(row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"))
    has_ours = all(columns <= {row[0] for row in db.execute(
        "SELECT name FROM pragma_table_info(?)", (table,))} for table, columns in ours.items())
    if tables and not has_ours:
        shown = ", ".join(strip_control(name)[:40] for name in tables[:4])
        raise HistoryError(f"{path} is not a coalign history (its tables: {shown}"
                           f"{', …' if len(tables) > 4 else ''}): move it away, {ELSEWHERE}")
    if found > version:
        raise HistoryError(f"{path} was written by a newer coalign (history version {found}; "
                           f"this one reads up to {version}): upgrade coalign, {ELSEWHERE}")


def check_file(path: Path | str, ours: dict[str, set[str]], version: int) -> None:
    """check_schema on a read-only connection, which never changes the file or its -wal."""
    db = connect(path, True, "")
    try:
        check_schema(db, path, ours, version)
    finally:
        db.close()


@dataclass(frozen=True)
class MovedAside:
    """A damaged history file moved out of the way (with its -wal and -shm), and why."""

    path: Path
    to: Path
    reason: str

    def __str__(self) -> str:
        return (f"history {self.path} was damaged ({self.reason}): moved it to {self.to} "
                "and started a fresh history")


def move_aside(path: Path, reason: str) -> MovedAside:
    """Rename a damaged history (and its -wal, -shm) to history.sqlite3.broken-<time>."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    to, n = path.with_name(f"{path.name}.broken-{stamp}"), 1
    while any(Path(f"{to}{suffix}").exists() for suffix in ("", "-wal", "-shm")):
        to, n = path.with_name(f"{path.name}.broken-{stamp}-{n}"), n + 1
    try:
        for suffix in ("-wal", "-shm", ""):  # the database last: no stale WAL meets a new one
            if Path(f"{path}{suffix}").exists():
                os.rename(f"{path}{suffix}", f"{to}{suffix}")
    except OSError as exc:
        raise HistoryError(f"history {path} is damaged ({reason}) and cannot be moved aside "
                           f"({exc.strerror}): move it away yourself, {ELSEWHERE}") from None
    return MovedAside(path, to, reason)


def identity(path: Path) -> tuple[int, int] | None:
    """Which file is at path now (device, inode), to tell whether another process moved it."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino
