"""Entry files read ahead by a second process, for studies large enough to gain by it.

Reading a 10,000-entry study is mostly parsing TOML and checking each entry, and an
export does as much work again with the entries (redaction, the writer). Where fork is
at hand (Linux) and this process may use two cores, `read_entries` forks a process that
reads the files in the order given and hands the entries back in batches through a
pipe, while this process goes on exporting; the pipe holds a few batches at most, so
entries still stream. Elsewhere (another system, one core, fewer than READ_AHEAD_FILES
files) the files are read here. Either way each file is read once, and what comes back
is what read_entry gives or raises, in the same order: an error other than DiaryError,
or a reader that dies, makes this process read the rest itself. A process with other
threads running (the TUI's) reads here: forking it is not safe.

A Preparation lets the reader take on work this process would do next with an entry (an
export's redaction): whenever the pipe holds more than half of what it can of messages
this process has not taken yet (it is behind), the reader prepares the batch it has just
read before sending it, and this process is told of each entry that comes prepared. The
pipe so stays about half full, neither process waits for the other, and they share the
work as their speeds allow; what comes back is the same whichever did it.

The reader writes nothing but to the pipe, keeps nothing (it exits when done, and is
ended when the entries are no longer wanted), and ignores Ctrl-C, which this process
handles. Its CPU time counts as a child's (resource.RUSAGE_CHILDREN) once it has ended.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any, Generator, Protocol, Sequence

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.store import read_entry

READ_AHEAD_FILES = 2000  # fewer files are read here: starting a reader costs more
BATCH = 16  # entries a message: ~60 KB, under malloc's mmap threshold, so buffers are reused
PIPE_BYTES = 1 << 18  # about four messages in the pipe; the reader prepares above two
File = tuple[str, str]  # (path, stem), as read_entry takes them
Read = DiaryEntry | DiaryError
# What the reader sends of a file: an entry, an entry prepared (with its extra), an error.
Item = DiaryEntry | tuple[DiaryEntry, Any] | str
_MORE, _END, _STOP = 0, 1, 2  # after a batch: more follow; that was all; read the rest
_new_entry = object.__new__


class Preparation(Protocol):
    """Work on an entry that the reader process may do for this one (see the module)."""

    def prepare(self, entry: DiaryEntry) -> tuple[DiaryEntry, Any]:
        """In the reader: the entry as this process wants it, and what else it must know
        of it (plain data: lists, tuples, texts, numbers)."""

    def take(self, entry: DiaryEntry, extra: Any) -> None:
        """Here: entry came prepared by the reader, with extra."""


def read_entries(files: Sequence[File], preparation: Preparation | None = None
                 ) -> Generator[Read, None, None]:
    """read_entry(path, stem) of each file, in order: the entry, or the DiaryError it
    raised (other errors are raised); by a reader process when that is worth it, which
    may then prepare some of them (preparation.take says which)."""
    if len(files) < READ_AHEAD_FILES or not can_read_ahead():
        return _read_here(files, 0)
    return _read_ahead(files, preparation)


def can_read_ahead() -> bool:
    """Whether a reader process can be forked safely and run beside this one: on Linux
    (macOS frameworks break in a forked child), from a process with no other thread (a
    lock another thread holds would stay held in the child), with two cores to use."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return False
    return not multiprocessing.current_process().daemon and len(os.sched_getaffinity(0)) >= 2


def _read_here(files: Sequence[File], start: int) -> Generator[Read, None, None]:
    for path, stem in files[start:]:
        try:
            yield read_entry(path, stem)
        except DiaryError as exc:
            yield exc


