"""A value profile's [grounding] section (issue 16): read, checked key by key, set, kept."""

from __future__ import annotations

import pytest
import tomli_w

from tui.alignment.profiles.edit import apply_setting
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.load import parse_profile
from tui.alignment.profiles.schema import Grounding, Profile, to_data

GROUNDED = """schema = 1

[filters]
years = [1990, 2026]

[grounding]
enabled = true
passages = 6
libraries = ["default", "lab"]
"""


def test_the_grounding_section_is_read() -> None:
    profile = parse_profile(GROUNDED, "/lab/ours.toml")
    assert profile.grounding == Grounding(True, 6, ["default", "lab"])


def test_a_profile_without_it_leaves_grounding_unset() -> None:
    profile = parse_profile("schema = 1\n", "p.toml")
    assert profile.grounding == Grounding() and "grounding" not in to_data(profile)


@pytest.mark.parametrize("line, message", [
    ("enabled = 1", "p.toml:7: key 'grounding.enabled' = 1 is a whole number, not a boolean; "
                    "use enabled = true or enabled = false"),
    ("passages = 40", "p.toml:7: key 'grounding.passages' = 40 is out of range 1..20; use a "
                      "whole number from 1 to 20"),
    ("libraries = [\"\"]", "p.toml:7: key 'grounding.libraries[1]' is empty; remove it"),
    ("depth = 2", "p.toml:7: key 'grounding.depth' is unknown; use one of: enabled, passages, "
                  "libraries"),
])
def test_each_bad_key_is_one_line_with_its_fix(line: str, message: str) -> None:
    text = GROUNDED.replace("enabled = true\npassages = 6\nlibraries = [\"default\", \"lab\"]\n",
                            line + "\n")
    with pytest.raises(ProfileError) as raised:
        parse_profile(text, "p.toml")
    assert str(raised.value) == message


def test_it_round_trips_and_an_explicit_off_is_kept() -> None:
    for grounding in (Grounding(True, 6, ["default"]), Grounding(False)):
        profile = Profile(name="p", grounding=grounding)
        assert parse_profile(tomli_w.dumps(to_data(profile)), "/lab/p.toml") == profile


def test_profile_set_turns_it_on_and_names_libraries() -> None:
    profile = apply_setting(Profile(name="p"), "grounding.enabled=on")
    profile = apply_setting(profile, "grounding.libraries=default, lab")
    assert profile.grounding == Grounding(True, None, ["default", "lab"])
    with pytest.raises(ProfileError, match="'grounding.enabled' = \"maybe\" cannot be read; "
                                           "use true or false"):
        apply_setting(profile, "grounding.enabled=maybe")
