"""A long history being read before the first token is shown on the answer, not just
'thinking…' (a cold resume of a long conversation took 16 s with nothing else shown)."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import answers, ask, make_service, plain, wait_until
from tui.config import Config
from tui.engine.base import Generation, SamplingSettings
from tui.screens.app import CoalignApp


class ReadingEngine(FakeEngine):
    """Reports reading a long prompt until the test lets it answer."""

    def __init__(self) -> None:
        super().__init__("done reading")
        self.go_on = threading.Event()

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        generation.prompt_progress = (512, 1230)
        self.go_on.wait(10)
        generation.prompt_progress = None
        super()._run(generation, settings)


async def test_the_answer_shows_how_much_of_the_history_is_read(tmp_path: Path) -> None:
    engine = ReadingEngine()
    app = CoalignApp(make_service(tmp_path, engine), Config(), [])
    async with app.run_test() as pilot:
        await ask(pilot, "a question")
        await wait_until(pilot, lambda: answers(app) and "reading the conversation: 512 of "
                         "1,230 tokens…" in plain(answers(app)[-1].query_one(".pending", Static)))
        engine.go_on.set()
        await wait_until(pilot, lambda: not app.chat.busy)
        assert answers(app)[-1].text == "done reading"
