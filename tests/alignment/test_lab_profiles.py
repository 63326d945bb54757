"""Profiles shared through git: the prompt library, exact provenance (a dirty working tree),
local copies that know their base, reset, and changes carried back with comments kept."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tui.alignment.profiles import ProfileError
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.profiles.library import ProfileLibrary
from tui.alignment.profiles.load import parse_profile
from tui.alignment.profiles.merge import merge_changes
from tui.alignment.profiles.prompts import (
    fill,
    find_prompt,
    library_prompts,
    parse_arguments,
    placeholders,
)
from tui.alignment.profiles.schema import to_data

LAB_TEXT = """\
# The lab's profile: reviewed in pull requests.
schema = 1
title = "Regional history"

[values.nuance]
weight = 0.5  # agreed at the November meeting
meaning = "Say where historians disagree."
control_vector = "vectors/nuance.gguf"

[values.place]
weight = 0.7
meaning = "Name the regions."

[filters]
years = [1950, 2000]
regions = ["West Africa", "South Asia"]

[[prompts]]
name = "lit-gaps"
description = "Gaps in the literature"
text = "What gaps in the literature on {topic} should I know about, for {region}?"

[[prompts]]
name = "whose voices"
text = "Whose voices are missing from the last answer?"
"""


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Lead", "-c", "user.email=lead@lab.example",
               "-c", "commit.gpgsign=false", "-C", str(folder), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    folder = tmp_path / "lab"
    (folder / "vectors").mkdir(parents=True)
    (folder / "vectors" / "nuance.gguf").write_bytes(b"GGUF")
    (folder / "regional-history.toml").write_text(LAB_TEXT)
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "lab profile")
    return folder


@pytest.fixture
def library(tmp_path: Path, lab: Path) -> ProfileLibrary:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "neutral.toml").write_text("schema = 1\n")
    library = ProfileLibrary(tmp_path / "mine", [], shipped, tmp_path / "sources.toml")
    library.add_source(lab)
    return library


# prompts ------------------------------------------------------------------------------

def test_placeholders_are_found_filled_and_escaped() -> None:
    text = 'On {topic} in {region}, again {topic}; {{literal}} and {"json": 1}'
    assert placeholders(text) == ["topic", "region"]
    assert fill(text, {"topic": "oral history", "region": "Ghana"}) == (
        'On oral history in Ghana, again oral history; {literal} and {"json": 1}')
    assert fill("{a} {b}", {"a": "x"}) == "x {b}"  # left for asking


def test_arguments_fill_by_key_or_in_order() -> None:
    names = ["topic", "region"]
    assert parse_arguments(names, "region=West Africa topic=oral history") == (
        {"region": "West Africa", "topic": "oral history"}, "")
    assert parse_arguments(names, "oral history | West Africa") == (
        {"topic": "oral history", "region": "West Africa"}, "")
    assert parse_arguments(names, "oral history region=Ghana") == (
        {"region": "Ghana", "topic": "oral history"}, "")
    assert parse_arguments(names, "") == ({}, "")
    assert parse_arguments(["plan"], "a | b") == ({"plan": "a | b"}, "")  # one: all of it
    assert parse_arguments([], "we interview nurses") == ({}, "we interview nurses")


def test_the_library_lists_the_profile_in_force_first_and_finds_names(library) -> None:
    current = library.get("regional-history")
    prompts = library_prompts(library, current)
    assert [(p.name, p.in_force) for p in prompts] == [("lit-gaps", True),
                                                       ("whose voices", True)]
    found, rest = find_prompt(prompts, "whose voices in the archive")
    assert (found.name, rest) == ("whose voices", "in the archive")
    found, rest = find_prompt(prompts, "regional-history:lit-gaps x")
    assert (found.qualified, rest) == ("regional-history:lit-gaps", "x")
    assert find_prompt(prompts, "nothing") is None
    record = found.record({"topic": "x"})
    assert record["commit"] == git(library.get("regional-history").path.parent, "rev-parse",
                                   "--short", "HEAD")
    assert (record["name"], record["profile"], record["arguments"], record["modified"]) == (
        "lit-gaps", "regional-history", {"topic": "x"}, False)


# provenance ---------------------------------------------------------------------------

def test_a_dirty_working_tree_is_recorded_as_modified_with_the_files_hash(library, lab) -> None:
    clean = library.get("regional-history")
    assert not clean.modified and "modified" not in clean.origin
    path = lab / "regional-history.toml"
    path.write_text(LAB_TEXT.replace("weight = 0.7", "weight = 0.2"))
    dirty = library.get("regional-history")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (dirty.commit, dirty.modified, dirty.sha256) == (clean.commit, True, digest)
    assert dirty.origin.endswith(f"@ {clean.commit}, modified (sha256 {digest[:12]})")
    assert dirty.record()["modified"] is True and dirty.record()["sha256"] == digest


def test_a_changed_file_is_picked_up_by_refresh(library, lab) -> None:
    entry = library.get("regional-history")
    assert library.refresh(entry) is None
    (lab / "regional-history.toml").write_text(LAB_TEXT.replace("weight = 0.7", "weight = 0.3"))
    fresh = library.refresh(entry)
    assert fresh is not None and fresh.profile.values["place"].weight == 0.3
    assert library.refresh(fresh) is None


# local copies ----------------------------------------------------------------------------

def test_a_copy_records_its_base_and_says_when_the_lab_moved_on(library, lab) -> None:
    lab_entry = library.get("regional-history")
    library.save(apply_setting(lab_entry.profile, "values.nuance.weight=0.9"), lab_entry.name)
    mine = library.get("regional-history")
    assert mine.source == "yours" and mine.base is not None
    assert (mine.base.path, mine.base.commit, mine.base.sha256, mine.base.text) == (
        str(lab_entry.path), lab_entry.commit, lab_entry.sha256, LAB_TEXT)
    assert library.lab_update(mine) is None
    assert library.shadowed(library.entries()) == {lab_entry.path: mine}
    (lab / "regional-history.toml").write_text(LAB_TEXT.replace("weight = 0.7", "weight = 0.8"))
    git(lab, "commit", "-q", "-am", "place 0.8")
    update = library.lab_update(library.get("regional-history"))
    assert update is not None and update.commit == git(lab, "rev-parse", "--short", "HEAD")
    library.save(apply_setting(mine.profile, "values.place.weight=0.1"), mine.name)
    assert library.get("regional-history").base == mine.base  # a second edit keeps it


def test_a_copy_finds_its_control_vector_beside_the_file_it_was_made_from(library, lab) -> None:
    lab_entry = library.get("regional-history")
    library.save(apply_setting(lab_entry.profile, "values.nuance.weight=0.9"), lab_entry.name)
    mine = library.get("regional-history")
    assert mine.profile.values["nuance"].control_vector == "vectors/nuance.gguf"  # unchanged
    assert mine.resolve("vectors/nuance.gguf") == lab / "vectors" / "nuance.gguf"


def test_reset_puts_your_copy_aside_and_refuses_a_profile_only_yours(library, lab) -> None:
    lab_entry = library.get("regional-history")
    path = library.save(apply_setting(lab_entry.profile, "values.nuance.weight=0.9"),
                        lab_entry.name)
    aside, now = library.reset("regional-history")
    assert not path.exists() and aside.parent == path.parent / ".reset"
    assert parse_profile(aside.read_text(), aside).values["nuance"].weight == 0.9  # kept
    assert now.path == lab_entry.path and library.get("regional-history").source.startswith("lab")
    assert library.get("regional-history").base is None
    library.new("my-own")
    with pytest.raises(ProfileError, match="my-own is only yours"):
        library.reset("my-own")
    with pytest.raises(ProfileError, match="you have no copy of a profile called nope"):
        library.reset("nope")


# carrying a change back ---------------------------------------------------------------

def test_a_change_is_merged_into_the_lab_file_with_its_comments_and_layout() -> None:
    base = parse_profile(LAB_TEXT, "regional-history.toml")
    yours = apply_setting(base, "values.nuance.weight=0.9")
    moved_on = LAB_TEXT.replace("weight = 0.7", "weight = 0.8")  # the lab changed another
    merge = merge_changes(moved_on, to_data(base), to_data(yours))
    assert merge.text == moved_on.replace("weight = 0.5  #", "weight = 0.9  #")
    assert merge.changes == ["~ values.nuance.weight: 0.5 -> 0.9"] and merge.conflicts == []
    both = merge_changes(LAB_TEXT.replace("weight = 0.5", "weight = 0.6"), to_data(base),
                         to_data(yours))
    assert both.conflicts == ["values.nuance.weight (the lab has 0.6, yours 0.9)"]


def test_added_removed_and_prompt_changes_touch_only_their_lines() -> None:
    base = parse_profile(LAB_TEXT, "regional-history.toml")
    data = to_data(base)
    data["prompts"][1]["text"] = "Whose voices are missing,\nand why?"
    data["filters"]["languages"] = ["French"]
    del data["filters"]["regions"]
    merge = merge_changes(LAB_TEXT, to_data(base), data)
    assert merge.changes == ["+ filters.languages = [\"French\"]", "- filters.regions",
                             '~ prompts[2].text: "Whose voices are missing from the last '
                             'answer?" -> "Whose voices are missing,\\nand why?"']
    assert parse_profile(merge.text, "x.toml").prompts[1].text == (
        "Whose voices are missing,\nand why?")
    assert "# agreed at the November meeting" in merge.text
    assert 'regions = ' not in merge.text and 'languages = ["French"]' in merge.text
