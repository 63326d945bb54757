"""Conversation history in SQLite (WAL): sessions, a message tree, full-text search."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui.alignment import store_file
from tui.alignment.conversation import Message, Role, Session, Status
from tui.alignment.history_query import fts_query
from tui.errors import HistoryDamaged, HistoryError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    head_id INTEGER
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES messages(id),
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'complete',
    created_at REAL NOT NULL,
    model TEXT,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_id, id);
CREATE INDEX IF NOT EXISTS messages_by_parent ON messages(parent_id);
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
    content, content='messages', content_rowid='id'
);
CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER IF NOT EXISTS messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER IF NOT EXISTS messages_au AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
"""

_MESSAGE_COLUMNS = "id, session_id, parent_id, role, content, status, created_at, model, meta"
_OURS = {"sessions": {"id", "title", "created_at", "updated_at", "head_id"},
         "messages": set(_MESSAGE_COLUMNS.split(", "))}


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"], session_id=row["session_id"], parent_id=row["parent_id"],
        role=Role(row["role"]), content=row["content"], status=Status(row["status"]),
        created_at=row["created_at"], model=row["model"], meta=json.loads(row["meta"]),
    )


def _session(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"], title=row["title"], created_at=row["created_at"],
        updated_at=row["updated_at"], head_id=row["head_id"],
        message_count=row["message_count"],
    )


