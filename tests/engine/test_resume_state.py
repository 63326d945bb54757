"""Saved KV states on the bundled model: a resumed conversation evaluates only its new
tokens and answers exactly as if it had never been left; a state that does not match is
never used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.engine.base import ControlVectorUse, Generation, SamplingSettings
from tui.engine.llama import LlamaEngine

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
HEDGING = ROOT / "profiles" / "vectors" / "smollm2-135m-hedging.gguf"
GREEDY = SamplingSettings(temperature=0.0, max_tokens=24, seed=1)
NOTES = " ".join(f"Note {n}: the archive of district {n} was catalogued in spring." for n in
                 range(12))
FIRST = [{"role": "system", "content": "You are a research assistant."},
         {"role": "user", "content": f"{NOTES} Which district came first?"}]


@pytest.fixture
def engine(model_path: Path, tmp_path: Path) -> Iterator[LlamaEngine]:
    opened = LlamaEngine(model_path, n_ctx=2048, n_threads=2, seed=1,
                         state_dir=tmp_path / "kv-cache")
    opened.wait_loaded()
    yield opened
    opened.close()


def ask(engine: LlamaEngine, messages, settings: SamplingSettings = GREEDY) -> Generation:
    generation = engine.generate(messages, settings)
    generation.wait()
    assert generation.error is None, generation.error
    return generation


def restart(engine: LlamaEngine) -> None:
    """What a new process finds: an empty KV cache (the saved states stay on disk)."""
    engine.run_on_owner(lambda llm: llm.reset())


def follow_up(engine: LlamaEngine) -> list[dict[str, str]]:
    first = ask(engine, FIRST)
    return FIRST + [{"role": "assistant", "content": first.text},
                    {"role": "user", "content": "And which came last?"}]


def test_a_saved_state_answers_the_same_tokens_evaluating_only_the_new_ones(engine) -> None:
    messages = follow_up(engine)
    saved = engine.keep_state().result()
    assert saved is not None and saved.exists()
    warm = ask(engine, messages)  # the cache still in memory
    restart(engine)
    resumed = ask(engine, messages)
    assert resumed.text == warm.text
    assert resumed.stats.prompt_evaluated == warm.stats.prompt_evaluated
    assert resumed.stats.prompt_evaluated < resumed.stats.prompt_tokens / 4
    store = engine.state_store
    assert store is not None
    store.clear()
    restart(engine)
    cold = ask(engine, messages)  # nothing saved: the whole history again
    assert cold.stats.prompt_evaluated == cold.stats.prompt_tokens
    assert cold.text == warm.text


def test_a_saved_state_of_another_conversation_is_not_used(engine) -> None:
    follow_up(engine)
    assert engine.keep_state().result() is not None
    restart(engine)
    other = [FIRST[0], {"role": "user", "content": f"Ignore this: {NOTES}"}]
    generation = ask(engine, other)
    assert generation.stats.prompt_evaluated == generation.stats.prompt_tokens


def test_a_state_saved_under_other_control_vectors_is_not_used(engine) -> None:
    messages = follow_up(engine)
    assert engine.keep_state().result() is not None
    steered = SamplingSettings(temperature=0.0, max_tokens=8, seed=1,
                               control_vectors=(ControlVectorUse(str(HEDGING), 4.0),))
    generation = ask(engine, messages, steered)  # steering empties the cache
    assert generation.stats.prompt_evaluated == generation.stats.prompt_tokens


def test_a_short_conversation_is_not_worth_saving(engine) -> None:
    ask(engine, [{"role": "user", "content": "Hi"}], SamplingSettings(temperature=0.0,
                                                                       max_tokens=4))
    assert engine.keep_state().result() is None
