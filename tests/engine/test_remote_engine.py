"""The remote engine against a real OpenAI-compatible server: llama-cpp-python's own
`python -m llama_cpp.server` with the bundled model, started on 127.0.0.1 for this run.

Error handling (refusals, 5xx, dropped and stalled streams) is in test_remote_errors.py,
against a scripted fake, because a real server does not fail on demand.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SYSTEM_PROMPT
from tui.alignment.conversation import Role, Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.engine.remote import RemoteEngine
from tui.errors import RemoteError
from tui.paths import default_paths

SERVER_MODULES = ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
STARTUP_DEADLINE = 120.0  # seconds for the server to load the model and listen
KEY_ENV = "COALIGN_TEST_SERVER_KEY"
KEY = "test-key-not-a-secret"


@dataclass
class Server:
    url: str
    key_env: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(model_path: Path) -> Iterator[Server]:
    """`python -m llama_cpp.server` on a free port, with an API key; stopped at the end."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"llama-cpp-python's server extra is not installed (no {', '.join(missing)})"
                    ": run `.venv/bin/pip install -e '.[test]'`")
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
               "--n_threads", "1", "--n_threads_batch", "1", "--api_key", KEY]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE,
                               env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    assert process.stderr is not None
    log: collections.deque[str] = collections.deque(maxlen=40)
    listening = threading.Event()

    def drain() -> None:  # keep reading, or the server blocks on a full pipe
        for line in process.stderr:
            log.append(line.decode("utf-8", "replace").rstrip())
            if b"Uvicorn running on" in line:
                listening.set()
        listening.set()  # the server exited

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not listening.wait(STARTUP_DEADLINE) or process.poll() is not None:
            pytest.fail("llama_cpp.server did not start:\n" + "\n".join(log))
        yield Server(f"http://127.0.0.1:{port}", KEY_ENV)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def engine(llama_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[RemoteEngine]:
    monkeypatch.setenv(KEY_ENV, KEY)
    remote = RemoteEngine(llama_server.url, api_key_env=KEY_ENV, request_timeout=60)
    remote.wait_loaded(30)
    yield remote
    remote.close()


@pytest.fixture
def sent(engine: RemoteEngine, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every request body the engine sends to the server, in order."""
    bodies: list[dict[str, Any]] = []
    original = engine._open

    def recording(method: str, path: str, body: dict[str, Any] | None = None, stop=None):
        if body is not None:
            bodies.append(json.loads(json.dumps(body)))
        return original(method, path, body, stop)

    monkeypatch.setattr(engine, "_open", recording)
    return bodies


GREEDY = SamplingSettings(temperature=0.0, max_tokens=24, seed=1234)


def test_the_engine_describes_the_servers_model(engine: RemoteEngine) -> None:
    info = engine.info
    assert info is not None and engine.load_error is None
    assert info.name == "SmolLM2-135M-Instruct.Q4_1" and info.quantization == "remote"
    assert info.path == engine.root and info.metadata["listed"] == "yes"


def test_an_answer_streams_with_token_probabilities(engine: RemoteEngine) -> None:
    generation = engine.generate(
        [{"role": "system", "content": TEST_SYSTEM_PROMPT},
         {"role": "user", "content": "What is the capital of France?"}], GREEDY)
    pieces = list(generation)
    assert generation.error is None, generation.error
    assert len(pieces) > 1 and "".join(pieces) == generation.text and generation.text.strip()
    assert generation.probs_available
    probs = [token.prob for token in generation.tokens]
    assert len(probs) == len(pieces) and all(p is not None and 0 < p <= 1 for p in probs)
    stats = generation.stats
    assert stats.finish_reason in ("stop", "length")
    assert 0 < stats.generated_tokens <= GREEDY.max_tokens
    assert stats.prompt_seconds > 0 and stats.generation_seconds >= 0


def test_send_retry_and_rewind_resend_the_whole_history(
    engine: RemoteEngine, sent: list[dict[str, Any]], store: Store
) -> None:
    service = ChatService(store, engine, GREEDY, TEST_SYSTEM_PROMPT)
    first = service.send("Name a colour.")
    first.wait()
    second = service.send("Name another one.")
    second.wait()
    retried = service.retry()
    retried.wait()
    assert service.rewind(1) == "Name another one."
    third = service.send("Name a fruit.")
    third.wait()

    for turn in (first, second, retried, third):
        saved = store.message(turn.answer.id)
        assert turn.generation.error is None, turn.generation.error
        assert saved.status is Status.COMPLETE and saved.content == turn.text != ""
        assert saved.model == "SmolLM2-135M-Instruct.Q4_1 remote"

    system = {"role": "system", "content": TEST_SYSTEM_PROMPT}
    exchange1 = [{"role": "user", "content": "Name a colour."},
                 {"role": "assistant", "content": first.text}]
    second_prompt = [system, *exchange1, {"role": "user", "content": "Name another one."}]
    assert [body["messages"] for body in sent] == [
        [system, exchange1[0]],
        second_prompt,
        second_prompt,  # the retry: the same history, a new answer beside the old one
        [system, *exchange1, {"role": "user", "content": "Name a fruit."}],  # after rewind
    ]
    assert all(body["stream"] and body["logprobs"] for body in sent)
    assert service.answer_position(store.message(retried.answer.id)) == (2, 2)
    assert [m.role for m in service.transcript()] == [Role.USER, Role.ASSISTANT] * 2


def test_stop_mid_stream_keeps_the_partial_answer(engine: RemoteEngine, store: Store) -> None:
    settings = SamplingSettings(temperature=0.8, max_tokens=400, seed=7)
    service = ChatService(store, engine, settings, TEST_SYSTEM_PROMPT)
    turn = service.send("Write a very long story about a lighthouse keeper.")
    pieces, stopped_at = [], 0.0
    for piece in turn:
        pieces.append(piece)
        if len(pieces) == 3:
            stopped_at = time.monotonic()
            turn.stop()
    assert 3 <= len(pieces) < 100 and time.monotonic() - stopped_at < 5
    saved = store.message(turn.answer.id)
    assert saved.status is Status.STOPPED and saved.content == turn.text == "".join(pieces)
    assert turn.generation.stats.finish_reason == "cancelled" and turn.generation.error is None

    after = engine.generate([{"role": "user", "content": "Say yes."}], GREEDY)
    assert after.wait() and after.error is None  # the server is fine after the drop


def test_a_json_schema_constrains_the_answer(engine: RemoteEngine) -> None:
    # a bounded string: unbounded, the 135M model can ramble inside the name past
    # max_tokens, and a cut answer is not JSON whatever the grammar
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 24}},
              "required": ["name"]}
    settings = SamplingSettings(temperature=0.0, max_tokens=40, json_schema=json.dumps(schema))
    generation = engine.generate([{"role": "user", "content": "Give me a person."}], settings)
    answer = json.loads(generation.wait())
    assert generation.error is None and isinstance(answer["name"], str)


def test_a_wrong_or_missing_key_is_a_clear_error(
    llama_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "wrong-key")
    wrong = RemoteEngine(llama_server.url, api_key_env=KEY_ENV)
    with pytest.raises(RemoteError, match=rf"answered 401 .*set the key in \${KEY_ENV}"):
        wrong.wait_loaded(30)
    assert "wrong-key" not in str(wrong.load_error)
    wrong.close()
    monkeypatch.delenv(KEY_ENV)
    unset = RemoteEngine(llama_server.url, api_key_env=KEY_ENV)
    with pytest.raises(RemoteError, match=rf"\${KEY_ENV} is empty or unset"):
        unset.wait_loaded(30)
    unset.close()


def coalign(*args: str, home: Path, key: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COALIGN_HOME": str(home), KEY_ENV: key}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_the_command_line_asks_the_server(llama_server: Server, coalign_home: Path) -> None:
    flags = ["--backend", "openai", "--base-url", llama_server.url, "--api-key-env", KEY_ENV]
    asked = coalign("ask", *flags, "--temperature", "0", "--max-tokens", "16",
                    "What", "is", "2+2?", home=coalign_home, key=KEY)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip() and asked.stderr == ""
    store = Store(default_paths().database)
    answer = store.path_to(store.latest_session().head_id)[-1]
    assert answer.status is Status.COMPLETE and answer.content.strip() == asked.stdout.strip()
    assert answer.model == "SmolLM2-135M-Instruct.Q4_1 remote"

    doctor = coalign("doctor", *flags, home=coalign_home, key=KEY)
    assert doctor.returncode == 0, doctor.stderr
    assert f"backend: openai (an OpenAI-compatible server at {llama_server.url})" in doctor.stdout
    assert "server: answers · model" in doctor.stdout
    assert f"API key from: ${KEY_ENV} (set)" in doctor.stdout


async def test_the_tui_answers_through_the_server(engine: RemoteEngine, store: Store) -> None:
    from textual.widgets import Markdown, Static

    from tests.fixtures.pilot import ask_and_wait, plain
    from tui.config import Config
    from tui.screens.app import CoalignApp
    from tui.widgets.conversation import StatusLine

    service = ChatService(store, engine, GREEDY, TEST_SYSTEM_PROMPT)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(100, 30)) as pilot:
        answer = await ask_and_wait(pilot, app, "What is a hypothesis?")
        saved = service.last_answer()
        assert saved is not None and saved.status is Status.COMPLETE and saved.content
        assert answer.query_one(Markdown).source == saved.content
        status = plain(app.chat.query_one(StatusLine).query_one(Static))
        assert "SmolLM2-135M-Instruct.Q4_1 remote" in status
