"""Faults as the user meets them: one line naming the file and the fix, never a traceback,
and nothing lost. Empty prompts, a reader that goes away (`| head`), a read-only, damaged,
foreign or newer history, a disk that fills during an answer, parallel starts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.alignment.test_store_faults import random_bytes, read_only, saved_history
from tests.fixtures.fakes import FakeEngine
from tui.alignment.conversation import Role, Status
from tui.alignment.store import Store
from tui.main import main

ROOT = Path(__file__).resolve().parents[2]
REPLY = " ".join(f"word{n}" for n in range(400))
# `coalign` with the fake engine in place of a model, for real processes and real pipes.
DRIVER = f"""
import sys
from tests.fixtures.fakes import FakeEngine
import tui.application.startup as startup
startup.open_engine = lambda config, flag, paths: (FakeEngine({REPLY!r}), None)
from tui.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def run(*args: str, home: Path, fake: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", DRIVER] if fake else [sys.executable, "-m", "tui"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COALIGN_HOME": str(home)}, timeout=120,
                          stdin=subprocess.DEVNULL, **kwargs)


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    return stderr.strip()


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process `main()` on the fake engine, its log lines kept out of pytest's."""
    monkeypatch.setattr("tui.application.startup.open_engine",
                        lambda config, flag, paths: (FakeEngine(REPLY), None))
    monkeypatch.setattr("tui.application.startup.configure_logging", lambda paths: None)


def database(home: Path) -> Path:
    return home / "data" / "history.sqlite3"


# 4a: empty prompts ---------------------------------------------------------------------

@pytest.mark.parametrize("prompt", ["", "   ", "\x01\x02"])
def test_an_empty_prompt_is_one_line(prompt: str, fake_model: None,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", prompt]) == 2
    captured = capsys.readouterr()
    assert one_line(captured.err) == "coalign: empty prompt: type a question first"
    assert captured.out == ""


# 4b: a reader that goes away -------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["ask", "tell", "me"], ["history", "list"], ["history", "search", "remember"], ["usage"],
    ["profile", "list"], ["diary", "list"]])
def test_a_closed_pipe_ends_quietly(command: list[str], coalign_home: Path) -> None:
    database(coalign_home).parent.mkdir(parents=True)
    saved_history(database(coalign_home))
    added = run("diary", "add", "--misaligned-response", "one entry", home=coalign_home)
    assert added.returncode == 0, added.stderr
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *command], cwd=ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COALIGN_HOME": str(coalign_home)})
    assert process.stdout is not None
    process.stdout.close()  # `| head -0`: gone before the first line is written
    _out, err = process.communicate(timeout=120)
    assert err == "", err  # no BrokenPipeError, no "Exception ignored" at exit
    assert process.returncode in (0, 141)
    if command[0] == "ask":  # the answer was stopped cleanly, and what it had is kept
        store = Store(database(coalign_home))
        session = store.latest_session()
        assert session is not None
        answer = store.message(session.head_id or 0)
        assert answer.role is Role.ASSISTANT and answer.status is Status.STOPPED


# 4c, 14: a read-only history or data dir -------------------------------------------------

def test_a_read_only_history_is_read_and_writers_say_so(coalign_home: Path) -> None:
    path = database(coalign_home)
    path.parent.mkdir(parents=True)
    saved_history(path)
    with read_only(path):
        listed = run("history", "list", home=coalign_home)
        assert listed.returncode == 0 and "kept 0" in listed.stdout, listed.stderr
        found = run("history", "search", "remember", home=coalign_home)
        assert found.returncode == 0 and "[remember]" in found.stdout, found.stderr
        assert run("usage", home=coalign_home).returncode == 0
        for command in (["ask", "hi"], ["chat"], []):
            refused = run(*command, home=coalign_home)
            assert refused.returncode == 2, command
            line = one_line(refused.stderr)
            assert line.startswith(f"coalign: history {path} is read-only")
            assert "COALIGN_HOME" in line


def test_a_read_only_data_dir_is_read_and_writers_say_so(coalign_home: Path) -> None:
    path = database(coalign_home)
    path.parent.mkdir(parents=True)
    saved_history(path)
    with read_only(path.parent):
        listed = run("history", "list", home=coalign_home)
        assert listed.returncode == 0 and "kept 0" in listed.stdout, listed.stderr
        assert run("usage", home=coalign_home).returncode == 0
        refused = run("ask", "hi", home=coalign_home)
        assert refused.returncode == 2
        line = one_line(refused.stderr)
        assert line.startswith(f"coalign: cannot write to data dir {path.parent}")


# 4d: a damaged, foreign or newer history ---------------------------------------------------

