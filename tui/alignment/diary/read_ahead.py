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
from typing import Any, Generator, Sequence

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.store import read_entry

READ_AHEAD_FILES = 2000  # fewer files are read here: starting a reader costs more
BATCH = 16  # entries a message: ~60 KB, under malloc's mmap threshold, so buffers are reused
File = tuple[str, str]  # (path, stem), as read_entry takes them
Read = DiaryEntry | DiaryError
_MORE, _END, _STOP = 0, 1, 2  # after a batch: more follow; that was all; read the rest
_new_entry = object.__new__


def read_entries(files: Sequence[File]) -> Generator[Read, None, None]:
    """read_entry(path, stem) of each file, in order: the entry, or the DiaryError it
    raised (other errors are raised); by a reader process when that is worth it."""
    if len(files) < READ_AHEAD_FILES or not can_read_ahead():
        return _read_here(files, 0)
    return _read_ahead(files)


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


def _read_ahead(files: Sequence[File]) -> Generator[Read, None, None]:
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    reader = context.Process(target=_serve, args=(files, sending), daemon=True,
                             name="coalign-diary-reader")
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
                    entry = _new_entry(DiaryEntry)  # the reader's entry, as it was
                    entry.__dict__ = item
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


def _serve(files: Sequence[File], sending: Connection) -> None:
    """The reader: each file's entry, or its DiaryError's text, BATCH to a message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    batch: list[DiaryEntry | str] = []  # an entry, or the text of its DiaryError
    status = _STOP
    try:
        for path, stem in files:
            try:
                batch.append(read_entry(path, stem))
            except DiaryError as exc:
                batch.append(str(exc))
            if len(batch) == BATCH:
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


def _pack(items: list[DiaryEntry | str], status: int) -> bytes:
    """A message: each entry as its fields (a dict), each error as its text, and status;
    by marshal (twice as fast as pickle both ways), or pickle where an entry holds a
    date or a time (what tomllib reads for an unquoted one)."""
    plain = [item.__dict__ if type(item) is DiaryEntry else item for item in items]
    try:
        return b"m" + marshal.dumps((plain, status))
    except ValueError:
        return b"p" + pickle.dumps((plain, status), pickle.HIGHEST_PROTOCOL)


def _unpack(message: bytes) -> tuple[list[dict[str, Any] | str], int]:
    data = memoryview(message)[1:]
    items, status = marshal.loads(data) if message[:1] == b"m" else pickle.loads(data)
    return items, status
