"""The library's index in SQLite: documents, their passages, and an FTS5 table ranked by BM25.

One file in the data dir holds every named library (`default` unless `--library` says
otherwise). Passages are the rows of an external-content FTS5 table (porter stemming over
unicode61 without diacritics), kept in step by triggers, as the history's search is.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar, cast

from tui.alignment.library.model import Document, Metadata, ReadDocument
from tui.errors import CoalignError

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    library TEXT NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    meta TEXT NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0,
    passages INTEGER NOT NULL DEFAULT 0,
    added_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_path ON documents(library, path);
CREATE TABLE IF NOT EXISTS files (
    library TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    owner TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    added_at REAL NOT NULL,
    PRIMARY KEY (library, path)
);
CREATE INDEX IF NOT EXISTS files_by_hash ON files(library, sha256);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    ordinal INTEGER NOT NULL,
    page INTEGER,
    text TEXT NOT NULL,
    head TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS passages_by_document ON passages(doc_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, head, content='passages', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text, head) VALUES (new.id, new.text, new.head);
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text, head)
    VALUES ('delete', old.id, old.text, old.head);
END;
CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab(passages_fts, 'row');
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
TOKENIZER = "porter unicode61 remove_diacritics 2"  # the same as passages_fts's
_QUERY_WORDS = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words USING fts5(word, tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_terms USING fts5vocab(temp, query_words, 'instance');
"""
_META_FIELDS = {f.name for f in fields(Metadata)}
T = TypeVar("T")
ORDINAL_BITS = 20  # a passage's id holds its document's: id >> 20 (no join to filter by it)
MAX_PASSAGES = (1 << ORDINAL_BITS) - 1  # a document's passages indexed at most


def passage_id(doc_id: int, ordinal: int) -> int:
    """The id of a document's n-th passage; `id >> ORDINAL_BITS` is the document's."""
    return (doc_id << ORDINAL_BITS) | ordinal


class LibraryError(CoalignError):
    """The library's database cannot be opened, read or written; the line says the fix."""


def _meta(raw: str) -> Metadata:
    data = json.loads(raw)
    return Metadata(**{key: value for key, value in data.items() if key in _META_FIELDS})


def _document(row: sqlite3.Row) -> Document:
    return Document(row["id"], row["library"], row["kind"], row["path"], row["sha256"],
                    _meta(row["meta"]), row["passages"], row["pages"], row["added_at"])


def _head(meta: Metadata) -> str:
    """What a passage is searched by besides its text: the work's title, authors, tags."""
    return " ".join([meta.title, *meta.authors, *meta.keywords, *meta.disciplines])


