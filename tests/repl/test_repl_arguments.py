"""REPL argument errors are one usage line; clamped arguments say what really happened."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.repl import run_repl
from tui.alignment.diary.store import DiaryStore
from tui.alignment.store import Store
from tui.application.diary import DiaryRecorder
from tui.application.service import ChatService
from tui.engine.base import Generation, SamplingSettings


@pytest.fixture
def service(tmp_path: Path) -> ChatService:
    engine = FakeEngine("one two three")
    engine.start_loading()
    return ChatService(Store(tmp_path / "h.sqlite3"), engine, SamplingSettings(), "sys")


def test_malformed_arguments_get_a_usage_line(service: ChatService, tmp_path: Path) -> None:
    keys = "q1\r/rewind abc\r/branches abc\r/fork abc\r/retry banana\r/quit\r"
    _code, text, _repl = run_repl(service, keys, tmp_path)
    assert "invalid literal" not in text
    assert "error: /rewind takes a positive whole number, not 'abc'" in text
    assert "error: /branches takes an id such as 12, not 'abc'" in text
    assert "error: /fork takes an id such as 12, not 'abc'" in text
    assert "error: usage: /retry [plain], not /retry banana" in text
    assert len([m for m in service.transcript() if m.role == "assistant"]) == 1


def test_rewind_past_the_start_says_how_far_it_went(service: ChatService, tmp_path: Path) -> None:
    _code, text, _repl = run_repl(service, "q1\rq2\r/rewind 99\r\x15/quit\r", tmp_path)
    assert "rewound 2 exchanges (all there were; you asked for 99)" in text
    assert "rewound 99" not in text


def test_confidence_toggles(service: ChatService, tmp_path: Path) -> None:
    service.send("q1").wait()
    answer = service.last_answer()
    assert answer is not None
    service.store.update_message(answer.id, meta={"token_probs": [
        ["one", 0.9], [" two", 0.01], [" three", 0.9]]})
    _code, text, _repl = run_repl(service, "/confidence\r/confidence\r/quit\r", tmp_path)
    assert "one «two» three" in text or "«" in text
    assert "(highlighting off; /confidence shows it again)" in text


@pytest.mark.parametrize("minutes", ["inf", "nan", "1e308", "0", "-5"])
def test_impossible_pause_lengths_are_refused_and_nothing_is_paused(
        service: ChatService, tmp_path: Path, minutes: str) -> None:
    _code, text, _repl = run_repl(service, f"/pause {minutes} tired\rq1\r/quit\r", tmp_path)
    assert "cannot convert" not in text
    assert "give minutes from 1 to 10080" in text or "from 1 to 10080 (a week)" in text
    assert service.paused is None
    assert "one two three" in text  # the next prompt is answered


def test_a_bad_diary_filter_is_named(service: ChatService, tmp_path: Path) -> None:
    diary = DiaryRecorder(service, DiaryStore(tmp_path / "diary"))
    keys = "/diaries since:notadate\r/diaries outcome:great\r/quit\r"
    _code, text, _repl = run_repl(service, keys, tmp_path, diary=diary)
    assert "since:notadate is not a date; write it as since:2026-11-01" in text
    assert "outcome:great is unknown; use one of aligned, partly, misaligned" in text


class ReadingEngine(FakeEngine):
    """Reports reading a long prompt, and answers once the REPL has shown it."""

    def __init__(self) -> None:
        super().__init__("done reading")
        self.shown = threading.Event()

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        generation.prompt_progress = (512, 1230)
        self.shown.wait(10)
        generation.prompt_progress = None
        super()._run(generation, settings)


class Watching(io.StringIO):
    def __init__(self, engine: ReadingEngine) -> None:
        super().__init__()
        self.engine = engine

    def write(self, text: str) -> int:
        if "reading the conversation" in text:
            self.engine.shown.set()
        return super().write(text)


def test_a_long_history_being_read_is_shown(tmp_path: Path) -> None:
    engine = ReadingEngine()
    engine.start_loading()
    service = ChatService(Store(tmp_path / "h.sqlite3"), engine, SamplingSettings(), "sys")
    out = Watching(engine)
    _code, text, _repl = run_repl(service, "q1\r/quit\r", tmp_path, out=out)
    assert "reading the conversation: 512 of 1,230 tokens…" in text
    assert "done reading" in text