def test_a_damaged_history_is_moved_aside_with_a_message(coalign_home: Path) -> None:
    path = database(coalign_home)
    path.parent.mkdir(parents=True)
    random_bytes(path)
    original = path.read_bytes()
    answered = run("ask", "hi", home=coalign_home)
    assert answered.returncode == 0, answered.stderr
    line = one_line(answered.stderr)
    moved = sorted(path.parent.glob("history.sqlite3.broken-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == original
    assert line.startswith(f"warning: history {path} was damaged") and str(moved[0]) in line
    store = Store(path)  # the fresh history holds the answer
    assert store.latest_session() is not None


def test_a_damaged_history_met_by_the_repl_is_a_notice(coalign_home: Path) -> None:
    path = database(coalign_home)
    path.parent.mkdir(parents=True)
    random_bytes(path)
    chat = run("chat", home=coalign_home)
    assert chat.returncode == 0 and "Traceback" not in chat.stderr
    assert f"warning: history {path} was damaged" in chat.stderr
    assert len(list(path.parent.glob("history.sqlite3.broken-*"))) == 1


def foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE messages (id INTEGER, body TEXT)")
    db.commit()
    db.close()


def newer(path: Path) -> None:
    saved_history(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.close()


@pytest.mark.parametrize(("make", "says"), [(foreign, "is not a coalign history"),
                                            (newer, "was written by a newer coalign")])
def test_a_foreign_or_newer_history_is_refused_and_kept(make, says: str,
                                                        coalign_home: Path) -> None:
    path = database(coalign_home)
    path.parent.mkdir(parents=True)
    make(path)
    before = path.read_bytes()
    for command in (["ask", "hi"], ["chat"], [], ["history", "list"], ["usage"]):
        refused = run(*command, home=coalign_home)
        assert refused.returncode == 2, command
        line = one_line(refused.stderr)
        assert line.startswith(f"coalign: {path} {says}") and "COALIGN_HOME" in line
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*.broken-*"))


# 4e: the disk fills during an answer --------------------------------------------------------

def test_a_disk_full_mid_answer_shows_the_text_and_one_line(
        fake_model: None, coalign_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from tui.alignment import store as store_module
    from tui.application import startup

    def full_after_the_prompt(path: Path, read_only: bool | None = False):
        opened, moved = store_module.open_store(path, read_only)
        pages = opened._db.execute("PRAGMA page_count").fetchone()[0]
        opened._db.execute(f"PRAGMA max_page_count = {pages + 1}")  # a few words more, then full
        return opened, moved

    class Steady:  # the fake engine at a model's pace, so that a stop arrives mid-answer
        def acquire(self) -> None:
            time.sleep(0.002)

    engine = FakeEngine(REPLY)
    engine.gate = Steady()  # type: ignore[assignment]
    monkeypatch.setattr(startup, "open_engine", lambda config, flag, paths: (engine, None))
    monkeypatch.setattr(startup, "open_store", full_after_the_prompt)
    monkeypatch.setattr("tui.application.turn.CHECKPOINT_SECONDS", 0.0)
    assert main(["ask", "--max-tokens", "400", "a long answer, please"]) == 2
    captured = capsys.readouterr()
    data = coalign_home / "data"
    line = one_line(captured.err)
    assert line.startswith(f"coalign: history is full: cannot save to {data / 'history.sqlite3'}")
    assert f"free space on {data}" in line and "answer was stopped" in line
    shown = captured.out.split()
    assert shown and shown == REPLY.split()[: len(shown)]  # what came is shown, in order
    assert len(shown) < 400  # and the generation was stopped, not run to the end
    kept = Store(database(coalign_home))
    answer = kept.message(kept.latest_session().head_id or 0)  # type: ignore[union-attr]
    assert answer.content and " ".join(shown).startswith(answer.content.strip())


# 5: parallel starts -----------------------------------------------------------------------

def test_twenty_parallel_history_lists_all_succeed(coalign_home: Path) -> None:
    path = database(coalign_home)
    path.parent.mkdir(parents=True)
    saved_history(path)
    env = {**os.environ, "COALIGN_HOME": str(coalign_home)}
    processes = [subprocess.Popen([sys.executable, "-m", "tui", "history", "list"], cwd=ROOT,
                                  env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(20)]
    results = [(p.communicate(timeout=120), p.returncode) for p in processes]
    failed = [(code, err) for (_out, err), code in results if code != 0 or err]
    assert failed == []
    assert all("kept 0" in out for (out, _err), _code in results)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".write")) == []


def test_parallel_answers_all_succeed_and_all_are_kept(coalign_home: Path) -> None:
    env = {**os.environ, "COALIGN_HOME": str(coalign_home)}
    processes = [subprocess.Popen([sys.executable, "-c", DRIVER, "ask", "--max-tokens", "8",
                                   f"question {n}"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(12)]
    results = [(p.communicate(timeout=120), p.returncode) for p in processes]
    assert [(code, err) for (_out, err), code in results if code != 0 or err] == []
    store = Store(database(coalign_home))
    assert sorted(s.title for s in store.sessions()) == sorted(f"question {n}" for n in range(12))
    assert not [p for p in database(coalign_home).parent.iterdir() if p.name.startswith(".write")]
