"""Rewind and retry on the real model: the kept history is not evaluated again."""

from __future__ import annotations

from tui.alignment.conversation import Role
from tui.application.service import ChatService


def stats(service: ChatService) -> dict:
    return service.last_answer().meta["stats"]


def test_turn_after_rewind_evaluates_only_the_new_prompt(real_service: ChatService) -> None:
    for prompt in ("Name a famous bridge.", "Where is it?", "How long is it?",
                   "Who designed it?"):
        real_service.send(prompt).wait()
    before = stats(real_service)["prompt_tokens"]
    assert real_service.rewind(2) == "How long is it?"
    kept = real_service.transcript()
    assert [m.content for m in kept if m.role is Role.USER] == ["Name a famous bridge.",
                                                                 "Where is it?"]
    real_service.send("When was it opened?").wait()
    after = stats(real_service)
    new_prompt_tokens = len("When was it opened?".split()) * 3 + 12  # generous: words + template
    assert after["prompt_evaluated"] <= new_prompt_tokens
    assert after["prompt_tokens"] - after["prompt_evaluated"] >= 0.75 * after["prompt_tokens"]
    assert after["prompt_tokens"] < before  # the dropped turns are not in the prompt


def test_retry_reuses_the_whole_prompt_and_keeps_siblings(real_service: ChatService) -> None:
    real_service.settings = type(real_service.settings)(temperature=0.9, max_tokens=24, seed=None)
    real_service.send("Suggest a title for a paper on participatory design.").wait()
    first = real_service.last_answer()
    real_service.retry().wait()
    second = real_service.last_answer()
    assert second.parent_id == first.parent_id and second.id != first.id
    assert real_service.answer_position(second) == (2, 2)
    assert stats(real_service)["prompt_evaluated"] <= 1  # only the replayed last token
    assert second.content.strip()


def test_retry_after_mark_sends_the_reason_and_records_it(real_service: ChatService) -> None:
    real_service.send("Cite one paper about value alignment.").wait()
    real_service.mark(validity="invalid", reason="that paper does not exist",
                      values_at_risk=["reliability"])
    real_service.retry(feedback=True).wait()
    retried = real_service.last_answer()
    assert retried.meta["after_mark"]["validity"] == "invalid"
    assert retried.content.strip()
    feedback_tokens = stats(real_service)["prompt_evaluated"]
    assert 10 < feedback_tokens < stats(real_service)["prompt_tokens"]
