"""A study repo that git merges without conflicts: diary_dir, the participant file through
`coalign diary consent`, usage per machine, `usage --from` repeated, and exports that stop
at a merge conflict."""

from __future__ import annotations

import csv
import shutil
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_SYSTEM_PROMPT
from tests.fixtures.fakes import FakeEngine
from tests.fixtures.lab import git
from tui.alignment.diary import DiaryStore
from tui.alignment.diary.participant import PARTICIPANT_FILE, read_participant
from tui.alignment.store import Store
from tui.application.diary import DiaryRecorder
from tui.application.participant import keeper_for
from tui.application.service import ChatService
from tui.application.usage import machine_id
from tui.engine.base import SamplingSettings
from tui.errors import DataDirError
from tui.main import main
from tui.paths import default_paths

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def machine(monkeypatch: pytest.MonkeyPatch, home: Path, diary: Path, config: str = "") -> None:
    """Switch to another machine: its own COALIGN_HOME whose config points diary_dir."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'diary_dir = "{diary}"\n{config}')
    monkeypatch.setenv("COALIGN_HOME", str(home))


def answer(questions: int, tmp_path: Path, name: str) -> DiaryRecorder:
    """This machine's recorder after `questions` answers (usage is recorded after each)."""
    paths = default_paths()
    keeper = keeper_for(paths)
    engine = FakeEngine()
    engine.start_loading()
    service = ChatService(Store(tmp_path / f"{name}.sqlite3"), engine,
                          SamplingSettings(max_tokens=8), TEST_SYSTEM_PROMPT)
    recorder = DiaryRecorder(service, keeper.store(), keeper.pseudonym, keeper.consent,
                             keeper, machine_id(paths))
    for n in range(questions):
        service.send(f"question {n}").wait()
    return recorder


