"""Engine faults said as one line, and failed answers saved as errors (QA 2026-12, issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tui.alignment.conversation import Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine import model_files as models
from tui.engine.base import Generation, SamplingSettings, UnavailableEngine
from tui.engine.faults import ContextOverflow, generation_error, load_error
from tui.errors import ModelError, RemoteError

OVERFLOW = "Requested tokens (22284) exceed context window of 4096"


def test_a_context_overflow_is_not_called_an_interruption() -> None:
    error = generation_error(ValueError(OVERFLOW), Path("/m/model.gguf"))
    assert isinstance(error, ContextOverflow)
    assert str(error) == ("the conversation no longer fits the context window (4096 tokens, "
                          "it needs 22284): rewind, start a new session or raise --context")


def test_a_context_llama_cpp_cannot_allocate_is_not_called_a_corrupt_file() -> None:
    error = load_error(Path("/m/model.gguf"), 99_999_999, ValueError("Failed to create "
                                                                      "llama_context"))
    assert "corrupt" not in str(error) and "download" not in str(error)
    assert "context of 99999999 tokens" in str(error) and "lower --context" in str(error)
    broken = load_error(Path("/m/model.gguf"), 4096,
                        ValueError("Failed to load model from file: /m/model.gguf"))
    assert "truncated or corrupt" in str(broken)


def test_an_unexpected_library_error_becomes_one_line() -> None:
    class Strange(Exception):
        pass

    error = generation_error(Strange("boom"), Path("/m/model.gguf"))
    assert isinstance(error, ModelError) and str(error) == ("llama.cpp failed on this answer "
                                                            "(Strange: boom)")


def answer_of(engine: object, store: Store) -> tuple[Status, str, str]:
    service = ChatService(store, engine, SamplingSettings(max_tokens=16), "sys")  # type: ignore[arg-type]
    turn = service.send("hello")
    turn.wait()
    saved = store.message(turn.answer.id)
    return saved.status, saved.content, str(saved.meta.get("error", ""))


class _FailsAfter(FakeEngine):
    """Streams a few words, then fails as a dropped server would."""

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        generation.push("Half an")
        generation.push(" answer")
        generation.finish(RemoteError("the server ended the stream before the answer was done"))


def test_an_answer_that_failed_before_any_text_is_an_error_not_an_interruption(
    store: Store,
) -> None:
    refused = RemoteError("connection refused at http://127.0.0.1:9: is the server running?")
    assert answer_of(UnavailableEngine(refused), store) == (
        Status.ERROR, "", "connection refused at http://127.0.0.1:9: is the server running?")
    engine = _FailsAfter()  # one that failed part-way keeps its text, as interrupted
    engine.start_loading()
    status, content, error = answer_of(engine, store)
    assert (status, content) == (Status.INTERRUPTED, "Half an answer")
    assert "ended the stream" in error


def test_startup_hands_the_chat_format_and_registry_warnings_to_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("llama_cpp")
    from tui.application.startup import open_engine
    from tui.config import Config
    from tui.paths import Paths

    bundled = models.bundled_model()
    if bundled is None:
        pytest.skip("the bundled model is not installed")
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path / "none")
    paths = Paths(config_dir=tmp_path, data_dir=tmp_path / "data")
    registry = paths.user_models_dir / "models.toml"
    registry.parent.mkdir(parents=True)
    registry.write_text(f'[models.mine]\npath = "{bundled.path}"\nchat_format = "chatml"\n'
                        '[models.bad]\ndescription = "no path"\n', encoding="utf-8")
    engine, choice = open_engine(Config(), None, paths)  # nothing loads until start_loading
    try:
        assert choice is not None and choice.name == "mine"
        assert engine.chat_format == "chatml"  # type: ignore[attr-defined]
        assert engine.warnings == [  # type: ignore[attr-defined]
            f'{registry}:4: [models.bad] needs path = "FILE.gguf"; skipped']
    finally:
        engine.close()
    flagged, _choice = open_engine(Config().with_overrides(chat_format="llama-3"), None, paths)
    assert flagged.chat_format == "llama-3"  # type: ignore[attr-defined]  # the flag wins
    flagged.close()
