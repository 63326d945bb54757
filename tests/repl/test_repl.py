"""The plain REPL on FakeEngine: pipe input + DummyOutput, and one run in a real pty."""

from __future__ import annotations

import base64
import fcntl
import io
import os
import pty
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from prompt_toolkit.document import Document

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.repl import run_repl
from tui.actions import ACTIONS
from tui.alignment.conversation import Role, Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.errors import ModelError
from tui.repl.loop import QUIT_HINT, Repl
from tui.repl.prompting import SlashCompleter

ROOT = Path(__file__).resolve().parents[2]
REPLY = "This is a fake answer from the fake engine."


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll predicate until it holds; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COALIGN_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(REPLY)


@pytest.fixture
def service(home: Path, engine: FakeEngine) -> ChatService:
    return ChatService(Store(home / "history.sqlite3"), engine, SamplingSettings(), "system")


class TtyBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_question_is_streamed_and_stored(service: ChatService, home: Path) -> None:
    code, text, _ = run_repl(service, "what is alignment?\r/quit\r", home)
    assert code == 0
    assert "fake-engine F0" in text and "/help for commands" in text
    assert REPLY in text
    assert "9 tokens" in text and "context 0/4096" in text
    messages = service.transcript()
    assert [m.role for m in messages] == [Role.USER, Role.ASSISTANT]
    assert messages[0].content == "what is alignment?"
    assert messages[1].content == REPLY and messages[1].status is Status.COMPLETE


def test_send_command_sends_its_text(service: ChatService, home: Path) -> None:
    _, text, _ = run_repl(service, "/send hello there\r/send\r/quit\r", home)
    assert service.transcript()[0].content == "hello there"
    assert "usage: /send TEXT" in text


def test_model_text_is_stripped_of_control_sequences(service: ChatService, home: Path,
                                                     engine: FakeEngine) -> None:
    engine.reply = "hi \x1b[31mred\x1b]52;c;QUJD\x07 done\x07"
    _, text, _ = run_repl(service, "colour?\r/quit\r", home)
    assert "hi red done" in text
    assert "\x1b" not in text and "\x07" not in text


def test_help_lists_every_registry_action(service: ChatService, home: Path) -> None:
    _, text, _ = run_repl(service, "/help\r/quit\r", home)
    for action in ACTIONS:
        line = next(line for line in text.splitlines() if line.strip().startswith(action.command))
        assert action.key in line and action.help in line


def test_every_registry_action_has_a_slash_handler() -> None:
    for action in ACTIONS:
        assert callable(getattr(Repl, f"cmd_{action.method}", None)), action.id


def test_new_then_question_creates_second_session(service: ChatService, home: Path) -> None:
    _, text, _ = run_repl(service, "first\r/new\rsecond\r/quit\r", home)
    sessions = service.store.sessions()
    assert [s.title for s in sessions] == ["second", "first"]
    assert "new session" in text


def test_open_lists_and_opens_sessions(service: ChatService, home: Path) -> None:
    run_repl(service, "alpha question\r/new\rbeta question\r/quit\r", home)
    alpha, beta = sorted(service.store.sessions(), key=lambda s: s.id)
    keys = f"/open\r/open {alpha.id}\r/open 999\r/open x\r/quit\r"
    _, text, _ = run_repl(service, keys, home)
    assert f"resumed session #{beta.id}" in text
    listing = [line for line in text.splitlines() if "msgs" in line]
    assert any(f"#{alpha.id}" in line and "alpha question" in line for line in listing)
    assert any(line.startswith("*") and f"#{beta.id}" in line for line in listing)
    assert f"opened session #{alpha.id}" in text
    assert text.split(f"opened session #{alpha.id}")[1].splitlines()[1] == "> alpha question"
    assert "error: no session 999; /open alone lists them" in text
    assert "error: /open takes an id such as 12, not 'x'" in text
    assert service.session is not None and service.session.id == alpha.id


def test_unknown_command_and_idle_stop(service: ChatService, home: Path) -> None:
    _, text, _ = run_repl(service, "/frobnicate now\r/stop\r/quit\r", home)
    assert "unknown command /frobnicate — /help lists them" in text
    assert "nothing is running" in text
    assert service.store.sessions() == []


def test_copy_prints_answer_and_osc52_only_on_a_tty(service: ChatService, home: Path) -> None:
    _, text, _ = run_repl(service, "/copy\rq\r/copy\r/quit\r", home)
    assert "nothing to copy yet" in text
    assert text.count(REPLY) == 2 and "\x1b]52" not in text
    _, text, _ = run_repl(service, "/copy\r/quit\r", home, out=TtyBuffer())
    assert f"\x1b]52;c;{base64.b64encode(REPLY.encode()).decode()}\x07" in text


def test_history_persists_and_session_resumes(service: ChatService, home: Path) -> None:
    run_repl(service, "remember me\r/quit\r", home)
    assert "+remember me" in (home / "repl_history").read_text()
    # Ctrl-P twice: back past "/quit" to "remember me", sent again by the second Repl.
    _, text, _ = run_repl(service, "\x10\x10\r/quit\r", home)
    assert "resumed session" in text and "(2 messages)" in text
    prompts = [m.content for m in service.transcript() if m.role is Role.USER]
    assert prompts == ["remember me", "remember me"]