def usage_table(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        words = line.split()
        if words and words[0] in ("participant", "profile"):
            rows[" ".join(words[:2])] = words[2:]
        elif words:
            rows[words[0]] = words[1:]
    return rows


def test_diary_dir_comes_from_the_environment_or_config(
        coalign_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    coalign_home.mkdir()
    (coalign_home / "config.toml").write_text('diary_dir = "study/P01"\npseudonym = "P01"\n')
    assert default_paths().diary_dir == coalign_home / "study" / "P01"
    code, out, _ = run(capsys, "diary", "add", "--misaligned-response", "made up a source")
    assert code == 0 and list((coalign_home / "study" / "P01").glob("2*.toml"))
    made = read_participant(coalign_home / "study" / "P01")  # made now
    assert made is not None and made.pseudonym == "P01"
    monkeypatch.setenv("COALIGN_DIARY_DIR", str(tmp_path / "elsewhere"))
    assert default_paths().diary_dir == tmp_path / "elsewhere"
    assert run(capsys, "diary", "list")[1].strip() == "no diary entries"


def test_consent_is_shown_given_and_withdrawn_and_the_export_names_who_left(
        coalign_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    machine(monkeypatch, tmp_path / "ana-home", tmp_path / "study" / "ana",
            'pseudonym = "P07"\n')
    code, out, _ = run(capsys, "diary", "consent")
    assert code == 0 and "pseudonym P07" in out and "consent: not given" in out
    assert run(capsys, "diary", "add", "--misaligned-response", "ana's answer")[0] == 0
    code, out, _ = run(capsys, "diary", "consent", "give")
    assert code == 0 and out.startswith("consent given on 20")
    machine(monkeypatch, tmp_path / "bo-home", tmp_path / "study" / "bo",
            'pseudonym = "P08"\nconsent = true\n')
    assert run(capsys, "diary", "add", "--misaligned-response", "bo's answer")[0] == 0
    folders = ["--from", str(tmp_path / "study" / "ana"), "--from", str(tmp_path / "study" / "bo")]
    code, out, _ = run(capsys, "diary", "export", "--format", "csv", "-o",
                       str(tmp_path / "a.csv"), *folders)
    assert code == 0 and out.startswith("wrote 2 entries")
    machine(monkeypatch, tmp_path / "ana-home", tmp_path / "study" / "ana", 'pseudonym = "P07"\n')
    code, out, _ = run(capsys, "diary", "consent", "withdraw", "--delete-entries")
    assert code == 0 and "consent withdrawn on 20" in out and "deleted 1 entries" in out
    assert [p.name for p in (tmp_path / "study" / "ana").glob("*.toml")] == [PARTICIPANT_FILE]
    code, out, _ = run(capsys, "diary", "consent")
    assert "consent: withdrew consent on 20" in out
    code, out, _ = run(capsys, "diary", "add", "--misaligned-response", "ana writes on")
    code, out, _ = run(capsys, "diary", "export", "--format", "csv", "-o",
                       str(tmp_path / "b.csv"), *folders)
    assert code == 0 and "left out 1 without consent" in out
    assert "left out P07: withdrew consent on 20" in out and "(1 entry)" in out
    assert "ana" not in (tmp_path / "b.csv").read_text()


def test_withdraw_off_a_terminal_keeps_the_entries_and_says_how_to_delete(
        coalign_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "diary", "add", "--misaligned-response", "x")[0] == 0
    code, out, _ = run(capsys, "diary", "consent", "withdraw")
    assert code == 0 and "kept 1 entries" in out and "--delete-entries" in out


def test_two_machines_usage_on_one_day_both_count_and_neither_rewrites_the_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    diary = tmp_path / "study" / "P10"
    machine(monkeypatch, tmp_path / "laptop", diary, 'pseudonym = "P10"\nconsent = true\n')
    laptop = answer(2, tmp_path, "laptop")
    machine(monkeypatch, tmp_path / "desktop", diary, 'pseudonym = "P10"\nconsent = true\n')
    desktop = answer(1, tmp_path, "desktop")
    day = time.strftime("%Y-%m-%d")
    files = sorted((diary / "usage" / day).glob("*.toml"))
    assert [f.stem for f in files] == sorted([laptop.machine, desktop.machine])
    assert laptop.machine != desktop.machine and "." not in laptop.machine  # not a hostname
    made = read_participant(diary)
    entries = [laptop.save(laptop.draft()), desktop.save(desktop.draft())]  # /diary, F5
    assert made is not None and {e.participant_id for e in entries} == {made.id}
    theirs = diary / "usage" / day / f"{desktop.machine}.toml"
    before = theirs.read_bytes()
    laptop.service.send("one more").wait()  # the laptop records again: its own file only
    assert theirs.read_bytes() == before
    code, out, _ = run(capsys, "usage", "--from", str(diary))
    assert code == 0 and usage_table(out)["all"][0] == "4"
    assert usage_table(out)["participant P10"][0] == "4"


def test_usage_from_accepts_the_repeated_form_and_respects_consent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folders = {}
    for name, questions, consent in (("A", 1, "true"), ("B", 2, "true"), ("C", 4, "false")):
        folders[name] = tmp_path / "study" / name
        machine(monkeypatch, tmp_path / f"home-{name}", folders[name],
                f'pseudonym = "P-{name}"\nconsent = {consent}\n')
        answer(questions, tmp_path, name)
    a, b, c = (str(folders[n]) for n in "ABC")
    for argv in (["--from", a, "--from", b, "--from", c], ["--from", a, b, c],
                 ["--from", a, "--from", b, c]):
        code, out, err = run(capsys, "usage", *argv)
        table = usage_table(out)
        assert code == 0 and table["all"][0] == "3", argv
        assert table["participant P-A"][0] == "1" and table["participant P-B"][0] == "2"
        assert "participant P-C" not in table
        assert f"{c}: usage left out: P-C has not given consent" in err


def test_an_export_stops_at_a_merge_conflict_unless_skip_broken(
        coalign_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    coalign_home.mkdir()
    (coalign_home / "config.toml").write_text('pseudonym = "P01"\nconsent = true\n')
    for text in ("first", "second"):
        assert run(capsys, "diary", "add", "--misaligned-response", text)[0] == 0
    path = next(p for p in DiaryStore(default_paths().diary_dir).folder.glob("2*.toml")
                if "first" in p.read_text())
    path.write_text("<<<<<<< HEAD\n" + path.read_text() + "=======\nx = 1\n>>>>>>> theirs\n")
    out_file = tmp_path / "study.jsonl"
    code, out, err = run(capsys, "diary", "export", "--format", "jsonl", "-o", str(out_file))
    assert code == 2 and out == "" and not out_file.exists()
    lines = err.splitlines()
    assert lines[0] == (f"coalign: {path}: holds an unresolved git merge conflict (line 1: "
                        "<<<<<<<); open it, keep the lines you want and delete the <<<<<<< "
                        "======= >>>>>>> marker lines (or `git checkout --ours FILE` / "
                        "`--theirs FILE`), then `git add` and commit")
    assert lines[1].startswith("coalign: export stopped: 1 diary file cannot be read")
    assert "--skip-broken" in lines[1] and "Traceback" not in err
    code, out, err = run(capsys, "diary", "export", "--format", "jsonl", "-o", str(out_file),
                         "--skip-broken")
    assert code == 0 and out.startswith("wrote 1 entries")
    assert err.startswith(f"warning: skipped {path}: holds an unresolved git merge conflict")
    code, out, err = run(capsys, "diary", "list")
    assert code == 0 and "second" in out and "first" not in out and "merge conflict" in err


def test_export_with_a_key_twice_gives_the_same_pseudonyms_and_a_private_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folders = []
    for name in ("ana", "bo", "cy"):
        folders += ["--from", str(tmp_path / "study" / name)]
        machine(monkeypatch, tmp_path / f"home-{name}", tmp_path / "study" / name,
                f'pseudonym = "{name}"\nconsent = true\n')
        assert run(capsys, "diary", "add", "--misaligned-response", f"{name} says")[0] == 0
    key = tmp_path / "coordinator" / "key.csv"
    key.parent.mkdir()
    seen = []
    for n, flag in enumerate(("--key-out", "--key", "--key")):
        if n == 2:
            folders = folders[2:]  # ana left out: the others keep theirs
        code, out, _ = run(capsys, "diary", "export", "--format", "csv", "-o",
                           str(tmp_path / f"{n}.csv"), *folders, flag, str(key))
        assert code == 0 and f"pseudonym key: {key}" in out
        with open(tmp_path / f"{n}.csv", newline="") as handle:
            seen.append({r["misaligned_response"]: r["pseudonym"] for r in csv.DictReader(handle)})
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert seen[0] == seen[1] == {"ana says": "P01", "bo says": "P02", "cy says": "P03"}
    assert seen[2] == {"bo says": "P02", "cy says": "P03"}
    assert not list(tmp_path.glob("*.pseudonym-key.csv"))  # the key went where it was told


@needs_git
def test_two_machines_and_two_participants_through_git_merge_without_conflicts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    origin = tmp_path / "study.git"
    git(tmp_path, "init", "--bare", str(origin))
    clones = {name: tmp_path / name for name in ("laptop", "desktop", "bo", "coordinator")}
    for folder in clones.values():
        git(tmp_path, "clone", str(origin), str(folder))
    config = 'pseudonym = "P10"\nconsent = true\n'
    machine(monkeypatch, tmp_path / "laptop-home", clones["laptop"] / "P10", config)
    assert run(capsys, "diary", "add", "--misaligned-response", "laptop entry")[0] == 0
    git(clones["laptop"], "add", "-A")
    git(clones["laptop"], "commit", "-m", "P10 joins")
    git(clones["laptop"], "push", "origin", "HEAD:main")
    for clone in ("desktop", "bo"):
        git(clones[clone], "pull", "origin", "main")
    laptop = answer(1, tmp_path, "laptop")
    machine(monkeypatch, tmp_path / "desktop-home", clones["desktop"] / "P10", config)
    desktop = answer(2, tmp_path, "desktop")
    assert run(capsys, "diary", "add", "--misaligned-response", "desktop entry")[0] == 0
    machine(monkeypatch, tmp_path / "bo-home", clones["bo"] / "P11",
            'pseudonym = "P11"\nconsent = true\n')
    answer(1, tmp_path, "bo")
    for clone in ("desktop", "bo", "laptop"):  # each commits, pulls (a merge) and pushes
        git(clones[clone], "add", "-A")
        git(clones[clone], "commit", "-m", f"{clone}'s day")
        git(clones[clone], "pull", "--no-rebase", "origin", "main")
        git(clones[clone], "push", "origin", "HEAD:main")
    laptop.service.send("after the merge").wait()  # rewrites the laptop's own file only
    changed = git(clones["laptop"], "status", "--porcelain").splitlines()
    assert changed == [f"M P10/usage/{time.strftime('%Y-%m-%d')}/{laptop.machine}.toml"]
    assert desktop.machine not in " ".join(changed)
    git(clones["coordinator"], "pull", "origin", "main")
    study = clones["coordinator"]
    code, out, err = run(capsys, "usage", "--from", str(study / "P10"), "--from",
                         str(study / "P11"))
    assert code == 0 and usage_table(out)["participant P10"][0] == "3", err
    code, out, err = run(capsys, "diary", "export", "--format", "md", "-o",
                         str(tmp_path / "study.md"), "--from", str(study / "P10"),
                         "--from", str(study / "P11"))
    assert code == 0 and out.startswith("wrote 2 entries") and err == ""
    assert "## P10 (2 entries)" in (tmp_path / "study.md").read_text()


def test_a_conflicted_participant_file_costs_the_usage_record_not_the_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    diary = tmp_path / "study" / "P01"
    machine(monkeypatch, tmp_path / "home", diary, 'pseudonym = "P01"\nconsent = true\n')
    recorder = answer(1, tmp_path, "home")
    file = diary / PARTICIPANT_FILE
    file.write_text("<<<<<<< HEAD\n" + file.read_text() + "=======\n>>>>>>> other\n")
    turn = recorder.service.send("again")
    with pytest.raises(DataDirError, match="usage not recorded: .*merge conflict"):
        turn.wait()
    assert recorder.service.last_answer().content == turn.text != ""
