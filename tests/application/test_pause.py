"""Pausing engagement: recorded, blocking the model until resumed or run out."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.fixtures.pilot import answers, ask, ask_and_wait, make_service, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.diary.store import DiaryStore
from tui.alignment.engagement import Engagement, PausedError, parse_pause
from tui.application.diary import DiaryRecorder
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.app import CoalignApp
from tui.screens.pause import PauseScreen


def test_pause_blocks_the_model_until_resumed_and_is_recorded(fake_service: ChatService) -> None:
    fake_service.send("q").wait()
    fake_service.pause(None, "need to think on my own")
    with pytest.raises(PausedError, match="paused \\(until you resume\\): need to think"):
        fake_service.send("another")
    with pytest.raises(PausedError):
        fake_service.retry()
    assert fake_service.resume() and not fake_service.resume()
    fake_service.send("another").wait()
    kinds = [e["kind"] for e in fake_service.store.events(fake_service.session.id)]
    assert kinds == ["pause", "resume"]


def test_a_timed_pause_runs_out() -> None:
    now = [1000.0]
    engagement = Engagement(clock=lambda: now[0])
    engagement.pause(10, "lunch")
    assert engagement.paused is not None
    now[0] += 599
    with pytest.raises(PausedError, match="1 more minute"):
        engagement.check()
    now[0] += 2
    assert engagement.paused is None
    engagement.check()
    with pytest.raises(ValueError):
        engagement.pause(0)


def test_parse_pause() -> None:
    assert parse_pause("20 too tired to judge") == (20.0, "too tired to judge")
    assert parse_pause("not now") == (None, "not now")
    assert parse_pause("") == (None, "")


def test_a_pause_after_an_answer_is_an_intervention_in_the_diary(fake_service: ChatService,
                                                                 tmp_path: Path) -> None:
    fake_service.send("q").wait()
    fake_service.pause(None, "this is not helping")
    entry = DiaryRecorder(fake_service, DiaryStore(tmp_path / "d")).draft()
    assert [e["kind"] for e in entry.interventions] == ["pause"]
    assert "this is not helping" in entry.interventions[0]["detail"]


async def test_f6_pauses_with_a_why_and_f7_resumes(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "first")
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, PauseScreen))
        app.screen.query_one("#why", Input).value = "stepping away"
        await pilot.press("enter")
        await wait_until(pilot, lambda: service.engagement.paused is not None)
        assert service.engagement.paused.why == "stepping away"
        await pilot.press("f7")
        await wait_until(pilot, lambda: app.screen is app.chat)
        assert service.engagement.paused is None
        service.pause(None, "")
        await ask(pilot, "blocked?")
        assert len(answers(app)) == 1  # refused while paused: nothing sent
        service.resume()


def test_repl_pause_and_resume(fake_service: ChatService, tmp_path: Path) -> None:
    keys = "/pause 15 reading the paper\rhello\r/resume\rhello\r/quit\r"
    code, text, _ = run_repl(fake_service, keys, tmp_path)
    assert code == 0
    assert "paused (15 more minute(s)): reading the paper" in text
    assert "error: paused" in text and "resumed" in text
    assert [m.content for m in fake_service.transcript()][0] == "hello"
