"""Co-construction actions in the TUI (fake engine): keys, modals and what they show."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, RadioSet, Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import answers, ask, ask_and_wait, make_service, plain, wait_until
from tui.alignment.conversation import Role
from tui.config import Config
from tui.screens.app import CoalignApp
from tui.screens.branches import BranchesScreen
from tui.screens.mark import MarkScreen
from tui.widgets.conversation import AnswerView


def notes(app: CoalignApp) -> list[str]:
    return [plain(view.query_one(".note", Static)) for view in answers(app)]


async def test_rewind_key_restores_the_prompt_and_branches_lists_the_dropped_turn(
    tmp_path: Path,
) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "one")
        await ask_and_wait(pilot, app, "two")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: len(answers(app)) == 1)
        assert app.chat.prompt.value == "two"
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, BranchesScreen))
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        dropped = next(b for b in service.branches() if not b.current)
        options.highlighted = [o.id for o in options._options].index(str(dropped.leaf.id))
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(answers(app)) == 2)
        assert [m.content for m in service.transcript() if m.role is Role.USER] == ["one", "two"]


async def test_retry_and_flipping_answers(tmp_path: Path) -> None:
    engine = FakeEngine("first answer")
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "question")
        engine.reply = "second answer"
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: not app.chat.busy and answers(app)[-1].text == "second answer")
        assert len(answers(app)) == 1 and notes(app) == ["answer 2/2"]
        await pilot.press("alt+left")
        await wait_until(pilot, lambda: answers(app)[-1].text == "first answer")
        assert notes(app) == ["answer 1/2"]
        await pilot.press("alt+right")
        await wait_until(pilot, lambda: answers(app)[-1].text == "second answer")


async def test_mark_dialog_saves_both_axes_reason_and_values(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(100, 40)) as pilot:
        await ask_and_wait(pilot, app, "question")
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, MarkScreen))
        screen = app.screen
        screen.query_one("#validity", RadioSet).query("RadioButton")[1].value = True
        screen.query_one("#understanding", RadioSet).query("RadioButton")[1].value = True
        screen.query_one("#reason", Input).value = "[bold]invented[/bold] source"
        screen.query_one("#values", Input).value = "#reliability, nuance"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is app.chat)
        mark = service.mark_of(service.last_answer())
        assert (mark.validity, mark.understanding) == ("invalid", "misunderstood")
        assert mark.reason == "[bold]invented[/bold] source"
        assert mark.values_at_risk == ["nuance", "reliability"]
        await wait_until(pilot, lambda: notes(app) and "marked" in notes(app)[-1])
        assert notes(app) == [
            "marked invalid · misunderstood · #nuance · #reliability"
            " — [bold]invented[/bold] source"]


async def test_mark_slash_command_then_retry_with_feedback(tmp_path: Path) -> None:
    engine = FakeEngine()
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "question")
        app.chat.prompt.value = "/mark misunderstood I asked about Europe"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "misunderstood" in notes(app)[-1])
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.chat.busy and "retry after" in notes(app)[-1])
        assert "I asked about Europe" in engine.requests[-1][-1]["content"]


async def test_fork_key_moves_to_a_new_session(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "question")
        first = service.session.id
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: service.session.id != first)
        assert len(answers(app)) == 1 and isinstance(answers(app)[0], AnswerView)


async def test_marking_while_the_answer_streams_keeps_the_stream(tmp_path: Path) -> None:
    import threading

    engine = FakeEngine("one two three four")
    engine.gate = threading.Semaphore(0)
    service = make_service(tmp_path, engine)
    app = CoalignApp(service, Config(), [])
    try:
        async with app.run_test() as pilot:
            await ask(pilot, "go")
            await wait_until(pilot, lambda: answers(app) and answers(app)[-1].text == "one")
            app.chat.prompt.value = "/mark invalid wrong already"
            await pilot.press("enter")
            await wait_until(pilot, lambda: "marked invalid" in notes(app)[-1])
            engine.gate.release(10)
            await wait_until(pilot, lambda: not app.chat.busy)
            assert answers(app)[-1].text == "one two three four"
            assert service.mark_of(service.last_answer()).reason == "wrong already"
    finally:
        engine.gate.release(100)
