"""The Textual TUI: each widget in a tiny host app, then the whole app on FakeEngine."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Markdown, OptionList, Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import answers, ask, ask_and_wait, make_service, plain, wait_until
from tui.actions import ACTIONS
from tui.alignment.conversation import Role, Status
from tui.config import Config
from tui.engine.base import Generation, GenerationStats, SamplingSettings
from tui.errors import ModelError
from tui.screens.app import CoalignApp
from tui.screens.chat import ChatScreen
from tui.screens.help import HelpScreen
from tui.screens.sessions import SessionsScreen
from tui.widgets.conversation import (
    WAITING,
    AnswerView,
    MessageView,
    PromptInput,
    StatusLine,
    UserMessage,
)
from tui.widgets.stream import StreamView

REPLY = "This is a fake answer from the fake engine."


class SlowEngine(FakeEngine):
    """A FakeEngine whose model finishes loading only when the test calls finish_loading()."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        pass

    def finish_loading(self) -> None:
        super().start_loading()
        self.ready.set()

    def wait_loaded(self, timeout: float | None = None):
        if not self.ready.wait(timeout):
            raise TimeoutError("still loading")
        return super().wait_loaded(0)

    def generate(self, messages: list[dict[str, str]], settings: SamplingSettings) -> Generation:
        outer = Generation()

        def relay() -> None:  # a queued request: answered once the model is there
            self.ready.wait(10)
            inner = FakeEngine.generate(self, messages, settings)
            for piece in inner:
                outer.push(piece)
            outer.stats = inner.stats
            outer.finish(inner.error)

        threading.Thread(target=relay, daemon=True).start()
        return outer


class Host(App):
    """A tiny app hosting the widgets under test."""

    def __init__(self, *widgets) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets


# widgets ---------------------------------------------------------------------


async def test_user_message_is_shown_literally() -> None:
    app = Host(UserMessage("[bold]hi[/bold] \x1b[31mred"))
    async with app.run_test():
        body = app.query_one(UserMessage).query_one(".body", Static)
        assert plain(body) == "[bold]hi[/bold] red"


async def test_answer_view_streams_pieces_then_shows_the_whole_answer() -> None:
    view = AnswerView(status=Status.STREAMING, pending=WAITING)
    app = Host(view)
    async with app.run_test() as pilot:
        pending = view.query_one(".pending", Static)
        assert pending.display and plain(pending) == WAITING
        view.post_message(AnswerView.Piece("Hello"))
        view.post_message(AnswerView.Piece(" **world** [b]x[/b]\x1b[2J"))
        await wait_until(pilot, lambda: "x[/b]" in view.text)
        assert not pending.display
        streamed = view.query_one(StreamView)  # literal while it streams: no markup, no escapes
        assert streamed.text == view.text == "Hello **world** [b]x[/b]"
        markdown = view.query_one(Markdown).content_region  # it wraps where the Markdown will
        assert (streamed.content_region.x, streamed.content_region.width) == (
            markdown.x, markdown.width)
        view.post_message(AnswerView.Ended("Hello **world**", Status.STOPPED))
        await wait_until(pilot, lambda: view.status is Status.STOPPED)
        assert view.query_one(Markdown).source == "Hello **world**"
        assert not view.query(StreamView)
        badge = view.query_one(".badge", Static)
        assert badge.display and plain(badge) == "■ stopped"


async def test_answer_view_shows_an_error_badge() -> None:
    view = AnswerView("partial", Status.INTERRUPTED, "engine crashed")
    async with Host(view).run_test():
        badge = view.query_one(".badge", Static)
        assert plain(badge) == "■ interrupted: engine crashed"
        assert badge.has_class("-error")


async def test_complete_answer_has_no_badge() -> None:
    view = AnswerView("done", Status.COMPLETE)
    async with Host(view).run_test():
        assert not view.query_one(".badge", Static).display


async def test_status_line_shows_loading_then_the_model_and_stats() -> None:
    engine = SlowEngine()
    status = StatusLine(engine)
    async with Host(status).run_test() as pilot:
        assert plain(status.query_one(Static)) == "loading model…"
        assert status.query_one("LoadingIndicator").display
        assert status.query_one("LoadingIndicator").auto_refresh  # animated while loading
        engine.finish_loading()
        await wait_until(pilot, lambda: status.info is not None)
        assert plain(status.query_one(Static)) == "fake-engine F0"
        assert not status.query_one("LoadingIndicator").display
        # hidden is not enough: its timer would still wake the UI 16 times a second
        assert status.query_one("LoadingIndicator").auto_refresh is None
        stats = GenerationStats(generated_tokens=13, generation_seconds=1.0, context_used=1234)
        status.set_busy(False, stats)
        expected = "fake-engine F0 · 12.0 tokens/s · 1234/4096 tokens"
        assert plain(status.query_one(Static)) == expected


async def test_status_line_shows_a_load_error_in_red() -> None:
    engine = FakeEngine(load_error=ModelError("model file /x.gguf not found; pass --model"))
    engine.start_loading()
    status = StatusLine(engine)
    async with Host(status).run_test() as pilot:
        await wait_until(pilot, lambda: status.error)
        label = status.query_one(Static)
        assert plain(label) == "model failed to load: model file /x.gguf not found; pass --model"
        assert label.has_class("-error")


