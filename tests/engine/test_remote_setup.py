"""Choosing the remote engine: config keys, command-line flags, start-up, the SSE parser,
and how the REPL labels an answer the server cut off."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.fixtures.remote import FakeHandler, FakeServer
from tui.alignment.conversation import Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.application.startup import start
from tui.cli.flags import overrides as _overrides
from tui.config import Config, load_config
from tui.engine.base import SamplingSettings, UnavailableEngine
from tui.engine.remote import RemoteEngine, api_root
from tui.engine.sse import Event, events
from tui.errors import RemoteError
from tui.main import build_parser
from tui.paths import default_paths
from tui.repl.loop import Repl


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def write_config(text: str) -> Path:
    path = default_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_remote_keys_are_read_and_checked(coalign_home: Path) -> None:
    path = write_config('backend = "openai"\nbase_url = "http://gpu-box:8000/v1"\n'
                        'api_key_env = "LAB_KEY"\nremote_model = "qwen2.5-7b"\n'
                        'request_timeout = 30\nconnect_timeout = 2.5\n')
    config, issues = load_config(path)
    assert issues == []
    assert (config.backend, config.base_url, config.api_key_env, config.remote_model,
            config.request_timeout, config.connect_timeout) == (
        "openai", "http://gpu-box:8000/v1", "LAB_KEY", "qwen2.5-7b", 30, 2.5)


def test_bad_remote_keys_are_one_line_each_and_left_at_defaults(coalign_home: Path) -> None:
    path = write_config('backend = "cloud"\nbase_url = "gpu-box:8000"\n'
                        'api_key_env = "sk-abc123"\napi_key = "sk-abc123"\n'
                        'request_timeout = 0\n')
    config, issues = load_config(path)
    messages = [str(issue) for issue in issues]
    assert messages[0] == (f"{path}:1: 'backend' = 'cloud' is not one of local, openai; "
                           "using local")
    assert messages[1].startswith(f"{path}:2: 'base_url': 'gpu-box:8000' is not an http://")
    assert messages[2].startswith(f"{path}:3: 'api_key_env' names the environment variable")
    assert messages[3].startswith(f"{path}:4: 'api_key': coalign never reads a key")
    assert messages[4].startswith(f"{path}:5: 'request_timeout' = 0 is out of range")
    assert not any("sk-abc123" in message for message in messages)  # never echo a key
    assert (config.backend, config.base_url, config.api_key_env) == ("local", None, None)


@pytest.mark.parametrize(("given", "root"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/v1"),
    ("https://host/v1/", "https://host/v1"),
    ("http://host:11434/v1", "http://host:11434/v1"),
])
def test_the_api_root_is_found_under_the_base_url(given: str, root: str) -> None:
    assert api_root(given) == root


def test_a_bad_base_url_flag_is_a_clear_error() -> None:
    with pytest.raises(RemoteError, match="--base-url 'localhost:8000' is not an http://"):
        RemoteEngine("localhost:8000")


def test_flags_pick_the_remote_engine(fake: FakeServer, coalign_home: Path) -> None:
    args = build_parser().parse_args(["chat", "--backend", "openai", "--base-url", fake.url,
                                      "--model", "served-name", "--api-key-env", "KEY"])
    overrides = _overrides(args)
    assert overrides == {"model": "served-name", "backend": "openai", "base_url": fake.url,
                         "api_key_env": "KEY"}
    startup = start(overrides)
    engine = startup.service.engine
    assert isinstance(engine, RemoteEngine) and startup.model is None
    assert (engine.model, engine.api_key_env, engine.root) == ("served-name", "KEY",
                                                              fake.url + "/v1")
    engine.close()


def test_config_picks_the_remote_engine_and_flags_win(fake: FakeServer) -> None:
    write_config(f'backend = "openai"\nbase_url = "{fake.url}"\nremote_model = "from-config"\n')
    startup = start({})
    assert isinstance(startup.service.engine, RemoteEngine)
    assert startup.service.engine.wait_loaded(10).name == "from-config"
    startup.service.engine.close()
    local = start({"backend": "local", "model": "/nonexistent/x.gguf"})
    assert not isinstance(local.service.engine, RemoteEngine)
    local.service.engine.close()


def test_openai_backend_without_a_url_says_what_to_pass(coalign_home: Path) -> None:
    startup = start({"backend": "openai"})
    assert isinstance(startup.service.engine, UnavailableEngine)
    assert any("needs the server's address: pass --base-url URL" in n for n in startup.notices)


def test_config_defaults_stay_local() -> None:
    assert Config().backend == "local" and Config().base_url is None


def test_events_are_parsed_from_raw_lines() -> None:
    lines = [b": ping\r\n", b"data: {\"a\":\n", b"data: 1}\n", b"\n", b"event: message\n",
             b"data:[DONE]\n", b"\n", b"error: {\"message\": \"boom\"}\n", b"\n",
             b"data: cut off"]
    assert list(events(lines)) == [Event("data", '{"a":\n1}'), Event("data", "[DONE]"),
                                   Event("error", '{"message": "boom"}'),
                                   Event("data", "cut off")]


def test_the_repl_labels_an_interrupted_answer(fake: FakeServer, tmp_path: Path) -> None:
    def cut(handler: FakeHandler, body: dict[str, Any]) -> None:
        handler.stream(["Half an", " answer"], done=False)

    fake.chat = cut
    engine = RemoteEngine(fake.url, request_timeout=5)
    service = ChatService(Store(tmp_path / "h.sqlite3"), engine, SamplingSettings(), "system")
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("hello\r/quit\r")
        assert Repl(service, tmp_path / "repl_history", input=pipe, output=DummyOutput(),
                    out=out).run() == 0
    text = out.getvalue()
    assert "Half an answer\n[interrupted: the partial answer above is kept]\n" in text
    assert "error: the server at " in text and "ended the stream before the answer was done" in text
    assert service.last_answer().status is Status.INTERRUPTED
    engine.close()


async def test_the_tui_badges_an_interrupted_answer(fake: FakeServer, tmp_path: Path) -> None:
    from tests.fixtures.pilot import ask_and_wait, plain
    from tui.screens.app import CoalignApp

    fake.chat = lambda handler, body: handler.stream(["Half an", " answer"], done=False)
    engine = RemoteEngine(fake.url, request_timeout=5)
    service = ChatService(Store(tmp_path / "h.sqlite3"), engine, SamplingSettings(), "system")
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(100, 30)) as pilot:
        answer = await ask_and_wait(pilot, app, "hello")
        badge = plain(answer.query_one(".badge"))
        assert badge.startswith("■ interrupted: the server at ") and answer.text == "Half an answer"
    engine.close()
