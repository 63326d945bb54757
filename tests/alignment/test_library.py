"""The researcher's library (issue 16): reading PDFs, notes and .bib files, indexing them in
SQLite FTS5, skipping unchanged files by hash, searching by BM25 within the profile's
filters, and the [n] markers an answer cites."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures.library import GERMAN, OLD_FACT, PLANTED, make_library, write_pdf
from tui.alignment.library.bib import file_paths, read_bib
from tui.alignment.library.cite import check_markers, markers
from tui.alignment.library.index import LibraryIndex
from tui.alignment.library.ingest import Tags, add_paths, reindex
from tui.alignment.library.language import language_code
from tui.alignment.library.readers import ReadError, read_note, read_pdf
from tui.alignment.library.search import search
from tui.alignment.library.text import fts_query, passages, terms
from tui.alignment.profiles.schema import Filters


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return make_library(tmp_path / "lib")


@pytest.fixture
def index(tmp_path: Path, files: dict[str, Path]) -> LibraryIndex:
    opened = LibraryIndex(tmp_path / "library.sqlite3")
    add_paths(opened, [files["bib"].parent], "default")
    return opened


def by_title(index: LibraryIndex) -> dict[str, int]:
    return {document.meta.title: document.id for document in index.documents()}


# reading ---------------------------------------------------------------------------------

def test_a_pdf_is_read_page_by_page_with_its_info(files: dict[str, Path]) -> None:
    document = read_pdf(files["attached"])
    assert document.pages == 2
    assert [(p.page, PLANTED in p.text) for p in document.passages] == [(1, False), (2, True)]
    meta = document.meta
    assert (meta.title, meta.authors, meta.year) == ("Oral Archives of the Lagos Harbour",
                                                     ["Okafor"], 2019)
    assert (meta.language, meta.language_from) == ("en", "detected")


def test_a_broken_pdf_is_one_line_naming_it(files: dict[str, Path]) -> None:
    with pytest.raises(ReadError) as raised:
        read_pdf(files["broken"])
    message = str(raised.value)
    assert message.startswith(f"{files['broken']}: is not a readable PDF (")
    assert "skipped" in message and "\n" not in message


def test_a_pdf_without_text_is_said_to_need_ocr(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="has no text to index .*run OCR"):
        read_pdf(write_pdf(tmp_path / "scan.pdf", ["", ""]))


def test_a_note_takes_its_metadata_from_front_matter(files: dict[str, Path]) -> None:
    document = read_note(files["note"])
    meta = document.meta
    assert (meta.title, meta.year, meta.keywords) == ("Field notes on harbour songs", 2021,
                                                      ["oral history", "fieldwork"])
    assert not document.passages[0].text.startswith("#")  # Markdown marks are not text


def test_bib_entries_give_their_abstracts_and_attached_pdfs(files: dict[str, Path]) -> None:
    documents, issues = read_bib(files["bib"])
    assert not issues
    okafor, adeyemi, weber = documents
    assert okafor.meta.key == "okafor2019" and okafor.files == [files["attached"]]
    assert okafor.pages == 2 and okafor.meta.line == 2
    assert (okafor.meta.language, okafor.meta.language_from) == ("en", "bib")
    assert any(p.page == 2 and PLANTED in p.text for p in okafor.passages)
    assert OLD_FACT in adeyemi.passages[0].text and adeyemi.meta.regions == ["Nigeria"]
    assert (weber.meta.language, weber.meta.language_from) == ("de", "detected")


def test_a_bib_naming_a_missing_pdf_keeps_the_entry_and_says_so(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a1, author={Ba, Ama}, title={Kente cloth}, year={2001},\n"
                   "  file={:gone.pdf:PDF}}\n")
    documents, issues = read_bib(bib)
    assert [d.meta.title for d in documents] == ["Kente cloth"]
    assert [str(issue) for issue in issues] == [
        f"{bib}:1: entry 'a1' names {tmp_path / 'gone.pdf'}, which does not exist; indexed "
        "without it: fix its file field"]


@pytest.mark.parametrize("field, expected", [
    ("Full Text PDF:/z/storage/AB/a.pdf:application/pdf;Snapshot:/z/s.html:text/html",
     ["/z/storage/AB/a.pdf"]),
    ("/a/b.pdf; /c d/e.PDF", ["/a/b.pdf", "/c d/e.PDF"]),
    (":rel/x.pdf:PDF", ["/bib/rel/x.pdf"]),
    ("C\\:\\\\Users\\\\me\\\\a.pdf", ["/bib/C:\\Users\\me\\a.pdf"]),
    ("Snapshot:/z/s.html:text/html", []),
])
def test_file_fields_as_zotero_better_bibtex_and_jabref_write_them(
        field: str, expected: list[str]) -> None:
    assert [str(p) for p in file_paths(field, Path("/bib"))] == expected


def test_passages_keep_paragraphs_and_cut_long_ones_at_sentences() -> None:
    long = " ".join(f"Sentence {n} has five words." for n in range(100))
    found = passages(f"Short one.\n\nShort two.\n\n{long}", page=3, words=50)
    assert found[0].text == "Short one. Short two."
    assert all(len(p.text.split()) <= 50 and p.page == 3 for p in found)
    assert " ".join(p.text for p in found[1:]) == long


@pytest.mark.parametrize("name, code", [("English", "en"), ("en", "en"), ("ngerman", "de"),
                                        ("deu", "de"), ("fre", "fr"), ("Français", "fr"),
                                        ("Yoruba", "yo"), ("xx-unknown", "xxunknown")])
def test_languages_are_read_as_one_code(name: str, code: str) -> None:
    assert language_code(name) == code


# indexing ----------------------------------------------------------------------------------

def test_a_folder_is_indexed_and_the_broken_pdf_skipped_with_its_name(
        tmp_path: Path, files: dict[str, Path]) -> None:
    opened = LibraryIndex(tmp_path / "other.sqlite3")
    report = add_paths(opened, [files["bib"].parent], "default")
    assert [path.name for path, _d, _p in report.added] == ["refs.bib", "harbour-notes.md",
                                                            "mensah2022.pdf"]
    assert report.documents == 5
    assert [p for p in report.problems if "broken.pdf" in p] == report.problems
    assert len(report.problems) == 1
    # the PDF the .bib names is read once, as part of its entry
    assert report.unchanged == [(files["attached"].resolve(),
                                 f"attached to an entry of {files['bib'].resolve()}, already "
                                 "in the library")]


def test_re_adding_unchanged_files_is_skipped_by_hash(index: LibraryIndex,
                                                      files: dict[str, Path]) -> None:
    before = [(d.id, d.sha256) for d in index.documents()]
    report = add_paths(index, [files["note"], files["bib"]], "default")
    assert report.added == []
    assert [why for _path, why in report.unchanged] == ["unchanged since it was added"] * 2
    assert [(d.id, d.sha256) for d in index.documents()] == before


def test_a_copy_of_a_file_already_added_is_skipped(index: LibraryIndex, files: dict[str, Path],
                                                   tmp_path: Path) -> None:
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(files["pdf"].read_bytes())
    report = add_paths(index, [copy], "default")
    assert report.unchanged == [(copy.resolve(), f"the same content as "
                                 f"{files['pdf'].resolve()}, already in the library")]


def test_a_changed_file_is_read_again_and_replaces_what_it_held(
        index: LibraryIndex, files: dict[str, Path]) -> None:
    files["note"].write_text("---\ntitle: Rewritten\n---\nThe notes now speak of ferries.\n")
    report = add_paths(index, [files["note"]], "default")
    assert report.documents == 1
    assert "Rewritten" in by_title(index) and "Field notes on harbour songs" not in by_title(index)
    assert search(index, "ferries").hits[0].document.meta.title == "Rewritten"


def test_reindex_reads_changed_files_and_names_missing_ones(index: LibraryIndex,
                                                            files: dict[str, Path]) -> None:
    files["pdf"].unlink()
    write_pdf(files["attached"], ["The tapes were moved to Ibadan in 2020."],
              title="Oral Archives of the Lagos Harbour", author="Ada Okafor", year=2019)
    report = reindex(index)
    assert report.missing == [str(files["pdf"].resolve())]
    assert [path.name for path, _d, _p in report.added] == ["refs.bib"]  # via its PDF
    assert search(index, "moved Ibadan").hits[0].document.meta.key == "okafor2019"


def test_tags_given_when_adding_are_kept_through_a_reindex(tmp_path: Path,
                                                           files: dict[str, Path]) -> None:
    opened = LibraryIndex(tmp_path / "tagged.sqlite3")
    add_paths(opened, [files["pdf"]], "lab", Tags(disciplines=("labour history",),
                                                  regions=("Ghana",)))
    reindex(opened, force=True)
    (document,) = opened.documents(["lab"])
    assert document.meta.disciplines == ["labour history"] and document.meta.regions == ["Ghana"]
    assert opened.documents(["default"]) == []


def test_removing_a_document_and_an_added_file(index: LibraryIndex,
                                               files: dict[str, Path]) -> None:
    titles = by_title(index)
    index.remove_document(titles["Radio and Memory in Western Nigeria"])
    assert index.remove_path("default", str(files["pdf"].resolve())) == 1
    assert sorted(by_title(index)) == ["Field notes on harbour songs", "Lieder der Hamburger "
                                       "Hafenarbeiter", "Oral Archives of the Lagos Harbour"]
    assert not search(index, "Tema choirs").hits


# searching -----------------------------------------------------------------------------------

def test_the_planted_passage_is_the_best_match(index: LibraryIndex) -> None:
    result = search(index, "How many cassette tapes does the Lagos archive hold?", 3)
    best = result.hits[0]
    assert PLANTED in best.text and best.page == 2
    assert best.document.meta.key == "okafor2019" and best.score > 0
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_one_document_gives_two_passages_at_most(index: LibraryIndex) -> None:
    hits = search(index, "harbour tapes Lagos archive songs cassette", 6).hits
    assert max(sum(h.document.id == d for h in hits) for d in {h.document.id for h in hits}) <= 2


def test_a_year_filter_excludes_the_old_work_and_counts_it(index: LibraryIndex) -> None:
    question = "When did the Ibadan radio station record oral histories?"
    assert search(index, question).hits[0].document.meta.year == 1970
    result = search(index, question, filters=Filters(years=(1990, 2026)))
    assert all(h.document.meta.year and h.document.meta.year >= 1990 for h in result.hits)
    assert result.filtered.excluded["years"] == [by_title(index)["Radio and Memory in Western "
                                                                  "Nigeria"]]
    assert result.matched_excluded == {"years": 1}
    assert result.filtered.rules == {"years": "1990–2026"}


def test_a_language_filter_excludes_the_german_work(index: LibraryIndex) -> None:
    question = "Hafenarbeiter Lieder Hamburg"
    assert search(index, question).hits[0].document.meta.language == "de"
    result = search(index, question, filters=Filters(languages=["English", "fr"]))
    assert result.hits == []
    assert result.matched_excluded == {"languages": 1}
    assert GERMAN[:20] not in " ".join(h.text for h in result.hits)


def test_documents_a_filter_cannot_judge_are_kept_and_counted(index: LibraryIndex) -> None:
    result = search(index, "harbour", filters=Filters(disciplines=["history"],
                                                       regions=["Western Africa"]))
    # the two with 'oral history' keywords match; the rest have no keywords
    assert result.filtered.unknown["disciplines"] == 3
    assert result.filtered.excluded["regions"] == []  # Nigeria and Ghana are West Africa
    assert result.filtered.unknown["regions"] == 3


SYNTAX = ['"', 'AND', 'OR NOT', 'NEAR(a b', 'col:x', '^start', 'a*', '(', ')', '-x', '+',
          'title : "x', "'; DROP TABLE passages; --", '\x00\x1b[2J', '""""', '{a b}']


