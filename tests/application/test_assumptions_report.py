"""The assumptions panel's content (report) and the model's account (disclosure), on a fake
engine: sections, provenance, exact 'told' record, fixed texts with known places and works."""

from __future__ import annotations

import json
from pathlib import Path

from tui.application import assumptions as assumptions_report
from tui.application import disclosure
from tui.application.service import ChatService
from tui.engine.base import Generation

DATA = Path(__file__).parents[1] / "data" / "assumptions"
ANSWER = ("Okafor & Silva (2019) studied archives in Kenya and Brazil in the 1990s; "
          "Smith (2011) is often cited too. In 1998 the United States followed.")


def answered(service: ChatService, text: str = ANSWER):
    service.engine.reply = text
    turn = service.send("Who studied regional archives?")
    turn.wait()
    return service.last_answer()


def section(report, key):
    return next(s for s in report.sections if s.key == key)


def test_every_section_says_where_its_content_comes_from(fake_service) -> None:
    report = assumptions_report.build(fake_service, answered(fake_service))
    assert [s.key for s in report.sections] == ["told", "account", "confidence", "grounding",
                                                "citations", "risk", "sources"]
    assert all(s.provenance and s.lines for s in report.sections)


def test_what_the_model_was_told_is_the_exact_record_on_the_answer(fake_service) -> None:
    answer = answered(fake_service)
    system_prompt, settings = fake_service.told()
    told = section(assumptions_report.build(fake_service, answer), "told").lines
    assert answer.meta["told"]["system_prompt"] == system_prompt
    assert [line[2:] for line in told if line.startswith("  ")][-len(
        system_prompt.splitlines()):] == system_prompt.splitlines()
    assert f"temperature {settings.temperature}" in " ".join(told)
    assert "Control vectors: none" in told


def test_places_years_and_citations_of_a_fixed_text(fake_service) -> None:
    report = assumptions_report.build(fake_service, answered(fake_service),
                                      [str(DATA / "library.bib")])
    grounding = "\n".join(section(report, "grounding").lines)
    assert "Years named: 2019, 1990s, 2011, 1998" in grounding  # citation years count too
    countries = report.analysis.grounding.countries
    assert {"Kenya", "Brazil", "United States"} <= set(countries)
    citations = section(report, "citations").lines
    assert "found: Okafor & Silva (2019)" in citations
    assert "NOT FOUND: Smith (2011)" in citations


def test_confidence_is_unavailable_without_probabilities(fake_service) -> None:
    report = assumptions_report.build(fake_service, answered(fake_service))
    assert section(report, "confidence").lines == [assumptions_report.UNAVAILABLE]


def test_confidence_speaks_in_the_first_person_from_the_recorded_probabilities(
        fake_service) -> None:
    answer = answered(fake_service)
    answer.meta["token_probs"] = [["Bell", 0.9], [" invented", 0.1], [" it", 0.95]]
    answer.content = "Bell invented it"
    report = assumptions_report.build(fake_service, answer)
    lines = section(report, "confidence").lines
    assert any(line.startswith("I am unsure about “invented”") for line in lines)
    assert report.low_spans == [(5, 13)]


def finished(text: str, stopped: bool = False) -> Generation:
    generation = Generation()
    generation.push(text)
    if stopped:
        generation.stop()
    generation.finish()
    generation.wait()
    return generation


def test_a_valid_account_is_cached_and_shown_as_labelled_fields(fake_service) -> None:
    answer = answered(fake_service)
    data = {key: ([f"{key} item"] if key in disclosure._LISTS else f"{key} text")
            for key in disclosure.FIELDS}
    entry = disclosure.save(fake_service, answer, finished(json.dumps(data)))
    assert entry["valid"]
    stored = fake_service.store.message(answer.id).meta["disclosure"]
    assert stored["fields"] == data
    lines = disclosure.lines(stored)
    assert "How I read your question: reading_of_question text" in lines


def test_invalid_or_empty_output_is_shown_as_such(fake_service) -> None:
    answer = answered(fake_service)
    broken = disclosure.save(fake_service, answer, finished('{"reading_of_question": "x"'))
    assert not broken["valid"] and broken["problem"].startswith("not valid JSON")
    assert disclosure.lines(broken)[0].startswith("Invalid: not valid JSON")
    missing = disclosure.record(finished('{"assumptions": []}'))
    assert missing["problem"] == "no 'reading_of_question'"
    assert disclosure.record(finished("  "))["problem"] == "the model returned nothing"


def test_a_stopped_account_is_shown_but_not_cached(fake_service) -> None:
    answer = answered(fake_service)
    entry = disclosure.save(fake_service, answer, finished('{"read', stopped=True))
    assert entry["stopped"] and "disclosure" not in fake_service.store.message(answer.id).meta


def test_the_account_is_asked_after_the_answer_with_a_schema(fake_service) -> None:
    answer = answered(fake_service)
    generation = disclosure.start(fake_service, answer)
    generation.wait()
    sent = fake_service.engine.requests[-1]
    assert sent[-1]["content"] == disclosure.QUESTION
    assert sent[-2] == {"role": "assistant", "content": ANSWER}
