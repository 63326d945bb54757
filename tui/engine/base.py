"""What every engine offers: load once, stream a chat answer, stop, report counters."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 0.7
    max_tokens: int = 512
    seed: int | None = None
    top_p: float = 0.95
    repeat_penalty: float = 1.1  # small models loop without it
    json_schema: str | None = None  # JSON Schema text: constrain the answer to it (grammar)
    control_vectors: tuple[ControlVectorUse, ...] = ()  # steering vectors and strengths


@dataclass(frozen=True)
class ControlVectorUse:
    """A control-vector file (cvector-generator's GGUF) applied at a strength."""

    path: str
    strength: float


@dataclass
class EngineInfo:
    """What the loaded model is, for the status line and the assumptions panel."""

    name: str
    path: str
    quantization: str = ""
    size_bytes: int = 0
    n_ctx: int = 0
    n_params: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    # One line each, for the front ends to show once the model is loaded: e.g. a GGUF with
    # no chat template, or a models.toml that was skipped.
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} {self.quantization}".strip()


@dataclass
class GenerationStats:
    """Counters for one answer: what was evaluated, generated, and how fast."""

    prompt_tokens: int = 0  # tokens in the whole prompt
    prompt_evaluated: int = 0  # of those, how many had to be evaluated (not in the KV cache)
    generated_tokens: int = 0
    prompt_seconds: float = 0.0  # request to first token
    generation_seconds: float = 0.0  # first token to last
    context_used: int = 0  # tokens in the KV cache after the answer
    cpu_seconds: float = 0.0  # process CPU time while this answer was produced
    finish_reason: str = ""  # "stop", "length", "cancelled", "error"

    @property
    def cached_tokens(self) -> int:
        return self.prompt_tokens - self.prompt_evaluated

    @property
    def tokens_per_second(self) -> float:
        if self.generated_tokens < 2 or self.generation_seconds <= 0:
            return 0.0
        return (self.generated_tokens - 1) / self.generation_seconds

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "prompt_evaluated": self.prompt_evaluated,
            "generated_tokens": self.generated_tokens,
            "prompt_seconds": round(self.prompt_seconds, 4),
            "generation_seconds": round(self.generation_seconds, 4),
            "tokens_per_second": round(self.tokens_per_second, 2),
            "context_used": self.context_used,
            "cpu_seconds": round(self.cpu_seconds, 3),
            "finish_reason": self.finish_reason,
        }


@dataclass(frozen=True)
class TokenProb:
    """One generated piece and the model's probability for it (None: not available)."""

    text: str
    prob: float | None = None


_DONE = object()


class Generation:
    """One streamed answer: iterate for text pieces, then read stats (and error).

    The producer (an engine's owner thread) calls push/finish; the consumer iterates
    in its own thread. stop() may be called from any thread.
    """

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.stats = GenerationStats()
        self.error: Exception | None = None
        self.text = ""
        self.tokens: list[TokenProb] = []  # pieces with their probabilities, in order
        self.probs_available = False  # set by engines that report token probabilities
        # (evaluated, of) while a long prompt is read before the first token; None otherwise
        self.prompt_progress: tuple[int, int] | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._finished = threading.Event()  # the consumer took the end marker
        self._ended = threading.Event()  # the producer finished (wakes batches at once)
        self._stop_hooks: list[Callable[[], None]] = []

    # producer side
    def push(self, piece: str, prob: float | None = None) -> None:
        self.tokens.append(TokenProb(piece, prob))
        self._queue.put(piece)

    def finish(self, error: Exception | None = None) -> None:
        self.error = error
        self._queue.put(_DONE)
        self._ended.set()

    # consumer side
    def stop(self) -> None:
        self.stop_event.set()
        for hook in list(self._stop_hooks):
            hook()

    def on_stop(self, hook: Callable[[], None]) -> None:
        """Call hook when stop() is called (at once if it already was): engines' own flags."""
        self._stop_hooks.append(hook)
        if self.stopped:
            hook()

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def __iter__(self) -> Iterator[str]:
        """The pieces as they come; a stream that has ended yields nothing more (iterating
        it again, as wait() after a Ctrl-C does, must not wait for an end marker that has
        already been taken)."""
        while not self._finished.is_set():
            piece = self._taken(self._queue.get())
            if piece is None:
                return
            yield piece

    def batches(self, interval: float) -> Iterator[str]:
        """The pieces joined per interval: the first as soon as it comes, then what came
        in each interval, the rest at once when the answer ends. A consumer that only shows
        frames is then woken once a frame instead of once a token (with two cores, every
        wake-up takes a core from generation)."""
        for piece in self:
            yield piece
            break
        while not self._finished.is_set():
            self._ended.wait(interval)
            if text := "".join(self._queued()):
                yield text

    def _queued(self) -> Iterator[str]:
        """The pieces queued now, without waiting (the end marker ends the stream)."""
        while True:
            try:
                piece = self._taken(self._queue.get_nowait())
            except queue.Empty:
                return
            if piece is None:
                return
            yield piece

    def _taken(self, item: object) -> str | None:
        """An item taken off the queue: a piece, added to text, or None at the end marker."""
        if item is _DONE:
            self._finished.set()
            return None
        assert isinstance(item, str)
        self.text += item
        return item

    def wait(self) -> str:
        """Consume the rest of the stream and return the whole text."""
        for _ in self:
            pass
        return self.text


class Engine(Protocol):
    """The interface the chat service uses; LlamaEngine is the real one."""

    info: EngineInfo | None

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        """Begin loading the model in the background; returns at once."""

    def wait_loaded(self, timeout: float | None = None) -> EngineInfo:
        """Block until loaded; raises the load error (a CoalignError) if it failed."""

    @property
    def load_error(self) -> Exception | None: ...

    def generate(self, messages: list[dict[str, str]], settings: SamplingSettings) -> Generation:
        """Queue an answer to messages; returns a Generation to iterate."""

    def close(self) -> None: ...


def monotonic() -> float:
    return time.perf_counter()


class UnavailableEngine:
    """Stands in when no model could be chosen: every call reports why, the app keeps running."""

    def __init__(self, error: Exception) -> None:
        self.info: EngineInfo | None = None
        self._error = error

    @property
    def load_error(self) -> Exception | None:
        return self._error

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        pass

    def wait_loaded(self, timeout: float | None = None) -> EngineInfo:
        raise self._error

    def generate(self, messages: list[dict[str, str]], settings: SamplingSettings) -> Generation:
        generation = Generation()
        generation.finish(self._error)
        return generation

    def close(self) -> None:
        pass
