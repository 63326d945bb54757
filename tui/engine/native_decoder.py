"""Sampling through llama.cpp's own sampler chains, one candidate array per token.

llama.py (the only importer of llama_cpp) hands this module the binding as `lib` and the
loaded Llama; everything here runs on the engine's owner thread. Per token: the last
logits are copied into a reusable llama_token_data array, the `mask` chain (the grammar,
when there is one) and the `pick` chain (top-k, repeat penalty, then greedy, or top-k …
temperature and a seeded draw) are applied to it in C, and the chosen token's probability
is taken from the (masked) logits by Softmax.p (native_sampler.py says which probability
that is). No Python logits processor is left on the per-token path.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tui.engine.native_sampler import GRAMMAR, ChainPlan, Stage
from tui.errors import ModelError

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class Candidates:
    """One llama_token_data_array over the whole vocabulary, reused for every token."""

    def __init__(self, lib: Any, n_vocab: int) -> None:
        self.n_vocab = n_vocab
        self.data = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self._ids = np.arange(n_vocab, dtype=np.intc)
        self.array = lib.llama_token_data_array(
            data=self.data.ctypes.data_as(lib.llama_token_data_p), size=n_vocab,
            selected=-1, sorted=False)
        self.pointer = ctypes.byref(self.array)

    def fill(self, logits: np.ndarray) -> None:
        self.data["id"] = self._ids
        self.data["logit"] = logits
        self.array.size, self.array.selected, self.array.sorted = self.n_vocab, -1, False


class Softmax:
    """The probability of one token under a softmax over all logits, in reused buffers."""

    def __init__(self, n_vocab: int) -> None:
        self._buffer = np.empty(n_vocab, dtype=np.single)

    def p(self, logits: np.ndarray, token: int) -> float:
        """exp(logit - max) / sum(exp(logits - max)) for token (-inf logits count 0)."""
        top = logits.max()
        np.subtract(logits, top, out=self._buffer)
        np.exp(self._buffer, out=self._buffer)
        return float(self._buffer[token] / self._buffer.sum(dtype=np.double))


class Chain:
    """A llama.cpp sampler chain built from a plan's stages (freed with close)."""

    def __init__(self, lib: Any, stages: Sequence[Stage],
                 grammar: Callable[[], Any] | None = None) -> None:
        self._lib = lib
        self.pointer = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        try:
            for stage in stages:
                if stage.name == GRAMMAR:
                    assert grammar is not None, "a grammar stage needs the grammar"
                    sampler = grammar()
                else:
                    sampler = getattr(lib, f"llama_sampler_init_{stage.name}")(*stage.args)
                if not sampler:
                    raise ModelError(f"llama.cpp could not set up its {stage.name} sampler")
                lib.llama_sampler_chain_add(self.pointer, sampler)
        except BaseException:
            self.close()
            raise

    def apply(self, candidates: Candidates) -> None:
        self._lib.llama_sampler_apply(self.pointer, candidates.pointer)

    def accept(self, token: int) -> None:
        self._lib.llama_sampler_accept(self.pointer, token)

    def close(self) -> None:
        if self.pointer:
            self._lib.llama_sampler_free(self.pointer)
            self.pointer = None


class NativeDecoder:
    """decode_loop's Decoder on a loaded Llama: evaluation through Llama.eval (which keeps
    its token bookkeeping for prefix reuse), sampling through llama.cpp's chains."""

    def __init__(self, lib: Any, llm: Any, candidates: Candidates, plan: ChainPlan,
                 grammar: Any = None,
                 stop_criteria: Callable[[np.ndarray, np.ndarray], bool] | None = None,
                 pace: Callable[[], None] | None = None) -> None:
        self._lib, self._llm, self._candidates = lib, llm, candidates
        self._pace = pace  # called before each evaluation (thread_count.ThreadGovernor)
        self._vocab = lib.llama_model_get_vocab(llm.model)
        self._criteria = stop_criteria
        self._piece = ctypes.create_string_buffer(64)

        def grammar_sampler() -> Any:
            return lib.llama_sampler_init_grammar(self._vocab, grammar._grammar.encode("utf-8"),
                                                  grammar._root.encode("utf-8"))

        self._mask = (Chain(lib, plan.mask, grammar_sampler if grammar is not None else None)
                      if plan.mask else None)
        try:
            self._pick = Chain(lib, plan.pick)
        except BaseException:
            if self._mask is not None:
                self._mask.close()
            raise
        self._softmax = Softmax(candidates.n_vocab)

    def evaluate(self, tokens: Sequence[int]) -> None:
        if self._pace is not None:
            self._pace()
        self._llm.eval(tokens)

    def sample(self) -> tuple[int, float]:
        lib, candidates = self._lib, self._candidates
        logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(self._llm.ctx, -1),
                                       shape=(candidates.n_vocab,))
        candidates.fill(logits)
        if self._mask is not None:  # the grammar's -inf, in token order (pick reorders)
            self._mask.apply(candidates)
            logits = candidates.data["logit"].copy()
        self._pick.apply(candidates)
        token = int(candidates.data["id"][candidates.array.selected])
        if self._mask is not None:
            self._mask.accept(token)
        self._pick.accept(token)
        return token, self._softmax.p(logits, token)

    def is_end(self, token: int) -> bool:
        if self._lib.llama_vocab_is_eog(self._vocab, token):
            return True
        return bool(self._criteria is not None and self._criteria(
            np.array([token], dtype=np.intc), np.empty(0, dtype=np.single)))

    def piece(self, token: int) -> bytes:
        size = self._lib.llama_token_to_piece(self._vocab, token, self._piece, len(self._piece),
                                              0, False)
        if size < 0:  # longer than the buffer: llama.cpp says how long
            self._piece = ctypes.create_string_buffer(-size)
            size = self._lib.llama_token_to_piece(self._vocab, token, self._piece,
                                                  len(self._piece), 0, False)
        return self._piece.raw[:size]

    def close(self) -> None:
        if self._mask is not None:
            self._mask.close()
        self._pick.close()
