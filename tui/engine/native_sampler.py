"""Which llama.cpp samplers an answer goes through, and in which order (no binding here).

llama.py builds two llama.cpp sampler chains from a plan and applies them to one candidate
array per token, on the owner thread:

- `mask` holds the grammar (a JSON Schema) when there is one: it sets the logits of tokens
  the schema does not allow to -inf. Without a grammar it is empty and not built.
- `pick` chooses the token with llama-cpp-python's own chain and defaults (repeat penalty
  over the last 64 tokens; greedy at temperature 0, else top-k 40, typical 1.0, top-p,
  min-p 0.05, the temperature and a seeded draw), so both give the same tokens. It starts
  with a top-k of 64 + 40 candidates (64 + 1 when greedy): the repeat penalty only lowers
  the logits of at most 64 tokens, so every token the full chain could pick is among
  them, and the penalty no longer looks up all ~50,000 tokens (0.1-0.2 ms per token).

The probability shown for a token is the model's probability for it over the whole
vocabulary at temperature 1, after the grammar's mask, before the repeat penalty, the
temperature and any truncation: exp(logit - max) / sum(exp(logits - max)) over the
(masked) logits, computed in numpy for the chosen token only (native_decoder.Softmax).
It used to be llama.cpp's `dist` sampler over every candidate, the same number at 0.5 ms
a token against 0.15 ms. At temperature 0 it says how sure the model was of the token it
was made to take; at other temperatures it does not depend on how hot the sampling was.
"""

from __future__ import annotations

from dataclasses import dataclass

TOP_K = 40  # llama-cpp-python's create_chat_completion defaults
MIN_P = 0.05
TYPICAL_P = 1.0
MIN_KEEP = 1
GRAMMAR = "grammar"  # a stage llama.py builds from the grammar text, not from numbers


@dataclass(frozen=True)
class Stage:
    """One llama.cpp sampler: llama_sampler_init_<name>(*args)."""

    name: str
    args: tuple[float | int, ...] = ()


@dataclass(frozen=True)
class ChainPlan:
    mask: tuple[Stage, ...]  # empty without a grammar
    pick: tuple[Stage, ...]


def plan(*, temperature: float, top_p: float, repeat_penalty: float, seed: int,
         n_vocab: int, last_n: int, grammar: bool) -> ChainPlan:
    """The two chains for one answer's settings."""
    mask = (Stage(GRAMMAR),) if grammar else ()
    penalties = Stage("penalties", (n_vocab, last_n, repeat_penalty, 0.0, 0.0))
    if temperature == 0:
        pick: tuple[Stage, ...] = (Stage("top_k", (last_n + 1,)), penalties, Stage("greedy"))
    elif temperature < 0:
        pick = (penalties, Stage("dist", (seed,)))
    else:
        pick = (Stage("top_k", (last_n + TOP_K,)), penalties, Stage("top_k", (TOP_K,)),
                Stage("typical", (TYPICAL_P, MIN_KEEP)), Stage("top_p", (top_p, MIN_KEEP)),
                Stage("min_p", (MIN_P, MIN_KEEP)), Stage("temp", (temperature,)),
                Stage("dist", (seed,)))
    return ChainPlan(mask, pick)


def seed_for(asked: int | None, draw: int) -> int:
    """The seed of one answer: the one asked for, else a fresh draw from the engine's RNG
    (so retries and best-of-N candidates differ); never llama.cpp's 'random' marker."""
    seed = asked if asked is not None else draw
    return seed % 0xFFFFFFFF  # LLAMA_DEFAULT_SEED (0xFFFFFFFF) would mean a clock seed
