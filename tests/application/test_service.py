"""ChatService on the fake engine: storing turns, stopping, errors, sessions."""

from __future__ import annotations

import threading

from tui.alignment.conversation import Role, Status
from tui.alignment.text import strip_control
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings, UnavailableEngine
from tui.errors import ModelError


def test_a_turn_streams_and_is_stored(fake_service: ChatService) -> None:
    turn = fake_service.send("What is alignment?")
    pieces = list(turn)
    assert "".join(pieces) == fake_service.engine.reply
    assert turn.status is Status.COMPLETE
    stored = fake_service.transcript()
    assert [(m.role, m.content) for m in stored] == [
        (Role.USER, "What is alignment?"), (Role.ASSISTANT, fake_service.engine.reply)]
    assert stored[1].meta["stats"]["finish_reason"] == "stop"
    assert fake_service.store.session(stored[0].session_id).title == "What is alignment?"


def test_second_turn_sends_the_whole_branch(fake_service: ChatService) -> None:
    fake_service.send("one").wait()
    fake_service.send("two").wait()
    sent = fake_service.engine.requests[-1]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[-1]["content"] == "two"


def test_stop_midway_keeps_the_partial_answer_as_stopped(fake_service: ChatService) -> None:
    engine = fake_service.engine
    engine.gate = threading.Semaphore(0)
    turn = fake_service.send("tell me everything")
    pieces = iter(turn)
    first = next(pieces)
    turn.stop()
    engine.gate.release(100)
    rest = list(pieces)
    assert first and len(rest) <= 1  # at most the token already in flight
    answer = fake_service.store.message(turn.answer.id)
    assert answer.status is Status.STOPPED and answer.meta["signal"] == "stopped"
    assert answer.content == turn.text and 0 < len(answer.content) < len(engine.reply)


def test_abandoned_iteration_still_finishes_the_turn(fake_service: ChatService) -> None:
    turn = fake_service.send("hello")
    for _ in turn:
        break
    assert fake_service.store.message(turn.answer.id).status in {Status.STOPPED, Status.COMPLETE}


def test_an_answer_that_failed_before_any_text_is_stored_as_an_error(store) -> None:
    error = ModelError("model file not found: /nope.gguf; pass --model PATH")
    service = ChatService(store, UnavailableEngine(error), SamplingSettings(), "sys")
    turn = service.send("hello")
    assert turn.wait() == ""
    saved = store.message(turn.answer.id)
    assert saved.status is Status.ERROR and "model file not found" in saved.meta["error"]


def test_sessions_new_resume_open(fake_service: ChatService) -> None:
    fake_service.send("first session").wait()
    first_id = fake_service.session.id
    fake_service.new_session()
    assert fake_service.transcript() == []
    fake_service.send("second session").wait()
    assert fake_service.session.id != first_id
    fake_service.open_session(first_id)
    assert fake_service.transcript()[0].content == "first session"
    fake_service.resume_latest()
    assert fake_service.session.id == first_id  # opening it made it the latest
    assert fake_service.last_answer().content == fake_service.engine.reply


def test_prompt_is_stripped_of_control_sequences(fake_service: ChatService) -> None:
    fake_service.send("hi \x1b[31mred\x1b[0m\x07").wait()
    assert fake_service.transcript()[0].content == "hi red"


def test_strip_control_removes_escapes_but_keeps_text() -> None:
    nasty = "a\x1b]52;c;ZXZpbA==\x07b\x1b[2J\x1b[?1049hc\x9b31md\r\ne\tf\x00"
    assert strip_control(nasty) == "abcd\ne\tf"
    assert strip_control("[bold]markup stays literal[/]") == "[bold]markup stays literal[/]"