# the whole app ---------------------------------------------------------------------


def test_every_registry_action_has_a_binding_and_handlers() -> None:
    ids = {binding.id for binding in CoalignApp.BINDINGS}
    for action in ACTIONS:
        assert action.id in ids
        assert callable(getattr(CoalignApp, f"action_{action.method}"))
        assert callable(getattr(ChatScreen, f"action_{action.method}"))


async def test_question_is_answered_shown_and_stored(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        assert app.focused is app.chat.prompt
        answer = await ask_and_wait(pilot, app, "hello there")
        assert answer.query_one(Markdown).source == REPLY
        assert answer.status is Status.COMPLETE
        assert plain(app.chat.query_one(UserMessage).query_one(".body", Static)) == "hello there"
        stored = service.transcript()
        assert [(m.role, m.content, m.status) for m in stored] == [
            (Role.USER, "hello there", Status.COMPLETE),
            (Role.ASSISTANT, REPLY, Status.COMPLETE),
        ]
        assert app.chat.prompt.value == ""


async def test_escape_stops_midway_and_the_partial_answer_is_saved(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.gate = threading.Semaphore(0)
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(), [])
    try:
        async with app.run_test() as pilot:
            await ask(pilot, "go")
            await wait_until(pilot, lambda: answers(app) and answers(app)[-1].text == "This")
            await pilot.press(*"next")  # the UI stays responsive while the model writes
            assert app.chat.prompt.value == "next"
            await pilot.press("escape")
            engine.gate.release()
            await wait_until(pilot, lambda: not app.chat.busy)
            answer = answers(app)[-1]
            assert answer.status is Status.STOPPED
            assert plain(answer.query_one(".badge", Static)) == "■ stopped"
            last = service.last_answer()
            assert last is not None
            assert (last.content, last.status) == ("This", Status.STOPPED)
    finally:
        engine.gate.release(100)


async def test_remapped_stop_key_from_config(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.gate = threading.Semaphore(0)
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(keymap={"stop": "ctrl+x"}), [])
    try:
        async with app.run_test() as pilot:
            await ask(pilot, "go")
            await wait_until(pilot, lambda: answers(app) and answers(app)[-1].text == "This")
            await pilot.press("escape")
            assert not app.chat._stop_requested.is_set()
            await pilot.press("ctrl+x")  # wins over the focused prompt's ctrl+x (cut)
            engine.gate.release()
            await wait_until(pilot, lambda: not app.chat.busy)
            assert answers(app)[-1].status is Status.STOPPED
    finally:
        engine.gate.release(100)


async def test_restart_shows_the_previous_conversation(tmp_path: Path) -> None:
    app = CoalignApp(make_service(tmp_path), Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "remember me")
    again = CoalignApp(make_service(tmp_path), Config(), [])
    async with again.run_test() as pilot:
        await wait_until(pilot, lambda: len(again.chat.query(MessageView)) == 2)
        user = again.chat.query_one(UserMessage).query_one(".body", Static)
        assert plain(user) == "remember me"
        assert answers(again)[0].query_one(Markdown).source == REPLY


async def test_question_waits_for_a_loading_model(tmp_path: Path) -> None:
    engine = SlowEngine()
    app = CoalignApp(make_service(tmp_path, engine), Config(), [])
    async with app.run_test() as pilot:
        await ask(pilot, "early")
        await wait_until(pilot, lambda: answers(app))
        pending = answers(app)[0].query_one(".pending", Static)
        assert pending.display and plain(pending) == WAITING
        engine.finish_loading()
        await wait_until(pilot, lambda: not app.chat.busy)
        assert answers(app)[0].status is Status.COMPLETE
        assert answers(app)[0].text == REPLY


async def test_help_lists_every_action_with_remapped_keys(tmp_path: Path) -> None:
    app = CoalignApp(make_service(tmp_path), Config(keymap={"stop": "ctrl+x"}), [])
    async with app.run_test() as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one(DataTable)
        rows = {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}
        assert set(rows) == {action.id for action in ACTIONS}
        for action in ACTIONS:
            assert action.command in rows[action.id][1]
            assert rows[action.id][2:] == [action.title, action.help]
        assert rows["stop"][0] == "ctrl+x"
        assert rows["open-session"][1] == "/open [ID]"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)


async def test_load_error_is_displayed_not_raised(tmp_path: Path) -> None:
    engine = FakeEngine(load_error=ModelError("model file /x.gguf not found"))
    app = CoalignApp(make_service(tmp_path, engine), Config(), [])
    async with app.run_test() as pilot:
        status = app.chat.query_one(StatusLine)
        await wait_until(pilot, lambda: status.error)
        assert "not found" in plain(status.query_one(Static))
        answer = await ask_and_wait(pilot, app, "hi")
        assert answer.status is Status.ERROR  # it failed before any text (tui/application/turn.py)
        assert "not found" in plain(answer.query_one(".badge", Static))
        assert app.is_running and app.screen is app.chat


