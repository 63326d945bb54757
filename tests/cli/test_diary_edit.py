"""`coalign diary edit ID` with $EDITOR set to a small script that edits the TOML."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryEntry, DiaryStore
from tui.main import main
from tui.paths import default_paths

CREATED = "2026-11-01T09:00:00Z"
# The editor: replace each `old=>new` pair given in $EDIT_RULES (';'-separated), the first
# rule whose old text is in the file; each run appends a line to $EDIT_LOG.
EDITOR = """\
import os, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
for rule in os.environ["EDIT_RULES"].split(";"):
    old, new = rule.split("=>")
    if old in text:
        text = text.replace(old, new)
        break
open(path, "w", encoding="utf-8").write(text)
open(os.environ["EDIT_LOG"], "a").write("run\\n")
"""


@pytest.fixture
def entry() -> DiaryEntry:
    store = DiaryStore(default_paths().diary_dir)
    return store.add(sample_entry(final_outcome="", created_at=CREATED))


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    log = tmp_path / "editor.log"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setenv("EDIT_LOG", str(log))
    return log


def _edit(entry: DiaryEntry, monkeypatch: pytest.MonkeyPatch, rules: str,
          typed: str = "") -> int:
    monkeypatch.setenv("EDIT_RULES", rules)
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    return main(["diary", "edit", entry.id])


def _file(entry: DiaryEntry) -> Path:
    return DiaryStore(default_paths().diary_dir).path_to(entry.id)


def test_a_valid_change_is_saved_and_stamped(
        entry: DiaryEntry, editor: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _edit(entry, monkeypatch, 'final_outcome = ""=>final_outcome = "partly"') == 0
    assert capsys.readouterr().out.strip() == f"saved {entry.id}"
    saved = DiaryStore(default_paths().diary_dir).get(entry.id)
    assert saved.final_outcome == "partly"
    assert (saved.id, saved.created_at) == (entry.id, CREATED)
    assert saved.updated_at > CREATED
    assert saved.misaligned_response == entry.misaligned_response


def test_an_invalid_change_is_refused_then_abandoned_and_the_file_kept(
        entry: DiaryEntry, editor: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = _file(entry).read_bytes()
    code = _edit(entry, monkeypatch, 'final_outcome = ""=>final_outcome = "sort of"', "n\n")
    err = capsys.readouterr().err
    assert code == 1 and _file(entry).read_bytes() == before
    assert f"{entry.id}.toml: final_outcome 'sort of' is unknown; use one of" in err
    assert "edit again? [Y/n]" in err and "abandoned" in err
    draft = Path(err.split("your edit is in ")[1].strip())
    assert 'final_outcome = "sort of"' in draft.read_text(encoding="utf-8")  # not lost


def test_editing_again_reopens_the_edit_not_the_original(
        entry: DiaryEntry, editor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = ('final_outcome = "sort of"=>final_outcome = "misaligned";'
             'final_outcome = ""=>final_outcome = "sort of"')
    assert _edit(entry, monkeypatch, rules, "y\n") == 0
    assert editor.read_text().count("run") == 2
    assert DiaryStore(default_paths().diary_dir).get(entry.id).final_outcome == "misaligned"


def test_id_and_created_at_cannot_be_changed(
        entry: DiaryEntry, editor: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = _file(entry).read_bytes()
    for rule in (f'id = "{entry.id}"=>id = "20990101T000000-abcdef"',
                 f'created_at = "{CREATED}"=>created_at = "2020-01-01T00:00:00Z"'):
        assert _edit(entry, monkeypatch, rule) == 1  # no answer to "edit again?": abandon
        assert "cannot be changed; put back" in capsys.readouterr().err
    assert _file(entry).read_bytes() == before


def test_no_change_rewrites_nothing(entry: DiaryEntry, editor: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = _file(entry).read_bytes()
    assert _edit(entry, monkeypatch, "nothing like this=>x") == 0
    assert "no change" in capsys.readouterr().out
    assert _file(entry).read_bytes() == before  # updated_at untouched


def test_an_unknown_entry_or_a_missing_editor_is_one_line_and_exit_2(
        entry: DiaryEntry, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diary", "edit", "20990101T000000-abcdef"]) == 2
    monkeypatch.setenv("VISUAL", "/nowhere/editor")
    assert main(["diary", "edit", entry.id]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "no diary entry" in lines[0]
    assert "cannot start the editor '/nowhere/editor'" in lines[1]
