"""The assumptions panel on the real bundled model: the account is valid JSON for the schema
on every run, and the confidence numbers come from the answer's own generation."""

from __future__ import annotations

import json

import pytest

from tui.application import assumptions as assumptions_report
from tui.application import disclosure
from tui.application.service import ChatService

pytestmark = pytest.mark.model


def test_the_models_account_is_valid_for_the_schema_on_every_run(
        real_service: ChatService) -> None:
    real_service.send("Which countries built the first railways, and when?").wait()
    answer = real_service.last_answer()
    for _run in range(2):
        generation = disclosure.start(real_service, answer)
        generation.wait()
        entry = disclosure.record(generation)
        assert entry["valid"], entry
        assert disclosure.problem_with(json.loads(generation.text)) == ""


def test_confidence_comes_from_the_same_generation(real_service: ChatService) -> None:
    turn = real_service.send("Name three rivers in Europe.")
    turn.wait()
    answer = real_service.last_answer()
    pieces = answer.meta["token_probs"]
    assert "".join(text for text, _prob in pieces) == answer.content == turn.text
    assert [prob for _text, prob in pieces] == [t.prob for t in turn.generation.tokens]
    report = assumptions_report.build(real_service, answer)
    confidence = next(s for s in report.sections if s.key == "confidence")
    assert confidence.lines[0].startswith(f"Across {len(pieces)} pieces")


def test_a_stopped_account_is_not_kept(real_service: ChatService) -> None:
    real_service.send("Say hello.").wait()
    answer = real_service.last_answer()
    generation = disclosure.start(real_service, answer)
    for count, _piece in enumerate(generation):
        if count == 3:
            generation.stop()
    entry = disclosure.save(real_service, answer, generation)
    assert entry["stopped"] and not entry["valid"]
    assert "disclosure" not in real_service.store.message(answer.id).meta
