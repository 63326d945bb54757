"""The remote engine when things go wrong: refused connections, 4xx/5xx, streams that
break off or stall. A scripted FakeServer (tests/remote_fakes.py) produces the failures;
the happy path runs against the real llama_cpp.server in test_remote_engine.py.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.remote import FakeHandler, FakeServer, chunk
from tui.alignment.conversation import Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import ControlVectorUse, SamplingSettings
from tui.engine.remote import RemoteEngine
from tui.errors import RemoteError, StreamInterrupted

SETTINGS = SamplingSettings(temperature=0.0, max_tokens=32)
ASK = [{"role": "user", "content": "hello"}]


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def engine_for(url: str, **options: Any) -> RemoteEngine:
    return RemoteEngine(url, **{"request_timeout": 5.0, "connect_timeout": 2.0, **options})


@pytest.fixture
def engine(fake: FakeServer) -> Iterator[RemoteEngine]:
    remote = engine_for(fake.url)
    yield remote
    remote.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens here once the probe is closed


def test_connection_refused_names_the_url_and_how_to_start_a_server() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    engine = engine_for(url)
    with pytest.raises(RemoteError, match=rf"connection refused at {url}: is the server running"):
        engine.wait_loaded(10)
    assert "python -m llama_cpp.server --model" in str(engine.load_error)
    generation = engine.generate(ASK, SETTINGS)  # each answer tries the server again
    assert generation.wait() == "" and "connection refused" in str(generation.error)
    assert generation.stats.finish_reason == "error"
    engine.close()


def test_a_server_that_comes_up_later_is_used(fake: FakeServer, engine: RemoteEngine) -> None:
    answers = iter([503, 200])

    def models(handler: FakeHandler, _body: dict[str, Any]) -> None:
        status = next(answers)
        handler.json_answer(status, {"object": "list", "data": [{"id": "late-model"}]}
                            if status == 200 else {"error": {"message": "loading model"}})

    fake.models = models
    with pytest.raises(RemoteError, match="answered 503 .*loading model"):
        engine.wait_loaded(10)
    generation = engine.generate(ASK, SETTINGS)
    assert generation.wait() == "Hello there" and generation.error is None
    assert engine.load_error is None and engine.info is not None
    assert engine.info.name == "late-model" and fake.chat_bodies[0]["model"] == "late-model"


def test_a_4xx_shows_the_servers_message_cleaned_and_short(
    fake: FakeServer, engine: RemoteEngine
) -> None:
    hostile = "bad \x1b[31mrequest\x1b[0m\x07 " + "x" * 2000
    fake.chat = lambda handler, body: handler.json_answer(400, {"error": {"message": hostile}})
    generation = engine.generate(ASK, SETTINGS)
    generation.wait()
    message = str(generation.error)
    assert isinstance(generation.error, RemoteError)
    assert "/v1/chat/completions answered 400 Bad Request (bad request xxx" in message
    assert "\x1b" not in message and "\x07" not in message and len(message) < 500
    assert len(fake.chat_bodies) == 2  # asked again without the optional fields, then gave up
    engine.generate(ASK, SETTINGS).wait()  # the extras were not the problem: still sent
    assert [("logprobs" in body) for body in fake.chat_bodies] == [True, False, True, False]


def test_401_without_a_key_says_how_to_pass_one(fake: FakeServer, engine: RemoteEngine) -> None:
    fake.models = lambda handler, body: handler.json_answer(401, {"detail": "Invalid API key"})
    with pytest.raises(RemoteError, match=r"answered 401 .*Invalid API key.*--api-key-env NAME"):
        engine.wait_loaded(10)


def test_the_key_goes_in_a_bearer_header(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-123")
    engine = engine_for(fake.url, api_key_env="FAKE_KEY", model="chosen")
    assert engine.generate(ASK, SETTINGS).wait() == "Hello there"
    _path, body, headers = fake.requests[-1]
    assert headers["Authorization"] == "Bearer sk-123" and body["model"] == "chosen"
    assert engine.info is not None and engine.info.metadata["listed"] == "no"
    engine.close()


def test_404_points_at_the_base_url(fake: FakeServer, engine: RemoteEngine) -> None:
    fake.models = lambda handler, body: handler.json_answer(404, b"Not Found")
    with pytest.raises(RemoteError, match=r"answered 404 .*check --base-url"):
        engine.wait_loaded(10)


def test_a_5xx_is_reported_with_its_body(fake: FakeServer, engine: RemoteEngine) -> None:
    fake.chat = lambda handler, body: handler.json_answer(500, b"<html>upstream crashed</html>")
    generation = engine.generate(ASK, SETTINGS)
    assert generation.wait() == "" and len(fake.chat_bodies) == 1
    assert "answered 500 Internal Server Error (<html>upstream crashed</html>)" in str(
        generation.error)


@pytest.mark.parametrize("how", ["eof", "reset"])
def test_a_stream_cut_mid_answer_is_kept_as_interrupted(
    fake: FakeServer, engine: RemoteEngine, store: Store, how: str
) -> None:
    def cut(handler: FakeHandler, body: dict[str, Any]) -> None:
        handler.stream(["The answer", " is", " forty"], done=False)
        if how == "reset":
            handler.reset()

    fake.chat = cut
    service = ChatService(store, engine, SETTINGS, "sys")
    turn = service.send("what is the answer?")
    assert list(turn) == ["The answer", " is", " forty"]
    assert isinstance(turn.generation.error, StreamInterrupted)
    assert turn.generation.stats.finish_reason == "error"
    saved = store.message(turn.answer.id)
    assert saved.status is Status.INTERRUPTED and saved.content == "The answer is forty"
    assert "partial answer is kept" in saved.meta["error"]


def test_a_stream_that_ends_before_any_text_is_an_error_not_a_kept_part(
    fake: FakeServer, engine: RemoteEngine, store: Store
) -> None:
    fake.chat = lambda handler, body: handler.stream([], done=False)
    service = ChatService(store, engine, SETTINGS, "sys")
    turn = service.send("what is the answer?")
    assert list(turn) == []
    saved = store.message(turn.answer.id)
    assert saved.status is Status.ERROR and saved.content == ""
    assert "nothing of the answer had arrived" in saved.meta["error"]
    assert "partial answer is kept" not in saved.meta["error"]


def test_an_error_event_mid_stream_interrupts(fake: FakeServer, engine: RemoteEngine) -> None:
    def failing(handler: FakeHandler, body: dict[str, Any]) -> None:
        handler.stream(["Partial"], done=False)
        handler.event({"error": {"code": 500, "message": "\x1b]0;pwned\x07out of memory"}},
                      field="error")  # llama.cpp's C++ server reports failures this way

    fake.chat = failing
    generation = engine.generate(ASK, SETTINGS)
    assert generation.wait() == "Partial" and isinstance(generation.error, StreamInterrupted)
    assert str(generation.error).endswith("failed mid-answer: out of memory")


def test_a_silent_server_times_out(fake: FakeServer) -> None:
    def stall(handler: FakeHandler, body: dict[str, Any]) -> None:
        if len(fake.chat_bodies) > 1:  # the second request: silent mid-answer
            handler.start_stream()
            handler.event(chunk("So far"))
        fake.release.wait(30)

    fake.chat = stall
    engine = engine_for(fake.url, request_timeout=0.5)
    before = engine.generate(ASK, SETTINGS)
    assert before.wait() == "" and type(before.error) is RemoteError
    assert "sent no answer within 0.5 s" in str(before.error)
    during = engine.generate(ASK, SETTINGS)
    assert during.wait() == "So far" and isinstance(during.error, StreamInterrupted)
    assert "went silent mid-answer" in str(during.error)
    engine.close()


def test_stop_lands_while_the_server_is_silent(fake: FakeServer, engine: RemoteEngine) -> None:
    fake.chat = lambda handler, body: fake.release.wait(30)
    generation = engine.generate(ASK, SETTINGS)
    assert fake.arrived.wait(10)  # the request reached the server
    started = time.monotonic()
    generation.stop()
    assert generation.wait() == "" and generation.error is None
    assert time.monotonic() - started < 2 and generation.stats.finish_reason == "cancelled"


def test_a_server_that_rejects_the_extras_is_asked_without_them(
    fake: FakeServer, engine: RemoteEngine
) -> None:
    def strict(handler: FakeHandler, body: dict[str, Any]) -> None:
        if "stream_options" in body or "logprobs" in body:
            handler.json_answer(400, {"error": {"message": "unknown field stream_options"}})
        else:
            handler.stream(["Plain", " answer"], usage={"prompt_tokens": 9,
                                                        "completion_tokens": 2})

    fake.chat = strict
    first = engine.generate(ASK, SETTINGS)
    assert first.wait() == "Plain answer" and first.error is None
    assert not first.probs_available and [t.prob for t in first.tokens] == [None, None]
    assert (first.stats.prompt_tokens, first.stats.generated_tokens) == (9, 2)
    engine.generate(ASK, SETTINGS).wait()
    assert [("logprobs" in body) for body in fake.chat_bodies] == [True, False, False]


def test_what_an_answer_asks_for(fake: FakeServer, engine: RemoteEngine) -> None:
    settings = SamplingSettings(temperature=0.3, max_tokens=7, seed=5, top_p=0.9,
                                json_schema='{"type": "object"}')
    engine.generate(ASK, settings).wait()
    body = fake.chat_bodies[-1]
    assert body == {"messages": ASK, "stream": True, "temperature": 0.3, "top_p": 0.9,
                    "max_tokens": 7, "model": "fake-model", "seed": 5,
                    "response_format": {"type": "json_object", "schema": {"type": "object"}},
                    "logprobs": True, "top_logprobs": 1,
                    "stream_options": {"include_usage": True}, "repeat_penalty": 1.1}


def test_control_vectors_need_the_local_engine(fake: FakeServer, engine: RemoteEngine) -> None:
    settings = SamplingSettings(control_vectors=(ControlVectorUse("/x.gguf", 0.5),))
    generation = engine.generate(ASK, settings)
    assert generation.wait() == "" and "need the local engine" in str(generation.error)
    assert fake.chat_bodies == []  # nothing was sent


def test_logprobs_become_piece_probabilities(fake: FakeServer, engine: RemoteEngine) -> None:
    def with_logprobs(handler: FakeHandler, body: dict[str, Any]) -> None:
        handler.start_stream()
        for piece, logprobs in (("Hi", [-0.5]), (" you", [-1.0, -1.0]), ("!", None)):
            event = chunk(piece)
            event["choices"][0]["logprobs"] = (
                {"content": [{"token": "t", "logprob": lp} for lp in logprobs]}
                if logprobs else None)
            handler.event(event)
        handler.event(chunk(finish="length"))
        handler.event("[DONE]")

    fake.chat = with_logprobs
    generation = engine.generate(ASK, SETTINGS)
    assert generation.wait() == "Hi you!" and generation.probs_available
    probs = [t.prob for t in generation.tokens]
    assert probs[0] == pytest.approx(0.6065, abs=1e-3)
    assert probs[1] == pytest.approx(0.1353, abs=1e-3) and probs[2] is None
    assert generation.stats.generated_tokens == 4 and generation.stats.finish_reason == "length"


def test_a_key_with_a_line_break_is_refused_not_sent(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-1\r\nX-Injected: yes")
    engine = engine_for(fake.url, api_key_env="FAKE_KEY")
    with pytest.raises(RemoteError, match=r"\$FAKE_KEY holds spaces or control characters"):
        engine.wait_loaded(10)
    generation = engine.generate(ASK, SETTINGS)
    assert generation.wait() == "" and "control characters" in str(generation.error)
    assert fake.requests == [] and "sk-1" not in str(generation.error)
    engine.close()
