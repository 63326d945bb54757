"""The per-token loop of a local answer: decode, sample, stream text, stop (no binding here).

llama.py hands in a Decoder that reaches llama.cpp (evaluate tokens into the KV cache,
sample through llama.cpp's sampler chains, turn a token into bytes); this module turns the
tokens into streamed text: UTF-8 characters split over tokens are held until whole, text
that may be the start of a stop string is held until it is known not to be one, and the
answer ends at an end-of-generation token, a stop string, max_tokens or the stop flag.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tui.engine.base import Generation, GenerationStats, monotonic


class Decoder(Protocol):
    """What the loop needs from llama.cpp, on the owner thread."""

    def evaluate(self, tokens: Sequence[int]) -> None:
        """Append tokens to the KV cache (raises RuntimeError when aborted)."""

    def sample(self) -> tuple[int, float]:
        """The next token after the last evaluated one, and its probability."""

    def is_end(self, token: int) -> bool:
        """Whether token ends the answer (end of generation, or the template's stop)."""

    def piece(self, token: int) -> bytes:
        """The token's text, as UTF-8 bytes (special tokens give none)."""


@dataclass
class Outcome:
    """How one answer's loop ended."""

    finish_reason: str = "length"  # "stop", "length" or "cancelled"
    sampled: int = 0  # tokens sampled, the one that ended the answer included
    first_piece_at: float = 0.0  # when the first text was pushed (0: none was)

    def record(self, stats: GenerationStats, *, stopped: bool, failed: bool, started: float,
               evaluated: int, context_used: int, cpu_seconds: float) -> None:
        """Fill an answer's counters as it ends (the first piece splits prompt from answer)."""
        ended = monotonic()
        stats.finish_reason = "cancelled" if stopped else "error" if failed else self.finish_reason
        first = self.first_piece_at or ended
        stats.prompt_evaluated, stats.generated_tokens = evaluated, self.sampled
        stats.prompt_seconds, stats.generation_seconds = first - started, ended - first
        stats.context_used, stats.cpu_seconds = context_used, cpu_seconds


def joint(probs: Sequence[float]) -> float | None:
    """The probability of a piece made of these tokens (None if there were none)."""
    return math.prod(probs) if probs else None


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many characters at text's end could begin a stop string."""
    longest = 0
    for stop in stops:  # each non-empty
        # where a start of stop could begin: within its length, less one, of the end
        at = text.find(stop[0], max(0, len(text) - len(stop) + 1))
        while at >= 0 and len(text) - at > longest:
            if stop.startswith(text[at:]):
                longest = len(text) - at
                break
            at = text.find(stop[0], at + 1)
    return longest


class _Text:
    """Bytes in, text out: whole characters only, nothing a stop string may start with."""

    def __init__(self, generation: Generation, stops: Sequence[str],
                 on_first: Callable[[], None]) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._generation, self._on_first = generation, on_first
        self._stops = [stop for stop in stops if stop]
        self._held = ""
        self._probs: list[float] = []

    def add(self, data: bytes, prob: float) -> bool:
        """Add one token's bytes; True when a stop string was reached (the answer ends)."""
        self._probs.append(prob)
        self._held += self._utf8.decode(data)
        if not self._held:
            return False
        if self._stops:
            found = [i for i in (self._held.find(s) for s in self._stops) if i >= 0]
            if found:
                self._push(self._held[:min(found)])
                return True
        keep = _held_back(self._held, self._stops)
        self._push(self._held[:len(self._held) - keep])
        return False

    def _push(self, text: str) -> None:
        if not text:
            return
        self._on_first()
        self._generation.push(text, joint(self._probs))
        self._probs = []
        self._held = self._held[len(text):]

    def flush(self) -> None:
        """The answer ended: what is held is text after all."""
        self._held += self._utf8.decode(b"", final=True)
        self._push(self._held)


def run(decoder: Decoder, generation: Generation, prompt_rest: Sequence[int], max_tokens: int,
        stops: Sequence[str] = ()) -> Outcome:
    """Evaluate the prompt tokens not yet cached, then sample up to max_tokens tokens.

    The token that ends the answer, and the last one sampled, are not evaluated: the KV
    cache then holds exactly the tokens a next turn's prompt starts with.
    """
    outcome = Outcome()

    def first() -> None:
        if not outcome.first_piece_at:
            outcome.first_piece_at = monotonic()
            generation.prompt_progress = None

    text = _Text(generation, stops, first)
    if prompt_rest:
        decoder.evaluate(prompt_rest)
    for count in range(1, max_tokens + 1):
        if generation.stop_event.is_set():
            outcome.finish_reason = "cancelled"
            break
        token, prob = decoder.sample()
        outcome.sampled = count
        if decoder.is_end(token):
            outcome.finish_reason = "stop"
            break
        if text.add(decoder.piece(token), prob):
            outcome.finish_reason = "stop"
            return outcome
        if count < max_tokens:
            decoder.evaluate([token])
    text.flush()
    return outcome
