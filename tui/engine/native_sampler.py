"""Which llama.cpp samplers an answer goes through, and in which order (no binding here).

llama.py builds llama.cpp sampler chains from a plan and applies them, in order, to one
candidate array per token, on the owner thread:

- `mask` holds the grammar (a JSON Schema) when there is one: it sets the logits of tokens
  the schema does not allow to -inf. Without a grammar it is empty and not built.
- `head` keeps the 64 + 40 most likely candidates (top-k 104): the repeat penalty only
  lowers the logits of at most 64 tokens, so every token the rest of the chain could pick
  is among them, and the penalty no longer looks up all ~50,000 tokens (0.1-0.2 ms per
  token). Its last stage is a `dist` sampler whose draw is not used: it writes each
  candidate's softmax probability, the one shown (below).
- `pick` chooses the token with llama-cpp-python's own chain and defaults (repeat penalty
  over the last 64 tokens; greedy at temperature 0, else top-k 40, typical 1.0, top-p,
  min-p 0.05, the temperature and a seeded draw), so both give the same tokens.

The probability shown for a token is its share among the head's candidates, the model's
104 most likely tokens, at temperature 1: exp(logit - max) / sum(exp(logits - max)) over
those 104 logits, after the grammar's mask, before the repeat penalty, the temperature and
any further truncation. llama.cpp's softmax in the head computes it; native_decoder's
HeadProbability keeps what it needs for the chosen token. It leaves out the rest of the
vocabulary: on SmolLM2 it was 0.7-0.8 percentage points above the whole-vocabulary
softmax on average over an answer, and at most 7. The whole-vocabulary softmax in numpy
took 0.22 ms a token (2 % of a token's time); this takes a few microseconds. At
temperature 0 it says how sure the model was of the token it was made to take; at other
temperatures it does not depend on how hot the sampling was. With a negative temperature
(a draw from the whole distribution) the head has no top-k, and the share is over the
whole vocabulary.
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
    head: tuple[Stage, ...]  # the candidates the probability shown is taken among
    pick: tuple[Stage, ...]


SOFTMAX = Stage("dist", (0,))  # writes every candidate's p; its seed and draw do not matter


def plan(*, temperature: float, top_p: float, repeat_penalty: float, seed: int,
         n_vocab: int, last_n: int, grammar: bool) -> ChainPlan:
    """The chains for one answer's settings."""
    mask = (Stage(GRAMMAR),) if grammar else ()
    head = (Stage("top_k", (last_n + TOP_K,)), SOFTMAX)
    penalties = Stage("penalties", (n_vocab, last_n, repeat_penalty, 0.0, 0.0))
    if temperature == 0:
        return ChainPlan(mask, head, (penalties, Stage("greedy")))
    if temperature < 0:
        return ChainPlan(mask, (SOFTMAX,), (penalties, Stage("dist", (seed,))))
    return ChainPlan(mask, head, (
        penalties, Stage("top_k", (TOP_K,)), Stage("typical", (TYPICAL_P, MIN_KEEP)),
        Stage("top_p", (top_p, MIN_KEEP)), Stage("min_p", (MIN_P, MIN_KEEP)),
        Stage("temp", (temperature,)), Stage("dist", (seed,))))


def seed_for(asked: int | None, draw: int) -> int:
    """The seed of one answer: the one asked for, else a fresh draw from the engine's RNG
    (so retries and best-of-N candidates differ); never llama.cpp's 'random' marker."""
    seed = asked if asked is not None else draw
    return seed % 0xFFFFFFFF  # LLAMA_DEFAULT_SEED (0xFFFFFFFF) would mean a clock seed
