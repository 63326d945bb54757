"""A large study's entry files are read ahead by a second process (issue 12, item 6): what
comes back is what reading them here gives, in order, and the reader never outlives the
entries it reads."""

from __future__ import annotations

import multiprocessing
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

import tui.alignment.diary.read_ahead as read_ahead
from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryStore
from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.diary.folders import StudyFolders
from tui.alignment.diary.store import entry_names
from tui.alignment.diary.store import read_entry as real_read_entry
from tui.application.participant import ParticipantKeeper

needs_two_cores = pytest.mark.skipif(not read_ahead.can_read_ahead(),
                                     reason="a reader process needs fork and two cores")


def study(tmp_path: Path) -> list[Path]:
    """Three participants' folders with good entries, one entry in two folders, and the
    files a reader must report as they are: a merge conflict, broken TOML, a bad id, an
    invalid field, a folder named like an entry, and a TOML date (not marshal's)."""
    folders = []
    for n, name in enumerate(("ana", "bo", "cy")):
        keeper = ParticipantKeeper(tmp_path / name, f"P0{n + 1}", name != "cy")
        store = keeper.store()
        for k in range(7):
            store.add(sample_entry(misaligned_response=f"{name} {k}", transcript=[]))
        folders.append(keeper.folder)
    first, second = sorted(folders[1].glob("2*.toml"))[:2]
    first.write_text("<<<<<<< HEAD\n" + first.read_text() + ">>>>>>> theirs\n")
    second.write_text("misaligned_response = [\n")
    shared = DiaryStore(folders[0]).list()[0]
    DiaryStore(folders[1]).add(replace(shared, updated_at="2099-01-01T00:00:00Z"))
    (folders[2] / "20260101T000000-aaaaaa.toml").write_text(
        'misaligned_response = "x"\nid = "20260101T000000-bbbbbb"\n')
    (folders[2] / "20260101T000001-aaaaaa.toml").write_text(
        'misaligned_response = "x"\nid = "20260101T000001-aaaaaa"\nconsent = "yes"\n')
    (folders[2] / "20260101T000002-aaaaaa.toml").mkdir()
    dated = folders[0] / "20260101T000003-aaaaaa.toml"
    dated.write_text('misaligned_response = "x"\nid = "20260101T000003-aaaaaa"\n'
                     "created_at = \"2026-01-01T00:00:03Z\"\n[profile]\nsince = 2026-01-01\n")
    return folders


def read(folders: list[Path]) -> tuple[list[dict[str, Any]], list[str], list[int]]:
    """Every entry's fields, the problems, and how many entries came from each folder."""
    found = StudyFolders(folders)
    entries = [vars(entry) for entry in found.entries()]
    return entries, found.problems, [f.entries for f in found.folder_participants()]


