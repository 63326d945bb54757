"""'When is it useful?' from the user's own marks, per kind of request."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.repl import run_repl
from tui.alignment.guide import OTHER, build_guide, request_kind
from tui.application.service import ChatService


def test_request_kinds() -> None:
    assert request_kind("Cite three papers on participatory design") == "sources and citations"
    assert request_kind("Why does my R function fail?") == "code"
    assert request_kind("Summarise this abstract") == "summaries"
    assert request_kind("Explain how thematic analysis works") == "explanations"
    assert request_kind("Hello there") == OTHER


def test_guide_sentences_are_first_person_and_hedged() -> None:
    marks = [("Cite a paper on X", {"validity": "invalid"})] * 3 + [
        ("Explain why", {"validity": "valid", "understanding": "understood"})]
    records = build_guide(marks, [("Find sources on Y", "misaligned")])
    sources = records[0]
    assert (sources.kind, sources.marked, sources.invalid) == ("sources and citations", 3, 3)
    assert sources.misaligned_in_diary == 1
    assert "I am often wrong or off target here" in sources.sentence()
    assert "I cannot tell yet" in records[1].sentence()


def test_guide_from_the_service_and_the_repl(fake_service: ChatService, tmp_path: Path) -> None:
    assert "No marked answers yet" in fake_service.guide()[1]
    for _ in range(3):
        fake_service.send("Which books cover research ethics?").wait()
        fake_service.mark(validity="invalid", reason="made up")
    lines = fake_service.guide()
    assert "sources and citations: 3 of 3 invalid" in lines[1]
    code, text, _ = run_repl(fake_service, "/guide\r/quit\r", tmp_path)
    assert "When is fake-engine F0 useful" in text and "3 of 3 invalid" in text


async def test_f10_shows_the_guide(tmp_path: Path) -> None:
    from textual.widgets import Static

    from tests.fixtures.pilot import make_service, plain, wait_until
    from tui.config import Config
    from tui.screens.app import CoalignApp
    from tui.screens.text import TextScreen

    service = make_service(tmp_path)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, TextScreen))
        assert "No marked answers yet" in plain(app.screen.query_one("#body", Static))


def test_marks_under_another_profile_are_not_called_none(fake_service: ChatService) -> None:
    from tui.alignment.profiles.library import ProfileEntry
    from tui.alignment.profiles.schema import Profile

    fake_service.set_profile(ProfileEntry("neutral", None, "test", profile=Profile(name="n")))
    for _ in range(2):
        fake_service.send("What is a bridge?").wait()
        fake_service.mark(validity="invalid")
    fake_service.set_profile(ProfileEntry("group4", None, "test", profile=Profile(name="g")))
    lines = fake_service.guide([("What is a bridge?", "partly")])
    assert "No marked answers under profile group4 yet" in lines[1]
    assert "you marked 2 answer(s) of this model" in lines[1]
    assert any("facts: you have marked 2 answer(s)" in line for line in lines)
    assert "once you have marked 3 answers of it" in lines[0]
    assert lines[-1] == "Your diary: 1 entry (1 partly)."