def _read_ahead(files: Sequence[File], preparation: Preparation | None
                ) -> Generator[Read, None, None]:
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    behind_from = _widen(sending) // 2
    reader = context.Process(target=_serve, args=(files, sending, preparation, behind_from),
                             daemon=True, name="coalign-diary-reader")
    done, status = 0, _MORE
    held = {signal.SIGINT}  # until the reader ignores it (then it is delivered here)
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            reader.start()
        except OSError:  # no process to be had (EAGAIN, ENOMEM): read them all here
            status = _STOP
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
            sending.close()
        while status == _MORE:
            try:
                items, status = _unpack(receiving.recv_bytes())
            except EOFError:  # the reader died: the rest is read here
                items, status = [], _STOP
            for item in items:
                done += 1
                if type(item) is dict:
                    yield _entry(item)
                elif type(item) is tuple:  # prepared: (the entry's fields, extra)
                    entry = _entry(item[0])
                    assert preparation is not None
                    preparation.take(entry, item[1])
                    yield entry
                else:
                    yield DiaryError(item)
    finally:
        receiving.close()
        if reader.pid is not None:
            if status == _MORE:  # the entries are no longer wanted
                reader.terminate()
            reader.join()
    if status == _STOP:
        yield from _read_here(files, done)


def _entry(fields: dict[str, Any]) -> DiaryEntry:
    """The reader's entry, as it was (its fields, without __init__ or checks again)."""
    entry = _new_entry(DiaryEntry)
    entry.__dict__ = fields
    return entry


def _serve(files: Sequence[File], sending: Connection,
           preparation: Preparation | None = None, behind_from: int = 1) -> None:
    """The reader: each file's entry, or its DiaryError's text, BATCH to a message;
    a batch read while the pipe holds behind_from bytes or more unread (the other
    process is behind) is prepared first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    batch: list[Item] = []
    status = _STOP
    try:
        for path, stem in files:
            try:
                batch.append(read_entry(path, stem))
            except DiaryError as exc:
                batch.append(str(exc))
            if len(batch) == BATCH:
                if preparation is not None and _unread(sending) >= behind_from:
                    batch = [_prepared(item, preparation) for item in batch]
                sending.send_bytes(_pack(batch, _MORE))
                batch = []
        status = _END
    except BaseException:  # noqa: BLE001 - the parent reads from the first unsent file
        batch = []
    try:
        sending.send_bytes(_pack(batch, status))
    except Exception:  # noqa: BLE001 - the parent is gone, or reads the rest itself
        pass
    finally:
        sending.close()


def _widen(sending: Connection) -> int:
    """Let the pipe hold PIPE_BYTES (Linux gives 64 KiB, one message), so that neither
    process waits for the other while the pipe is half full; its size in bytes."""
    import fcntl  # here, not above: the reader runs on Linux only (can_read_ahead)

    try:
        fcntl.fcntl(sending.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return int(fcntl.fcntl(sending.fileno(), fcntl.F_GETPIPE_SZ))
    except (AttributeError, OSError):  # an older kernel, or a lower limit: as it is
        return 1 << 16


def _unread(sending: Connection) -> int:
    """How many bytes the pipe holds that the other process has not read yet."""
    import fcntl
    import termios

    waiting = bytearray(4)
    fcntl.ioctl(sending.fileno(), termios.FIONREAD, waiting)
    return int.from_bytes(waiting, sys.byteorder)


def _prepared(item: Item, preparation: Preparation) -> Item:
    if type(item) is not DiaryEntry:
        return item
    return preparation.prepare(item)


def _pack(items: list[Item], status: int) -> bytes:
    """A message: each entry as its fields (a dict), a prepared one as (its fields, the
    extra), each error as its text, and status; by marshal (twice as fast as pickle
    both ways), or pickle where an entry holds a date or a time (what tomllib reads for
    an unquoted one)."""
    plain = [item.__dict__ if type(item) is DiaryEntry else
             (item[0].__dict__, item[1]) if type(item) is tuple else item for item in items]
    try:
        return b"m" + marshal.dumps((plain, status))
    except ValueError:
        return b"p" + pickle.dumps((plain, status), pickle.HIGHEST_PROTOCOL)


def _unpack(message: bytes) -> tuple[list[dict[str, Any] | tuple[dict[str, Any], Any] | str],
                                     int]:
    data = memoryview(message)[1:]
    items, status = marshal.loads(data) if message[:1] == b"m" else pickle.loads(data)
    return items, status
