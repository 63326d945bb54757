"""Value profiles steering the chat: system prompt, sampling, records, every interface."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from textual.widgets import Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import ask, ask_and_wait, plain, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.conversation import Role
from tui.alignment.profiles.compose import compose
from tui.alignment.store import Store
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import SamplingSettings
from tui.paths import default_paths
from tui.screens.app import CoalignApp
from tui.screens.profile import ProfileScreen
from tui.widgets.conversation import StatusLine


def profiled_service(store: Store, engine) -> ChatService:
    library = open_library(default_paths())
    service = ChatService(store, engine, SamplingSettings(max_tokens=64), "base prompt", library)
    service.set_profile(library.default())
    return service


def test_profile_composes_the_system_prompt_and_sampling(store: Store) -> None:
    engine = FakeEngine()
    engine.start_loading()
    service = profiled_service(store, engine)
    service.send("first").wait()
    neutral_prompt = engine.requests[-1][0]["content"]
    assert neutral_prompt == compose(service.profile.profile).system_prompt

    group4 = service.profiles.get("group4-sustainable")
    service.set_profile(group4)
    service.send("second").wait()
    sent = engine.requests[-1][0]["content"]
    assert sent == compose(group4.profile).system_prompt and sent != neutral_prompt
    assert "HCI/philosophy researchers" in sent
    told_prompt, settings = service.told()
    assert told_prompt == sent and (settings.temperature, settings.max_tokens) == (0.3, 400)

    records = [m.meta.get("profile", {}).get("name") for m in service.transcript()]
    assert records == ["neutral", "neutral", "group4-sustainable", "group4-sustainable"]
    assert service.transcript()[-1].meta["profile"]["source"] == "shipped"


def test_repl_profile_switch_and_show(store: Store, coalign_home: Path) -> None:
    engine = FakeEngine()
    service = profiled_service(store, engine)
    coalign_home.mkdir(parents=True, exist_ok=True)
    keys = "/profile group2-plurality\r/profile show\rhello\r/quit\r"
    code, text, _ = run_repl(service, keys, coalign_home)
    assert code == 0 and "the next answers follow profile group2-plurality" in text
    assert "--- system prompt ---" in text and "humanities researchers" in text
    assert service.transcript()[-1].meta["profile"]["name"] == "group2-plurality"
    assert "humanities researchers" in engine.requests[-1][0]["content"]


async def test_tui_profile_key_opens_the_screen_and_slash_switches(store: Store) -> None:
    engine = FakeEngine()
    engine.start_loading()
    service = profiled_service(store, engine)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.chat.query_one(StatusLine)
        await wait_until(pilot, lambda: "profile neutral" in plain(status.query_one(Static)))
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)
        await ask(pilot, "/profile group3-care")
        await wait_until(pilot, lambda: "profile group3-care" in plain(status.query_one(Static)))
        await ask_and_wait(pilot, app, "a question")
        assert "vulnerable groups" in engine.requests[-1][0]["content"]


def test_profile_command_line(coalign_home: Path) -> None:
    env = {**os.environ, "COALIGN_HOME": str(coalign_home)}
    listed = subprocess.run([sys.executable, "-m", "tui", "profile", "list"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    for name in ("neutral", "group1-reliable-research", "group2-plurality", "group3-care",
                 "group4-sustainable"):
        assert name in listed.stdout


def test_a_profile_changes_the_real_models_answer(real_service: ChatService) -> None:
    library = open_library(default_paths())
    real_service.profiles = library
    question = "In one sentence: how should I choose sources for a literature review?"
    answers = []
    for name in ("neutral", "group2-plurality"):
        real_service.set_profile(library.get(name))
        real_service.new_session()
        real_service.send(question).wait()
        answers.append(real_service.last_answer())
    assert answers[0].content != answers[1].content
    assert [a.meta["profile"]["name"] for a in answers] == ["neutral", "group2-plurality"]
    assert all(a.content.strip() for a in answers)
    assert real_service.transcript()[0].role is Role.USER


def test_mark_suggestions_include_the_profiles_values(store: Store) -> None:
    engine = FakeEngine()
    engine.start_loading()
    service = profiled_service(store, engine)
    service.set_profile(service.profiles.get("group2-plurality"))
    service.send("q").wait()
    service.mark(validity="invalid", values_at_risk=["accuracy"])
    suggestions = service.values_in_use()
    assert suggestions[0] == "accuracy"
    assert set(service.profile.profile.values) <= {s.replace("-", "_") for s in suggestions}
