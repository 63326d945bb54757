"""Grounded answers in the TUI and the REPL (fake engine): alt+g and /ground turn it on,
the sources given show under the answer (which cited, which invented), and the panel's
Sources section says what the profile kept out."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.library import make_library
from tests.fixtures.pilot import ask_and_wait, make_service, plain, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.library.index import LibraryIndex
from tui.alignment.library.ingest import add_paths
from tui.alignment.profiles.library import ProfileEntry
from tui.alignment.profiles.schema import Filters, Profile
from tui.application.grounding import Grounder
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.app import CoalignApp
from tui.screens.assumptions import AssumptionsScreen

REPLY = "The archive holds 412 cassette tapes [1]; a survey says 500 [9]."


def grounded_service(tmp_path: Path) -> ChatService:
    path = tmp_path / "library.sqlite3"
    add_paths(LibraryIndex(path), [make_library(tmp_path / "lib")["bib"].parent], "default")
    service = make_service(tmp_path, FakeEngine(REPLY))
    service.grounder = Grounder(path)
    profile = Profile(name="lab", filters=Filters(years=(1990, 2026)))
    service.set_profile(ProfileEntry("lab", None, "test", profile=profile))
    return service


async def test_ctrl_s_grounds_the_answer_and_its_sources_show_under_it(tmp_path: Path) -> None:
    service = grounded_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(130, 50)) as pilot:
        await pilot.press("alt+g")
        assert service.grounder.override is True
        view = await ask_and_wait(pilot, app, "How many cassette tapes are in the archive?")
        await wait_until(pilot, lambda: plain(view.query_one(".sources", Static)))
        shown = plain(view.query_one(".sources", Static)).splitlines()
        assert shown[0].startswith("Sources from your library (1 of ")
        assert shown[1] == ("  [1] Okafor & Mensah (2019) “Oral Archives of the Lagos "
                            "Harbour”, p. 2 · cited")
        assert shown[-1] == "  [9] cited, but no such source was given: invented"
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, AssumptionsScreen))
        sources = plain(app.screen.query_one("#section-sources", Static))
        assert "7 · Sources" in sources and "Cited but never given (invented): [9]" in sources
        assert "years 1990–2026: 1 document excluded" in sources
        await pilot.press("escape")
        await pilot.press("alt+g")
        assert service.grounder.override is False


async def test_a_stored_grounded_answer_shows_its_sources_when_reopened(tmp_path: Path) -> None:
    service = grounded_service(tmp_path)
    service.grounder.override = True
    service.send("How many cassette tapes are in the archive?").wait()
    service.session = None
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(130, 50)) as pilot:
        await wait_until(pilot, lambda: app.chat.query(".sources"))
        label = app.chat.query(".sources").last()
        assert isinstance(label, Static) and "[1] Okafor & Mensah (2019)" in plain(label)


def test_the_repl_grounds_and_lists_the_sources_under_the_answer(tmp_path: Path) -> None:
    service = grounded_service(tmp_path)
    code, text, _ = run_repl(service, "/ground on\rHow many cassette tapes are there?\r"
                             "/assumptions\r/ground off\r/ground maybe\r/quit\r", tmp_path)
    assert code == 0
    assert "Grounding on for this session: each answer gets up to 4 passages" in text
    assert ("  [1] Okafor & Mensah (2019) “Oral Archives of the Lagos Harbour”, p. 2 · cited"
            in text)
    assert "  [9] cited, but no such source was given: invented" in text
    assert "7 · Sources" in text and "Cited but never given (invented): [9]" in text
    assert "Grounding off for this session" in text
    assert "error: usage: /ground on|off, not /ground maybe" in text
