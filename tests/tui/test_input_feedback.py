"""Input and feedback in the TUI (fake engine): the prompt at a limit, pauses that end and
can be left, cut-off answers, the status line, the welcome, the footer, the theme, the
diary dialog's focus, quitting mid-answer and what a retry told the model."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import answers, ask, ask_and_wait, make_service, plain, wait_until
from tui.actions import ACTIONS
from tui.alignment.conversation import Role, Status
from tui.alignment.diary.store import DiaryStore
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.store import Store
from tui.application.diary import DiaryRecorder
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import Generation, SamplingSettings
from tui.paths import default_paths
from tui.screens.app import CoalignApp
from tui.screens.diary import DiaryScreen
from tui.screens.limit import LimitScreen
from tui.screens.pause import PauseScreen
from tui.widgets.conversation import StatusLine, Welcome
from tui.widgets.footer import KeysFooter


class MeasuredEngine(FakeEngine):
    """A FakeEngine that reports speed and context, and 'length' when max_tokens cuts it."""

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        words = self.reply.split(" ")
        for index, word in enumerate(words[: settings.max_tokens]):
            generation.push(word if index == 0 else " " + word)
        stats = generation.stats
        stats.generated_tokens = min(len(words), settings.max_tokens)
        stats.generation_seconds, stats.context_used = 1.0, 100 + len(self.requests)
        stats.finish_reason = "length" if len(words) > settings.max_tokens else "stop"
        generation.finish()


def status_text(app: CoalignApp) -> str:
    return plain(app.chat.query_one(StatusLine).query_one(Static))


def toasts(app: CoalignApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def limited_service(requests: int) -> ChatService:
    """A fake-engine service whose profile allows this many requests a day."""
    paths = default_paths()
    paths.ensure_data_dir()
    library = open_library(paths)
    profile = library.default().profile
    assert profile is not None
    library.save(apply_setting(profile, f"engagement.daily_requests={requests}"), "limited")
    engine = FakeEngine()
    engine.start_loading()
    service = ChatService(Store(paths.database), engine, SamplingSettings(max_tokens=64),
                          "sys", library)
    service.set_profile(library.get("limited"))
    return service


# the daily limit keeps the prompt --------------------------------------------------


async def test_the_limit_screen_keeps_the_prompt_and_o_sends_it() -> None:
    service = limited_service(1)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "one")
        await pilot.press(*"two", "ctrl+j", *"lines", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitScreen))
        assert app.chat.prompt.value == "two\nlines"
        await pilot.press("escape")  # stop here: the prompt stays
        await wait_until(pilot, lambda: app.screen is app.chat)
        assert app.chat.prompt.value == "two\nlines"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitScreen))
        await pilot.press("o")  # go on: the kept prompt is sent
        await wait_until(pilot, lambda: len(answers(app)) == 2 and not app.chat.busy)
        assert app.chat.prompt.value == ""
    prompts = [m.content for m in service.transcript() if m.role is Role.USER]
    assert prompts == ["one", "two\nlines"]
    assert [e["kind"] for e in service.store.events(service.session_id)].count(
        "override-limits") == 1


async def test_a_retry_at_the_limit_keeps_the_answer_shown_and_o_retries() -> None:
    service = limited_service(1)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "one")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)
        await wait_until(pilot, lambda: answers(app) and answers(app)[-1].text)
        assert len(answers(app)) == 1
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitScreen))
        await pilot.press("o")
        await wait_until(pilot, lambda: not app.chat.busy and answers(app)
                         and "answer 2/2" in plain(answers(app)[-1].query_one(".note", Static)))
        assert len(answers(app)) == 1


async def test_a_send_command_at_the_limit_is_sent_after_o() -> None:
    service = limited_service(1)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "one")
        await ask(pilot, "/send two")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitScreen))
        await pilot.press("o")
        await wait_until(pilot, lambda: len(answers(app)) == 2 and not app.chat.busy)
    assert [m.content for m in service.transcript() if m.role is Role.USER] == ["one", "two"]


# pauses ------------------------------------------------------------------------------


def clocked(tmp_path: Path) -> tuple[ChatService, list[float]]:
    service = make_service(tmp_path)
    now = [1_000_000.0]
    service.engagement.clock = lambda: now[0]
    return service, now


def kinds(service: ChatService) -> list[str]:
    return [e["kind"] for e in service.store.events(None)]


async def test_a_timed_pause_ends_itself_on_screen_and_records_the_resume(
        tmp_path: Path) -> None:
    service, now = clocked(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask(pilot, "/pause 1 tea")
        await wait_until(pilot, lambda: isinstance(app.screen, PauseScreen)
                         and service.paused is not None)
        await pilot.press("enter")  # a stray Enter does not end the pause
        await pilot.pause()
        assert isinstance(app.screen, PauseScreen) and service.paused is not None
        now[0] += 61
        await wait_until(pilot, lambda: app.screen is app.chat)
        assert any("The pause is over: your 1 minute are up" in t for t in toasts(app))
        assert kinds(service) == ["pause", "resume"]
        await ask_and_wait(pilot, app, "back again")


async def test_escape_cancels_the_pause_dialog_before_pausing(tmp_path: Path) -> None:
    service, _now = clocked(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, PauseScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)
        assert service.paused is None and kinds(service) == []


async def test_escape_once_paused_leaves_the_pause_running_in_the_status_line(
        tmp_path: Path) -> None:
    service, now = clocked(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask(pilot, "/pause 2 reading")
        await wait_until(pilot, lambda: isinstance(app.screen, PauseScreen)
                         and service.paused is not None)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)
        assert service.paused is not None
        await wait_until(pilot, lambda: "paused (2 more minute(s)): reading · f7 resumes"
                         in status_text(app))
        await ask(pilot, "a question")  # refused while paused, and kept in the box
        await pilot.pause()
        assert answers(app) == [] and app.chat.prompt.value == "a question"
        now[0] += 121  # the time runs out with no dialog open: it ends here too
        await wait_until(pilot, lambda: "paused" not in status_text(app))
        assert kinds(service) == ["pause", "resume"]
        assert any("The pause is over: your 2 minutes are up" in t for t in toasts(app))


async def test_the_resume_key_ends_a_pause_left_running(tmp_path: Path) -> None:
    service, _now = clocked(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await pilot.press("f6", *"away", "enter")  # the dialog asks why, Enter pauses
        await wait_until(pilot, lambda: isinstance(app.screen, PauseScreen)
                         and service.paused is not None)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "paused (until you resume): away" in status_text(app))
        await pilot.press("f7")
        await wait_until(pilot, lambda: "paused" not in status_text(app))
        assert service.paused is None and kinds(service) == ["pause", "resume"]


# what an answer, the status line and the first screen say ---------------------------


async def test_an_answer_cut_at_the_token_limit_says_so(tmp_path: Path) -> None:
    engine = MeasuredEngine("one two three four five")
    service = make_service(tmp_path, engine)
    service.settings = replace(service.settings, max_tokens=3)
    expected = "■ cut off at the token limit (max_tokens 3): raise max_tokens, then /retry"
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        answer = await ask_and_wait(pilot, app, "count")
        assert answer.status is Status.COMPLETE and answer.text == "one two three"
        await wait_until(pilot, lambda: plain(answer.query_one(".badge", Static)) == expected)
        engine.reply = "one two"
        await pilot.press("ctrl+r")  # an answer that ends on its own has no badge
        await wait_until(pilot, lambda: not app.chat.busy and answers(app)
                         and answers(app)[-1].text == "one two")
        assert not answers(app)[-1].query_one(".badge", Static).display
    again = CoalignApp(make_service(tmp_path, MeasuredEngine()), Config(), [])
    async with again.run_test() as pilot:  # the first answer, shown again after a restart
        await wait_until(pilot, lambda: answers(again))
        await pilot.press("alt+left")
        await wait_until(pilot, lambda: answers(again)[-1].text == "one two three")
        await wait_until(pilot, lambda: plain(
            answers(again)[-1].query_one(".badge", Static)) == expected)


async def test_the_status_line_shows_the_figures_of_the_session_on_screen(
        tmp_path: Path) -> None:
    service = make_service(tmp_path, MeasuredEngine("a b c"))
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "first")
        first = service.session.id
        await wait_until(pilot, lambda: "101/4096 tokens" in status_text(app))
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not answers(app))
        assert status_text(app) == "fake-engine F0"
        await ask_and_wait(pilot, app, "second")
        await wait_until(pilot, lambda: "102/4096 tokens" in status_text(app))
        await app.chat.run_action(f"open_session('{first}')")
        await wait_until(pilot, lambda: "101/4096 tokens" in status_text(app))
        assert "2.0 tokens/s" in status_text(app)


async def test_the_first_screen_welcomes_until_the_conversation_starts(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    library = open_library(default_paths())
    service.profiles = library
    service.set_profile(library.get("neutral"))
    app = CoalignApp(service, Config(keymap={"mark": "ctrl+k"}), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.chat.query(Welcome)
                         and "fake-engine F0" in app.chat.query_one(Welcome).text)
        text = app.chat.query_one(Welcome).text
        assert "value profile neutral" in text
        for key in ("f1  ", "ctrl+p  ", "ctrl+k  "):  # help, palette, mark (remapped)
            assert key in text
        await ask_and_wait(pilot, app, "hello")
        assert not app.chat.query(Welcome)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.chat.query(Welcome))


async def test_the_footer_shows_every_actions_key_at_140_and_100_columns(
        tmp_path: Path) -> None:
    for size in ((140, 40), (100, 30)):
        app = CoalignApp(make_service(tmp_path), Config(), [])
        async with app.run_test(size=size) as pilot:
            footer = app.chat.query_one(KeysFooter)
            await wait_until(pilot, lambda: footer.query(FooterKey))
            await pilot.pause()
            shown = {key.action for key in footer.query(FooterKey)
                     if key.region.width and key.region.right <= size[0]}
            assert {a.method for a in ACTIONS if a.footer} <= shown
            keys = [key.region for key in footer.query(FooterKey)]
            for n, one in enumerate(keys):  # nothing drawn over anything else
                assert all(not one.overlaps(other) for other in keys[n + 1:])
            lines = [strip.text for strip in app.screen._compositor.render_strips()]
            bottom = "\n".join(lines[-footer.rows:])
            assert bottom.rstrip().endswith("^p palette") and "^o Open" in bottom


async def test_an_answer_starting_and_ending_restyles_the_stop_key_in_place(
        tmp_path: Path) -> None:
    """Only Stop changes as an answer streams: its key is enabled and disabled again on the
    same footer widgets (a recompose would mount every key again, mid-generation)."""
    engine = FakeEngine()
    engine.gate = threading.Semaphore(0)
    app = CoalignApp(make_service(tmp_path, engine), Config(), [])
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            footer = app.chat.query_one(KeysFooter)
            await wait_until(pilot, lambda: footer.query(FooterKey))
            keys = list(footer.query(FooterKey))
            stop = next(key for key in keys if key.action == "stop")
            assert stop.has_class("-disabled")
            await ask(pilot, "go")
            await wait_until(pilot, lambda: not stop.has_class("-disabled"))
            engine.gate.release(100)
            await wait_until(pilot, lambda: not app.chat.busy and stop.has_class("-disabled"))
            await pilot.pause()
            assert list(footer.query(FooterKey)) == keys
    finally:
        engine.gate.release(100)


async def test_a_theme_chosen_in_the_app_is_saved_with_the_comments_kept(
        tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('# my settings\nthreads = 2  # two cores\ntheme = "nord"  # calm\n'
                           '\n[keymap]\nstop = "ctrl+x"\n', encoding="utf-8")
    app = CoalignApp(make_service(tmp_path), Config(theme="nord"), [], config_file=config_file)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert config_file.read_text(encoding="utf-8").count("nord") == 1  # not rewritten
        app.theme = "gruvbox"  # what the palette's Theme command does
        await wait_until(pilot, lambda: "gruvbox" in config_file.read_text(encoding="utf-8"))
    assert config_file.read_text(encoding="utf-8") == (
        '# my settings\nthreads = 2  # two cores\ntheme = "gruvbox"  # calm\n'
        '\n[keymap]\nstop = "ctrl+x"\n')


async def test_the_diary_dialog_opens_in_its_first_field(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    diary = DiaryRecorder(service, DiaryStore(tmp_path / "diary"))
    app = CoalignApp(service, Config(), [], diary)
    async with app.run_test(size=(110, 45)) as pilot:
        await ask_and_wait(pilot, app, "what is rain?")
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, DiaryScreen))
        await pilot.pause()
        field = app.screen.query_one("#initial", Input)
        assert app.focused is field and field.value == "what is rain?"
        await pilot.press("!")  # typing adds to the prefilled text, not over it
        assert field.value == "what is rain?!"


async def test_quitting_mid_answer_is_recorded_as_quit_not_as_a_stop(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.gate = threading.Semaphore(0)
    service = make_service(tmp_path, engine)
    diary = DiaryRecorder(service, DiaryStore(tmp_path / "diary"))
    app = CoalignApp(service, Config(), [], diary)
    exit_app = app.exit

    def exit_after_the_stop(*args, **kwargs) -> None:  # let the held answer see the stop
        engine.gate.release(100)
        exit_app(*args, **kwargs)

    app.exit = exit_after_the_stop  # type: ignore[method-assign]
    try:
        async with app.run_test() as pilot:
            await ask(pilot, "go")
            await wait_until(pilot, lambda: answers(app) and answers(app)[-1].text == "This")
            await pilot.press("ctrl+q")
    finally:
        engine.gate.release(100)
    deadline = time.monotonic() + 10
    while service.last_answer().meta.get("signal") != "quit" and time.monotonic() < deadline:
        time.sleep(0.05)
    answer = service.last_answer()
    assert (answer.status, answer.meta.get("signal")) == (Status.STOPPED, "quit")
    assert [e["kind"] for e in diary.events_after(answer)] == []  # not the user's stop
    again = CoalignApp(make_service(tmp_path), Config(), [])
    async with again.run_test() as pilot:
        await wait_until(pilot, lambda: answers(again))
        assert plain(answers(again)[-1].query_one(".badge", Static)) == (
            "■ stopped when coalign was closed")


async def test_what_the_model_was_told_includes_a_retrys_feedback(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 60)) as pilot:
        first = await ask_and_wait(pilot, app, "where does rain come from?")
        assert first.text
        await ask(pilot, "/mark invalid it invents physics")
        await wait_until(pilot, lambda: service.mark_of(service.last_answer()) is not None)
        marked = service.last_answer().id
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.chat.busy
                         and "after_mark" in service.last_answer().meta)
        await pilot.press("f4")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AssumptionsScreen")
        told = app.screen.query_one("#section-told", Static)
        await wait_until(pilot, lambda: "exactly:" in plain(told))
        text = plain(told)
    assert "After the conversation it was also sent, exactly:" in text
    assert f"assistant: its earlier answer (message #{marked}), word for word" in text
    assert "you: I marked your previous answer as invalid" in text
    assert "it invents physics" in text


async def test_rewind_past_the_start_and_an_unknown_retry_argument_say_so(
        tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "one")
        await ask_and_wait(pilot, app, "two")
        await ask(pilot, "/retry banana")
        await wait_until(pilot, lambda: any("usage: /retry [plain]" in t for t in toasts(app)))
        assert len(service.store.children(service.last_answer().parent_id,
                                          service.session.id)) == 1  # nothing retried
        await ask(pilot, "/rewind 99")
        await wait_until(pilot, lambda: app.chat.prompt.value == "one")
        assert any(t.startswith("Rewound 2 exchanges, all there were.") for t in toasts(app))
