"""The real llama.cpp engine on the bundled SmolLM2 model (end to end, no fakes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.alignment.conversation import Status
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine
from tui.errors import ModelError

GREEDY = SamplingSettings(temperature=0.0, max_tokens=32, seed=7)
SYSTEM = {"role": "system", "content": "You are a helpful assistant."}


def ask(engine: LlamaEngine, messages: list[dict[str, str]], settings=GREEDY):
    generation = engine.generate(messages, settings)
    generation.wait()
    assert generation.error is None, generation.error
    return generation


def test_model_loads_and_describes_itself(real_engine: LlamaEngine) -> None:
    info = real_engine.info
    assert info is not None
    assert info.quantization == "Q4_1" and info.n_ctx == 2048
    assert info.size_bytes > 90_000_000 and info.n_params > 100_000_000
    assert info.name == "SmolLM2-135M-Instruct" and info.label == "SmolLM2-135M-Instruct Q4_1"


def test_answer_streams_with_counters(real_engine: LlamaEngine) -> None:
    generation = ask(real_engine, [SYSTEM, {"role": "user", "content": "Name a colour."}])
    assert generation.text.strip()
    stats = generation.stats
    assert 0 < stats.generated_tokens <= GREEDY.max_tokens
    assert stats.prompt_tokens > 10 and stats.tokens_per_second > 0
    assert stats.context_used >= stats.prompt_tokens
    assert stats.finish_reason in {"stop", "length"}


def test_second_turn_evaluates_only_the_new_tokens(real_engine: LlamaEngine) -> None:
    history = [SYSTEM, {"role": "user", "content": "Write one sentence about rivers in Europe."}]
    first = ask(real_engine, history)
    history += [{"role": "assistant", "content": first.text},
                {"role": "user", "content": "Now one about mountains."}]
    second = ask(real_engine, history)
    new_tokens = second.stats.prompt_tokens - first.stats.prompt_tokens
    assert second.stats.cached_tokens >= first.stats.prompt_tokens
    assert second.stats.prompt_evaluated <= new_tokens
    assert second.stats.prompt_evaluated < second.stats.prompt_tokens / 2


def test_stop_midway_then_the_engine_still_answers(real_engine: LlamaEngine) -> None:
    settings = SamplingSettings(temperature=0.0, max_tokens=200)
    generation = real_engine.generate(
        [SYSTEM, {"role": "user", "content": "Tell a long story about a lighthouse."}], settings)
    pieces = []
    for piece in generation:
        pieces.append(piece)
        if len(pieces) == 5:
            generation.stop()
    assert generation.stats.finish_reason == "cancelled" and generation.error is None
    assert 5 <= len(pieces) <= 6 and generation.stats.generated_tokens < 20
    assert ask(real_engine, [SYSTEM, {"role": "user", "content": "Say hi."}]).text


def test_stop_interrupts_prompt_evaluation(real_engine: LlamaEngine) -> None:
    long_prompt = "Summarise this text. " + "The committee met again and discussed budgets. " * 150
    generation = real_engine.generate([SYSTEM, {"role": "user", "content": long_prompt}], GREEDY)
    generation.stop()  # set before the owner thread starts decoding: the abort callback fires
    assert generation.wait() == ""
    assert generation.stats.finish_reason == "cancelled" and generation.error is None
    assert generation.stats.prompt_evaluated == 0 and generation.stats.generated_tokens == 0
    assert ask(real_engine, [SYSTEM, {"role": "user", "content": "Say hi."}]).text


def test_stopping_a_finished_answer_leaves_the_next_one_alone(real_engine: LlamaEngine) -> None:
    first = ask(real_engine, [SYSTEM, {"role": "user", "content": "Say hi."}])
    second = real_engine.generate(
        [SYSTEM, {"role": "user", "content": "Count from one to twenty in words."}], GREEDY)
    first.stop()  # a late Esc on an old answer must not reach the C-side abort flag
    assert second.wait() and second.stats.finish_reason in {"stop", "length"}
    assert second.error is None and second.stats.generated_tokens > 5


def test_history_longer_than_the_context_is_trimmed_oldest_first(model_path: Path) -> None:
    engine = LlamaEngine(model_path, n_ctx=512, n_threads=2, seed=1)
    filler = "An earlier remark about methodology and sampling frames. " * 12
    history = [SYSTEM]
    for index in range(8):  # ~1,100 tokens of history against n_ctx 512
        history += [{"role": "user", "content": f"{index}: {filler}"},
                    {"role": "assistant", "content": "Noted."}]
    history.append({"role": "user", "content": "Reply with one word."})
    try:
        generation = ask(engine, history)
    finally:
        engine.close()
    assert generation.stats.prompt_tokens < 512 and generation.text.strip()


def test_nothing_is_printed_to_the_terminal(model_path: Path, capfd) -> None:
    engine = LlamaEngine(model_path, n_ctx=512, n_threads=1, seed=1)
    try:
        ask(engine, [SYSTEM, {"role": "user", "content": "Hi"}],
            SamplingSettings(temperature=0.0, max_tokens=4))
    finally:
        engine.close()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "model file not found: {path}"),
        (b"PK\x03\x04 this is a zip, not a model", "{path} is not a GGUF model file"),
        (b"GGUF\x03\x00\x00\x00" + b"\xff" * 64, "llama.cpp could not load {path}"),
    ],
    ids=["missing", "not-gguf", "corrupt"],
)
def test_bad_model_files_give_one_line_errors(tmp_path: Path, content, expected) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    engine = LlamaEngine(path, n_ctx=256)
    with pytest.raises(ModelError) as error:
        engine.wait_loaded()
    message = str(error.value)
    assert message.startswith(expected.format(path=path)) or expected.format(path=path) in message
    assert "\n" not in message
    generation = engine.generate([{"role": "user", "content": "hi"}], GREEDY)
    assert generation.wait() == "" and isinstance(generation.error, ModelError)
    engine.close()


def test_service_keeps_a_stopped_real_answer(real_service: ChatService) -> None:
    turn = real_service.send("Describe the history of printing in detail.")
    for count, _piece in enumerate(turn, start=1):
        if count == 4:
            turn.stop()
    saved = real_service.store.message(turn.answer.id)
    assert saved.status is Status.STOPPED and saved.content == turn.text and saved.content
    assert saved.meta["stats"]["finish_reason"] == "cancelled"