def test_ctrl_c_while_streaming_stops_and_saves_partial(service: ChatService, home: Path,
                                                        engine: FakeEngine) -> None:
    engine.gate = threading.Semaphore(0)  # hold generation after the first word
    main = threading.main_thread().ident
    assert main == threading.get_ident()

    def press_ctrl_c(repl: Repl) -> None:
        try:
            wait_for(lambda: repl.turn is not None and "This" in repl.out.getvalue())
            signal.pthread_kill(main, signal.SIGINT)
            wait_for(lambda: repl.turn is None or repl.turn.generation.stopped)
        finally:
            engine.gate.release(100)

    _, text, _ = run_repl(service, "long question\r/quit\r", home, during=press_ctrl_c)
    answer = service.last_answer()
    assert answer is not None and answer.status is Status.STOPPED
    assert answer.content == "This"
    assert "[stopped]" in text and "1 tokens" in text


def test_ctrl_c_at_empty_prompt_hints_then_quits(service: ChatService, home: Path) -> None:
    code, text, _ = run_repl(service, "\x03\x03/help\r", home)
    assert code == 0 and text.count(QUIT_HINT) == 1
    assert "Send the prompt" not in text  # quit before /help
    _, text, _ = run_repl(service, "\x03/help\rtyped\x03\x03\x04", home)
    assert text.count(QUIT_HINT) == 2 and "Send the prompt" in text


def test_load_error_is_one_line_and_repl_keeps_running(home: Path) -> None:
    engine = FakeEngine(load_error=ModelError("model file not found: /nope.gguf"))
    service = ChatService(Store(home / "h.sqlite3"), engine, SamplingSettings(), "system")
    code, text, _ = run_repl(service, "hello\r/help\r/quit\r", home)
    assert code == 0 and "Traceback" not in text
    assert text.count("error: model file not found: /nope.gguf") == 2
    assert "Send the prompt" in text
    assert service.store.sessions() == []


def test_completer_offers_commands_and_session_ids(service: ChatService, home: Path) -> None:
    run_repl(service, "a question\r/quit\r", home)
    completer = SlashCompleter(service.store.sessions)
    found = list(completer.get_completions(Document("/op"), None))  # type: ignore[arg-type]
    assert [(c.text, c.display_meta_text) for c in found] == [
        ("/open", "Open a past conversation")]
    ids = [c.text for c in completer.get_completions(Document("/open "), None)]  # type: ignore[arg-type]
    assert ids == [str(service.store.sessions()[0].id)]
    assert list(completer.get_completions(Document("hello /op"), None)) == []  # type: ignore[arg-type]


# --- a real terminal -------------------------------------------------------------

PTY_SCRIPT = """
import sys, threading
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.fixtures.fakes import FakeEngine
from tests.fixtures.repl import run_repl
from tui.alignment.store import Store
from tui.engine.base import SamplingSettings
from tui.application.service import ChatService
from tui.repl.loop import Repl

class HeldEngine(FakeEngine):
    '''Holds answers to prompts containing "hold" after one word, until stopped.'''
    def generate(self, messages, settings):
        self.gate = threading.Semaphore(0) if "hold" in messages[-1]["content"] else None
        generation = super().generate(messages, settings)
        stop, gate = generation.stop, self.gate
        def stop_and_release():
            stop()
            if gate is not None:
                gate.release()
        generation.stop = stop_and_release
        return generation

home = Path({home!r})
service = ChatService(Store(home / "pty.sqlite3"), HeldEngine(), SamplingSettings(), "s")
sys.exit(Repl(service, home / "pty_history").run())
"""


PROMPT_LIVE = "\x1b[?2004h"  # prompt_toolkit turns on bracketed paste once in raw mode


class Terminal:
    """The parent side of a pty running a child process."""

    def __init__(self, fd: int, pid: int) -> None:
        self.fd, self.pid, self.seen, self.reaped = fd, pid, "", False

    def expect(self, needle: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen; got {self.seen[-500:]!r}")
            if select.select([self.fd], [], [], left)[0]:
                try:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    raise AssertionError(f"{needle!r} not seen before exit") from None

    def send(self, keys: str) -> None:
        self.seen = ""
        os.write(self.fd, keys.encode())

    def exit_code(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.05)[0]:
                try:
                    os.read(self.fd, 4096)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.reaped = True
                return os.waitstatus_to_exitcode(status)
        raise AssertionError("the REPL did not exit")

    def close(self) -> None:
        """Kill the child if it is still running, and release the terminal."""
        if not self.reaped:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")
def test_repl_in_a_real_terminal(home: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    script = PTY_SCRIPT.format(root=str(ROOT), home=str(home))
    pid, fd = pty.fork()
    if pid == 0:  # child: size the terminal, then become the REPL
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
            os.execve(sys.executable, [sys.executable, "-c", script], env)
        finally:
            os._exit(127)
    term = Terminal(fd, pid)
    try:
        term.expect("/help for commands")
        term.expect(PROMPT_LIVE)  # type at a live prompt only: earlier keys race raw mode
        term.send("what is a pty?\r")
        term.expect("fake engine.")
        term.expect("context 0/4096")
        term.expect(PROMPT_LIVE)
        term.send("please hold\r")
        term.expect("This")
        term.send("\x03")  # a real Ctrl-C: SIGINT from the terminal's line discipline
        term.expect("[stopped]")
        term.expect(PROMPT_LIVE)
        term.send("\x04")
        assert term.exit_code() == 0
    finally:
        term.close()
    store = Store(home / "pty.sqlite3")
    answers = [m for m in store.path_to(store.latest_session().head_id)
               if m.role is Role.ASSISTANT]
    assert [(m.content, m.status) for m in answers] == [
        (REPLY, Status.COMPLETE), ("This", Status.STOPPED)]
