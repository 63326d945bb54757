"""Counting the tokens a llama.cpp model evaluates, batch by batch, to show a prompt's progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class TokenProbe:
    """Wraps one Llama's eval: counts evaluated tokens and reports a long prompt's progress.

    Every prompt evaluation goes through Llama.eval (the engine's own loop and
    llama-cpp-python's), so the prompt counts hold whichever path evaluated them; the
    answer tokens the engine generates go straight to llama_decode (native_decoder.py)
    and are not counted here.
    """

    def __init__(self, llm: Any) -> None:
        self.evaluated = 0
        # told (done, of) after each batch of a prompt evaluation, to show progress
        self.on_progress: Callable[[int, int], None] | None = None
        original_eval = llm.eval

        def counting_eval(tokens: Sequence[int]) -> None:
            # llama.cpp evaluates in n_batch pieces anyway; handing them over one at a time
            # lets a long prompt report how far it has got (the result is the same)
            step = max(1, int(getattr(llm, "n_batch", 0) or len(tokens) or 1))
            if len(tokens) <= step:  # one token per step while answering: no slicing
                original_eval(tokens)
                self.evaluated += len(tokens)
                return
            for start in range(0, len(tokens), step):
                part = tokens[start:start + step]
                original_eval(part)
                self.evaluated += len(part)
                if self.on_progress is not None:
                    self.on_progress(start + len(part), len(tokens))

        llm.eval = counting_eval  # type: ignore[method-assign]
