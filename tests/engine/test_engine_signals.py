"""Signals from the real engine on the bundled model: token probabilities, JSON-schema
grammar, and control vectors (a vector steers, strength 0 is the exact baseline, a vector
for another model is refused)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tui.engine.base import ControlVectorUse, SamplingSettings
from tui.engine.llama import LlamaEngine
from tui.errors import ControlVectorError

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
HEDGING = ROOT / "profiles" / "vectors" / "smollm2-135m-hedging.gguf"
QUESTION = [{"role": "user", "content": "Who invented the telephone?"}]
GREEDY = SamplingSettings(temperature=0.0, max_tokens=40, seed=3)
SCHEMA = {
    "type": "object",
    "properties": {"reading": {"type": "string", "maxLength": 120},
                   "assumptions": {"type": "array", "items": {"type": "string", "maxLength": 80},
                                   "maxItems": 3}},
    "required": ["reading", "assumptions"],
}


def run(engine: LlamaEngine, settings: SamplingSettings, messages=QUESTION):
    generation = engine.generate(messages, settings)
    generation.wait()
    return generation


def cold(engine: LlamaEngine) -> None:
    engine.run_on_owner(lambda llm: llm.reset())


def test_every_piece_carries_the_probability_the_model_gave_it(real_engine) -> None:
    generation = run(real_engine, GREEDY)
    assert generation.probs_available and generation.tokens
    assert "".join(t.text for t in generation.tokens) == generation.text
    probs = [t.prob for t in generation.tokens]
    assert all(p is not None and 0.0 < p <= 1.0 for p in probs)
    assert min(probs) < 0.9 < max(probs)  # a real distribution, not a constant


@pytest.mark.parametrize("temperature", [0.0, 0.8])
def test_the_probability_shown_is_the_softmax_of_the_104_likeliest_logits(
        real_engine, temperature: float) -> None:
    """native_sampler.py: exp(logit - max) / sum(exp(logits - max)) over the 104 highest
    logits. After a one-token answer nothing more was evaluated, so llama.cpp's last
    logits are the ones the token came from; here in double precision."""
    import llama_cpp

    for seed in (3, 4, 5):
        cold(real_engine)
        generation = run(real_engine, SamplingSettings(temperature=temperature, max_tokens=1,
                                                       seed=seed))
        (first,) = generation.tokens

        def softmax_of_the_head(llm) -> dict[str, float]:
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1),
                                           shape=(llm.n_vocab(),)).astype(np.double)
            head = np.argsort(logits)[::-1][:104]
            weights = np.exp(logits[head] - logits[head[0]])
            return {llm.detokenize([int(t)]).decode(errors="replace"): float(w / weights.sum())
                    for t, w in zip(head, weights)}

        head = real_engine.run_on_owner(softmax_of_the_head)
        assert first.prob == pytest.approx(head[first.text], rel=1e-5)
        assert first.prob < 0.999  # a distribution, not a one-hot


def test_a_json_schema_constrains_the_answer_on_every_run(real_engine) -> None:
    for seed in (1, 2, 3):
        settings = SamplingSettings(temperature=0.8, max_tokens=200, seed=seed,
                                    json_schema=json.dumps(SCHEMA))
        data = json.loads(run(real_engine, settings).text)
        assert isinstance(data["reading"], str) and isinstance(data["assumptions"], list)


def test_a_control_vector_steers_and_strength_zero_restores_the_exact_baseline(
        real_engine) -> None:
    cold(real_engine)
    baseline = run(real_engine, GREEDY).text
    steered = run(real_engine, SamplingSettings(
        temperature=0.0, max_tokens=40, seed=3,
        control_vectors=(ControlVectorUse(str(HEDGING), 4.0),))).text
    assert steered != baseline
    restored = run(real_engine, SamplingSettings(
        temperature=0.0, max_tokens=40, seed=3,
        control_vectors=(ControlVectorUse(str(HEDGING), 0.0),))).text
    assert restored == baseline


def _vector_file(path: Path, n_embd: int, layers: int) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), "controlvector")
    writer.add_string("controlvector.model_hint", "llama")
    writer.add_int32("controlvector.layer_count", layers)
    for layer in range(1, layers + 1):
        writer.add_tensor(f"direction.{layer}", np.ones(n_embd, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_vector_made_for_another_model_is_refused_with_a_clear_error(
        real_engine, tmp_path) -> None:
    other = _vector_file(tmp_path / "llama-2048.gguf", 2048, 20)
    generation = run(real_engine, SamplingSettings(
        max_tokens=8, control_vectors=(ControlVectorUse(str(other), 1.0),)))
    assert isinstance(generation.error, ControlVectorError)
    assert "made for another model" in str(generation.error) and str(other) in str(
        generation.error)
    assert run(real_engine, GREEDY).text  # the engine goes on answering without it


def test_a_file_that_is_not_a_control_vector_is_refused(real_engine, model_path) -> None:
    generation = run(real_engine, SamplingSettings(
        max_tokens=8, control_vectors=(ControlVectorUse(str(model_path), 1.0),)))
    assert isinstance(generation.error, ControlVectorError)
    assert "not a control vector" in str(generation.error)
