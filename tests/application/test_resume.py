"""The KV cache of a conversation is saved as the user leaves it: another session, or quit."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tui.application import resume
from tui.application.service import ChatService
from tui.application.startup import start
from tui.engine.base import SamplingSettings
from tui.paths import default_paths


class KeepingEngine(FakeEngine):
    """A fake engine that counts the saves it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.kept = 0

    def keep_state(self) -> Future[Path | None]:
        self.kept += 1
        future: Future[Path | None] = Future()
        future.set_result(Path(f"state-{self.kept}.kv"))
        return future


@pytest.fixture
def service(store) -> ChatService:
    engine = KeepingEngine()
    engine.start_loading()
    return ChatService(store, engine, SamplingSettings(max_tokens=8), "Be brief.")


def engine_of(service: ChatService) -> KeepingEngine:
    assert isinstance(service.engine, KeepingEngine)
    return service.engine


def test_switching_sessions_saves_the_one_left(service: ChatService) -> None:
    service.send("first").wait()
    first = service.session_id
    service.new_session()
    assert engine_of(service).kept == 1
    service.send("second").wait()
    assert first is not None
    service.open_session(first)
    assert engine_of(service).kept == 2


def test_nothing_is_saved_without_a_session(service: ChatService) -> None:
    service.new_session()
    assert engine_of(service).kept == 0 and resume.on_quit(service) is None


def test_quitting_saves_and_waits_for_the_save(service: ChatService) -> None:
    service.send("a question").wait()
    assert resume.on_quit(service) == Path("state-1.kv")


def test_an_engine_that_keeps_no_state_is_left_alone(fake_service: ChatService) -> None:
    fake_service.send("a question").wait()
    assert resume.leaving(fake_service) is None and resume.on_quit(fake_service) is None


def test_start_up_saves_at_exit_into_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[tuple[object, ...]] = []
    monkeypatch.setattr("tui.application.startup.atexit.register",
                        lambda *call: registered.append(call))
    monkeypatch.setattr("tui.application.startup.open_engine",
                        lambda *_args: (KeepingEngine(), None))
    startup = start(paths=default_paths())
    assert registered == [(resume.on_quit, startup.service)]
    assert startup.paths.kv_cache_dir == startup.paths.data_dir / "kv-cache"
    registered.clear()
    start(paths=default_paths(), keep_state_at_quit=False)  # `coalign ask`: one shot
    assert registered == []


def test_a_local_engine_keeps_its_states_in_the_data_dir(model_path: Path) -> None:
    from tui.application.startup import open_engine
    from tui.config import Config

    paths = default_paths()
    engine, _choice = open_engine(Config(), str(model_path), paths)
    try:
        store = getattr(engine, "state_store", None)
        assert store is not None and store.folder == paths.kv_cache_dir
    finally:
        engine.close()