@pytest.fixture
def ahead(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Read ahead from the first file on, four entries to a message; counts the readers."""
    started: list[int] = []
    real = read_ahead._read_ahead

    def counted(files: Any, preparation: Any = None) -> Any:
        started.append(len(files))
        return real(files, preparation)
    monkeypatch.setattr(read_ahead, "READ_AHEAD_FILES", 1)
    monkeypatch.setattr(read_ahead, "BATCH", 4)
    monkeypatch.setattr(read_ahead, "_read_ahead", counted)
    return started


def read_here(folders: list[Path], monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as here:
        here.setattr(read_ahead, "READ_AHEAD_FILES", 10 ** 9)
        return read(folders)


@needs_two_cores
def test_read_ahead_gives_the_entries_and_problems_reading_here_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: list[int]) -> None:
    folders = study(tmp_path)
    expected = read_here(folders, monkeypatch)
    assert read(folders) == expected and ahead == [len(expected[0]) + 1 + 5]
    entries, problems, counts = expected
    assert len(problems) == 5 and counts == [8, 6, 7]
    [shared] = [e for e in entries if e["updated_at"] == "2099-01-01T00:00:00Z"]
    assert shared["pseudonym"] == "P02"  # of the two copies, bo's, updated last
    assert [e["id"] for e in entries].count(shared["id"]) == 1
    assert not multiprocessing.active_children()


def failing(after: int, fail: Callable[[], object]) -> Callable[[str, str], object]:
    """read_entry that calls fail() in the reader process once it has read `after` files."""
    parent, done = os.getpid(), [0]

    def read_entry(path: str, stem: str) -> object:
        done[0] += 1
        if os.getpid() != parent and done[0] > after:
            fail()
        return real_read_entry(path, stem)
    return read_entry


@needs_two_cores
@pytest.mark.parametrize("fail", [lambda: os._exit(3), lambda: 1 / 0],
                         ids=["the reader dies", "the reader meets an unknown error"])
def test_this_process_reads_what_the_reader_could_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: list[int],
        fail: Callable[[], object]) -> None:
    folders = study(tmp_path)
    expected = read_here(folders, monkeypatch)
    monkeypatch.setattr(read_ahead, "read_entry", failing(9, fail))
    assert read(folders) == expected and len(ahead) == 1


@needs_two_cores
def test_an_error_reading_a_file_is_raised_here_as_reading_here_raises_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: list[int]) -> None:
    folders = study(tmp_path)

    def read_entry(path: str, stem: str) -> object:
        if path.endswith("20260101T000001-aaaaaa.toml"):
            raise TypeError("no such luck")
        return real_read_entry(path, stem)
    monkeypatch.setattr(read_ahead, "read_entry", read_entry)
    with pytest.raises(TypeError, match="no such luck"):
        read(folders)
    assert len(ahead) == 1 and not multiprocessing.active_children()


@needs_two_cores
def test_the_reader_ends_when_the_entries_are_no_longer_wanted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: list[int]) -> None:
    folders = study(tmp_path)
    monkeypatch.setattr(read_ahead, "read_entry", failing(5, threading.Event().wait))
    entries = StudyFolders(folders).entries()
    assert next(entries).misaligned_response  # the reader is stuck after five files
    assert [child.name for child in multiprocessing.active_children()] == [
        "coalign-diary-reader"]
    entries.close()
    assert not multiprocessing.active_children() and len(ahead) == 1


class Shouting:
    """A Preparation: the response in capitals, and the entry's id as the extra."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, str, object]] = []

    def prepare(self, entry: DiaryEntry) -> tuple[DiaryEntry, object]:
        return replace(entry, misaligned_response=entry.misaligned_response.upper()), entry.id

    def take(self, entry: DiaryEntry, extra: object) -> None:
        self.taken.append((entry.id, entry.misaligned_response, extra))


def served(files: list[tuple[str, str]], behind_from: int) -> list[list[Any]]:
    """What a reader sends of files (two to a message) when nothing reads the messages
    until it has ended (they are small: the pipe holds them all)."""
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    reader = multiprocessing.get_context("fork").Process(
        target=read_ahead._serve, args=(files, sending, Shouting(), behind_from))
    reader.start()
    reader.join(timeout=60)  # a pipe too small for them would keep it: then read anyway
    messages = []
    while receiving.poll(0 if reader.exitcode is not None else 1):
        messages.append(read_ahead._unpack(receiving.recv_bytes())[0])
    reader.join()
    return messages


@needs_two_cores
def test_a_batch_read_while_the_pipe_holds_enough_unread_is_sent_prepared(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = study(tmp_path)
    files = [(str(path), path.stem) for path in sorted(folders[0].glob("2*.toml"))][:6]
    monkeypatch.setattr(read_ahead, "BATCH", 2)
    never = served(files, 1 << 30)  # the pipe never holds that much: nothing prepared
    assert [[type(item) for item in message] for message in never] == [[dict] * 2] * 3 + [[]]
    first, *rest, last = served(files, 1)  # after the first message, each one waits
    assert [type(item) for item in first] == [dict, dict]  # the pipe was empty
    assert rest
    for item in (item for message in rest for item in message):
        assert type(item) is tuple
        fields, extra = item
        assert fields["misaligned_response"].isupper() and extra == fields["id"]
    assert last == []  # the end: nothing left over


@needs_two_cores
def test_entries_the_reader_prepared_come_prepared_and_this_process_is_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: list[int]) -> None:
    folders = study(tmp_path)
    plain = read_here(folders, monkeypatch)[0]
    monkeypatch.setattr(read_ahead, "_unread", lambda _sending: 1 << 30)  # always behind
    shouting = Shouting()
    found = StudyFolders(folders)
    entries = [vars(entry) for entry in found.entries(preparation=shouting)]
    assert len(ahead) == 1 and len(entries) == len(plain) and shouting.taken
    assert all(extra == entry_id and text.isupper() for entry_id, text, extra in shouting.taken)
    taken = {entry_id for entry_id, _text, _extra in shouting.taken}
    for entry, before in zip(entries, plain):  # prepared, else as read here (the last batch)
        if entry["id"] in taken:
            assert entry == {**before, "misaligned_response": before["misaligned_response"].upper()}
        else:
            assert entry == before


def test_a_small_study_or_a_machine_that_cannot_fork_reads_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: list[int]) -> None:
    folders = study(tmp_path)
    expected = read_here(folders, monkeypatch)
    monkeypatch.setattr(read_ahead, "can_read_ahead", lambda: False)
    assert read(folders) == expected and ahead == []
    monkeypatch.setattr(read_ahead, "can_read_ahead", lambda: True)
    monkeypatch.setattr(read_ahead, "READ_AHEAD_FILES", len(expected[0]) + 1 + 5 + 1)
    assert read(folders) == expected and ahead == []  # one file fewer than needed


@needs_two_cores
def test_a_process_with_another_thread_running_is_not_forked() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not read_ahead.can_read_ahead()
    finally:
        release.set()
        other.join()
    assert read_ahead.can_read_ahead()


def test_entry_names_are_what_glob_finds_less_hidden_and_participant_files(
        tmp_path: Path) -> None:
    for name in ("b.toml", "a.toml", ".hidden.toml", "participant.toml", "notes.txt",
                 "C.TOML", "x.toml.part", ".tmp-1.part"):
        (tmp_path / name).write_text("")
    (tmp_path / "d.toml").mkdir()
    globbed = sorted(p.name for p in tmp_path.glob("*.toml")
                     if not p.name.startswith(".") and p.name != "participant.toml")
    assert entry_names(tmp_path) == entry_names(str(tmp_path)) == globbed
    assert entry_names(tmp_path / "absent") == entry_names(tmp_path / "a.toml") == []