class LibraryIndex:
    """Reads and writes of one library file; safe to share between threads."""

    def __init__(self, path: Path | str, create: bool = True) -> None:
        """Open the index at path (created when create, else LibraryError if missing)."""
        self.path = Path(path)
        self._lock = threading.RLock()
        self._cache: tuple[tuple[int, int], list[Document]] | None = None
        self._writes = 0  # documents changed through this connection
        self._memo: dict[Hashable, object] = {}
        self._memo_version: tuple[int, int] | None = None
        if not create and not self.path.is_file():
            raise LibraryError(f"no library yet at {self.path}: add files with "
                               "`coalign library add PATH…`")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise LibraryError(f"library {self.path} was written by a newer coalign "
                                   f"(schema {version}); upgrade coalign to use it")
            if create:
                self._db.executescript(_SCHEMA)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        except OSError as exc:
            raise LibraryError(f"cannot open library {self.path}: {exc.strerror or exc}; set "
                               "COALIGN_HOME to a writable folder or fix its permissions") from None

    def _damaged(self, exc: Exception) -> LibraryError:
        return LibraryError(f"library {self.path} cannot be used ({exc}); move it aside and "
                            "add your files again with `coalign library add`")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _changing(self) -> Iterator[sqlite3.Connection]:
        """One transaction that changes documents (their cached list is read again)."""
        with self._guard() as db, db:
            self._writes += 1
            yield db

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise LibraryError(f"library {self.path} is busy (another coalign is "
                                       "indexing); try again when it has finished") from None
                raise self._damaged(exc) from None
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._guard() as db:
            return db.execute(sql, params).fetchall()

    # files ------------------------------------------------------------------------

    def file_hash(self, library: str, path: str) -> str | None:
        rows = self.query("SELECT sha256 FROM files WHERE library = ? AND path = ?",
                          (library, path))
        return rows[0]["sha256"] if rows else None

    def same_content(self, library: str, sha256: str, path: str) -> str | None:
        """Another file of the library with this content (a copy or a move), if any."""
        rows = self.query("SELECT path FROM files WHERE library = ? AND sha256 = ? AND path != ?",
                          (library, sha256, path))
        return rows[0]["path"] if rows else None

    def owner_of(self, library: str, path: str) -> str | None:
        """The added file that brought path in (itself, or a .bib naming it), if any."""
        rows = self.query("SELECT owner FROM files WHERE library = ? AND path = ?",
                          (library, path))
        return rows[0]["owner"] if rows else None

    def owned_files(self, library: str, owner: str) -> dict[str, str]:
        """The files an added path brought in (itself, a .bib's PDFs): path -> sha256."""
        rows = self.query("SELECT path, sha256 FROM files WHERE library = ? AND owner = ?",
                          (library, owner))
        return {row["path"]: row["sha256"] for row in rows}

    def added_paths(self, library: str | None = None) -> list[tuple[str, str]]:
        """Every (library, path) added on its own (not brought in by a .bib), in order."""
        where, params = ("AND library = ?", (library,)) if library else ("", ())
        rows = self.query(f"SELECT library, path FROM files WHERE path = owner {where} "
                          "ORDER BY added_at, path", params)
        return [(row["library"], row["path"]) for row in rows]

    # documents --------------------------------------------------------------------

    def file_tags(self, library: str, path: str) -> dict[str, Any]:
        """What `library add` was told about an added file (--discipline, …)."""
        rows = self.query("SELECT tags FROM files WHERE library = ? AND path = ?",
                          (library, path))
        tags: dict[str, Any] = json.loads(rows[0]["tags"]) if rows else {}
        return tags

    def replace(self, library: str, owner: str, documents: list[ReadDocument],
                hashes: dict[str, str], tags: dict[str, Any] | None = None) -> list[int]:
        """Store what one added file holds in place of what it held before (one
        transaction); hashes: every file read for it -> sha256. Returns the new ids."""
        now = time.time()
        ids = []
        with self._changing() as db:
            for path in hashes:  # a PDF added on its own before: now its .bib entry's
                self._delete_owner(db, library, path)
            for document in documents:
                meta = document.meta
                cursor = db.execute(
                    "INSERT INTO documents (library, kind, path, key, sha256, meta, pages, "
                    "passages, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (library, document.kind, owner, meta.key, hashes.get(owner, ""),
                     json.dumps(asdict(meta), ensure_ascii=False), document.pages,
                     min(len(document.passages), MAX_PASSAGES), now))
                doc_id = cursor.lastrowid
                assert doc_id is not None
                head = _head(meta)
                db.executemany(
                    "INSERT INTO passages (id, doc_id, ordinal, page, text, head) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(passage_id(doc_id, n), doc_id, n, p.page, p.text, head)
                     for n, p in enumerate(document.passages[:MAX_PASSAGES])])
                ids.append(doc_id)
            db.executemany(
                "INSERT OR REPLACE INTO files (library, path, sha256, owner, tags, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(library, path, sha, owner, json.dumps(tags or {}) if path == owner else "{}",
                  now) for path, sha in hashes.items()])
        return ids

    @staticmethod
    def _delete_owner(db: sqlite3.Connection, library: str, owner: str) -> int:
        ids = [row[0] for row in db.execute(
            "SELECT id FROM documents WHERE library = ? AND path = ?", (library, owner))]
        db.executemany("DELETE FROM passages WHERE doc_id = ?", [(i,) for i in ids])
        db.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in ids])
        db.execute("DELETE FROM files WHERE library = ? AND owner = ?", (library, owner))
        return len(ids)

    def remove_path(self, library: str, path: str) -> int:
        """Forget an added file and the documents it gave; how many documents went."""
        with self._changing() as db:
            return self._delete_owner(db, library, path)

    def remove_document(self, doc_id: int) -> Document:
        """Forget one document (a .bib entry, a PDF); KeyError when there is none."""
        document = self.document(doc_id)
        with self._changing() as db:
            db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            left = db.execute("SELECT COUNT(*) FROM documents WHERE library = ? AND path = ?",
                              (document.library, document.path)).fetchone()[0]
            if not left:
                db.execute("DELETE FROM files WHERE library = ? AND owner = ?",
                           (document.library, document.path))
        return document

    def _version(self) -> tuple[int, int]:
        """Changes since the documents were read: another process's commits, and ours."""
        with self._guard() as db:
            return db.execute("PRAGMA data_version").fetchone()[0], self._writes

    def documents(self, libraries: Iterable[str] = ()) -> list[Document]:
        """The documents of the named libraries (every library when none is named)."""
        version = self._version()
        if self._cache is None or self._cache[0] != version:
            rows = self.query("SELECT * FROM documents ORDER BY id")
            self._cache = (version, [_document(row) for row in rows])
        wanted = set(libraries)
        return [d for d in self._cache[1] if not wanted or d.library in wanted]

    def remember(self, key: Hashable, make: Callable[[], T]) -> T:
        """make()'s value, kept until the documents change (the filters' verdicts)."""
        version = self._version()
        if self._memo_version != version:
            self._memo.clear()
            self._memo_version = version
        if key not in self._memo:
            self._memo[key] = make()
        return cast(T, self._memo[key])

    def document(self, doc_id: int) -> Document:
        rows = self.query("SELECT * FROM documents WHERE id = ?", (doc_id,))
        if not rows:
            raise KeyError(doc_id)
        return _document(rows[0])

    def passages(self, doc_id: int, limit: int = 1000) -> list[tuple[int | None, str]]:
        """A document's passages in order: (page, text)."""
        rows = self.query("SELECT page, text FROM passages WHERE doc_id = ? ORDER BY ordinal "
                          "LIMIT ?", (doc_id, limit))
        return [(row["page"], row["text"]) for row in rows]

    def passage_texts(self, ids: list[int]) -> dict[int, tuple[int | None, str]]:
        """Passages by id: (page, text)."""
        rows = self.query(f"SELECT id, page, text FROM passages WHERE id IN "
                          f"({','.join('?' * len(ids))})", tuple(ids)) if ids else []
        return {row["id"]: (row["page"], row["text"]) for row in rows}

    def libraries(self) -> dict[str, tuple[int, int]]:
        """Each library's name -> (documents, passages)."""
        rows = self.query("SELECT library, COUNT(*) AS documents, SUM(passages) AS passages "
                          "FROM documents GROUP BY library ORDER BY library")
        return {row["library"]: (row["documents"], row["passages"] or 0) for row in rows}

    def passage_count(self) -> int:
        return sum(document.passages for document in self.documents())

    def word_counts(self, words: list[str]) -> dict[str, int]:
        """How many passages hold each word, as the index's tokenizer reads it (stemmed:
        'songs' is counted as 'song'; a word it splits, by its rarest part)."""
        with self._guard() as db:
            db.executescript(_QUERY_WORDS)
            db.execute("DELETE FROM temp.query_words")
            db.executemany("INSERT INTO temp.query_words(rowid, word) VALUES (?, ?)",
                           list(enumerate(words)))
            rows = db.execute(
                "SELECT q.doc AS word, MIN(COALESCE(v.doc, 0)) AS passages "
                "FROM temp.query_terms q LEFT JOIN passages_vocab v ON v.term = q.term "
                "GROUP BY q.doc").fetchall()
        return {words[row["word"]]: row["passages"] for row in rows}

    def rebuild(self) -> None:
        """Rebuild the FTS index from the passages, then merge its segments (`reindex`)."""
        with self._guard() as db, db:
            db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
            db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
