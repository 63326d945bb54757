"""`coalign ask` in-process on the fake engine: Ctrl-C mid-answer stops it, never hangs."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import make_service
from tui.alignment.conversation import Status
from tui.application.startup import Startup
from tui.cli.ask import cmd_ask
from tui.config import Config
from tui.engine.base import Generation
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
