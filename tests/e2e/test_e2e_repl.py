"""`coalign chat` end to end on the real bundled model, through prompt-toolkit pipe input."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.repl import run_repl
from tui.alignment.conversation import Role, Status
from tui.application.service import ChatService


def test_two_turns_are_streamed_stored_and_reuse_the_cache(
    real_service: ChatService, coalign_home: Path,
) -> None:
    coalign_home.mkdir(parents=True, exist_ok=True)
    code, text, _repl = run_repl(
        real_service, "What is a literature review?\rGive one example.\r/quit\r", coalign_home)
    assert code == 0
    assert "SmolLM2-135M-Instruct Q4_1" in text and "tok/s" in text
    path = real_service.transcript()
    assert [(m.role, m.status) for m in path] == [
        (Role.USER, Status.COMPLETE), (Role.ASSISTANT, Status.COMPLETE)] * 2
    for answer in (path[1], path[3]):
        assert answer.content.strip() and answer.content.strip()[:40] in text
    first, second = path[1].meta["stats"], path[3].meta["stats"]
    assert second["prompt_evaluated"] < second["prompt_tokens"] - first["prompt_tokens"] + 1