def _new_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just added (sqlite3 always sets it after an INSERT)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _process_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """All reads and writes of history; safe to share between threads."""

    def __init__(self, path: Path | str, read_only: bool | None = None) -> None:
        """Open (or create) the history at path. read_only None: read-only when the file
        or its folder cannot be written or is full (so history can still be read); False:
        a writer, refused with a HistoryError when it cannot save. Raises HistoryDamaged
        for a file that is no readable database, HistoryError for a folder, another
        program's database or a newer coalign's (never changed)."""
        self.path = path
        self._lock = threading.RLock()
        memory = str(path) == ":memory:"
        if not memory and Path(path).is_dir():
            raise HistoryError(f"history {path} is a folder, not a database file: move it "
                               f"away, {store_file.ELSEWHERE}")
        can_write = memory or store_file.writable(Path(path))
        if read_only is False and not can_write:  # a writer is told now, not at its first save
            raise store_file.read_only_error(path)
        self.read_only = read_only if read_only is not None else not can_write
        try:
            self._open()
        except sqlite3.Error as exc:
            cannot_save = store_file.error_code(exc) in store_file.CANNOT_SAVE
            if read_only is not None or self.read_only or not cannot_save:
                raise store_file.problem(exc, path) from None
            self.read_only = True  # a reader on a full disk: read what is there
            with self._guard():
                self._open()
        if not self.read_only:
            try:
                self.recover_interrupted()
            except HistoryError as exc:  # a reader reads on; the next writer recovers them
                if read_only is not None or isinstance(exc, HistoryDamaged):
                    self.close()
                    raise

    def _open(self) -> None:
        if not self.read_only and Path(self.path).is_file():  # checked read-only first: a
            # writer failing on a damaged file would checkpoint into it, or drop its -wal
            store_file.check_file(self.path, _OURS, SCHEMA_VERSION)
        self._db = store_file.connect(self.path, self.read_only, _SCHEMA)
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            store_file.check_schema(self._db, self.path, _OURS, SCHEMA_VERSION)
            if not self.read_only:
                if str(self.path) != ":memory:":
                    self._db.execute("PRAGMA journal_mode = WAL")
                    self._db.execute("PRAGMA synchronous = NORMAL")
                stamp = ("" if self._db.execute("PRAGMA user_version").fetchone()[0]
                         == SCHEMA_VERSION else f"PRAGMA user_version = {SCHEMA_VERSION};")
                # one transaction: a process starting alongside never sees half the tables
                self._db.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\n{stamp}\nCOMMIT;")
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite's failures on this file (full, read-only, damaged …) as HistoryErrors."""
        try:
            yield
        except sqlite3.Error as exc:
            raise store_file.problem(exc, self.path) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock, self._guard():
            return self._db.execute(sql, params)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock, self._guard():
            return self._db.execute(sql, params).fetchall()

    def recover_interrupted(self) -> int:
        """Mark answers left streaming by a dead process as interrupted; their text is kept."""
        rows = self._read(
            "SELECT id, json_extract(meta, '$.pid') AS pid FROM messages WHERE status = ?",
            (Status.STREAMING.value,),
        )
        dead = [row["id"] for row in rows if not _process_alive(row["pid"])]
        for message_id in dead:
            self.update_message(message_id, status=Status.INTERRUPTED)
        return len(dead)

    # sessions -------------------------------------------------------------

    def create_session(self, title: str = "") -> Session:
        now = time.time()
        cursor = self._write(
            "INSERT INTO sessions(title, created_at, updated_at) VALUES (?, ?, ?)",
            (title, now, now),
        )
        return self.session(_new_id(cursor))

    def session(self, session_id: int) -> Session:
        rows = self._read(
            "SELECT s.*, (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)"
            " AS message_count FROM sessions s WHERE s.id = ?",
            (session_id,),
        )
        if not rows:
            raise KeyError(f"no session {session_id}")
        return _session(rows[0])

    def sessions(self, limit: int = 200) -> list[Session]:
        """Sessions with at least one message, most recently used first."""
        rows = self._read(
            "SELECT s.*, COUNT(m.id) AS message_count FROM sessions s"
            " JOIN messages m ON m.session_id = s.id"
            " GROUP BY s.id ORDER BY s.updated_at DESC, s.id DESC LIMIT ?",
            (limit,),
        )
        return [_session(row) for row in rows]

    def latest_session(self) -> Session | None:
        found = self.sessions(limit=1)
        return found[0] if found else None

    def set_title(self, session_id: int, title: str) -> None:
        self._write("UPDATE sessions SET title = ? WHERE id = ?", (title, session_id))

    def set_head(self, session_id: int, message_id: int | None) -> None:
        self._write(
            "UPDATE sessions SET head_id = ?, updated_at = ? WHERE id = ?",
            (message_id, time.time(), session_id),
        )

    # messages -------------------------------------------------------------

    def add_message(
        self,
        session_id: int,
        parent_id: int | None,
        role: Role,
        content: str,
        status: Status = Status.COMPLETE,
        model: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Message:
        """Append a message under parent and make it the session's head."""
        now = time.time()
        with self._lock, self._guard():
            cursor = self._db.execute(
                "INSERT INTO messages(session_id, parent_id, role, content, status, created_at,"
                " model, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, parent_id, role.value, content, status.value, now, model,
                 json.dumps(meta or {})),
            )
            self.set_head(session_id, _new_id(cursor))
            return self.message(_new_id(cursor))

    def update_message(
        self,
        message_id: int,
        content: str | None = None,
        status: Status | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Save new text, status or metadata (metadata keys are merged)."""
        with self._lock, self._guard():
            if content is not None:
                self._db.execute("UPDATE messages SET content = ? WHERE id = ?",
                                 (content, message_id))
            if status is not None:
                self._db.execute("UPDATE messages SET status = ? WHERE id = ?",
                                 (status.value, message_id))
            if meta:
                merged = {**self.message(message_id).meta, **meta}
                self._db.execute("UPDATE messages SET meta = ? WHERE id = ?",
                                 (json.dumps(merged), message_id))

    def message(self, message_id: int) -> Message:
        rows = self._read(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        if not rows:
            raise KeyError(f"no message {message_id}")
        return _message(rows[0])

    def path_to(self, message_id: int | None) -> list[Message]:
        """The branch from the root down to message_id, in order."""
        if message_id is None:
            return []
        rows = self._read(
            f"WITH RECURSIVE branch(id, depth) AS ("
            f" SELECT ?, 0 UNION ALL"
            f" SELECT m.parent_id, b.depth + 1 FROM messages m JOIN branch b ON m.id = b.id"
            f" WHERE m.parent_id IS NOT NULL)"
            f" SELECT {', '.join('m.' + c for c in _MESSAGE_COLUMNS.split(', '))}"
            f" FROM branch b JOIN messages m ON m.id = b.id ORDER BY b.depth DESC",
            (message_id,),
        )
        return [_message(row) for row in rows]

    def children(self, message_id: int | None, session_id: int) -> list[Message]:
        """Direct replies to a message (siblings of each other), oldest first."""
        if message_id is None:
            rows = self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE session_id = ?"
                " AND parent_id IS NULL ORDER BY id", (session_id,))
        else:
            rows = self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE parent_id = ? ORDER BY id",
                (message_id,))
        return [_message(row) for row in rows]

    def search(self, query: str, limit: int = 50) -> list[tuple[Message, str]]:
        """Messages matching query, best first, each with a snippet (history_query.py says
        what a query may hold: words, "phrases", prefix*, -left-out, OR)."""
        expression = fts_query(query)
        if not expression:
            return []
        rows = self._read(
            f"SELECT {', '.join('m.' + c for c in _MESSAGE_COLUMNS.split(', '))},"
            " snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet"
            " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
            " WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?",
            (expression, limit),
        )
        return [(_message(row), row["snippet"]) for row in rows]

    # branches ---------------------------------------------------------------

    def leaves(self, session_id: int) -> list[Message]:
        """Messages nothing replies to: the ends of every branch, newest first."""
        rows = self._read(
            f"SELECT {', '.join('m.' + c for c in _MESSAGE_COLUMNS.split(', '))}"
            " FROM messages m WHERE m.session_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM messages c WHERE c.parent_id = m.id) ORDER BY m.id DESC",
            (session_id,),
        )
        return [_message(row) for row in rows]

    def latest_leaf(self, message_id: int) -> Message:
        """Follow the newest reply down from message_id to the end of its branch."""
        message = self.message(message_id)
        while replies := self.children(message.id, message.session_id):
            message = replies[-1]
        return message

    def copy_branch(self, message_id: int, title: str, meta: dict[str, Any]) -> Session:
        """A new session holding a copy of the branch ending at message_id (a fork)."""
        with self._lock:
            session = self.create_session(title)
            parent_id: int | None = None
            for message in self.path_to(message_id):
                copied = self.add_message(
                    session.id, parent_id, message.role, message.content, message.status,
                    message.model, {**message.meta, "copied_from": message.id},
                )
                parent_id = copied.id
            if parent_id is not None:
                self.update_message(parent_id, meta=meta)
            elif meta:  # no such message: nothing was copied to take the metadata
                raise KeyError(f"no message {message_id}")
            return self.session(session.id)

    def mark_values(self) -> list[str]:
        """Every value at risk named in a mark so far, most used first."""
        rows = self._read(
            "SELECT v.value AS value, COUNT(*) AS n FROM messages m,"
            " json_each(json_extract(m.meta, '$.mark.values_at_risk')) v"
            " WHERE json_extract(m.meta, '$.mark') IS NOT NULL GROUP BY v.value"
            " ORDER BY n DESC, v.value"
        )
        return [row["value"] for row in rows]

    # events (non-engagement: pause, resume) ----------------------------------------

    def add_event(self, session_id: int | None, kind: str, detail: str = "") -> None:
        self._write("INSERT INTO events(session_id, kind, at, detail) VALUES (?, ?, ?, ?)",
                    (session_id, kind, time.time(), detail))

    def events(self, session_id: int | None, since: float = 0.0) -> list[dict[str, Any]]:
        """Events of a session (and session-less ones) since a time, oldest first."""
        rows = self._read(
            "SELECT kind, at, detail FROM events WHERE (session_id = ? OR session_id IS NULL)"
            " AND at >= ? ORDER BY at, id", (session_id, since))
        return [{"kind": row["kind"], "at": row["at"], "detail": row["detail"]} for row in rows]

    # state every process shares (a pause, today's override of the limits) -----------

    def state(self, key: str) -> Any:
        """The JSON value stored under key, or None."""
        rows = self._read("SELECT value FROM state WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else None

    def set_state(self, key: str, value: Any) -> None:
        """Store a JSON value under key (None removes it)."""
        if value is None:
            self._write("DELETE FROM state WHERE key = ?", (key,))
        else:
            self._write("INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key)"
                        " DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def answer_stats(self, since: float = 0.0) -> list[tuple[float, str, dict[str, Any]]]:
        """(created_at, profile name, stats) of every answer since a time: the usage meter."""
        rows = self._read(
            "SELECT created_at, json_extract(meta, '$.profile.name') AS profile,"
            " json_extract(meta, '$.stats') AS stats FROM messages"
            " WHERE role = 'assistant' AND created_at >= ? AND stats IS NOT NULL",
            (since,))
        return [(row["created_at"], row["profile"] or "-", json.loads(row["stats"]))
                for row in rows]

    def marked_prompts(
        self, model: str | None, profile: str | None
    ) -> list[tuple[str, dict[str, Any]]]:
        """(prompt, mark) for every marked answer of this model under this profile."""
        rows = self._read(
            "SELECT p.content AS prompt, json_extract(a.meta, '$.mark') AS mark"
            " FROM messages a JOIN messages p ON p.id = a.parent_id"
            " WHERE a.role = 'assistant' AND json_extract(a.meta, '$.mark') IS NOT NULL"
            " AND (? IS NULL OR a.model = ?)"
            " AND (? IS NULL OR json_extract(a.meta, '$.profile.name') = ?)",
            (model, model, profile, profile))
        return [(row["prompt"], json.loads(row["mark"])) for row in rows]


def open_store(path: Path, read_only: bool | None = False
               ) -> tuple[Store, store_file.MovedAside | None]:
    """The history at path (read_only as for Store). A damaged file (not a database,
    truncated, corrupt) is moved aside and a fresh history started: said in the second
    value, never silently. One that cannot be moved (read-only) raises HistoryDamaged;
    another program's database or a newer coalign's is never moved: HistoryError."""
    before = store_file.identity(path)
    try:
        return Store(path, read_only), None
    except HistoryDamaged as exc:
        if read_only or (read_only is None and not store_file.writable(path)):
            raise
        if store_file.identity(path) != before:  # another coalign moved it meanwhile
            return Store(path, read_only), None
        moved = store_file.move_aside(path, exc.reason)
    return Store(path, read_only), moved
