"""A study export streams its entries from the files: each file read once, and what it
writes is what an export of the entries read into memory writes (issue 12, item 6)."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest

import tui.alignment.diary.read_ahead as read_ahead
import tui.alignment.export.run as run_module
from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryStore, load_folders
from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.diary.folders import StudyFolders
from tui.alignment.diary.participant import FolderParticipant
from tui.alignment.export import FORMATS, run_export
from tui.alignment.export.redaction import Redactor
from tui.alignment.export.rows import COLUMNS, flat_row
from tui.alignment.export.run import BrokenFiles, ExportReport, export_folders
from tui.application.participant import ParticipantKeeper

PEOPLE = (("ana", "P01", True), ("bo", "", True), ("cy", "P03", False), ("dee", "P04", True),
          ("eve", "P04", True))


def study(tmp_path: Path, entries: int = 3) -> list[Path]:
    """Five participants' folders: one without consent, one without a pseudonym, two
    sharing one; entries interleave by id across the folders, with personal data."""
    folders = []
    for name, pseudonym, consent in PEOPLE:
        keeper = ParticipantKeeper(tmp_path / name, pseudonym, consent)
        store = keeper.store()
        for n in range(entries):
            store.add(sample_entry(
                misaligned_response=f"{name} wrote {n}; mail {name}@example.org",
                outcome_note=f"Call {name} on +44 7700 900123.", transcript=[]))
        folders.append(keeper.folder)
    return folders


def counting(made: list[object]) -> Callable[[list[Path]], StudyFolders]:
    """StudyFolders, counting how many an export makes (one more: it was made again)."""
    def make(paths: list[Path]) -> StudyFolders:
        made.append(paths)
        return StudyFolders(paths)
    return make


def exported(path: Path) -> bytes:
    """The export's bytes (a .qdpx: its members, without the time it was made)."""
    if path.suffix != ".qdpx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        parts = [archive.read(name) for name in archive.namelist()]
    return re.sub(rb'(<Project [^>]*creationDateTime=")[^"]*', rb"\1", b"\0".join(parts))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_streamed_export_writes_what_one_from_memory_writes(tmp_path: Path,
                                                              fmt: str) -> None:
    folders = study(tmp_path)
    names = ["Ada Lovelace"]
    streamed = export_folders(folders, fmt, tmp_path / f"s.{fmt}", pseudonymise=True,
                              redact_names=names)
    participants: list[FolderParticipant] = []
    entries = load_folders(folders, participants=participants)
    held = run_export(entries, fmt, tmp_path / f"m.{fmt}", participants=participants,
                      pseudonymise=True, redact_names=names)
    assert exported(tmp_path / f"s.{fmt}") == exported(tmp_path / f"m.{fmt}")
    assert (tmp_path / f"s.{fmt}.pseudonym-key.csv").read_text() == (
        tmp_path / f"m.{fmt}.pseudonym-key.csv").read_text()
    assert replace(streamed, key_path=held.key_path) == held
    assert (streamed.written, streamed.skipped_no_consent, streamed.key_added) == (12, 3, 4)
    assert len(streamed.warnings) == 2 and streamed.masked == {"e-mail": 12, "phone": 12}


@pytest.mark.skipif(not read_ahead.can_read_ahead(), reason="needs fork and two cores")
@pytest.mark.parametrize("fmt", FORMATS)
def test_entries_the_reader_masked_ahead_export_as_those_masked_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    folders = study(tmp_path, entries=5)

    def export(name: str) -> ExportReport:
        return export_folders(folders, fmt, tmp_path / f"{name}.{fmt}", pseudonymise=True,
                              redact_names=["Ada Lovelace"],
                              redact_report=tmp_path / f"{name}.masks.csv")
    here = export("here")  # 25 files: too few for a reader, all masked here
    monkeypatch.setattr(read_ahead, "READ_AHEAD_FILES", 1)
    monkeypatch.setattr(read_ahead, "BATCH", 2)
    monkeypatch.setattr(read_ahead, "_unread", lambda _sending: 1 << 30)  # this one is behind
    masked_ahead: list[str] = []
    take = Redactor.take

    def counted(self: Redactor, entry: DiaryEntry, found: list[tuple[str, str]]) -> None:
        masked_ahead.append(entry.id)
        take(self, entry, found)
    monkeypatch.setattr(Redactor, "take", counted)
    ahead = export("ahead")
    assert len(masked_ahead) >= 20  # every full batch, those without consent included
    assert exported(tmp_path / f"ahead.{fmt}") == exported(tmp_path / f"here.{fmt}")
    assert (tmp_path / "ahead.masks.csv").read_text() == (
        tmp_path / "here.masks.csv").read_text()
    assert (tmp_path / f"ahead.{fmt}.pseudonym-key.csv").read_text() == (
        tmp_path / f"here.{fmt}.pseudonym-key.csv").read_text()
    assert replace(ahead, key_path=None, redact_report=None) == replace(
        here, key_path=None, redact_report=None)
    assert ahead.masked == {"e-mail": 20, "phone": 20}


