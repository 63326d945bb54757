"""`coalign library add | list | show | remove | search | reindex` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.library import PLANTED, make_library
from tui.main import main


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return make_library(tmp_path / "lib")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["library", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_indexes_a_folder_and_names_the_broken_pdf(
        files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "add", str(files["bib"].parent))
    assert code == 1  # one file could not be read
    assert f"added {files['bib'].resolve()}: 3 documents, 5 passages" in out
    assert out.splitlines()[-1] == ("3 files indexed (5 documents, 8 passages), 1 unchanged, "
                                    "1 with problems")
    broken = files["broken"].resolve()
    assert err.splitlines() == [f"warning: {broken}: is not a readable PDF (Stream has ended "
                                "unexpectedly); skipped: open it in a PDF reader and save it "
                                "again, or export it anew"]


def test_adding_again_skips_unchanged_files(files: dict[str, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", str(files["note"]))
    code, out, err = run(capsys, "add", str(files["note"]))
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"skipped {files['note'].resolve()}: unchanged since it was "
                                "added", "0 files indexed (0 documents, 0 passages), 1 "
                                "unchanged, 0 with problems"]


def test_list_show_search_remove(files: dict[str, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", str(files["bib"]), "--discipline", "history")
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert out.splitlines()[0].startswith("#1     bib   2019 en  Okafor & Mensah (2019) “Oral "
                                          "Archives of the Lagos Harbour”  (")
    assert out.splitlines()[-1] == "default: 3 documents, 5 passages"
    code, out, _ = run(capsys, "show", "1")
    assert "  disciplines: history" in out and "  language:    en (bib)" in out
    assert "  passages:    3 from 2 pages" in out and "p. 2: Findings. We counted" in out
    code, out, _ = run(capsys, "search", "cassette", "tapes", "NEAR(", '"', "*")
    assert code == 0 and out.startswith("[1] ") and PLANTED in out
    code, out, _ = run(capsys, "search", "radio", "Ibadan", "--profile", "smollm2-hedging")
    assert "filter years 1850–2026: 0 documents excluded" in out
    code, out, _ = run(capsys, "remove", "#2")
    assert out == "removed #2 Adeyemi (1970)\n"
    code, out, _ = run(capsys, "remove", str(files["bib"]))
    assert out == f"removed 2 documents of {files['bib'].resolve()}\n"
    assert run(capsys, "list")[1] == ("the library is empty: add files with `coalign library "
                                      "add PATH…`\n")


def test_bad_targets_are_one_line_and_status_2(files: dict[str, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list")
    assert code == 2 and err.startswith("coalign: no library yet at ")
    run(capsys, "add", str(files["note"]))
    code, _, err = run(capsys, "show", "99")
    assert (code, err) == (2, "coalign: no document '99': `coalign library list` shows their "
                              "numbers\n")
    code, _, err = run(capsys, "remove", "/nowhere/x.pdf")
    assert code == 2 and err == ("coalign: /nowhere/x.pdf: not in library default; `coalign "
                                 "library list` shows what is\n")
    code, _, err = run(capsys, "add", "/nowhere/y.pdf")
    assert code == 1 and err == "warning: /nowhere/y.pdf: no such file or folder; skipped\n"


def test_reindex_reads_changed_files_only(files: dict[str, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", str(files["note"]), str(files["pdf"]))
    files["note"].write_text("A new note about ferries on the lagoon.\n")
    code, out, _ = run(capsys, "reindex")
    assert code == 0
    assert out.splitlines()[0] == f"added {files['note'].resolve()}: 1 document, 1 passage"
    assert "ferries" in run(capsys, "search", "ferries")[1]
