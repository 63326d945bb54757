"""Saved KV caches of conversations, so that a resumed one evaluates only its new tokens.

Each entry is one file: a header line (JSON: the key and the token count), the tokens the
cache holds (int32), then llama.cpp's sequence state (llama_state_seq_get_data's bytes).
The key says what the cache was computed under: the model file (path, size, mtime), the
context settings, the control vectors and llama.cpp's build. An entry is used only under
the same key and only when its tokens are a prefix of the new prompt's. The folder is kept
under a size cap by evicting the least recently used entries (a file's mtime is its last
use). No llama_cpp here: llama.py hands in and takes out the state bytes.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import mmap
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar, runtime_checkable

import numpy as np

log = logging.getLogger("coalign.kv_state")
MAGIC = b"coalign-kv 1\n"
SUFFIX = ".kv"
DEFAULT_CAP_BYTES = 1 << 30  # 1 GiB: SmolLM2 takes ~20 MB per 1,000 tokens, 7B models far more
MIN_TOKENS = 64  # shorter conversations are evaluated again in a blink
T = TypeVar("T")


@runtime_checkable
class KeepsState(Protocol):
    """An engine that can save the KV cache of the conversation being left (LlamaEngine)."""

    def keep_state(self) -> Future[Path | None]: ...


def model_key(path: Path, **settings: object) -> dict[str, object]:
    """What a KV cache depends on: the model file as it is now, and the settings given."""
    stat = path.stat()
    return {"model": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            **settings}


def _digest(key: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def common_prefix(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> int:
    """How many leading tokens a and b share."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    left = np.asarray(a[:n], dtype=np.int64)
    right = np.asarray(b[:n], dtype=np.int64)
    differ = np.flatnonzero(left != right)
    return int(differ[0]) if differ.size else n


@dataclass(frozen=True)
class Entry:
    """One saved cache: its file, the key's digest and the tokens it holds."""

    path: Path
    key: str
    tokens: np.ndarray

    def with_state(self, use: Callable[[ctypes.Array[ctypes.c_uint8], int], T]) -> T:
        """use(buffer, size) on the saved KV cells, mapped from the file, not copied: a
        1,000-token state (~23 MB) took 40 ms to read into memory in a fresh process
        (90-120 ms with readinto), mapped and handed over 15 ms."""
        with self.path.open("rb") as handle:
            _header(handle)
            start = handle.tell() + 4 * len(self.tokens)
            size = os.fstat(handle.fileno()).st_size - start
            if size <= 0:
                raise OSError(f"{self.path} holds no KV cells")
            # copy-on-write: ctypes wants a writable buffer; llama.cpp only reads it. Files
            # are replaced by a rename, never cut short in place, so no mapped page goes.
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY) as mapped:
                buffer = (ctypes.c_uint8 * size).from_buffer(mapped, start)
                try:
                    return use(buffer, size)
                finally:
                    del buffer  # the map cannot close while a view of it lives


def _header(handle: BinaryIO) -> dict[str, object]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a coalign KV file")
    header: dict[str, object] = json.loads(handle.readline())
    return header


class StateStore:
    """A folder of saved KV caches with a size cap (least recently used go first)."""

    def __init__(self, folder: Path, cap_bytes: int = DEFAULT_CAP_BYTES) -> None:
        self.folder = Path(folder)
        self.cap_bytes = cap_bytes

    def files(self) -> list[Path]:
        try:
            return [p for p in self.folder.iterdir() if p.suffix == SUFFIX]
        except OSError:
            return []

    def entries(self, key: Mapping[str, object]) -> list[Entry]:
        """The readable entries saved under key (others, and damaged files, are skipped)."""
        digest, found = _digest(key), []
        for path in self.files():
            try:
                with path.open("rb") as handle:
                    header = _header(handle)
                    if header.get("key") != digest:
                        continue
                    count = int(header["tokens"])  # type: ignore[call-overload]
                    tokens = np.frombuffer(handle.read(4 * count), dtype="<i4")
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if len(tokens) == count:
                found.append(Entry(path, digest, tokens))
        return found

    def best(self, key: Mapping[str, object], prompt: Sequence[int], longer_than: int = 0
             ) -> Entry | None:
        """The entry under key holding the longest prefix of prompt (more than longer_than
        tokens of it); one whose tokens are not all a prefix of prompt is never used."""
        best: Entry | None = None
        for entry in self.entries(key):
            n = len(entry.tokens)
            if n <= longer_than or n > len(prompt) or (best is not None and n <= len(best.tokens)):
                continue
            if common_prefix(entry.tokens, prompt) == n:
                best = entry
        return best

    def path_for(self, key: Mapping[str, object], tokens: Sequence[int] | np.ndarray) -> Path:
        """The file an entry of these tokens under key is saved in."""
        array = np.asarray(tokens, dtype="<i4")
        name = hashlib.sha256(_digest(key).encode() + array.tobytes()).hexdigest()[:32]
        return self.folder / (name + SUFFIX)

    def touch(self, path: Path) -> None:
        """Mark an entry's file as just used (it is evicted last)."""
        try:
            os.utime(path)
        except OSError:
            pass

    def save(self, key: Mapping[str, object], tokens: Sequence[int] | np.ndarray,
             state: bytes | bytearray | memoryview) -> Path | None:
        """Write an entry (replacing one with the same key and tokens), then evict down to
        the cap; None when it is too short or too large to keep, or cannot be written."""
        array = np.asarray(tokens, dtype="<i4")
        size = len(MAGIC) + 4 * len(array) + len(state) + 200
        if len(array) < MIN_TOKENS or size > self.cap_bytes:
            return None
        digest, path = _digest(key), self.path_for(key, array)
        if path.exists():  # the same cache, saved before: just used again
            self.touch(path)
            return path
        header = json.dumps({"key": digest, "tokens": len(array)}).encode() + b"\n"
        saving: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".saving-",
                                             delete=False) as handle:
                saving = handle.name
                handle.write(MAGIC + header + array.tobytes())
                handle.write(state)
            os.replace(saving, path)
        except OSError as exc:
            log.warning("KV cache not saved in %s: %s", self.folder, exc)
            if saving is not None:
                Path(saving).unlink(missing_ok=True)
            return None
        self.evict()
        return path

    def evict(self) -> list[Path]:
        """Remove the least recently used entries until the folder fits the cap."""
        files = []
        for path in self.files():
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((stat.st_mtime_ns, stat.st_size, path))
        files.sort()
        total, removed = sum(size for _, size, _ in files), []
        for _mtime, size, path in files:
            if total <= self.cap_bytes:
                break
            try:
                path.unlink()
            except OSError:
                continue
            total -= size
            removed.append(path)
        return removed

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files() if p.exists())

    def clear(self) -> None:
        """Remove every saved entry."""
        for path in self.files():
            path.unlink(missing_ok=True)
