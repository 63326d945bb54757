"""FakeEngine: a stand-in engine for unit tests of UI and domain logic (not the real model)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tui.engine.base import EngineInfo, Generation, SamplingSettings


class FakeEngine:
    """Answers with a fixed script, one word per token, from its own owner thread.

    `gate` lets a test hold generation after each token until it releases it, so
    tests can act mid-stream without sleeping.
    """

    def __init__(self, reply: str = "This is a fake answer from the fake engine.",
                 load_error: Exception | None = None) -> None:
        self.reply = reply
        self.info: EngineInfo | None = None
        self.requests: list[list[dict[str, str]]] = []
        self.gate: threading.Semaphore | None = None
        self._load_error = load_error
        self._loaded = threading.Event()

    @property
    def load_error(self) -> Exception | None:
        return self._load_error if self._loaded.is_set() else None

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        if self._load_error is None:
            self.info = EngineInfo(name="fake-engine", path="<fake>", quantization="F0",
                                   n_ctx=4096)
        if on_progress:
            on_progress(1.0)
        self._loaded.set()

    def wait_loaded(self, timeout: float | None = None) -> EngineInfo:
        self._loaded.wait(timeout)
        if self._load_error is not None:
            raise self._load_error
        assert self.info is not None
        return self.info

    def generate(self, messages: list[dict[str, str]], settings: SamplingSettings) -> Generation:
        self.requests.append(messages)
        generation = Generation()
        threading.Thread(target=self._run, args=(generation, settings), daemon=True).start()
        return generation

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        if self._load_error is not None:
            generation.finish(self._load_error)
            return
        words = self.reply.split(" ")
        for index, word in enumerate(words[: settings.max_tokens]):
            if generation.stop_event.is_set():
                generation.stats.finish_reason = "cancelled"
                break
            generation.push(word if index == 0 else " " + word)
            generation.stats.generated_tokens += 1
            if self.gate is not None:
                self.gate.acquire()
        else:
            generation.stats.finish_reason = "stop"
        generation.finish()

    def close(self) -> None:
        pass
