"""Rewind, retry, answers, branches, fork and marks on the chat service (fake engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.alignment.conversation import Role
from tui.alignment.marks import MarkError, parse_mark, retry_feedback
from tui.alignment.store import Store
from tui.application.service import ChatService


def talk(service: ChatService, *prompts: str) -> None:
    for prompt in prompts:
        service.send(prompt).wait()


def contents(service: ChatService) -> list[str]:
    return [m.content for m in service.transcript() if m.role is Role.USER]


def test_rewind_steps_back_and_keeps_the_dropped_turns_as_a_branch(fake_service) -> None:
    talk(fake_service, "one", "two", "three")
    assert fake_service.rewind() == "three"
    assert contents(fake_service) == ["one", "two"]
    assert fake_service.rewind() == "two"  # repeated rewinds walk further back
    assert contents(fake_service) == ["one"]
    dropped = [b for b in fake_service.branches() if not b.current]
    assert [b.prompt for b in dropped] == ["three"] and dropped[0].length == 6

    talk(fake_service, "two, better")  # a new branch from the kept prefix
    assert contents(fake_service) == ["one", "two, better"]
    assert len(fake_service.branches()) == 2
    fake_service.open_branch(dropped[0].leaf.id)
    assert contents(fake_service) == ["one", "two", "three"]


def test_rewind_several_and_past_the_start(fake_service) -> None:
    talk(fake_service, "one", "two", "three")
    assert fake_service.rewind(2) == "two"
    assert fake_service.rewind(10) == "one"
    assert fake_service.transcript() == []
    with pytest.raises(ValueError, match="nothing to rewind"):
        fake_service.rewind()
    talk(fake_service, "fresh start")
    assert contents(fake_service) == ["fresh start"]


def test_retry_keeps_earlier_answers_as_siblings_to_flip_between(fake_service) -> None:
    talk(fake_service, "question")
    first = fake_service.last_answer()
    fake_service.engine.reply = "A second, different answer."
    turn = fake_service.retry()
    turn.wait()
    second = fake_service.last_answer()
    assert second.id != first.id and second.parent_id == first.parent_id
    assert second.meta["retry_of"] == first.id
    assert fake_service.answer_position(second) == (2, 2)
    assert fake_service.answer_note(second) == "answer 2/2"
    assert fake_service.switch_answer(-1).id == first.id
    assert fake_service.last_answer().id == first.id
    with pytest.raises(ValueError, match="no earlier answer"):
        fake_service.switch_answer(-1)
    assert fake_service.switch_answer(+1).id == second.id
    assert [m["role"] for m in fake_service.engine.requests[-1]] == ["system", "user"]


def test_marks_have_two_independent_axes_and_can_change(fake_service) -> None:
    talk(fake_service, "question")
    fake_service.mark(validity="invalid", reason="the source is invented",
                      values_at_risk=["Reliability", "#research integrity"])
    mark = fake_service.mark(understanding="understood")
    assert (mark.validity, mark.understanding) == ("invalid", "understood")
    assert mark.reason == "the source is invented"
    assert mark.values_at_risk == ["reliability", "research-integrity"]
    mark = fake_service.mark(validity="valid", understanding="")
    assert (mark.validity, mark.understanding) == ("valid", None)
    saved = fake_service.last_answer()
    assert len(saved.meta["mark_history"]) == 3
    assert fake_service.values_in_use() == ["reliability", "research-integrity"]
    with pytest.raises(MarkError):
        fake_service.mark(validity="sort of")


def test_marks_survive_a_restart(tmp_path: Path, fake_service) -> None:
    talk(fake_service, "question")
    fake_service.mark(validity="invalid", understanding="misunderstood", reason="off topic")
    fake_service.store.close()
    reopened = Store(fake_service.store.path)
    answer = reopened.message(reopened.latest_session().head_id)
    assert answer.meta["mark"]["validity"] == "invalid"
    assert answer.meta["mark"]["reason"] == "off topic"


def test_retry_after_a_mark_tells_the_model_what_was_wrong(fake_service) -> None:
    talk(fake_service, "Which sources discuss this?")
    marked = fake_service.last_answer()
    mark = fake_service.mark(validity="invalid", reason="those authors do not exist",
                             values_at_risk=["reliability"])
    fake_service.retry(feedback=True).wait()
    sent = fake_service.engine.requests[-1]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == marked.content
    assert "those authors do not exist" in sent[3]["content"]
    assert sent[3]["content"] == retry_feedback(mark)
    retried = fake_service.last_answer()
    assert retried.meta["after_mark"]["reason"] == "those authors do not exist"
    assert "retry after your mark" in fake_service.answer_note(retried)
    # The feedback is context for that request only: the tree keeps prompt -> answers.
    assert retried.parent_id == marked.parent_id


def test_fork_copies_the_branch_into_a_new_session(fake_service) -> None:
    talk(fake_service, "one", "two")
    original = fake_service.session.id
    first_answer = fake_service.transcript()[1]
    forked = fake_service.fork(first_answer.id)
    assert forked.id != original and fake_service.session.id == forked.id
    assert contents(fake_service) == ["one"]
    assert fake_service.transcript()[-1].meta["forked_from"] == {
        "session": original, "message": first_answer.id}
    talk(fake_service, "in the fork")
    fake_service.open_session(original)
    assert contents(fake_service) == ["one", "two"]


def test_parse_mark_command() -> None:
    assert parse_mark("invalid misunderstood cites a made-up paper #reliability #nuance") == (
        {"validity": "invalid", "understanding": "misunderstood"},
        "cites a made-up paper", ["reliability", "nuance"])
    assert parse_mark("Understood") == ({"understanding": "understood"}, "", [])
    with pytest.raises(MarkError, match="usage: /mark"):
        parse_mark("great answer")
