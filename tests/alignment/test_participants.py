"""Participants and consent that live with the diary: the participant file, withdrawal,
people kept apart, stable pseudonyms across exports, and broken files stopping an export."""

from __future__ import annotations

import csv
import json
import stat
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryEntry, DiaryError, DiaryStore, load_folders
from tui.alignment.diary.participant import (
    PARTICIPANT_FILE,
    Participant,
    read_participant,
    write_participant,
)
from tui.alignment.export import FORMATS
from tui.alignment.export.pseudonyms import PseudonymKey
from tui.alignment.export.run import BrokenFiles, export_folders
from tui.application.participant import ParticipantKeeper, give_consent, withdraw_consent


def participant(tmp_path: Path, name: str, pseudonym: str = "", consent: bool = True,
                entries: int = 2, seen: Path | None = None) -> ParticipantKeeper:
    """A participant's diary folder with entries written the way every front end does."""
    keeper = ParticipantKeeper(tmp_path / name, pseudonym, consent, seen)
    store = keeper.store()
    for n in range(entries):
        store.add(sample_entry(pseudonym="stale", consent=False, transcript=[],
                               misaligned_response=f"{name} wrote answer {n}"))
    return keeper


def exported_text(path: Path) -> str:
    if path.suffix == ".qdpx":
        with zipfile.ZipFile(path) as archive:
            return "".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    return path.read_text(encoding="utf-8")


