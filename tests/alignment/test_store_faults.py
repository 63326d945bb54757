"""A damaged, foreign, newer, read-only or full history.sqlite3: one line naming the file
and the fix, and nothing lost (a damaged file is moved aside, never overwritten); the data
dir's write probe never races another process's."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tui.alignment.conversation import Role, Status
from tui.alignment.store import Store, open_store
from tui.errors import DataDirError, HistoryDamaged, HistoryError
from tui.paths import Paths


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only for this process. Root ignores mode bits, so as
    root the immutable attribute is set (a user's `chattr +i`, or a read-only mount)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr to make a file read-only for root")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def saved_history(path: Path, sessions: int = 1, text: str = "remember me") -> None:
    store = Store(path)
    for n in range(sessions):
        session = store.create_session(f"kept {n}")
        store.add_message(session.id, None, Role.USER, f"{text} {n}")
    store.close()


def one_line_naming(exc: BaseException, path: Path) -> str:
    message = str(exc)
    assert "\n" not in message and str(path) in message, message
    return message


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def truncated(path: Path) -> None:
    saved_history(path, sessions=200, text="lorem ipsum " * 200)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def corrupt_pages(path: Path) -> None:
    saved_history(path, sessions=50)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # the schema page, past the file header
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [random_bytes, truncated, corrupt_pages])
def test_a_damaged_history_is_moved_aside_with_its_wal_and_a_fresh_one_started(
        tmp_path: Path, damage) -> None:
    path = tmp_path / "history.sqlite3"
    damage(path)
    original = path.read_bytes()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").write_bytes(b"companion " + suffix.encode())
    with pytest.raises(HistoryDamaged) as refused:
        Store(path)
    assert "move it aside" in one_line_naming(refused.value, path)

    store, moved = open_store(path)
    assert moved is not None and moved.path == path
    assert moved.to.name.startswith("history.sqlite3.broken-")
    assert moved.to.read_bytes() == original  # nothing lost: the very bytes, moved
    assert Path(f"{moved.to}-wal").read_bytes() == b"companion -wal"  # the log, untouched
    assert Path(f"{moved.to}-shm").exists()  # (an index SQLite rebuilds: moved along)
    notice = str(moved)
    assert str(path) in notice and str(moved.to) in notice and "\n" not in notice
    assert store.sessions() == []  # a fresh history, that works
    session = store.create_session("new")
    store.add_message(session.id, None, Role.USER, "after the move")
    store.close()
    assert Store(path).latest_session() is not None


def test_two_damaged_starts_in_one_second_keep_both_files(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    targets = []
    for _ in range(2):
        random_bytes(path)
        store, moved = open_store(path)
        store.close()
        assert moved is not None
        targets.append(moved.to)
    assert targets[0] != targets[1] and all(t.exists() for t in targets)


def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE moz_places (id INTEGER, url TEXT)")
    db.execute("CREATE TABLE messages (id INTEGER, body TEXT)")  # a name like ours
    db.commit()
    db.close()
    before = path.read_bytes()
    for opening in (lambda: Store(path), lambda: open_store(path), lambda: Store(path, True)):
        with pytest.raises(HistoryError) as refused:
            opening()
        assert not isinstance(refused.value, HistoryDamaged)
        message = one_line_naming(refused.value, path)
        assert "not a coalign history" in message and "COALIGN_HOME" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite3"]


def test_a_newer_coalign_history_is_refused_and_not_downgraded(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    saved_history(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.close()
    for opening in (lambda: Store(path), lambda: open_store(path)):
        with pytest.raises(HistoryError) as refused:
            opening()
        message = one_line_naming(refused.value, path)
        assert "newer coalign" in message and "upgrade coalign" in message
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 7
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert not list(tmp_path.glob("*.broken-*"))


def test_a_folder_in_place_of_the_history_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.mkdir()
    with pytest.raises(HistoryError) as refused:
        open_store(path)
    assert "is a folder" in one_line_naming(refused.value, path)
    assert path.is_dir()


def test_a_read_only_history_is_read_and_a_writer_is_told_at_once(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    saved_history(path)
    before = path.read_bytes()
    with read_only(path):
        reader = Store(path)
        assert reader.read_only
        assert [s.title for s in reader.sessions()] == ["kept 0"]
        assert reader.search("remember")
        with pytest.raises(HistoryError) as refused:
            reader.create_session("not saved")
        assert "read-only" in one_line_naming(refused.value, path)
        reader.close()
        with pytest.raises(HistoryError) as refused:
            open_store(path, read_only=False)
        message = one_line_naming(refused.value, path)
        assert "read-only" in message and "COALIGN_HOME" in message
    assert path.read_bytes() == before


def test_a_read_only_folder_is_read_without_a_byte_written(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "history.sqlite3"
    saved_history(path)  # closed: no -wal or -shm, which a read-only folder cannot get
    with read_only(folder):
        store, moved = open_store(path, read_only=None)
        assert moved is None and store.read_only
        assert [m.content for m in store.path_to(store.sessions()[0].head_id)] == [
            "remember me 0"]
        store.close()
        empty = Store(folder / "none.sqlite3")  # nothing saved yet: an empty history
        assert empty.sessions() == []
        with pytest.raises(HistoryError):
            empty.create_session("nowhere to keep it")
    assert sorted(p.name for p in folder.iterdir()) == ["history.sqlite3"]


def test_a_damaged_history_in_a_read_only_folder_is_not_moved(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "history.sqlite3"
    random_bytes(path)
    with read_only(folder):
        with pytest.raises(HistoryDamaged) as refused:
            open_store(path, read_only=None)
    assert "move it aside" in one_line_naming(refused.value, path)
    assert sorted(p.name for p in folder.iterdir()) == ["history.sqlite3"]


def test_a_full_history_is_one_line_naming_the_folder_to_free(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = Store(path)
    session = store.create_session("t")
    prompt = store.add_message(session.id, None, Role.USER, "hi")
    answer = store.add_message(session.id, prompt.id, Role.ASSISTANT, "", Status.STREAMING)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full now
    with pytest.raises(HistoryError) as refused:
        store.update_message(answer.id, content="word " * 5000)
    message = one_line_naming(refused.value, path)
    assert message.startswith("history is full") and f"free space on {tmp_path}" in message
    assert store.message(answer.id).content == ""  # what was saved is still there


def test_the_write_probe_never_trips_over_another_one(tmp_path: Path) -> None:
    paths = Paths(tmp_path, tmp_path / "data")
    failures: list[str] = []

    def probe() -> None:
        for _ in range(200):
            try:
                paths.ensure_data_dir(writable=True)
            except DataDirError as exc:
                failures.append(str(exc))

    workers = [threading.Thread(target=probe) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert list(paths.data_dir.iterdir()) == []  # no probe left behind


def test_the_write_probe_says_an_unwritable_folder_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    paths = Paths(tmp_path, folder)
    with read_only(folder):
        assert paths.ensure_data_dir() == folder  # readers need no probe
        with pytest.raises(DataDirError) as refused:
            paths.ensure_data_dir(writable=True)
    assert "COALIGN_HOME" in one_line_naming(refused.value, folder)
    assert list(folder.iterdir()) == []
