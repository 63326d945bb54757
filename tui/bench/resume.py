"""First token of a long resumed conversation: from a saved KV state, warm, and cold.

A conversation of at least `history_tokens` tokens is built through ChatService; its KV
cache is saved as quitting saves it (LlamaEngine.keep_state). Then one question is asked
three ways, the answer rewound in between: warm (the cache still in memory), after a
restart (the cache emptied, the saved state restored; only the new tokens are evaluated)
and cold (the cache emptied and no saved state: the whole history is evaluated again).
Warm and restored alternate `repeats` times and their medians are reported: one first
token is a tenth of a second, and this machine's speed moves by a fifth between two.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine

SYSTEM = "You are a research assistant. Answer in one sentence."
NOTE = ("Field note {n}: the interviews in district {n} took longer than planned because "
        "participants wanted to talk about their archives, their maps and the floods of "
        "previous years; the consent forms were signed on paper and scanned the same day.")
QUESTION = "Which district took longest, in one word?"


def _empty(engine: LlamaEngine) -> None:
    """As after a restart: nothing in the KV cache."""
    engine.run_on_owner(lambda llm: llm.reset())


def _keep_only(engine: LlamaEngine, tokens: int) -> None:
    """As after the history's last turn: the cache holds its first tokens only (a question
    asked before is forgotten, so a warm turn evaluates the question again)."""
    engine.run_on_owner(lambda llm: setattr(llm, "n_tokens", min(llm.n_tokens, tokens)))


def _ask(service: ChatService, prompt: str) -> dict[str, Any]:
    turn = service.send(prompt)
    turn.wait()
    return turn.generation.stats.as_dict()


def resume_times(engine: LlamaEngine, history_tokens: int = 1000, answer_tokens: int = 16,
                 progress: Callable[[str], None] = lambda _text: None,
                 repeats: int = 3) -> dict[str, Any]:
    """ttft_warm_s, ttft_resume_s (saved state) and ttft_cold_s on one long conversation."""
    store = engine.state_store
    assert store is not None, "the engine keeps no KV states (no state_dir)"
    service = ChatService(Store(":memory:"), engine,
                          SamplingSettings(temperature=0.0, max_tokens=answer_tokens, seed=1),
                          SYSTEM)
    _empty(engine)
    progress(f"a conversation of {history_tokens}+ tokens")
    n = 0
    while engine.run_on_owner(lambda llm: llm.n_tokens) < history_tokens:
        n += 1
        _ask(service, " ".join(NOTE.format(n=n + k) for k in range(3)))
    cached = engine.run_on_owner(lambda llm: llm.n_tokens)
    saved = engine.keep_state().result()
    state_mb = saved.stat().st_size / 1e6 if saved else 0.0
    progress("its first token warm, after a restart from the saved state, and cold")
    warms, resumes = [], []
    for _ in range(repeats):
        _keep_only(engine, cached)
        warms.append(_ask(service, QUESTION))
        service.rewind(1)
        _empty(engine)
        resumes.append(_ask(service, QUESTION))
        service.rewind(1)
    _empty(engine)
    store.clear()
    cold = _ask(service, QUESTION)
    warm, resumed = warms[-1], resumes[-1]
    return {"resume_history_tokens": cached,
            "resume_state_mb": state_mb,
            "ttft_warm_s": statistics.median(w["prompt_seconds"] for w in warms),
            "ttft_resume_s": statistics.median(r["prompt_seconds"] for r in resumes),
            "ttft_warm_runs": [round(w["prompt_seconds"], 3) for w in warms],
            "ttft_resume_runs": [round(r["prompt_seconds"], 3) for r in resumes],
            "ttft_cold_s": cold["prompt_seconds"],
            "resume_tokens_evaluated": resumed["prompt_evaluated"],
            "warm_tokens_evaluated": warm["prompt_evaluated"],
            "cold_tokens_evaluated": cold["prompt_evaluated"]}
