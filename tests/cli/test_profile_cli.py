"""`coalign profile …`: list, show, validate, diff, new, add-source."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tui.alignment.profiles import compose, load_profile
from tui.application.profiles import SHIPPED_PROFILES_DIR
from tui.cli.profile import add_profile_parser, cmd_profile

BROKEN = Path(__file__).parents[1] / "data" / "profiles" / "broken"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="coalign")
    add_profile_parser(parser.add_subparsers(dest="command"))
    code = cmd_profile(parser.parse_args(["profile", *argv]))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_shipped_profile_with_its_source(capsys) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    for path in SHIPPED_PROFILES_DIR.glob("*.toml"):
        assert any(line.split()[0] == path.stem and "[shipped" in line for line in out.splitlines())


def test_show_prints_the_goal_and_exactly_what_the_model_is_told(capsys) -> None:
    code, out, _ = run(capsys, "show", "group2-plurality")
    profile = load_profile(SHIPPED_PROFILES_DIR / "group2-plurality.toml")
    assert code == 0
    assert profile.goal.sentence in out
    assert compose(profile).system_prompt in out


def test_validate_reports_ok_or_the_error_with_exit_1(capsys) -> None:
    code, out, _ = run(capsys, "validate", str(SHIPPED_PROFILES_DIR / "group3-care.toml"))
    assert code == 0 and out.endswith("group3-care.toml: ok (schema 1, 4 values)\n")
    path = BROKEN / "out-of-range.toml"
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out == (f"{path}:10: key 'values.nuance.weight' = 1.7 is out of range 0..1; "
                   "use a number from 0 to 1\n")


def test_diff_compares_names_or_files(capsys, tmp_path: Path) -> None:
    edited = tmp_path / "edited.toml"
    text = (SHIPPED_PROFILES_DIR / "group1-reliable-research.toml").read_text()
    edited.write_text(text.replace("weight = 0.9", "weight = 0.7"))
    code, out, _ = run(capsys, "diff", "group1-reliable-research", str(edited))
    assert (code, out) == (0, "~ values.reliability.weight: 0.9 -> 0.7\n")
    code, out, _ = run(capsys, "diff", "neutral", "neutral")
    assert (code, out) == (0, "no differences\n")


def test_new_creates_your_profile_then_refuses_a_second(capsys, coalign_home: Path) -> None:
    code, out, _ = run(capsys, "new", "my-lab")
    created = coalign_home / "data" / "profiles" / "my-lab.toml"
    assert (code, out) == (0, f"created {created}\n") and created.is_file()
    code, out, err = run(capsys, "new", "my-lab")
    assert (code, out) == (2, "")
    assert err == ("coalign: you already have a profile called my-lab; pick another name or "
                   "change it with `/profile set`\n")


def test_add_source_lists_the_lab_profiles_and_refuses_missing_folders(capsys, tmp_path) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "ours.toml").write_text("schema = 1\n")
    (lab / "theirs.toml").write_text("schema = 9\n")
    code, out, _ = run(capsys, "add-source", str(lab))
    assert (code, out) == (0, f"added {lab.resolve()}: 2 profiles (1 broken)\n")
    code, out, _ = run(capsys, "list")
    assert "! theirs" in out and "ours" in out
    code, _, err = run(capsys, "add-source", str(tmp_path / "gone"))
    assert code == 2 and err.count("\n") == 1 and "gone is not a folder" in err


def test_unknown_profile_is_one_line_and_exit_2(capsys) -> None:
    code, out, err = run(capsys, "show", "no-such-profile")
    assert (code, out) == (2, "")
    assert err == "coalign: no profile called no-such-profile; `coalign profile list` shows them\n"
