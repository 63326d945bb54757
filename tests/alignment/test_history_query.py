"""History search operators: phrases, prefixes, left-out words and OR, on a real FTS5 index."""

from __future__ import annotations

import pytest

from tui.alignment.conversation import Role
from tui.alignment.history_query import fts_query
from tui.alignment.store import Store
from tui.cli.history import from_arguments
from tui.errors import ActionRefused

TEXTS = ("Kant and the categorical imperative",
         "the imperative mood in Kant's letters",
         "Hume on causation and habit",
         "categorisation of archives in Lagos",
         "Kant read Hume late")


@pytest.fixture
def found(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    session = store.create_session()
    for text in TEXTS:
        store.add_message(session.id, None, Role.USER, text)

    def search(query: str) -> set[str]:
        return {message.content for message, _snippet in store.search(query)}

    return search


def test_every_word_must_occur_in_any_order(found) -> None:
    assert found("imperative kant") == {TEXTS[0], TEXTS[1]}


def test_a_quoted_phrase_must_occur_as_written(found) -> None:
    assert found('"categorical imperative"') == {TEXTS[0]}
    assert found('"imperative categorical"') == set()


def test_a_star_matches_words_that_start_so(found) -> None:
    assert found("categor*") == {TEXTS[0], TEXTS[3]}
    assert found("categor") == set()


def test_a_minus_leaves_messages_out(found) -> None:
    assert found("kant -hume") == {TEXTS[0], TEXTS[1]}
    assert found('kant -"categorical imperative"') == {TEXTS[1], TEXTS[4]}


def test_or_takes_either_and_binds_closer_than_the_words_around_it(found) -> None:
    assert found("causation OR categorical") == {TEXTS[0], TEXTS[2]}
    assert found("kant imperative OR hume") == {TEXTS[0], TEXTS[1], TEXTS[4]}


def test_nothing_typed_is_read_as_fts5_syntax(found) -> None:
    for hostile in ('quote " and ) syntax', "NEAR(kant hume)", "kant AND", "a:b", "^kant",
                    "OR", "- *", '"'):
        found(hostile)  # no sqlite3.OperationalError
    assert found("NOT") == set()  # AND and NOT are words to find, not operators:
    assert found("kant AND") == {TEXTS[0]}  # "Kant and the categorical imperative"


def test_a_query_of_only_left_out_words_is_refused_in_a_line() -> None:
    with pytest.raises(ActionRefused, match="what to look for"):
        fts_query("-hume")
    assert fts_query("") == "" and fts_query('"" ') == ""


def test_a_shell_argument_with_spaces_is_a_phrase() -> None:
    assert from_arguments(["categorical imperative", "kant"]) == '"categorical imperative" kant'
    assert from_arguments(['"a b" OR c']) == '"a b" OR c'


def test_the_command_line_hands_a_left_out_word_to_the_query() -> None:
    from tui.main import build_parser

    args = build_parser().parse_args(["history", "search", "kant", "-hume", "categor*"])
    assert from_arguments(args.words) == "kant -hume categor*"
