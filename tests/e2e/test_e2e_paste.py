"""The real `coalign` TUI in a pseudo-terminal: a bracketed paste of 40 lines reaches the
stored prompt whole (the prompt is stored before the answer, so it is read from the
history while the app runs), then Ctrl+Q quits."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tui.alignment.conversation import Role
from tui.alignment.store import Store

PROMPT_SHOWN = "sk a question, or type /help"  # the placeholder (its first letter: the cursor)
PASTE_ON = b"\x1b[?2004h"  # the app asked the terminal for bracketed paste
LINES = [f"{n:02d} In 1602 the Bodleian Library opened to readers; quote line {n}."
         for n in range(1, 41)]


class Terminal:
    """coalign on a pty: what it wrote (raw), and keys typed into it."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.seen = b""

    def read(self, wait: float) -> None:
        if select.select([self.master], [], [], wait)[0]:
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                time.sleep(wait)

    def expect(self, needle: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{needle!r} not seen (exit {self.process.poll()}); "
                                     f"got {self.seen[-400:]!r}")
            self.read(0.2)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def exit_code(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.05)
        code = self.process.poll()
        assert code is not None, "coalign did not quit on ctrl+q"
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


def stored_prompts(database: Path, timeout: float, term: Terminal) -> list[str]:
    """The user prompts in the history, once there is one (read-only, while coalign runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if database.exists():
            store = Store(database, read_only=True)
            try:
                session = store.latest_session()
                if session is not None and session.head_id is not None:
                    return [m.content for m in store.path_to(session.head_id)
                            if m.role is Role.USER]
            finally:
                store.close()
        term.read(0.2)
    raise AssertionError("no prompt was stored")


def paste_into_coalign(home: Path, model: str) -> list[str]:
    env = {**os.environ, "COALIGN_HOME": str(home), "TERM": "xterm-256color"}
    command = [sys.executable, "-m", "tui", "--model", model, "--max-tokens", "8"]
    term = Terminal(command, env)
    try:
        term.expect(PROMPT_SHOWN.encode())
        term.expect(PASTE_ON)
        # a terminal sends a pasted newline as CR, the way Enter is sent
        term.type("\x1b[200~" + "\r".join(LINES) + "\x1b[201~")
        time.sleep(0.3)  # let the paste land before Enter (a person pauses too)
        term.type("\r")
        prompts = stored_prompts(home / "data" / "history.sqlite3", 60, term)
        term.type("\x11")  # ctrl+q
        assert term.exit_code() == 0
    finally:
        term.close()
    return prompts


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")
def test_a_bracketed_paste_of_40_lines_is_stored_whole(tmp_path: Path) -> None:
    # No model file: the prompt is stored all the same (the answer is an error).
    prompts = paste_into_coalign(tmp_path / "home", "/nonexistent/model.gguf")
    assert prompts == ["\n".join(LINES)]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")
def test_a_bracketed_paste_reaches_the_bundled_model_whole(tmp_path: Path,
                                                           model_path: Path) -> None:
    prompts = paste_into_coalign(tmp_path / "home", str(model_path))
    assert prompts == ["\n".join(LINES)]