async def test_new_session_clears_the_view(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "first")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.chat.query(MessageView))
        assert service.session is None
        await ask_and_wait(pilot, app, "second")
        assert len(service.store.sessions()) == 2


async def test_open_session_modal_opens_a_past_session(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "first")
        first_id = service.session.id
        await pilot.press("ctrl+n")
        await ask_and_wait(pilot, app, "second")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        assert str(options.get_option_at_index(0).prompt).startswith("second")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.screen is app.chat and service.session.id == first_id)
        await wait_until(pilot, lambda: len(app.chat.query(UserMessage)) == 1)
        assert plain(app.chat.query_one(UserMessage).query_one(".body", Static)) == "first"


async def test_escape_cancels_the_open_session_modal(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "only")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)
        assert len(app.chat.query(MessageView)) == 2


async def test_palette_offers_every_registry_action(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "hello")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {a.title for a in ACTIONS} <= set(commands)
        assert "Theme" in commands  # Textual's own commands are kept
        await commands["New session"].callback()
        await wait_until(pilot, lambda: not app.chat.query(MessageView))
        assert service.session is None


async def test_copy_answer_and_slash_commands(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "hello")
        await pilot.press("ctrl+y")
        assert app.clipboard == REPLY
        await ask(pilot, "/help")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.chat)
        await ask(pilot, "/new")
        await wait_until(pilot, lambda: not app.chat.query(MessageView))


async def test_notices_unknown_theme_and_keymap_ids_are_shown(tmp_path: Path) -> None:
    config = Config(theme="no-such-theme", keymap={"bogus": "f5"})
    app = CoalignApp(make_service(tmp_path), config, ["config.toml:3: [bad] value"])
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: len(app._notifications) == 3)
        texts = [n.message for n in app._notifications]
        assert "config.toml:3: [bad] value" in texts
        assert any("no-such-theme" in t for t in texts)
        assert any("'bogus'" in t for t in texts)
        assert app.theme != "no-such-theme"


async def test_prompt_enter_sends_and_ctrl_j_or_shift_enter_starts_a_new_line() -> None:
    sent: list[str] = []

    class Prompted(Host):
        def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
            sent.append(message.value)

    prompt = PromptInput()
    async with Prompted(prompt).run_test(size=(40, 12)) as pilot:
        await pilot.press(*"one", "ctrl+j", *"two", "shift+enter", *"three")
        assert prompt.value == "one\ntwo\nthree"
        await pilot.press("enter")
        assert sent == ["one\ntwo\nthree"] and prompt.value == "one\ntwo\nthree"
        prompt.value = "back\r\nagain"  # as a rewind puts a prompt back: cursor at the end
        await pilot.press("!")
        assert prompt.value == "back\nagain!"


async def test_prompt_grows_with_its_lines_up_to_eight_then_scrolls() -> None:
    prompt = PromptInput()
    async with Host(prompt).run_test(size=(40, 20)) as pilot:
        heights = []
        for lines in (1, 2, 8, 12):
            prompt.value = "\n".join(f"line {n}" for n in range(lines))
            await pilot.pause()
            heights.append(prompt.outer_size.height)
        assert heights == [3, 4, 10, 10]  # a border above and below


async def test_a_multi_line_paste_is_kept_whole_and_sent_whole(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    text = "\r".join(f"line {n} of the abstract" for n in range(1, 41))  # a terminal's CRs
    async with app.run_test() as pilot:
        app.post_message(events.Paste(text))  # as the driver posts a bracketed paste
        await wait_until(pilot, lambda: app.chat.prompt.value.count("\n") == 39)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.chat.busy and answers(app))
    prompts = [m.content for m in service.transcript() if m.role is Role.USER]
    assert prompts == ["\n".join(f"line {n} of the abstract" for n in range(1, 41))]


@pytest.mark.parametrize("finish", [True, False], ids=["answer-ends", "app-quits"])
async def test_full_collections_and_the_gil_wait_while_an_answer_streams(
        tmp_path: Path, finish: bool) -> None:
    engine = FakeEngine()
    engine.gate = threading.Semaphore(0)
    app = CoalignApp(make_service(tmp_path, engine), Config(), [])
    before, switch = gc.get_threshold(), sys.getswitchinterval()
    try:
        async with app.run_test() as pilot:
            await ask(pilot, "go")
            await wait_until(pilot, lambda: app.chat.busy)
            assert gc.get_threshold()[:2] == before[:2]
            assert gc.get_threshold()[2] > 1000
            assert sys.getswitchinterval() < switch  # the GIL goes back to generation sooner
            if finish:
                engine.gate.release(100)
                await wait_until(pilot, lambda: not app.chat.busy)
                assert gc.get_threshold() == before
                assert sys.getswitchinterval() == switch
        assert gc.get_threshold() == before  # quitting mid-answer gives them back too
        assert sys.getswitchinterval() == switch
    finally:
        engine.gate.release(100)
        gc.set_threshold(*before)
        sys.setswitchinterval(switch)
