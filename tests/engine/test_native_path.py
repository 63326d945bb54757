"""The engine's own decode-and-sample path (llama.cpp's sampler chains) on the bundled model:
the tokens llama-cpp-python's create_chat_completion gives, seeds, rewinds.

Stop, abort of a long prompt, JSON-schema grammar, control vectors and probabilities go
through the same path in test_engine.py and test_engine_signals.py."""

from __future__ import annotations

import pytest

from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine

pytestmark = pytest.mark.model

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
CONVERSATIONS = [
    [{"role": "user", "content": "Who invented the telephone?"}],
    [SYSTEM, {"role": "user", "content": "Name three rivers in Europe."},
     {"role": "assistant", "content": "The Danube, the Rhine and the Loire."},
     {"role": "user", "content": "Which is longest?"}],
]


def cold(engine: LlamaEngine) -> None:
    """Empty the KV cache: both paths then evaluate the prompt alike (a prompt evaluated in
    other batch sizes differs in the last bits, enough to change a sampled token)."""
    engine.run_on_owner(lambda llm: llm.reset())


def ask(engine: LlamaEngine, messages, settings: SamplingSettings) -> str:
    cold(engine)
    generation = engine.generate(messages, settings)
    generation.wait()
    assert generation.error is None, generation.error
    return generation.text


def llama_cpp_python(engine: LlamaEngine, messages, settings: SamplingSettings) -> str:
    """The same request through llama-cpp-python's own chat completion (the old path)."""
    def complete(llm) -> str:
        response = llm.create_chat_completion(
            messages=messages, temperature=settings.temperature, max_tokens=settings.max_tokens,
            seed=settings.seed, top_p=settings.top_p, repeat_penalty=settings.repeat_penalty)
        return response["choices"][0]["message"]["content"] or ""
    cold(engine)
    return engine.run_on_owner(complete)


@pytest.mark.parametrize("messages", CONVERSATIONS, ids=["one-turn", "three-turns"])
def test_greedy_answers_are_the_tokens_of_llama_cpp_pythons_own_loop(real_engine, messages) -> None:
    settings = SamplingSettings(temperature=0.0, max_tokens=40, seed=3)
    assert ask(real_engine, messages, settings) == llama_cpp_python(real_engine, messages, settings)


def test_a_seeded_sampled_answer_is_the_same_as_llama_cpp_pythons_too(real_engine) -> None:
    settings = SamplingSettings(temperature=0.9, max_tokens=40, seed=11)
    messages = CONVERSATIONS[0]
    new = ask(real_engine, messages, settings)
    assert new == llama_cpp_python(real_engine, messages, settings)
    assert ask(real_engine, messages, settings) == new  # and the seed repeats it


def test_answers_with_no_seed_differ_so_retries_and_candidates_do(real_engine) -> None:
    settings = SamplingSettings(temperature=1.0, max_tokens=30, seed=None)
    answers = {ask(real_engine, CONVERSATIONS[0], settings) for _ in range(3)}
    assert len(answers) > 1


def test_a_rewound_conversation_reuses_the_prefix_and_answers_as_if_cold(real_engine) -> None:
    settings = SamplingSettings(temperature=0.0, max_tokens=24, seed=1)
    long = CONVERSATIONS[1] + [{"role": "assistant", "content": "The Danube. " * 30},
                               {"role": "user", "content": "And the shortest?"}]
    ask(real_engine, long, settings)  # cold, then the whole long conversation cached
    rewound = CONVERSATIONS[1][:2] + [{"role": "user", "content": "Name a lake instead."}]
    generation = real_engine.generate(rewound, settings)
    warm = generation.wait()
    assert 0 < generation.stats.prompt_evaluated < generation.stats.prompt_tokens / 2
    cold(real_engine)
    fresh = real_engine.generate(rewound, settings)
    assert fresh.wait() == warm and fresh.stats.prompt_evaluated == fresh.stats.prompt_tokens
