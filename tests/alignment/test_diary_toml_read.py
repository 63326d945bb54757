"""Entry files read by rtoml give what tomllib gives: the same values, errors and messages."""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import rtoml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryError
from tui.alignment.diary.store import dumps, read_entry
from tui.alignment.diary.toml_read import loads

VARIED = "Zoë's «café» — 東京 🙂 e\u0301\n\"quoted\" 'single' \\back\\slash\ttab\r\nend"
CONTROL = "nul\x00 bell\x07 esc\x1b del\x7f line\u2028sep \ufeff bom"


def varied_entry() -> str:
    """A written entry with unicode, newlines, quotes, control characters, long texts,
    nested tables and arrays: what tomli-w writes for a real study, and worse."""
    return dumps(sample_entry(
        misaligned_response=VARIED + " " + "long " * 5000, initial_prompting=CONTROL,
        outcome_note='"""triple""" and \'\'\'literal\'\'\' # not a comment = [1, {}]',
        values_at_risk=["honesty", "vérité", "誠実", "a = b"],
        interventions=[{"kind": "mark", "at": "2026-11-27T10:00:00Z", "detail": VARIED},
                       {"kind": "retry", "at": "2026-11-27T10:01:00Z", "detail": "{ x = 1, }"}],
        marks=[{"validity": "invalid", "understanding": "misunderstood", "reason": CONTROL}],
        profile={"name": "lab \\e \\x41", "source": "git", "commit": "abc123"},
        message_ids=[0, 2**62, 7], transcript=[{"role": "user", "content": VARIED},
                                               {"role": "assistant", "content": CONTROL * 50}]))


def same(text: str) -> tuple[str, Any]:
    """loads(text) compared with tomllib.loads(text): both results, or both messages."""
    try:
        expected: tuple[str, Any] = ("ok", tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        expected = ("error", str(exc))
    try:
        found: tuple[str, Any] = ("ok", loads(text))
    except tomllib.TOMLDecodeError as exc:
        found = ("error", str(exc))
    assert found == expected
    assert repr(found) == repr(expected)  # the same types too (a time zone, a float)
    return found


def test_rtoml_and_tomllib_give_equal_dicts_on_a_varied_entry() -> None:
    text = varied_entry()
    parsed = tomllib.loads(text)
    assert rtoml.loads(text) == parsed  # rtoml itself agrees: the fast path is taken
    assert same(text) == ("ok", parsed)
    assert parsed["misaligned_response"].startswith(VARIED)
    assert parsed["marks"][0]["reason"] == CONTROL


@pytest.mark.parametrize("text", [
    "\ufeffa = 1",  # a byte-order mark
    'a = "\\e"', 'a = "\\x41"',  # TOML 1.1 escapes
    "a = { b = 1,\n c = 2 }", "a = { b = 1, }", "a = [{ b = 1, }]",  # TOML 1.1 inline tables
    "a = { b = { c = 1 },\n d = 2 }",
    "a = 10:00", "a = 2026-11-27T10:00Z",  # times without seconds
])
def test_what_only_rtoml_reads_fails_as_tomllib_says(text: str) -> None:
    kind, message = same(text)
    assert kind == "error" and "(at line" in message


@pytest.mark.parametrize("text", [
    "a = 1e400", "a = 99999999999999999999",  # rtoml rejects them, tomllib reads them
    'a = "\\\\e \\\\x"', "a = 'C:\\example'", 'a = "{ b = 1,"\nc = 2',  # false alarms
    "a = 2026-11-27T10:00:00Z\nb = [2026-11-27, 10:00:00]", "a = { b = 1 }",
])
def test_what_tomllib_reads_loads_as_tomllib_reads_it(text: str) -> None:
    assert same(text)[0] == "ok"


def test_a_date_has_tomllib_s_time_zone() -> None:
    kind, data = same("at = 2026-11-27T10:00:00Z")
    assert data["at"] == datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    assert data["at"].tzinfo is timezone.utc


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_an_edited_entry_loads_or_fails_as_with_tomllib(data: st.DataObject) -> None:
    text = varied_entry()[:3000] if data.draw(st.booleans()) else dumps(sample_entry())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.sampled_from(list('{}[]=,."\'\\#\n\r\t :0123456789-eExT_ab')
                                          + ['"""', "'''", "\\e", "\x00", "é"]))
        cut = data.draw(st.integers(0, 2))
        text = text[:at] + piece + text[at + cut:]
    same(text)


def test_a_file_rtoml_rejects_names_tomllib_s_line_and_column(tmp_path: Path) -> None:
    entry = sample_entry()
    path = tmp_path / f"{entry.id}.toml"
    path.write_text(dumps(entry) + 'extra = { a = 1,\n b = 2 }\n', encoding="utf-8")
    with pytest.raises(DiaryError) as raised:
        read_entry(path)
    line = len(dumps(entry).splitlines()) + 1
    assert str(raised.value).startswith(f"{path}: ") and f"(at line {line}, column" in str(
        raised.value)


def test_a_transcript_turn_repeating_the_prompt_or_answer_is_read_as_the_same_text(
        tmp_path: Path) -> None:
    entry = sample_entry(initial_prompting="Summarise the paper",
                         misaligned_response="It made up a source.",
                         transcript=[{"role": "user", "content": "Summarise the paper"},
                                     {"role": "assistant", "content": "It made up a source."},
                                     {"role": "user", "content": "Again, please"}])
    path = tmp_path / f"{entry.id}.toml"
    path.write_text(dumps(entry), encoding="utf-8")
    read = read_entry(path)
    assert read == entry  # the same values
    first, second, third = (turn["content"] for turn in read.transcript)
    assert first is read.initial_prompting and second is read.misaligned_response
    assert third == "Again, please"