def csv_pseudonyms(path: Path) -> dict[str, str]:
    """misaligned_response's first word (the folder name) -> pseudonym, from a CSV export."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["misaligned_response"].split()[0]: row["pseudonym"]
                for row in csv.DictReader(handle)}


def test_the_participant_file_is_made_on_first_use_and_entries_carry_its_id(
        tmp_path: Path) -> None:
    keeper = participant(tmp_path, "ana", "P03", consent=True, entries=2)
    found = read_participant(keeper.folder)
    assert found is not None and len(found.id) == 16
    assert (found.pseudonym, found.consent, found.consent_given_at[:2]) == ("P03", True, "20")
    stored = DiaryStore(keeper.folder).list()
    assert len(stored) == 2  # the participant file is not read as an entry
    assert {(e.participant_id, e.pseudonym, e.consent) for e in stored} == {(found.id, "P03",
                                                                             True)}
    assert participant(tmp_path, "ana", "P03").current().id == found.id  # stable


def test_a_withdrawal_after_writing_leaves_no_entry_in_any_export(tmp_path: Path) -> None:
    folders = [participant(tmp_path, name, pseudonym, consent=True)
               for name, pseudonym in (("ana", "P01"), ("bo", "P02"), ("cy", "P03"))]
    withdrawal = withdraw_consent(folders[2], delete_entries=False)
    assert (withdrawal.deleted, withdrawal.kept) == (0, 2)
    for fmt in FORMATS:
        out = tmp_path / f"study.{fmt}"
        report = export_folders([k.folder for k in folders], fmt, out)
        text = exported_text(out)
        assert "cy wrote" not in text and "P03" not in text, fmt
        assert "ana wrote" in text and "bo wrote" in text
        assert (report.written, report.skipped_no_consent) == (4, 2)
        [absent] = report.left_out
        assert absent.label == "P03" and absent.reason.startswith("withdrew consent on 20")
        assert absent.entries == 2
    # pseudonymised too: the left-out participant is in no export
    report = export_folders([k.folder for k in folders], "jsonl", tmp_path / "p.jsonl",
                            pseudonymise=True)
    lines = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert {line["pseudonym"] for line in lines} == {"P01", "P02"} and len(lines) == 4


def test_consent_stamped_on_an_entry_decides_nothing(tmp_path: Path) -> None:
    keeper = participant(tmp_path, "ana", "P01", consent=False)
    DiaryStore(keeper.folder).add(sample_entry(consent=True, misaligned_response="ana again"))
    report = export_folders([keeper.folder], "csv", tmp_path / "a.csv")
    assert report.written == 0 and report.left_out[0].reason == "has not given consent"
    give_consent(keeper)
    assert export_folders([keeper.folder], "csv", tmp_path / "b.csv").written == 3


def test_a_folder_without_participant_file_is_left_out_and_named(tmp_path: Path) -> None:
    DiaryStore(tmp_path / "old").add(sample_entry(consent=True))
    report = export_folders([tmp_path / "old"], "md", tmp_path / "old.md")
    assert report.written == 0
    assert report.left_out[0].label == str(tmp_path / "old")
    assert "coalign diary consent give" in report.left_out[0].reason


def test_config_changes_carry_over_with_dates_but_never_undo_a_withdrawal(
        tmp_path: Path) -> None:
    seen = tmp_path / "data" / "participant-config.toml"
    keeper = participant(tmp_path, "ana", "P01", consent=True, seen=seen)
    withdraw_consent(keeper, delete_entries=False)
    again = ParticipantKeeper(keeper.folder, "P01", True, seen)  # config still says true
    assert not again.current().consent
    off = ParticipantKeeper(keeper.folder, "P01", False, seen).current()
    assert not off.consent  # config now false: already withdrawn
    on = ParticipantKeeper(keeper.folder, "P09", True, seen).current()
    assert on.consent and on.pseudonym == "P09" and on.consent_given_at >= on.created_at
    # a machine that did not make the file never overrides it, only fills in a pseudonym
    other = ParticipantKeeper(keeper.folder, "P77", False, tmp_path / "other.toml").current()
    assert (other.consent, other.pseudonym) == (True, "P09")


def test_withdrawal_can_delete_the_entries(tmp_path: Path) -> None:
    keeper = participant(tmp_path, "ana", "P01", entries=3)
    (keeper.folder / "20261201T000000-abcdef.toml").write_text("broken = [")
    done = withdraw_consent(keeper, delete_entries=True)
    assert (done.deleted, done.kept) == (4, 0)
    assert sorted(p.name for p in keeper.folder.glob("*.toml")) == [PARTICIPANT_FILE]


def test_two_people_without_pseudonym_are_kept_apart_and_warned_about(tmp_path: Path) -> None:
    ana, bo = participant(tmp_path, "ana"), participant(tmp_path, "bo")
    cy, dee = participant(tmp_path, "cy", "P05"), participant(tmp_path, "dee", "P05")
    out = tmp_path / "study.csv"
    report = export_folders([k.folder for k in (ana, bo, cy, dee)], "csv", out)
    names = csv_pseudonyms(out)
    ids = {name: k.current().short_id for name, k in zip(("ana", "bo", "cy", "dee"),
                                                          (ana, bo, cy, dee))}
    assert names == {"ana": f"unnamed-{ids['ana']}", "bo": f"unnamed-{ids['bo']}",
                     "cy": f"P05-{ids['cy']}", "dee": f"P05-{ids['dee']}"}
    nameless = next(w for w in report.warnings if "no pseudonym" in w)
    assert nameless.startswith("2 participants have no pseudonym (ids ")
    assert ids["ana"] in nameless and ids["bo"] in nameless and "kept apart as" in nameless
    assert any(w.startswith("2 participants share the pseudonym P05") for w in report.warnings)
    md = tmp_path / "study.md"
    export_folders([k.folder for k in (ana, bo)], "md", md)
    assert md.read_text().count("(2 entries)") == 2  # two headings, not one of four


def test_exporting_twice_with_a_key_keeps_every_pseudonym(tmp_path: Path) -> None:
    people = {f"p{n:02d}": participant(tmp_path, f"p{n:02d}", f"P{n:02d}", entries=1)
              for n in range(1, 10)}
    key = tmp_path / "private" / "key.csv"
    key.parent.mkdir()
    first = export_folders([k.folder for k in people.values()], "csv", tmp_path / "a.csv",
                           key_out=key)
    assert first.key_path == key and first.key_added == 9
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = csv_pseudonyms(tmp_path / "a.csv")
    again = export_folders([k.folder for k in people.values()], "csv", tmp_path / "b.csv",
                           key=key)
    assert csv_pseudonyms(tmp_path / "b.csv") == before and again.key_added == 0
    withdraw_consent(people["p07"], delete_entries=False)  # P07 leaves: P08 stays P08's
    people["p10"] = participant(tmp_path, "p10", "P10", entries=1)  # someone new
    later = export_folders([k.folder for k in people.values()], "csv", tmp_path / "c.csv",
                           key=key)
    after = csv_pseudonyms(tmp_path / "c.csv")
    assert "p07" not in after and all(after[name] == before[name] for name in before
                                      if name != "p07")
    assert after["p10"] == "P10" and later.key_added == 1  # the next free number
    rows = list(csv.DictReader(key.open()))
    assert [r["pseudonym"] for r in rows] == [f"P{n:02d}" for n in range(1, 11)]
    assert rows[6]["participant_id"] == people["p07"].current().id  # kept for next time
    subset = export_folders([people["p03"].folder, people["p10"].folder], "csv",
                            tmp_path / "d.csv", key=key)
    assert csv_pseudonyms(tmp_path / "d.csv") == {"p03": before["p03"], "p10": "P10"}
    assert subset.key_added == 0 and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_the_default_key_beside_the_export_is_extended_not_overwritten(tmp_path: Path) -> None:
    ana, bo = participant(tmp_path, "ana", "Ana"), participant(tmp_path, "bo", "Bo")
    out = tmp_path / "study.csv"
    first = export_folders([bo.folder], "csv", out, pseudonymise=True)
    assert first.key_path is not None and not first.key_extended
    second = export_folders([ana.folder, bo.folder], "csv", out, pseudonymise=True)
    assert second.key_path == first.key_path and second.key_extended
    assert csv_pseudonyms(out) == {"bo": "P01", "ana": "P02"}
    with pytest.raises(DiaryError, match="no pseudonym key"):
        export_folders([ana.folder], "csv", out, key=tmp_path / "typo.csv")


def test_a_key_from_before_participant_ids_is_adopted(tmp_path: Path) -> None:
    key = tmp_path / "old-key.csv"
    key.write_text("original,pseudonym\nAna,P04\n")
    ana, bo = participant(tmp_path, "ana", "Ana"), participant(tmp_path, "bo", "Bo")
    export_folders([ana.folder, bo.folder], "csv", tmp_path / "s.csv", key=key)
    assert csv_pseudonyms(tmp_path / "s.csv") == {"ana": "P04", "bo": "P05"}
    assert PseudonymKey.read(key).rows[0].participant_id == ana.current().id


def test_merge_conflict_markers_stop_the_export_unless_skip_broken(tmp_path: Path) -> None:
    keeper = participant(tmp_path, "ana", "P01", entries=2)
    entry = DiaryStore(keeper.folder).list()[0]
    path = keeper.folder / f"{entry.id}.toml"
    text = path.read_text()
    path.write_text(text.replace('final_outcome = "partly"\n',
                                 '<<<<<<< HEAD\nfinal_outcome = "partly"\n=======\n'
                                 'final_outcome = "aligned"\n>>>>>>> laptop\n'))
    out = tmp_path / "study.csv"
    with pytest.raises(BrokenFiles) as stopped:
        export_folders([keeper.folder], "csv", out)
    [problem] = stopped.value.problems
    assert problem.startswith(f"{path}: holds an unresolved git merge conflict (line ")
    assert "git add" in problem and not out.exists()
    assert "--skip-broken" in str(stopped.value)
    report = export_folders([keeper.folder], "csv", out, skip_broken=True)
    assert report.written == 1 and report.skipped_files == (problem,)
    store = DiaryStore(keeper.folder)
    assert len(store.list()) == 1 and "merge conflict" in store.problems[0]  # list goes on


def test_a_conflicted_participant_file_stops_the_export_too(tmp_path: Path) -> None:
    keeper = participant(tmp_path, "ana", "P01")
    file = keeper.folder / PARTICIPANT_FILE
    file.write_text("<<<<<<< HEAD\n" + file.read_text() + "=======\n>>>>>>> other\n")
    with pytest.raises(BrokenFiles, match="1 diary file cannot be read"):
        export_folders([keeper.folder], "jsonl", tmp_path / "x.jsonl")
    report = export_folders([keeper.folder], "jsonl", tmp_path / "x.jsonl", skip_broken=True)
    assert report.written == 0 and "merge conflict" in report.skipped_files[0]


def test_a_participant_file_is_checked_and_round_trips(tmp_path: Path) -> None:
    made = Participant.new("P02", consent=True).withdrawn()
    write_participant(tmp_path, made)
    assert read_participant(tmp_path) == made and made.why_left_out().startswith("withdrew")
    (tmp_path / PARTICIPANT_FILE).write_text('participant_id = "P02"\n')
    with pytest.raises(DiaryError, match="participant_id 'P02' is not 16 hex digits"):
        read_participant(tmp_path)


def test_load_folders_puts_the_folders_participant_on_each_entry(tmp_path: Path) -> None:
    keeper = participant(tmp_path, "ana", "P01", consent=True)
    DiaryStore(keeper.folder).add(DiaryEntry(misaligned_response="x", pseudonym="P99"))
    found = load_folders([keeper.folder])
    assert {(e.pseudonym, e.consent, e.participant_id) for e in found} == {
        ("P01", True, keeper.current().id)}
