"""`coalign prompt list|show` and `coalign profile reset|contribute|validate` on a lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.lab import PROFILE, PROFILE_TEXT, gguf_file, git, lead_changes, make_lab
from tui.application.profiles import SHIPPED_PROFILES_DIR
from tui.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    clones = make_lab(tmp_path)
    assert run(capsys, "profile", "add-source", str(clones["m1"]))[0] == 0
    return clones


def test_prompt_list_shows_every_source_and_show_fills_the_placeholders(capsys, lab) -> None:
    code, out, _ = run(capsys, "prompt", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("lit-gaps")
    assert "{topic} {region}" in lines[0] and f"profile {PROFILE} (lab:" in lines[0]
    assert any(line.startswith("ethics-check") and "group3-care" in line for line in lines)
    code, out, _ = run(capsys, "prompt", "show", "lit-gaps", "region=Ghana", "topic=trade")
    assert code == 0 and out.splitlines()[-1] == (
        "What gaps in the literature on trade should I know about, for Ghana?")
    assert "placeholders: topic = trade, region = Ghana" in out
    code, out, err = run(capsys, "prompt", "show", "nope")
    assert (code, out) == (2, "") and err.startswith("coalign: no prompt called nope")


def test_profile_show_lists_the_prompt_library_and_takes_a_file(capsys, lab) -> None:
    code, out, _ = run(capsys, "profile", "show", str(lab["m1"] / f"{PROFILE}.toml"))
    assert code == 0 and out.startswith(f"profile {PROFILE} (lab: ")
    assert "prompt library (1; use one with /prompt NAME):" in out
    assert "  lit-gaps — Gaps in the literature on a topic, for a region" in out


def test_a_local_edit_warns_when_the_lab_moves_on_and_reset_returns(capsys, lab,
                                                                  coalign_home) -> None:
    from tui.application.profiles import open_library, profile_command
    from tui.paths import default_paths

    library = open_library(default_paths())
    profile_command(library, library.get(PROFILE), "set values.nuance.weight=0.9")
    later = lead_changes(lab["lead"], "weight = 0.7", "weight = 0.8", "place 0.8")
    git(lab["m1"], "pull", "-q")
    code, out, _ = run(capsys, "profile", "list")
    assert f"has changed since (now @ {later})" in out and "(shadowed by yours)" in out
    code, out, _ = run(capsys, "profile", "show", PROFILE)
    assert f"`coalign profile reset {PROFILE}` takes that version" in out.splitlines()[2]
    code, out, _ = run(capsys, "profile", "reset", PROFILE)
    assert code == 0 and out.splitlines()[1].startswith(f"profile {PROFILE} is now lab: ")
    code, out, _ = run(capsys, "profile", "show", PROFILE)
    assert f"@ {later})" in out.splitlines()[0] and "has changed" not in out
    code, _, err = run(capsys, "profile", "reset", PROFILE)
    assert code == 2 and "you have no copy of a profile called" in err


def test_contribute_prints_the_branch_and_the_push_command(capsys, lab) -> None:
    from tui.application.profiles import open_library, profile_command
    from tui.paths import default_paths

    library = open_library(default_paths())
    profile_command(library, library.get(PROFILE), "set filters.years=1940-2000")
    code, out, err = run(capsys, "profile", "contribute", PROFILE, "--to", str(lab["m1"]),
                         "--branch", "wider-years")
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "  ~ filters.years: [1950, 2000] -> [1940, 2000]"
    assert f"push it for review: git -C {lab['m1'].resolve()} push -u origin wider-years" in out
    assert git(lab["m1"], "diff", "--numstat", "HEAD~1") == f"1\t1\t{PROFILE}.toml"
    code, _, err = run(capsys, "profile", "contribute", PROFILE, "--to", "/nowhere")
    assert code == 2 and "is not one of your lab's profile folders" in err


def test_validate_checks_the_files_a_profile_names_against_the_model(capsys, lab,
                                                                     tmp_path) -> None:
    clone = lab["m1"]
    (clone / "vectors").mkdir()
    gguf_file(clone / "vectors" / "nuance.gguf", "controlvector", 64, 3)
    path = clone / f"{PROFILE}.toml"
    path.write_text(PROFILE_TEXT.replace('weight = 0.5  #', 'control_vector = '
                                         '"vectors/nuance.gguf"\nweight = 0.5  #'))
    small = gguf_file(tmp_path / "small.gguf", "llama", 64, 4)
    code, out, _ = run(capsys, "profile", "validate", str(path), "--model", str(small))
    assert (code, out) == (0, f"{path}: ok (schema 1, 2 values, control vectors fit "
                              "small.gguf)\n")
    big = gguf_file(tmp_path / "big.gguf", "llama", 576, 30)
    code, out, _ = run(capsys, "profile", "validate", str(path), "--model", str(big))
    assert code == 1 and out.startswith(f"{path}:12: key 'values.nuance.control_vector'")
    assert "was made for another model" in out
    (clone / "vectors" / "nuance.gguf").unlink()
    code, out, _ = run(capsys, "profile", "validate", str(path))
    assert code == 1 and "no such file" in out
    code, out, _ = run(capsys, "profile", "validate",
                       str(SHIPPED_PROFILES_DIR / "smollm2-hedging.toml"))
    assert code == 0 and "control vectors" in out  # the shipped vector fits the bundled model
