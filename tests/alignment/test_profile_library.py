"""The profile library (precedence, copy-on-write, broken entries, git) and /profile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tui.alignment.profiles import ProfileError, Value, compose, load_profile
from tui.alignment.profiles.library import ProfileLibrary, git_commit
from tui.application.profiles import SHIPPED_PROFILES_DIR, profile_command

BROKEN_TEXT = "schema = 1\n[values.x]\nweight = 1.7\n"


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=t@example.org",
               "-c", "commit.gpgsign=false", "-C", str(folder), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "shipped"
    shutil.copytree(SHIPPED_PROFILES_DIR, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


@pytest.fixture
def library(tmp_path: Path, shipped: Path) -> ProfileLibrary:
    return ProfileLibrary(tmp_path / "mine", [], shipped, tmp_path / "config" / "sources.toml")


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A lab's profile repository: one committed profile, one broken, one uncommitted."""
    folder = tmp_path / "lab"
    folder.mkdir()
    git(folder, "init", "-q")
    (folder / "group2-plurality.toml").write_text('schema = 1\ntitle = "Lab plurality"\n')
    (folder / "lab-broken.toml").write_text(BROKEN_TEXT)
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "lab profiles")
    (folder / "draft.toml").write_text("schema = 1\n")
    return folder


def test_entries_come_in_precedence_order_with_their_source(library, lab, tmp_path) -> None:
    library.add_source(lab)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "group2-plurality.toml").write_text('schema = 1\ntitle = "Mine"\n')
    names = [(entry.name, entry.source) for entry in library.entries()]
    lab_label = f"lab: {lab.resolve()}"
    assert names[:4] == [("group2-plurality", "yours"), ("draft", lab_label),
                         ("group2-plurality", lab_label), ("lab-broken", lab_label)]
    assert ("neutral", "shipped") in names and ("group2-plurality", "shipped") in names
    assert library.get("group2-plurality").profile.title == "Mine"
    (tmp_path / "mine" / "group2-plurality.toml").unlink()
    assert library.get("group2-plurality").profile.title == "Lab plurality"
    with pytest.raises(KeyError):
        library.get("nothing-like-this")


def test_a_broken_profile_is_listed_with_its_error_and_stops_nothing(library, lab) -> None:
    library.add_source(lab)
    broken = library.get("lab-broken")
    assert not broken.ok and broken.profile is None
    assert broken.error == (f"{broken.path}:3: key 'values.x.weight' = 1.7 is out of range 0..1; "
                            "use a number from 0 to 1")
    assert sum(entry.ok for entry in library.entries()) == len(library.entries()) - 1


def test_the_git_commit_of_each_profile_is_shown(library, lab) -> None:
    library.add_source(lab)
    head = git(lab, "rev-parse", "--short", "HEAD")
    assert library.get("lab-broken").commit == head
    assert library.get("draft").commit is None  # not committed yet
    assert library.get("draft").origin == f"lab: {lab.resolve()}: {lab.resolve() / 'draft.toml'}"
    assert library.get("group1-reliable-research").commit is None  # the copy is not in git
    assert git_commit(Path("/nonexistent/folder/x.toml")) is None


def test_saving_an_edited_shipped_profile_writes_your_own_copy(library, shipped, tmp_path) -> None:
    original = (shipped / "group3-care.toml").read_bytes()
    profile = library.get("group3-care").profile
    profile.values["nuance"].weight = 0.4
    path = library.save(profile)
    assert path == tmp_path / "mine" / "group3-care.toml"
    assert (shipped / "group3-care.toml").read_bytes() == original
    entry = library.get("group3-care")
    assert (entry.source, entry.profile.values["nuance"].weight) == ("yours", 0.4)
    assert sorted(p.name for p in path.parent.iterdir()) == [".bases", "group3-care.toml"]
    assert entry.base is not None and entry.base.source == "shipped"  # what it was made from
    assert sorted(p.name for p in (path.parent / ".bases").iterdir()) == ["group3-care.toml"]


