"""Snapshot tests (pytest-textual-snapshot) of the main screens, on a fake engine.

Everything shown is pinned so the SVGs are the same on every run and every machine:
- the engine's speed and context figures are fixed (SteadyEngine);
- the streamed text is the first piece the engine sends, held there by its gate;
- profiles come from a copy of the shipped ones at a relative path, outside git, so the
  profile screen and the assumptions panel show `profiles/…toml` with no commit hash;
- the pause clock is a constant; the theme is named; notifications are cleared;
- every step waits on a condition (tests.fixtures.pilot.wait_until), never on a sleep.

Update the snapshots after a deliberate change with
`pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs it writes.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Static, TextArea

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import plain, wait_until
from tui.alignment.conversation import Status
from tui.alignment.diary.store import DiaryStore
from tui.alignment.store import Store
from tui.application.diary import DiaryRecorder
from tui.application.profiles import SHIPPED_PROFILES_DIR, open_library
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import Generation, SamplingSettings
from tui.paths import default_paths
from tui.screens.app import CoalignApp
from tui.widgets.conversation import AnswerView, StatusLine
from tui.widgets.stream import StreamView

QUESTION = "When did the Bodleian Library open?"
REPLY = ("The Bodleian Library in Oxford opened to readers in 1602, "
         "after Thomas Bodley refounded it.")
STREAMED = "The Bodleian Library in Oxford"  # the first piece: all that shows while held
FIXED_NOW = 1_767_268_800.0  # 2026-01-01 12:00 UTC: the pause's clock
SIZE = (100, 30)


class SteadyEngine(FakeEngine):
    """A FakeEngine whose stats are fixed and whose first piece is several words.

    The status line shows the same tokens/s and context every run. The chat screen posts
    an answer's first piece at once but joins later ones by elapsed time (FRAME_SECONDS),
    so only the first is shown deterministically: holding the gate after it shows exactly
    STREAMED, however fast or slow the machine.
    """

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        stats = generation.stats
        stats.prompt_tokens = stats.prompt_evaluated = 40
        stats.prompt_seconds, stats.generation_seconds = 0.5, 2.0
        stats.context_used = 321
        rest = self.reply.removeprefix(STREAMED)
        for piece in (STREAMED, *(" " + word for word in rest.split())):
            if generation.stop_event.is_set():
                stats.finish_reason = "cancelled"
                break
            generation.push(piece)
            stats.generated_tokens += 1
            if self.gate is not None:
                self.gate.acquire()
        else:
            stats.finish_reason = "stop"
        generation.finish()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder outside git holding a copy of the shipped profiles; the tests run in it."""
    folder = tmp_path / "work"
    shutil.copytree(SHIPPED_PROFILES_DIR, folder / "profiles",
                    ignore=shutil.ignore_patterns("*.md"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def make_app(tmp_path: Path, workdir: Path) -> Iterator[Callable[..., CoalignApp]]:
    stores: list[Store] = []

    def make(engine: FakeEngine | None = None, profile: str = "neutral") -> CoalignApp:
        engine = engine or SteadyEngine(REPLY)
        engine.start_loading()
        store = Store(tmp_path / "history.sqlite3")
        stores.append(store)
        library = open_library(default_paths(), shipped_dir=Path("profiles"))
        service = ChatService(store, engine, SamplingSettings(max_tokens=64), "sys", library)
        service.set_profile(library.get(profile))
        service.engagement.clock = lambda: FIXED_NOW  # the pause screen's minutes
        diary = DiaryRecorder(service, DiaryStore(tmp_path / "diary"))
        return CoalignApp(service, Config(theme="textual-dark"), [], diary)

    yield make
    for store in stores:
        store.close()


# steps ---------------------------------------------------------------------------------


def answers(app: CoalignApp) -> list[AnswerView]:
    return list(app.chat.query(AnswerView))


def status_text(app: CoalignApp) -> str:
    return plain(app.chat.query_one(StatusLine).query_one(Static))


async def model_ready(pilot: Pilot) -> None:
    app: CoalignApp = pilot.app  # type: ignore[assignment]
    await wait_until(pilot, lambda: app.chat.query_one(StatusLine).info is not None)


async def type_line(pilot: Pilot, line: str) -> None:
    await pilot.press(*line)
    await pilot.press("enter")


def finished(app: CoalignApp, count: int = 1) -> bool:
    views = answers(app)
    return (len(views) == count and not app.chat.busy and views[-1].status is Status.COMPLETE
            and not views[-1].query(StreamView)
            and views[-1].query_one(Markdown).source == REPLY
            and "tokens/s" in status_text(app))


async def ask_and_finish(pilot: Pilot) -> None:
    app: CoalignApp = pilot.app  # type: ignore[assignment]
    await model_ready(pilot)
    await type_line(pilot, QUESTION)
    await wait_until(pilot, lambda: finished(app))


async def clear_toasts(pilot: Pilot) -> None:
    """Take the toasts off the current screen: each leaves on its own timer, and one left
    under a modal would still show, dimmed, behind it."""
    pilot.app.clear_notifications()
    await wait_until(pilot, lambda: not pilot.app.screen.query("Toast"))


async def settle(pilot: Pilot) -> None:
    """Take out what changes on a timer: toasts, and the blinking cursor (held visible:
    an Input or the prompt shows its cursor steadily while cursor_blink is off)."""
    await clear_toasts(pilot)
    for screen in pilot.app.screen_stack:
        for box in [*screen.query(Input), *screen.query(TextArea)]:
            box.cursor_blink = False
    await pilot.pause()


async def open_screen(pilot: Pilot, key: str, screen_name: str) -> None:
    await clear_toasts(pilot)
    await pilot.press(key)
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == screen_name)


# the snapshots -------------------------------------------------------------------------


def test_chat_with_a_finished_answer(snap_compare, make_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ask_and_finish(pilot)
        assert status_text(pilot.app) == (
            "fake-engine F0 · profile neutral · 5.0 tokens/s · 321/4096 tokens")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_chat_while_an_answer_streams(snap_compare, make_app) -> None:
    engine = SteadyEngine(REPLY)
    engine.gate = threading.Semaphore(0)  # held after the first piece until released

    async def run_before(pilot: Pilot) -> None:
        app: CoalignApp = pilot.app  # type: ignore[assignment]
        await model_ready(pilot)
        await type_line(pilot, QUESTION)
        await wait_until(pilot, lambda: answers(app) and answers(app)[-1].query(StreamView)
                         and answers(app)[-1].query_one(StreamView).text == STREAMED)
        assert app.chat.busy and status_text(app).endswith("answering…")
        await settle(pilot)

    app = make_app(engine)
    exit_app = app.exit

    def stop_and_exit(*args, **kwargs) -> None:
        # After the screenshot: end the held answer as quitting does (stop, then exit), or
        # closing the event loop would wait for ever on the generation worker's thread.
        app.chat.action_stop()
        engine.gate.release(100)
        exit_app(*args, **kwargs)

    app.exit = stop_and_exit  # type: ignore[method-assign]
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        engine.gate.release(100)


def test_assumptions_panel_for_a_finished_answer(snap_compare, make_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ask_and_finish(pilot)
        await open_screen(pilot, "f4", "AssumptionsScreen")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: plain(screen.query_one("#section-risk", Static)))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def test_profile_screen(snap_compare, make_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        await model_ready(pilot)
        await open_screen(pilot, "f3", "ProfileScreen")
        await wait_until(pilot, lambda: plain(pilot.app.screen.query_one("#preview", Static)))
        await settle(pilot)

    app = make_app(profile="group4-sustainable")
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_diary_form_after_a_marked_answer(snap_compare, make_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        app: CoalignApp = pilot.app  # type: ignore[assignment]
        await ask_and_finish(pilot)
        await type_line(pilot, "/mark invalid made up the date #reliability")
        service = app.service
        await wait_until(pilot, lambda: service.mark_of(service.last_answer()) is not None)
        await open_screen(pilot, "f5", "DiaryScreen")
        await wait_until(pilot, lambda: app.screen.query_one("#initial", Input).value == QUESTION)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(110, 45), run_before=run_before)


def test_pause_screen_from_the_slash_command(snap_compare, make_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        app: CoalignApp = pilot.app  # type: ignore[assignment]
        await ask_and_finish(pilot)
        await clear_toasts(pilot)
        await type_line(pilot, "/pause 10 tired")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PauseScreen"
                         and app.service.engagement.paused is not None
                         and plain(app.screen.query_one("#state", Static)))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, make_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        await model_ready(pilot)
        await open_screen(pilot, "f1", "HelpScreen")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("DataTable").row_count)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=run_before)
