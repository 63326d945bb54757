"""Citations checked against the user's BibTeX libraries (issue 4, section 5), offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.alignment.assumptions import (
    Status,
    check_citation,
    find_citations,
    load_bibliographies,
)
from tui.alignment.assumptions.citations import ARXIV, AUTHOR_YEAR, DOI, REFERENCE, TITLE

DATA = Path(__file__).parents[1] / "data" / "assumptions"
LIBRARY = DATA / "library.bib"
BROKEN = DATA / "broken.bib"

ANSWER = (
    "Okafor and Silva (2019) show that participants want to be heard, a point Lindqvist "
    "(2014) makes about judgement. Later work (Tanaka et al., 2021; Röttger & Méndez, 2021) "
    "measured plurality, and regional archives help "
    "(https://doi.org/10.5555/coalign.2020.7). See also arXiv:2401.01234v2.\n"
    "Okafor, N., & Silva, A. (2019). Listening to participants in value-sensitive design. "
    "Journal of Co-Design, 4(1), 3–20.\n"
)


@pytest.fixture(scope="module")
def library():
    return load_bibliographies([LIBRARY])


def test_finds_each_citation_form_in_order() -> None:
    found = [(c.kind, c.authors, c.et_al, c.year, c.doi, c.arxiv)
             for c in find_citations(ANSWER)]
    assert found == [
        (AUTHOR_YEAR, ("Okafor", "Silva"), False, 2019, "", ""),
        (AUTHOR_YEAR, ("Lindqvist",), False, 2014, "", ""),
        (AUTHOR_YEAR, ("Tanaka",), True, 2021, "", ""),
        (AUTHOR_YEAR, ("Röttger", "Méndez"), False, 2021, "", ""),
        (DOI, (), False, None, "10.5555/coalign.2020.7", ""),
        (ARXIV, (), False, None, "", "2401.01234"),
        (REFERENCE, ("Okafor", "Silva"), False, 2019, "", ""),
    ]
    for citation in find_citations(ANSWER):
        assert ANSWER[citation.start:citation.end] == citation.text


def test_reference_lines_give_their_title() -> None:
    reference = find_citations(ANSWER)[-1]
    assert reference.title == "Listening to participants in value-sensitive design"


def test_titles_and_dois_join_the_citation_of_their_sentence() -> None:
    text = ('Brown (2015) wrote the paper "Values in Design Practice". Green (2016) did not. '
            "Mwangi et al. (2020), doi:10.5555/coalign.2020.7, grounded models.")
    found = find_citations(text)
    assert [(c.authors, c.title, c.doi) for c in found] == [
        (("Brown",), "Values in Design Practice", ""), (("Green",), "", ""),
        (("Mwangi",), "", "10.5555/coalign.2020.7")]


def test_quoted_text_is_a_title_only_near_a_citation_or_a_cue() -> None:
    found = find_citations('She said "Good Morning Everyone" and read the book "Situated '
                           'Judgement in Research Practice" twice.')
    assert [(c.kind, c.title) for c in found] == [
        (TITLE, "Situated Judgement in Research Practice")]


def test_words_before_a_bracketed_year_are_not_always_authors() -> None:
    assert find_citations("In (2019) the Census (2020) of Kenya (2019), Table (2018).") == []


def test_parenthetical_lists_and_several_years() -> None:
    found = find_citations("(see Lee, 2003; Park & Kim, 2010a, 2012; Ito et al., n.d.)")
    assert [(c.authors, c.year) for c in found] == [
        (("Lee",), 2003), (("Park", "Kim"), 2010), (("Park", "Kim"), 2012), (("Ito",), None)]


def test_library_entries_are_read_with_latex_decoded(library) -> None:
    keys = {e.key: e for e in library.entries}
    assert set(keys) == {"okafor2019", "lindqvist2016", "mwangi2020", "roettger2021",
                         "chen2024arxiv"}
    assert keys["roettger2021"].authors == ("Röttger", "Méndez")
    assert keys["roettger2021"].title == "Measuring Plurality in Model Answers"
    assert keys["mwangi2020"].doi == "10.5555/coalign.2020.7"
    assert keys["chen2024arxiv"].arxiv == "2401.01234"
    assert keys["okafor2019"].line == 3
    assert library.issues == []


def test_each_citation_checked_against_the_library(library) -> None:
    checks = [check_citation(c, library) for c in find_citations(ANSWER)]
    assert [(c.status, c.entry.key if c.entry else None, c.matched_by) for c in checks] == [
        (Status.FOUND, "okafor2019", "author and year"),
        (Status.FOUND_WITH_DIFFERENCES, "lindqvist2016", "author"),
        (Status.NOT_FOUND, None, ""),
        (Status.FOUND, "roettger2021", "author and year"),
        (Status.FOUND, "mwangi2020", "doi"),
        (Status.FOUND, "chen2024arxiv", "arxiv"),
        (Status.FOUND, "okafor2019", "author and year"),
    ]
    assert checks[1].differences == ("year: cited 2014, your library has 2016",)


def test_differences_list_year_title_and_authors(library) -> None:
    [citation] = find_citations("Mwangi, W., & Adeyemi, T. (2021). Grounding language models "
                                "in archives. Venue. https://doi.org/10.5555/COALIGN.2020.7")
    result = check_citation(citation, library)
    assert result.status is Status.FOUND_WITH_DIFFERENCES and result.matched_by == "doi"
    assert result.differences == (
        "year: cited 2021, your library has 2020",
        "authors: cited Mwangi & Adeyemi, your library has Mwangi, Osei, Haddad",
        "title: cited “Grounding language models in archives”, your library has "
        "“Grounding Language Models in Regional Archives”")


def test_a_similar_title_alone_finds_the_work(library) -> None:
    [citation] = find_citations('the study "Situated judgment in research practice" shows')
    result = check_citation(citation, library)
    assert (result.status, result.matched_by, result.entry.key) == (
        Status.FOUND, "title", "lindqvist2016")


def test_a_same_author_far_off_in_years_is_not_found(library) -> None:
    [citation] = find_citations("Lindqvist (1990) said so.")
    assert check_citation(citation, library).status is Status.NOT_FOUND


def test_a_broken_entry_is_one_issue_line_and_the_rest_still_loads() -> None:
    library = load_bibliographies([BROKEN, LIBRARY])
    assert {"fine2018", "after2017", "okafor2019"} <= {e.key for e in library.entries}
    assert "broken2019" not in {e.key for e in library.entries}
    [issue] = library.issues
    text = str(issue)
    assert text.startswith(f"{BROKEN}:7: entry 'broken2019' (@article) could not be read")
    assert "check its braces and quotes between lines 7 and" in text and "\n" not in text


def test_unreadable_files_are_issues_not_exceptions(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.bib"
    latin.write_bytes("@misc{k, title={Caf\xe9}}".encode("latin-1"))
    library = load_bibliographies([tmp_path / "missing.bib", latin, LIBRARY])
    assert len(library.entries) == 5
    assert [str(i).split(": ", 1)[1].split(" (")[0] for i in library.issues] == [
        "cannot be read", "is not UTF-8"]
    assert "check the path in your config" in str(library.issues[0])
    assert str(library.issues[1]).endswith("save it as UTF-8")


def test_duplicate_keys_and_fields_are_reported(tmp_path: Path) -> None:
    bib = tmp_path / "dup.bib"
    bib.write_text("@misc{a, title={One}, year={2001}}\n@misc{a, title={Two}}\n"
                   "@misc{b, title={X}, title={Y}}\n", encoding="utf-8")
    library = load_bibliographies([bib])
    assert [e.title for e in library.entries] == ["One"]
    assert [str(i) for i in library.issues] == [
        f"{bib}:2: the key 'a' is used twice; the second entry was skipped: give it a key of "
        "its own",
        f"{bib}:3: entry 'b' sets title twice; it was skipped: keep one of them"]


def test_bib_fields_are_untrusted_and_shown_plain(tmp_path: Path, capsys) -> None:
    bib = tmp_path / "evil.bib"
    bib.write_text("@misc{evil, author={Evil, \x1b]0;pwned\x07Eve}, title={A \x1b[31mred\x1b[0m "
                   "{\\em title} with \\textbf{commands} \\& more\x07}, year={2020}}\n"
                   "@misc{\x1b[2Jbad, title={oops\n", encoding="utf-8")
    library = load_bibliographies([bib])
    [entry] = library.entries
    assert entry.title == "A red title with commands & more"
    assert entry.authors == ("Evil",)
    assert all("\x1b" not in str(i) and "\x07" not in str(i) for i in library.issues)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""  # bibtexparser's log stays quiet


@given(st.text())
def test_find_citations_never_raises_and_spans_index_the_text(text: str) -> None:
    for citation in find_citations(text):
        assert text[citation.start:citation.end] == citation.text
        assert citation.year is None or 1500 <= citation.year <= 2099


@given(st.text(max_size=300))
def test_any_bib_text_loads_without_an_exception(tmp_path_factory, text: str) -> None:
    bib = tmp_path_factory.mktemp("bib") / "any.bib"
    bib.write_text(text, encoding="utf-8", errors="replace")
    library = load_bibliographies([bib])
    assert all("\n" not in str(issue) for issue in library.issues)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    bib = tmp_path / "changing.bib"
    bib.write_text("@misc{a, title={First}, year={2001}}\n", encoding="utf-8")
    assert [e.title for e in load_bibliographies([bib]).entries] == ["First"]
    bib.write_text("@misc{a, title={Second one}, year={2001}}\n", encoding="utf-8")
    assert [e.title for e in load_bibliographies([bib]).entries] == ["Second one"]



def test_identifiers_stop_at_control_characters() -> None:
    [citation] = find_citations("see doi:10.5555/abc\x1b[31mred and more")
    assert citation.doi == "10.5555/abc" and "\x1b" not in citation.label


def test_dois_keep_their_own_brackets_but_not_the_sentence_around_them() -> None:
    found = find_citations("(see doi:10.1000/xyz(123).) and [https://doi.org/10.1000/abc].")
    assert [c.doi for c in found] == ["10.1000/xyz(123)", "10.1000/abc"]
