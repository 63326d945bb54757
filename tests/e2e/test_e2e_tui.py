"""The TUI end to end on the real bundled model: type, stream, stop, store."""

from __future__ import annotations

from textual.widgets import Markdown, Static

from tests.fixtures.pilot import answers, ask, ask_and_wait, plain, wait_until
from tui.alignment.conversation import Role, Status
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.app import CoalignApp
from tui.widgets.conversation import StatusLine


async def test_question_streams_an_answer_that_is_stored(real_service: ChatService) -> None:
    app = CoalignApp(real_service, Config(), [])
    async with app.run_test(size=(100, 30)) as pilot:
        answer = await ask_and_wait(pilot, app, "What is a research question?")
        stored = real_service.transcript()
        assert [(m.role, m.status) for m in stored] == [
            (Role.USER, Status.COMPLETE), (Role.ASSISTANT, Status.COMPLETE)]
        assert stored[1].content.strip()
        assert answer.query_one(Markdown).source == stored[1].content
        status = plain(app.chat.query_one(StatusLine).query_one(Static))
        assert "SmolLM2-135M-Instruct Q4_1" in status and "tokens/s" in status


async def test_escape_stops_the_real_model_and_keeps_the_partial_answer(
    real_service: ChatService,
) -> None:
    real_service.settings = type(real_service.settings)(temperature=0.0, max_tokens=400)
    app = CoalignApp(real_service, Config(), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "Tell me a very long story about a lighthouse keeper.")
        await wait_until(pilot, lambda: answers(app) and len(answers(app)[-1].text) > 20)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.chat.busy)
        saved = real_service.last_answer()
        assert saved is not None and saved.status is Status.STOPPED
        assert saved.content and saved.meta["stats"]["generated_tokens"] < 400
        assert answers(app)[-1].status is Status.STOPPED
