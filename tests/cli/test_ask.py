"""`coalign ask` in-process on the fake engine: Ctrl-C mid-answer stops it, never hangs."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import make_service
from tui.alignment.conversation import Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.application.startup import Startup
from tui.cli.ask import cmd_ask
from tui.config import Config
from tui.engine.base import EngineInfo, Generation, SamplingSettings
from tui.errors import ActionRefused
from tui.main import build_parser
from tui.paths import Paths


class InterruptedOut(io.StringIO):
    """A terminal where the user presses Ctrl-C as the first piece arrives."""

    def write(self, text: str) -> int:
        raise KeyboardInterrupt


def test_ctrl_c_mid_answer_stops_and_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    service = make_service(tmp_path, FakeEngine("one two three four five"))
    startup = Startup(Paths(tmp_path, tmp_path / "data"), Config(), service, None, None)  # type: ignore[arg-type]
    monkeypatch.setattr("sys.stdout", InterruptedOut())
    args = build_parser().parse_args(["ask", "a question"])
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(cmd_ask(args, startup)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "coalign ask hung after Ctrl-C"
    assert codes == [130]
    answer = service.last_answer()
    assert answer is not None and answer.status is Status.STOPPED


def test_a_finished_stream_iterated_again_ends_at_once() -> None:
    generation = Generation()
    generation.push("text")
    generation.finish()
    assert generation.wait() == "text"
    done = threading.Event()
    threading.Thread(target=lambda: (generation.wait(), done.set()), daemon=True).start()
    assert done.wait(5), "a second wait() blocked on an end marker already taken"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def startup_for(service: ChatService, tmp_path: Path) -> Startup:
    return Startup(Paths(tmp_path, tmp_path / "data"), Config(), service, None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("argv", [["ask", "-"], ["ask"]])
def test_the_question_comes_from_a_pipe(argv: list[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    service = make_service(tmp_path)
    abstract = "Summarise this abstract:\n" + "\n".join(f"line {n}" for n in range(40))
    monkeypatch.setattr("sys.stdin", io.StringIO(abstract + "\n"))
    assert cmd_ask(build_parser().parse_args(argv), startup_for(service, tmp_path)) == 0
    prompt = service.transcript()[0]
    assert prompt.content == abstract  # every line, not "-"
    assert "fake answer" in capsys.readouterr().out


def test_no_question_at_a_terminal_is_one_line(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", Tty())
    with pytest.raises(ActionRefused, match="give a question"):
        cmd_ask(build_parser().parse_args(["ask"]), startup_for(make_service(tmp_path), tmp_path))


class NeverLoads(FakeEngine):
    def start_loading(self, on_progress: object = None) -> None:
        pass

    def wait_loaded(self, timeout: float | None = None) -> EngineInfo:
        raise AssertionError("an empty prompt must be refused before waiting for the model")


def test_an_empty_prompt_is_refused_before_the_model_loads(tmp_path: Path) -> None:
    service = ChatService(Store(tmp_path / "h.sqlite3"), NeverLoads(), SamplingSettings(), "s")
    with pytest.raises(ActionRefused, match="empty prompt"):
        cmd_ask(build_parser().parse_args(["ask", "\x01 "]), startup_for(service, tmp_path))


def test_a_grounded_ask_keeps_stdout_the_answer_and_says_its_sources_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fixtures.library import make_library
    from tui.alignment.library.index import LibraryIndex
    from tui.alignment.library.ingest import add_paths
    from tui.application.grounding import Grounder

    service = make_service(tmp_path, FakeEngine("The archive holds 412 cassette tapes [1]."))
    files = make_library(tmp_path / "library")
    index = tmp_path / "library.sqlite3"
    add_paths(LibraryIndex(index), [files["bib"].parent], "default")
    service.grounder = Grounder(index)
    startup = Startup(Paths(tmp_path, tmp_path / "data"), Config(), service, None, None)  # type: ignore[arg-type]
    args = build_parser().parse_args(
        ["ask", "--ground", "how many cassette tapes are in the Lagos archive?"])
    assert cmd_ask(args, startup) == 0
    printed = capsys.readouterr()
    assert printed.out == "The archive holds 412 cassette tapes [1].\n"
    assert "Grounding on for this session" in printed.err
    assert "Sources from your library (1 of" in printed.err
    assert "[1]" in printed.err
    assert [e["kind"] for e in service.store.events(None)].count("grounding") == 1
    # another run, --no-save: the same history file gets no event (and no answer)
    unsaved = make_service(tmp_path, FakeEngine("412 [1]."))
    unsaved.grounder = Grounder(index)
    kept = unsaved.store
    again = Startup(Paths(tmp_path, tmp_path / "data"), Config(), unsaved, None, None)  # type: ignore[arg-type]
    assert cmd_ask(build_parser().parse_args(["ask", "--ground", "--no-save", "and?"]), again) == 0
    assert [e["kind"] for e in kept.events(None)].count("grounding") == 1
