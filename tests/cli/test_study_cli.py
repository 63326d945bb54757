"""`coalign study summary` and `coalign diary list --from` over a 12-participant study."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.study import GIVEN, make_study
from tui.alignment.diary import DiaryEntry, DiaryStore
from tui.alignment.diary.participant import Participant, write_participant
from tui.main import main


@pytest.fixture
def study(tmp_path: Path) -> list[Path]:
    return make_study(tmp_path / "study")


def _from(folders: list[Path]) -> list[str]:
    return [word for folder in folders for word in ("--from", str(folder))]


def _summary(folders: list[Path], capsys: pytest.CaptureFixture[str],
             *extra: str) -> tuple[str, str]:
    assert main(["study", "summary", *_from(folders), *extra]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def _section(text: str, title: str) -> list[str]:
    """The lines of one table: after its title (or the first blank line) up to a blank."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    return lines[start:lines.index("", start) if "" in lines[start:] else len(lines)]


def test_the_summary_table_counts_each_participant_and_the_study(
        study: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    out, err = _summary(study, capsys)
    assert out.startswith("12 participants")
    *table, footnote = _section(out, "")
    assert footnote.startswith("Wh = CPU seconds")
    header, rows = table[0], {line.split()[0]: line for line in table[1:]}
    assert header.split() == ["participant", "consent", "entries", "aligned", "partly",
                              "misaligned", "none", "requests", "tokens", "Wh"]
    assert set(rows) >= {f"P{n:02d}" for n in range(1, 13)} | {"all", "consenting"}
    # P03: 2 entries (aligned, partly), two machines' usage summed: 5 requests, 750 tokens
    assert rows["P03"].split() == ["P03", "given", "2026-11-02", "2", "1", "1", "0", "0",
                                   "5", "750", "0.750"]
    assert rows["P04"].split()[3:] == ["3", "1", "1", "1", "0", "1", "150", "0.150"]
    assert rows["P07"].split()[1:4] == ["withdrawn", "2026-12-01", "2"]
    assert rows["P07"].split()[-3:] == ["-", "-", "-"]  # a withdrawn participant's usage
    assert rows["P11"].split()[1:5] == ["no", "participant", "file", "2"]
    assert rows["all"].split() == ["all", "30", "12", "12", "6", "0", "10", "1500", "1.500"]
    assert rows["consenting"].split()[:2] == ["consenting", "26"]
    entries_end = header.index("entries") + len("entries")  # numbers align right under it
    assert all(line[entries_end - 1].isdigit() and line[entries_end:entries_end + 1] == " "
               for line in table[1:])
    assert "withdrew consent" in err  # why P07's usage is left out


def test_values_interventions_and_profiles_are_ranked(
        study: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    out, _err = _summary(study, capsys)
    values = _section(out, "values at risk, ranked (case-insensitive)")
    # RELIABILITY, reliability; " Care", care: one value each, named as most often written
    assert [line.split() for line in values[1:]] == [
        ["reliability", "24", "12"], ["care", "18", "12"], ["honesty", "6", "6"]]
    kinds = {line.split()[0]: line.split()[1:] for line in
             _section(out, "interventions by kind")}
    assert kinds["participant"] == ["rewind", "retry", "mark", "stop", "profile", "pause"]
    assert kinds["P02"] == ["1", "1", "2", "0", "0", "0"]
    assert kinds["all"] == ["6", "12", "24", "0", "0", "0"]
    profiles = [line.split() for line in _section(out, "profiles used")[1:]]
    assert profiles == [["neutral", "15", "5"], ["lab-care", "12", "6"],
                        ["not", "recorded", "3", "1"]]


def test_the_summary_as_json(study: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    out, _err = _summary(study, capsys, "--json")
    data = json.loads(out)
    people = {row["participant"]: row for row in data["participants"]}
    assert len(people) == 12
    assert people["P07"]["consent"] is False
    assert people["P07"]["consent_withdrawn_at"] == "2026-12-01T10:00:00Z"
    assert people["P11"]["participant_file"] is False
    assert people["P03"]["usage"]["requests"] == 5
    assert people["P08"]["usage"] is None
    assert people["P04"]["outcomes"] == {"aligned": 1, "partly": 1, "misaligned": 1, "none": 0}
    assert data["total"]["entries"] == 30 and data["consenting"]["entries"] == 26
    assert data["values_at_risk"][0] == {"value": "reliability", "entries": 24,
                                         "participants": 12}


def test_a_missing_folder_is_said_and_the_others_counted(
        study: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = _summary([*study[:2], tmp_path / "nowhere"], capsys)
    assert out.startswith("2 participants") and "nowhere is not a folder" in err


def test_two_participants_with_one_pseudonym_are_two_rows(
        study: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twin = tmp_path / "twin"
    twin.mkdir()
    write_participant(twin, Participant("ffffffffffffffff", "P01", True, GIVEN))
    DiaryStore(twin).add(DiaryEntry(misaligned_response="x", pseudonym="P01"))
    out, _err = _summary([study[0], twin], capsys, "--json")
    rows = {row["participant"]: row["entries"] for row in json.loads(out)["participants"]}
    assert rows == {"P01 (00000000)": 2, "P01 (ffffffff)": 1}


def test_diary_list_from_several_folders_has_a_participant_column(
        study: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diary", "list", *_from(study[:3]), "--outcome", "partly"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "participant", "outcome", "values", "misaligned",
                                "response"]
    assert [line.split()[1:3] for line in lines[1:]] == [
        ["P01", "partly"], ["P02", "partly"], ["P03", "partly"]]
    assert all("answer 1 of P0" in line for line in lines[1:])
