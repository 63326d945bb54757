"""The TUI's prompt library: Ctrl+L's picker, the palette's entries, and the profile screen
saying that the lab's file moved on since your copy was made."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import plain, wait_until
from tui.alignment.conversation import Role
from tui.alignment.store import Store
from tui.application.profiles import open_library, profile_command
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import SamplingSettings
from tui.paths import default_paths
from tui.screens.app import CoalignApp
from tui.screens.profile import ProfileScreen
from tui.screens.prompts import PromptScreen


def service_under(store: Store, name: str) -> ChatService:
    library = open_library(default_paths())
    engine = FakeEngine()
    engine.start_loading()
    service = ChatService(store, engine, SamplingSettings(max_tokens=8), "sys", library)
    service.set_profile(library.get(name))
    return service


def users(service: ChatService) -> list:
    return [m for m in service.transcript() if m.role is Role.USER]


async def test_ctrl_l_picks_a_prompt_of_the_profile_in_force_and_sends_it(store: Store) -> None:
    service = service_under(store, "group4-sustainable")
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(0).prompt.plain.startswith("short-answer")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.chat and not app.chat.busy
                         and service.last_answer() is not None)
    (sent,) = users(service)
    assert sent.content.startswith("Answer in at most three sentences")
    assert sent.meta["prompt"]["name"] == "short-answer"
    assert sent.meta["prompt"]["profile"] == "group4-sustainable"


async def test_the_picker_asks_for_placeholders_and_previews_the_text(
        store: Store, coalign_home: Path) -> None:
    mine = coalign_home / "data" / "profiles"
    mine.mkdir(parents=True)
    (mine / "lab.toml").write_text('schema = 1\n[[prompts]]\nname = "lit-gaps"\n'
                                   'text = "Gaps on {topic} for {region}?"\n')
    service = service_under(store, "lab")
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.prompt.value = "/prompt lit-gaps topic=trade"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.query(Input)) == 2)
        assert screen.focused is screen.query_one("#slot-region", Input)
        await pilot.press(*"Ghana")
        await wait_until(pilot, lambda: plain(screen.query_one("#preview", Static))
                         == "Gaps on trade for Ghana?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.chat and not app.chat.busy
                         and service.last_answer() is not None)
    (sent,) = users(service)
    assert sent.content == "Gaps on trade for Ghana?"
    assert sent.meta["prompt"]["arguments"] == {"topic": "trade", "region": "Ghana"}


async def test_the_palette_lists_each_prompt_and_an_unknown_name_is_refused(store: Store) -> None:
    service = service_under(store, "neutral")
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.chat)]
        assert "Prompt library" in titles and "Prompt: ethics-check" in titles
        app.chat.prompt.value = "/prompt nope"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.chat and service.transcript() == []


async def test_the_profile_screen_says_the_lab_moved_on(store: Store, tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "regional.toml").write_text("schema = 1\n[values.place]\nweight = 0.7\n")
    library = open_library(default_paths())
    library.add_source(lab)
    profile_command(library, library.get("regional"), "set values.place.weight=0.2")
    (lab / "regional.toml").write_text("schema = 1\n[values.place]\nweight = 0.9\n")
    service = service_under(store, "regional")
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        notice = plain(app.screen.query_one("#lab-notice", Static))
        assert notice.startswith(f"lab: {lab.resolve()} has changed since your copy was made")
        assert "`coalign profile reset regional`" in notice
        assert plain(app.screen.query_one("#base", Static)).startswith("your copy of lab: ")


async def test_a_profile_file_changed_during_the_session_is_used_and_said(
        store: Store, coalign_home: Path) -> None:
    mine = coalign_home / "data" / "profiles"
    mine.mkdir(parents=True)
    (mine / "lab.toml").write_text("schema = 1\n[values.place]\nweight = 0.7\n")
    service = service_under(store, "lab")
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        for text, weight in (("first", None), ("second", "0.1")):
            if weight:
                (mine / "lab.toml").write_text(f"schema = 1\n[values.place]\nweight = {weight}\n")
            app.chat.prompt.value = text
            await pilot.press("enter")
            await wait_until(pilot, lambda: not app.chat.busy and len(users(service)) == (
                2 if weight else 1) and service.last_answer().status.value != "streaming")
        messages = [str(n.message) for n in app._notifications]
    assert any(m.startswith("profile lab changed since it was read (yours: ") for m in messages)
    assert "profile_changed" in users(service)[1].meta
    assert service.profile.profile.values["place"].weight == 0.1
