"""The per-token loop on a scripted decoder: text, stop strings, UTF-8, ends and the stop flag."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tui.engine.base import Generation
from tui.engine.decode_loop import joint, run

END = -1


class Scripted:
    """Samples the tokens it was given (bytes each, with a probability), END ends them."""

    def __init__(self, script: list[tuple[bytes | None, float]]) -> None:
        self.script = script
        self.evaluated: list[list[int]] = []
        self.next = 0

    def evaluate(self, tokens: Sequence[int]) -> None:
        self.evaluated.append(list(tokens))

    def sample(self) -> tuple[int, float]:
        index = self.next
        self.next += 1
        return (END if self.script[index][0] is None else index), self.script[index][1]

    def is_end(self, token: int) -> bool:
        return token == END

    def piece(self, token: int) -> bytes:
        data = self.script[token][0]
        assert data is not None
        return data


def stream(script: list[tuple[bytes | None, float]], max_tokens: int = 50,
           stops: Sequence[str] = ()) -> tuple[Generation, Scripted, str]:
    generation, decoder = Generation(), Scripted(script)
    outcome = run(decoder, generation, [1, 2, 3], max_tokens, stops)
    generation.finish()
    generation.wait()
    return generation, decoder, outcome.finish_reason


def test_pieces_stream_with_their_probabilities_and_the_end_token_is_not_evaluated() -> None:
    generation, decoder, reason = stream([(b"Hel", 0.5), (b"lo", 0.8), (None, 0.9)])
    assert reason == "stop" and generation.text == "Hello"
    assert [(t.text, t.prob) for t in generation.tokens] == [("Hel", 0.5), ("lo", 0.8)]
    assert decoder.evaluated == [[1, 2, 3], [0], [1]]  # the prompt, "Hel", "lo"; not END


def test_a_character_split_over_tokens_waits_for_its_last_byte() -> None:
    euro = "€".encode()  # three bytes
    generation, _decoder, _reason = stream([(euro[:1], 0.5), (euro[1:], 0.5), (b"!", 1.0),
                                            (None, 1.0)])
    assert [t.text for t in generation.tokens] == ["€", "!"]
    assert generation.tokens[0].prob == pytest.approx(0.25)  # both tokens of the piece


def test_a_stop_string_ends_the_answer_and_is_never_shown() -> None:
    script = [(b"Yes", 0.9), (b" <|", 0.5), (b"end", 0.5), (b"|> more", 0.5), (b"x", 1.0)]
    generation, _decoder, reason = stream(script, stops=["<|end|>"])
    assert reason == "stop" and generation.text == "Yes "


def test_text_that_only_looked_like_a_stop_string_is_shown_after_all() -> None:
    generation, _decoder, reason = stream([(b"a <", 0.5), (b"b", 0.5), (None, 1.0)],
                                          stops=["<|end|>"])
    assert reason == "stop" and generation.text == "a <b"
    assert [t.text for t in generation.tokens] == ["a ", "<b"]


def test_max_tokens_ends_the_answer_without_evaluating_the_last_token() -> None:
    generation, decoder, reason = stream([(b"a", 1.0), (b"b", 1.0), (b"c", 1.0)], max_tokens=2)
    assert reason == "length" and generation.text == "ab"
    assert decoder.evaluated == [[1, 2, 3], [0]]


def test_the_stop_flag_ends_the_answer_before_the_next_token() -> None:
    generation, decoder = Generation(), Scripted([(b"a", 1.0)] * 10)
    original = decoder.sample

    def sample_then_stop() -> tuple[int, float]:
        token = original()
        if decoder.next == 3:
            generation.stop()
        return token

    decoder.sample = sample_then_stop  # type: ignore[method-assign]
    outcome = run(decoder, generation, [1], 10)
    assert outcome.finish_reason == "cancelled" and outcome.sampled == 3


def test_joint_is_the_product_and_none_without_tokens() -> None:
    assert joint([0.5, 0.5]) == 0.25 and joint([]) is None
