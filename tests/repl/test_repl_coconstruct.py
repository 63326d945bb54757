"""Co-construction slash commands in the REPL (fake engine, pipe input)."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.repl import run_repl
from tui.alignment.conversation import Role
from tui.application.service import ChatService


def users(service: ChatService) -> list[str]:
    return [m.content for m in service.transcript() if m.role is Role.USER]


def test_rewind_puts_the_prompt_back_for_editing(
    fake_service: ChatService, tmp_path: Path,
) -> None:
    service, home = fake_service, tmp_path
    # After /rewind the prompt line starts with the rewound text; Enter sends it edited.
    code, text, _ = run_repl(service, "first\rsecond\r/rewind\r, edited\r/quit\r", home)
    assert code == 0 and "rewound 1 exchange" in text
    assert users(service) == ["first", "second, edited"]
    assert [b.prompt for b in service.branches() if not b.current] == ["second"]


def test_retry_prev_next_and_branches(fake_service: ChatService, tmp_path: Path) -> None:
    service, home = fake_service, tmp_path
    code, text, _ = run_repl(service, "question\r/retry\r/prev\r/next\r/branches\r/quit\r", home)
    assert code == 0
    assert "answer 2/2" in text and "answer 1/2" in text
    assert "return to one with /branches ID" in text
    answer = service.last_answer()
    assert service.answer_position(answer) == (2, 2)


def test_mark_then_retry_tells_the_model(fake_service: ChatService, tmp_path: Path) -> None:
    service, home, engine = fake_service, tmp_path, fake_service.engine
    keys = "question\r/mark invalid made-up source #reliability\r/retry\r/quit\r"
    code, text, _ = run_repl(service, keys, home)
    assert code == 0
    assert "marked: invalid · #reliability — made-up source" in text
    assert "retrying with your mark" in text
    assert "made-up source" in engine.requests[-1][-1]["content"]
    assert service.last_answer().meta["after_mark"]["validity"] == "invalid"


def test_bad_mark_and_fork(fake_service: ChatService, tmp_path: Path) -> None:
    service, home = fake_service, tmp_path
    code, text, _ = run_repl(service, "question\r/mark nice\r/fork\r/quit\r", home)
    assert "usage: /mark valid|invalid|understood|misunderstood" in text
    assert "forked into session #2" in text and service.session.id == 2
