"""Generation.batches: a frame-paced consumer gets every piece, in order, without being
woken for each one, and the end of the answer wakes it at once."""

from __future__ import annotations

import threading

from tui.engine.base import Generation

HOUR = 3600.0  # an interval no test waits out: only the answer's end may wake the consumer


def test_the_first_piece_comes_at_once_and_the_rest_together_at_the_end() -> None:
    generation = Generation()
    batches = generation.batches(HOUR)
    generation.push("The")
    assert next(batches) == "The"  # not held for an interval
    for piece in (" Danube", " is", " long."):
        generation.push(piece)
    generation.finish()
    assert list(batches) == [" Danube is long."]  # woken by the end, not the hour
    assert generation.text == "The Danube is long." and generation.done


def test_pieces_that_come_while_a_frame_waits_are_joined_into_one() -> None:
    generation = Generation()
    batches = generation.batches(HOUR)
    generation.push("a")
    assert next(batches) == "a"
    taken: list[str] = []
    consumer = threading.Thread(target=lambda: taken.extend(batches))
    consumer.start()
    for piece in "bcdef":  # the consumer is waiting on the end or the interval meanwhile
        generation.push(piece)
    generation.finish()
    consumer.join(10)
    assert not consumer.is_alive()
    assert taken == ["bcdef"]


def test_a_stream_without_text_or_with_an_error_ends_at_once() -> None:
    empty = Generation()
    empty.finish(RuntimeError("model failed"))
    assert list(empty.batches(HOUR)) == []
    assert str(empty.error) == "model failed" and empty.done
    assert list(empty.batches(HOUR)) == []  # iterating an ended stream again waits for nothing