def test_save_refuses_a_profile_that_would_not_load(library) -> None:
    profile = library.default().profile
    profile.values["x"] = Value(1.7)
    with pytest.raises(ProfileError, match=r"neutral\.toml:\d+: key 'values\.x\.weight' = 1\.7"):
        library.save(profile)
    assert not (library.user_dir / "neutral.toml").exists()
    with pytest.raises(ProfileError, match="'../up' cannot be a profile name"):
        library.save(library.default().profile, "../up")


def test_added_sources_persist_and_missing_folders_are_refused(library, lab, tmp_path) -> None:
    library.add_source(lab)
    library.add_source(lab)
    again = ProfileLibrary(tmp_path / "mine", [], library.shipped_dir, library.sources_file)
    assert again.added_sources() == [lab.resolve()]
    with pytest.raises(ProfileError) as caught:
        again.add_source(tmp_path / "no-such-lab")
    assert str(caught.value) == (f"{tmp_path / 'no-such-lab'} is not a folder; clone your lab's "
                                 "profile repository first, then add the folder that holds its "
                                 ".toml files")


def test_new_starts_from_neutral_and_will_not_overwrite(library) -> None:
    path = library.new("my-lab")
    assert load_profile(path).title == "my-lab"
    assert compose(load_profile(path)) == compose(library.get("neutral").profile)
    with pytest.raises(ProfileError, match="you already have a profile called my-lab"):
        library.new("my-lab")


def test_default_falls_back_to_a_built_in_neutral_when_the_file_is_broken(library, shipped) -> None:
    (shipped / "neutral.toml").write_text(BROKEN_TEXT)
    entry = library.default()
    assert entry.ok and entry.source == "built-in" and entry.path is None


# /profile ------------------------------------------------------------------------------------


def test_slash_profile_shows_the_current_profile(library) -> None:
    current = library.get("group1-reliable-research")
    lines = profile_command(library, current, "").lines
    assert lines[0] == f"profile group1-reliable-research (shipped: {current.path})"
    assert lines[2].startswith("We want an LLM that lets us, as CS/AI researchers")
    assert lines[3:] == ["prompt library (2; use one with /prompt NAME):",
                         "  check-requirements — Make the model state how it reads the "
                         "request before it answers.",
                         "  ground-this — Ask for the primary sources behind the last answer."]


def test_slash_profile_show_is_exactly_what_the_model_is_told(library) -> None:
    current = library.get("group4-sustainable")
    lines = profile_command(library, current, "show").lines
    prompt = compose(current.profile).system_prompt
    assert "\n".join(lines[2:-4]) == prompt
    assert lines[-3:] == ["temperature 0.3, max_tokens 400, top_p app default",
                          "control vectors: none", "candidates per prompt: 1"]


def test_slash_profile_list_marks_the_current_and_broken_ones(library, lab) -> None:
    library.add_source(lab)
    lines = profile_command(library, library.get("neutral"), "list").lines
    assert any(line.startswith("* neutral") and "[shipped]" in line for line in lines)
    assert any(line.startswith("! lab-broken") and "BROKEN:" in line for line in lines)


def test_slash_profile_switches_but_not_to_a_broken_or_unknown_profile(library, lab) -> None:
    library.add_source(lab)
    result = profile_command(library, None, "group3-care")
    assert result.switch_to is not None and result.switch_to.name == "group3-care"
    broken = profile_command(library, None, "lab-broken")
    assert broken.switch_to is None and "is broken, kept the current one" in broken.lines[0]
    unknown = profile_command(library, None, "nope")
    assert unknown.switch_to is None
    assert unknown.lines == ["no profile called nope; `/profile list` shows them"]


def test_slash_profile_set_saves_your_copy_and_switches_to_it(library, tmp_path) -> None:
    current = library.get("group2-plurality")
    result = profile_command(library, current, "set values.nuance.weight=0.3")
    assert result.switch_to is not None and result.switch_to.source == "yours"
    assert result.switch_to.profile.values["nuance"].weight == 0.3
    assert result.lines == ["set values.nuance.weight=0.3; saved your copy to "
                            f"{tmp_path / 'mine' / 'group2-plurality.toml'}"]
    bad = profile_command(library, result.switch_to, "set values.nuance.weight=7")
    assert bad.switch_to is None
    assert bad.lines == ["profile: key 'values.nuance.weight' = 7.0 is out of range 0..1; "
                         "use a number from 0 to 1"]
