"""The assumptions panel in the TUI and /assumptions in the REPL (fake engine)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import ask_and_wait, make_service, plain, wait_until
from tests.fixtures.repl import run_repl
from tui.application import disclosure
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.app import CoalignApp
from tui.screens.assumptions import AssumptionsScreen

ACCOUNT = json.dumps({key: ([f"[red]{key}[/red]"] if key in disclosure._LISTS else f"{key} text")
                      for key in disclosure.FIELDS})


def section(app: CoalignApp, key: str) -> str:
    return plain(app.screen.query_one(f"#section-{key}", Static))


async def open_panel(pilot, app: CoalignApp) -> None:
    await ask_and_wait(pilot, app, "question")
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(app.screen, AssumptionsScreen))


async def test_f4_opens_the_panel_and_d_asks_for_the_models_account(tmp_path: Path) -> None:
    engine = FakeEngine("Archives in [bold]Kenya[/bold] since 1998.")
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 50)) as pilot:
        await open_panel(pilot, app)
        assert "Kenya" in section(app, "grounding") and "1998" in section(app, "grounding")
        assert "[bold]Kenya[/bold]" in plain(app.screen.query_one("#response", Static))
        assert "Not asked yet" in section(app, "account")
        engine.reply = ACCOUNT
        await pilot.press("d")
        await wait_until(pilot, lambda: "How I read your question" in section(app, "account"))
        assert "[red]assumptions[/red]" in section(app, "account")  # literal, never markup
        assert "disclosure" in service.store.message(service.last_answer().id).meta
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)


async def test_escape_stops_the_account_and_nothing_is_cached(tmp_path: Path) -> None:
    import threading

    engine = FakeEngine("An answer.")
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 50)) as pilot:
        await open_panel(pilot, app)
        engine.reply = ACCOUNT
        engine.gate = threading.Semaphore(0)
        await pilot.press("d")
        await wait_until(pilot, lambda: app.screen.generation is not None)
        await pilot.press("escape")
        engine.gate.release(100)
        await wait_until(pilot, lambda: "Stopped before" in section(app, "account"))
        assert "disclosure" not in service.store.message(service.last_answer().id).meta
        assert isinstance(app.screen, AssumptionsScreen)  # Esc stopped; a second Esc closes


def test_repl_assumptions_prints_every_section(fake_service: ChatService, tmp_path: Path) -> None:
    fake_service.engine.reply = "We studied Brazil in the 1990s."
    code, text, _ = run_repl(fake_service, "question\r/assumptions\r/assumptions 1\r/quit\r",
                             tmp_path)
    assert code == 0
    for title in ("1 · What the model was told", "2 · The model's own account",
                  "3 · Confidence", "4 · Grounding map", "5 · Citations",
                  "6 · Coverage and risk", "7 · Sources"):
        assert title in text
    assert "Years named: 1990s" in text
    assert "message #1 is a prompt; give an answer's id" in text


def test_repl_assumptions_ask_caches_the_account(fake_service: ChatService,
                                                  tmp_path: Path) -> None:
    fake_service.engine.reply = "An answer."
    run_repl(fake_service, "question\r/quit\r", tmp_path)
    fake_service.engine.reply = ACCOUNT
    code, text, _ = run_repl(fake_service, "/assumptions ask\r/quit\r", tmp_path)
    assert code == 0 and "How I read your question: reading_of_question text" in text


class SureAndUnsureEngine(FakeEngine):
    """A fake engine that reports a probability per word: 'Bell' and 'it' sure, '1876' not."""

    PROBS = {"Bell": 0.95, " patented": 0.9, " it": 0.9, " in": 0.92, " 1876.": 0.1}

    def _run(self, generation, settings) -> None:
        generation.probs_available = True
        for word, prob in self.PROBS.items():
            generation.push(word, prob)
        generation.stats.finish_reason = "stop"
        generation.finish()


async def test_ctrl_g_highlights_the_least_sure_stretch_in_the_answer(tmp_path: Path) -> None:
    from tui.widgets.conversation import AnswerView

    service = make_service(tmp_path, SureAndUnsureEngine())
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await ask_and_wait(pilot, app, "question")
        view = app.chat.query(AnswerView).last()
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: view.confidence_shown)
        shown = view.query_one(".confidence", Static)
        styled = [shown.render().plain[s.start:s.end] for s in shown.render().spans]
        assert styled == ["1876."]
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: not view.confidence_shown)


def test_repl_confidence_marks_the_least_sure_stretch(tmp_path: Path) -> None:
    service = make_service(tmp_path, SureAndUnsureEngine())
    code, text, _ = run_repl(service, "question\r/confidence\r/quit\r", tmp_path)
    assert code == 0 and "Bell patented it in «1876.»" in text
    assert "I am unsure about “1876.” (I gave it 10 % probability)." in text
