"""Sampling through llama.cpp's own sampler chains, one candidate array per token.

llama.py (the only importer of llama_cpp) hands this module the binding as `lib` and the
loaded Llama; everything here runs on the engine's owner thread. Per token: the last
logits are copied into a reusable llama_token_data array, and the `mask` chain (the
grammar, when there is one), the `head` chain (top-k, then a softmax) and the `pick` chain
(repeat penalty, then greedy, or top-k … temperature and a seeded draw) are applied to it in
C. Between head and pick, HeadProbability keeps the head's probabilities, and the chosen
token's is the one shown (native_sampler.py says which probability that is). No Python logits
processor is left on the per-token path.
"""

from __future__ import annotations

import ctypes
import math
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
        self.ids, self.logits, self.p = self.data["id"], self.data["logit"], self.data["p"]
        self._vocabulary = np.arange(n_vocab, dtype=np.intc)
        self.array = lib.llama_token_data_array(
            data=self.data.ctypes.data_as(lib.llama_token_data_p), size=n_vocab,
            selected=-1, sorted=False)
        self.pointer = ctypes.byref(self.array)

    def fill(self, logits: np.ndarray) -> None:
        self.ids[:] = self._vocabulary
        self.logits[:] = logits
        self.array.size, self.array.selected, self.array.sorted = self.n_vocab, -1, False


class LastLogits:
    """llama.cpp's last logits as a numpy array, made again only when llama.cpp moves them
    (numpy's ctypes view took ~50 µs a token, made anew each time)."""

    def __init__(self, lib: Any, ctx: Any, n_vocab: int) -> None:
        self._lib, self._ctx, self._n_vocab = lib, ctx, n_vocab
        self._address = 0
        self._array = np.empty(0, dtype=np.single)

    def __call__(self) -> np.ndarray:
        pointer = self._lib.llama_get_logits_ith(self._ctx, -1)
        address = ctypes.addressof(pointer.contents)
        if address != self._address:
            self._array = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
            self._address = address
        return self._array


class OneToken:
    """A llama_batch of one token whose logits are wanted, set up once (freed with close)."""

    def __init__(self, lib: Any) -> None:
        self._lib = lib
        self.batch = lib.llama_batch_init(1, 0, 1)
        self.batch.n_tokens, self.batch.n_seq_id[0] = 1, 1
        self.batch.seq_id[0][0], self.batch.logits[0] = 0, True

    def decode(self, ctx: Any, token: int, position: int) -> None:
        """Evaluate token at position (RuntimeError when llama.cpp fails or is aborted)."""
        self.batch.token[0], self.batch.pos[0] = token, position
        code = self._lib.llama_decode(ctx, self.batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")

    def close(self) -> None:
        if self._lib is not None:
            self._lib.llama_batch_free(self.batch)
            self._lib = None


class HeadProbability:
    """A token's probability as the head chain's softmax gave it, after pick has run.

    The softmax gives p_i = exp(l_i - max) / Z, so any one candidate's p and logit give
    every other's from its logit alone: p_t = p_r * exp(l_t - l_r). The one kept is the
    head's own draw (a candidate with p > 0), read before pick reorders the candidates and
    overwrites p: two numbers a token instead of an array.
    """

    def __init__(self) -> None:
        self._p, self._logit = 1.0, 0.0

    def read(self, candidates: Candidates) -> None:
        drawn = candidates.array.selected
        if not candidates.p[drawn]:  # a draw of exactly 0 lands on the first, maybe masked
            drawn = int(np.argmax(candidates.p[:candidates.array.size]))
        self._p, self._logit = float(candidates.p[drawn]), float(candidates.logits[drawn])

    def of(self, logit: float) -> float:
        """The probability of the token whose logit (from llama.cpp) this is."""
        return self._p * math.exp(logit - self._logit)


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
    """decode_loop's Decoder on a loaded Llama: the prompt through Llama.eval, each answer
    token after it straight to llama_decode (Llama.eval's ~0.1 ms a call saved), keeping
    Llama's token bookkeeping for prefix reuse; sampling through llama.cpp's chains."""

    def __init__(self, lib: Any, llm: Any, candidates: Candidates, plan: ChainPlan,
                 grammar: Any = None,
                 stop_criteria: Callable[[np.ndarray, np.ndarray], bool] | None = None,
                 pace: Callable[[], None] | None = None) -> None:
        self._lib, self._llm, self._candidates = lib, llm, candidates
        self._pace = pace  # called before each evaluation (thread_count.ThreadGovernor)
        self._vocab = lib.llama_model_get_vocab(llm.model)
        self._criteria = stop_criteria
        self._piece = ctypes.create_string_buffer(64)
        self._logits = LastLogits(lib, llm.ctx, candidates.n_vocab)
        self._one: OneToken | None = None  # after the first Llama.eval: the cache is trimmed
        self._last = np.empty(1, dtype=np.intc)  # the stop criteria's input ids
        self._no_scores = np.empty(0, dtype=np.single)

        def grammar_sampler() -> Any:
            return lib.llama_sampler_init_grammar(self._vocab, grammar._grammar.encode("utf-8"),
                                                  grammar._root.encode("utf-8"))

        self._chains: list[Chain] = []
        try:
            self._mask = (self._chain(plan.mask, grammar_sampler if grammar is not None else None)
                          if plan.mask else None)
            self._head = self._chain(plan.head)
            self._pick = self._chain(plan.pick)
        except BaseException:
            self.close()
            raise
        self._probability = HeadProbability()

    def _chain(self, stages: Sequence[Stage], grammar: Callable[[], Any] | None = None
               ) -> Chain:
        """A chain of these stages, kept for close."""
        chain = Chain(self._lib, stages, grammar)
        self._chains.append(chain)
        return chain

    def evaluate(self, tokens: Sequence[int]) -> None:
        if self._pace is not None:
            self._pace()
        llm = self._llm
        if self._one is not None and len(tokens) == 1:
            position = llm.n_tokens
            self._one.decode(llm.ctx, tokens[0], position)
            llm.input_ids[position], llm.n_tokens = tokens[0], position + 1
            return
        llm.eval(tokens)  # also drops any cached cells past n_tokens
        if self._one is None:
            self._one = OneToken(self._lib)

    def sample(self) -> tuple[int, float]:
        candidates, logits = self._candidates, self._logits()
        candidates.fill(logits)
        if self._mask is not None:  # the grammar's -inf
            self._mask.apply(candidates)
        self._head.apply(candidates)
        self._probability.read(candidates)
        self._pick.apply(candidates)
        token = int(candidates.ids[candidates.array.selected])
        for chain in self._chains:
            chain.accept(token)
        return token, self._probability.of(float(logits[token]))

    def is_end(self, token: int) -> bool:
        if self._lib.llama_vocab_is_eog(self._vocab, token):
            return True
        if self._criteria is None:
            return False
        self._last[0] = token
        return bool(self._criteria(self._last, self._no_scores))

    def piece(self, token: int) -> bytes:
        size = self._lib.llama_token_to_piece(self._vocab, token, self._piece, len(self._piece),
                                              0, False)
        if size < 0:  # longer than the buffer: llama.cpp says how long
            self._piece = ctypes.create_string_buffer(-size)
            size = self._lib.llama_token_to_piece(self._vocab, token, self._piece,
                                                  len(self._piece), 0, False)
        return self._piece.raw[:size]

    def close(self) -> None:
        for chain in self._chains:
            chain.close()
        if self._one is not None:
            self._one.close()
