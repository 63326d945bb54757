"""Grounded answers (issue 16) on the fake engine: the passages reach the prompt with ids,
every one is stored with its score, the profile's filters keep documents out and the panel
says so, [n] citations map to stored passages, and an invented [n] is flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.library import OLD_FACT, PLANTED, make_library
from tui.alignment.conversation import Message, Role
from tui.alignment.library.index import LibraryIndex
from tui.alignment.library.ingest import add_paths
from tui.alignment.profiles.library import ProfileEntry
from tui.alignment.profiles.schema import Filters, Grounding, Profile
from tui.application import assumptions as assumptions_report
from tui.application.grounding import CITE_RULE, Grounder, ground_command
from tui.application.service import ChatService
from tui.application.sources import answer_lines, section_lines
from tui.errors import ActionRefused

QUESTION = "How many cassette tapes does the Lagos harbour archive hold?"
RADIO = "When did the Ibadan radio station first record oral histories?"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "library.sqlite3"
    index = LibraryIndex(path)
    add_paths(index, [make_library(tmp_path / "lib")["bib"].parent], "default")
    index.close()
    return path


@pytest.fixture
def service(fake_service: ChatService, library: Path) -> ChatService:
    fake_service.grounder = Grounder(library)
    return fake_service


def use(service: ChatService, grounding: Grounding | None = None,
        filters: Filters | None = None) -> None:
    profile = Profile(name="lab", grounding=grounding or Grounding(True, 3),
                      filters=filters or Filters())
    service.set_profile(ProfileEntry("lab", None, "test", profile=profile))


def answer(service: ChatService, prompt: str, reply: str) -> Message:
    engine = service.engine
    assert isinstance(engine, FakeEngine)
    engine.reply = reply
    service.send(prompt).wait()
    last = service.last_answer()
    assert last is not None
    return last


def system_prompt(service: ChatService) -> str:
    engine = service.engine
    assert isinstance(engine, FakeEngine)
    return engine.requests[-1][0]["content"]


def sources(service: ChatService, message: Message) -> list[str]:
    report = assumptions_report.build(service, message)
    return next(s for s in report.sections if s.key == "sources").lines


def test_a_grounded_prompt_holds_the_planted_passage_under_an_id(service: ChatService) -> None:
    use(service)
    message = answer(service, QUESTION, "The archive holds 412 tapes [1].")
    told = system_prompt(service)
    first = told.index("[1] Okafor & Mensah (2019), “Oral Archives of the Lagos Harbour”, p. 2:")
    assert PLANTED in told[first:] and told.endswith(CITE_RULE)
    assert message.meta["told"]["system_prompt"] == told  # what it was told, exactly
    record = message.meta["grounding"]
    assert [p["n"] for p in record["passages"]] == [1, 2, 3]
    best = record["passages"][0]
    assert (best["key"], best["page"], best["document"] > 0) == ("okafor2019", 2, True)
    assert PLANTED in best["text"] and best["score"] > 0
    assert record["why"] == "profile lab: [grounding] enabled = true"


def test_grounding_is_off_unless_asked_for(service: ChatService) -> None:
    message = answer(service, QUESTION, "An answer.")
    assert "grounding" not in message.meta and PLANTED not in system_prompt(service)
    assert answer_lines(message) == []
    assert sources(service, message)[0].startswith("Not grounded")


def test_a_year_filter_keeps_the_old_work_out_and_the_panel_says_so(
        service: ChatService) -> None:
    use(service)
    plain = answer(service, RADIO, "In 1962 [1].")
    assert OLD_FACT in system_prompt(service)
    assert plain.meta["grounding"]["passages"][0]["year"] == 1970
    use(service, filters=Filters(years=(1990, 2026)))
    message = answer(service, RADIO, "I do not know.")
    assert OLD_FACT not in system_prompt(service)
    assert all(p["year"] >= 1990 for p in message.meta["grounding"]["passages"])
    lines = sources(service, message)
    assert "Kept out by your profile's filters (4 of 5 documents kept):" in lines
    assert "  years 1990–2026: 1 document excluded, matching this prompt" in lines


def test_a_language_filter_keeps_the_german_work_out(service: ChatService) -> None:
    use(service, filters=Filters(languages=["English"]))
    message = answer(service, "Lieder der Hafenarbeiter in Hamburg", "Nothing.")
    assert "Hafenarbeiter" not in system_prompt(service)
    assert ("  languages English: 1 document excluded, matching this prompt"
            in sources(service, message))


def test_citations_map_to_the_stored_passages(service: ChatService) -> None:
    use(service)
    message = answer(service, QUESTION, "There are 412 tapes [1], catalogued [2].")
    lines = sources(service, message)
    assert lines[1] == "Given to the model (3), best match first:"
    assert lines[2].startswith("  [1] CITED · Okafor & Mensah (2019) “Oral Archives of the "
                               "Lagos Harbour”, p. 2 · score ")
    assert f"“Findings. We counted the tapes: {PLANTED}" in lines[3]
    assert "Cited: [1], [2]; not cited: [3]" in lines
    assert answer_lines(message)[:2] == [
        "Sources from your library (2 of 3 cited):",
        "  [1] Okafor & Mensah (2019) “Oral Archives of the Lagos Harbour”, p. 2 · cited"]


def test_an_answer_citing_a_source_it_was_not_given_is_flagged(service: ChatService) -> None:
    use(service)
    message = answer(service, QUESTION, "412 tapes [1], says a study [7].")
    assert "Cited but never given (invented): [7]" in sources(service, message)
    assert answer_lines(message)[-1] == ("  [7] cited, but no such source was given: "
                                         "invented")


def test_slash_ground_overrides_the_profile_for_the_session(service: ChatService) -> None:
    use(service, Grounding(False))
    assert ground_command(service, "on").startswith(
        "Grounding on for this session: each answer gets up to 4 passages from every "
        "library (5 documents)")
    message = answer(service, QUESTION, "412 [1].")
    assert message.meta["grounding"]["why"] == "/ground on for this session"
    assert ground_command(service, "") == ("Grounding off for this session: answers use no "
                                           "passages from your library.")
    assert "grounding" not in answer(service, QUESTION, "No.").meta
    events = [e for e in service.store.events(service.session_id) if e["kind"] == "grounding"]
    assert [e["detail"] for e in events] == ["on", "off"]
    with pytest.raises(ActionRefused, match="usage: /ground on|off"):
        ground_command(service, "maybe")


def test_without_a_library_the_answer_says_how_to_make_one(fake_service: ChatService,
                                                           tmp_path: Path) -> None:
    fake_service.grounder = Grounder(tmp_path / "none.sqlite3")
    use(fake_service)
    message = answer(fake_service, QUESTION, "An answer.")
    assert message.meta["grounding"]["passages"] == []
    assert answer_lines(message) == ["Sources: none given (no library yet: add files with "
                                     "`coalign library add PATH…`)"]
    assert "the library is empty" in ground_command(fake_service, "on")


def test_a_prompt_of_common_words_gets_no_passages(service: ChatService) -> None:
    use(service)
    message = answer(service, "What is it?", "Unclear.")
    assert message.meta["grounding"]["note"] == ("the prompt has no words to search the "
                                                 "library for")
    assert "Sources from the researchers' own library" not in system_prompt(service)


def test_citation_checking_looks_in_the_library_too(service: ChatService) -> None:
    message = answer(service, QUESTION, "As Okafor and Mensah (2019) showed, 412 tapes.")
    report = assumptions_report.build(service, message)
    lines = next(s for s in report.sections if s.key == "citations").lines
    assert lines[0] == "found: Okafor & Mensah (2019)"
    assert lines[1].startswith("    your library: Okafor & Mensah (2019) (")
    assert "refs.bib:2)" in lines[1]


def test_sections_lines_for_a_record_without_passages() -> None:
    message = Message(1, 1, None, Role.ASSISTANT, "x", meta={"grounding": {
        "on": True, "why": "w", "passages": [], "note": "the library is empty"}})
    assert section_lines(message)[1] == "No passages were given: the library is empty."


def test_profile_show_says_whether_the_profile_grounds_answers() -> None:
    from tui.application.profiles import told

    on = Profile(name="lab", grounding=Grounding(True, 2, ["lab"]))
    assert told(ProfileEntry("lab", None, "test", profile=on))[-1] == (
        "grounding: on: up to 2 passages of lab that match each prompt, within the filters, "
        "are added to the system prompt as [1], [2]")
    off = Profile(name="lab", grounding=Grounding(False))
    assert told(ProfileEntry("lab", None, "test", profile=off))[-1] == "grounding: off"
    plain = told(ProfileEntry("lab", None, "test", profile=Profile(name="lab")))
    assert not any(line.startswith("grounding") for line in plain)