def test_each_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = study(tmp_path, entries=4)
    read: list[str] = []
    real = read_ahead.read_entry

    def counted(path: str, stem: str) -> object:
        read.append(Path(path).name)
        return real(path, stem)
    monkeypatch.setattr(read_ahead, "read_entry", counted)
    made: list[object] = []
    monkeypatch.setattr(run_module, "StudyFolders", counting(made))
    export_folders(folders, "qdpx", tmp_path / "study.qdpx", pseudonymise=True,
                   redact_names=[])
    assert len(read) == 4 * len(PEOPLE) == len(set(read)) and len(made) == 1


def test_broken_files_stop_a_streamed_export_before_anything_is_kept(tmp_path: Path) -> None:
    folders = study(tmp_path)
    broken = next(folders[3].glob("2*.toml"))
    broken.write_text("<<<<<<< HEAD\n" + broken.read_text() + ">>>>>>> theirs\n")
    out = tmp_path / "study.csv"
    with pytest.raises(BrokenFiles) as stopped:
        export_folders(folders, "csv", out, pseudonymise=True)
    assert [p.split(": ")[0] for p in stopped.value.problems] == [str(broken)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name for name, *_ in PEOPLE]


def test_a_participant_whose_every_entry_is_broken_is_left_out_as_from_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = study(tmp_path, entries=2)
    for path in folders[0].glob("2*.toml"):  # ana's: the export holds one person fewer
        path.write_text("misaligned_response = [\n")
    made: list[object] = []
    monkeypatch.setattr(run_module, "StudyFolders", counting(made))
    report = export_folders(folders, "csv", tmp_path / "s.csv", pseudonymise=True,
                            skip_broken=True)
    assert len(made) == 2  # the streamed export was dropped and made again from memory
    entries = load_folders(folders)
    run_export(entries, "csv", tmp_path / "m.csv", pseudonymise=True)
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "m.csv").read_bytes()
    assert len(report.skipped_files) == 2 and report.written == 6 and report.key_added == 3
    assert "ana" not in (tmp_path / "s.csv.pseudonym-key.csv").read_text()


def test_an_entry_in_two_folders_is_exported_once_as_last_updated(tmp_path: Path) -> None:
    folders = study(tmp_path, entries=1)
    entry = DiaryStore(folders[0]).list()[0]
    DiaryStore(folders[3]).add(replace(entry, updated_at="2099-01-01T00:00:00Z"))  # dee's wins
    report = export_folders(folders, "jsonl", tmp_path / "s.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    [row] = [row for row in rows if row["id"] == entry.id]
    assert report.written == len(rows) == 4
    assert row["updated_at"] == "2099-01-01T00:00:00Z" and row["pseudonym"].startswith("P04-")
    assert row["misaligned_response"] == entry.misaligned_response


def test_a_csv_row_holds_each_column_s_own_field() -> None:
    entry = sample_entry(values_at_risk=["care", "trust"], message_ids=[3, 9],
                         interventions=[{"kind": "mark"}, {"kind": "retry"}],
                         marks=[{"validity": "valid", "understanding": "understood",
                                 "reason": "fine"}], model="m", session_id="s")
    row = dict(zip(COLUMNS, flat_row(entry)))
    plain = {name: getattr(entry, name) for name in COLUMNS if hasattr(entry, name)
             and isinstance(getattr(entry, name), str)}
    assert {name: row[name] for name in plain} == plain
    assert (row["values_at_risk"], row["message_ids"], row["interventions"]) == (
        "care; trust", "3; 9", "mark; retry")
    assert (row["validity"], row["understanding"], row["mark_reasons"]) == (
        "valid", "understood", "fine")
    assert (row["profile"], row["profile_source"], row["profile_commit"]) == (
        "lab", "git", "abc123")
