"""Counting a llama.cpp model's tokens and keeping each sampled token's probability."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def joint(probs: list[float]) -> float | None:
    """The probability of a piece made of these tokens (None if none were observed)."""
    return float(np.prod(probs)) if probs else None


class TokenProbe:
    """Wraps one Llama's eval and sample: counts tokens, keeps each sampled token's probability.

    The probability comes from a logits processor (observe, which llama.py hands to llama_cpp)
    that takes the softmax of the raw logits (before penalties, temperature and grammar) at
    each step; `logits_all=True` would keep n_ctx x n_vocab floats instead and was measured
    25x slower.
    """

    def __init__(self, llm: Any) -> None:
        self.evaluated = 0
        self.sampled = 0
        # told (done, of) after each batch of a prompt evaluation, to show progress
        self.on_progress: Callable[[int, int], None] | None = None
        self.probs: list[float] = []  # one per sampled token, in order
        self._weights: np.ndarray | None = None  # exp(logit - max) of the last step
        self._total = 0.0
        original_eval, original_sample = llm.eval, llm.sample

        def counting_eval(tokens: Sequence[int]) -> None:
            # llama.cpp evaluates in n_batch pieces anyway; handing them over one at a time
            # lets a long prompt report how far it has got (the result is the same)
            step = max(1, int(getattr(llm, "n_batch", 0) or len(tokens) or 1))
            for start in range(0, len(tokens), step):
                part = tokens[start:start + step]
                original_eval(part)
                self.evaluated += len(part)
                if self.on_progress is not None and len(tokens) > step:  # not per token
                    self.on_progress(start + len(part), len(tokens))

        def counting_sample(*args: Any, **kwargs: Any) -> int:
            token = original_sample(*args, **kwargs)
            self.sampled += 1
            if self._weights is not None and 0 <= token < len(self._weights):
                self.probs.append(float(self._weights[token]) / self._total)
            self._weights = None
            return token

        llm.eval = counting_eval  # type: ignore[method-assign]
        llm.sample = counting_sample  # type: ignore[method-assign]

    def observe(self, _input_ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        self._weights = np.exp(logits - logits.max())  # normalised only for the sampled token
        self._total = float(self._weights.sum())
        return logits