@pytest.mark.parametrize("text", SYNTAX)
def test_fts_syntax_in_user_text_never_raises(index: LibraryIndex, text: str) -> None:
    search(index, f"cassette {text} tapes")
    search(index, text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_makes_a_query_of_quoted_words(text: str) -> None:
    query = fts_query(terms(text))
    assert all(part.startswith('"') and part.endswith('"') for part in query.split(" OR ")
               if query)


def test_common_words_are_not_searched_for(index: LibraryIndex) -> None:
    assert search(index, "what is the of and").query == ""
    assert search(index, "What is the Lagos archive?").query == '"lagos" OR "archive"'


# citations -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, numbers", [
    ("as shown [1] and [2]", [1, 2]), ("[1, 3]; [2–4]", [1, 3, 2, 4]),
    ("[1][1] [5-6]", [1, 5, 6]), ("a [link](x) and [12]", [12]), ("[1-900]", [1, 900]),
    ("none here", [])])
def test_numbered_citations_are_found(text: str, numbers: list[int]) -> None:
    assert markers(text) == numbers


def test_a_cited_number_never_given_is_missing() -> None:
    checked = check_markers("Tapes [1]; songs [3]; and [7].", [1, 2, 3])
    assert (checked.cited, checked.missing, checked.uncited) == ((1, 3), (7,), (2,))
