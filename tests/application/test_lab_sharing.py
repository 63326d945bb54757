"""The application's side of a lab sharing profiles: prompt uses recorded, a changed file
picked up at the next prompt, contribute as one reviewable commit, referenced files checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.lab import PROFILE, PROFILE_TEXT, gguf_file, git, make_lab
from tui.alignment.profiles import ProfileError
from tui.alignment.profiles.library import ProfileLibrary
from tui.alignment.store import Store
from tui.application import prompts
from tui.application.contribute import contribute
from tui.application.profile_checks import reference_problems
from tui.application.profiles import profile_command
from tui.application.service import ChatService
from tui.application.steering import control_vector_uses
from tui.engine.base import SamplingSettings
from tui.errors import ActionRefused


@pytest.fixture
def lab(tmp_path: Path) -> dict[str, Path]:
    return make_lab(tmp_path)


@pytest.fixture
def library(tmp_path: Path, lab: dict[str, Path]) -> ProfileLibrary:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "neutral.toml").write_text("schema = 1\n")
    library = ProfileLibrary(tmp_path / "home" / "profiles", [], shipped,
                             tmp_path / "home" / "sources.toml")
    library.add_source(lab["m1"])
    return library


@pytest.fixture
def service(store: Store, library: ProfileLibrary) -> ChatService:
    engine = FakeEngine()
    engine.start_loading()
    service = ChatService(store, engine, SamplingSettings(max_tokens=8), "sys", library)
    service.set_profile(library.get(PROFILE))
    return service


def test_a_prompt_use_is_recorded_on_the_message_it_sends(service, lab) -> None:
    request = prompts.prepare(service, "lit-gaps oral history | West Africa")
    assert request.missing == []
    prompts.send_prompt(service, request).wait()
    user = service.transcript()[0]
    assert user.content == ("What gaps in the literature on oral history should I know about, "
                            "for West Africa?")
    assert user.meta["prompt"] == {
        "name": "lit-gaps", "profile": PROFILE, "source": f"lab: {lab['m1'].resolve()}",
        "path": str(lab["m1"].resolve() / f"{PROFILE}.toml"),
        "commit": git(lab["m1"], "rev-parse", "--short", "HEAD"), "modified": False,
        "sha256": service.profile.sha256,
        "arguments": {"topic": "oral history", "region": "West Africa"}}


def test_a_prompt_with_a_missing_value_or_an_unknown_name_is_refused(service) -> None:
    request = prompts.prepare(service, "lit-gaps topic=oral history")
    assert request.missing == ["region"]
    with pytest.raises(ActionRefused, match="needs a value for region"):
        prompts.send_prompt(service, request)
    with pytest.raises(ActionRefused, match="no prompt called nope"):
        prompts.prepare(service, "nope")
    assert service.transcript() == []
    assert prompts.prompt_lines(prompts.choices(service))[0].startswith("lit-gaps")


def test_a_changed_file_is_used_at_the_next_prompt_and_recorded_as_modified(service, lab) -> None:
    service.send("first").wait()
    path = lab["m1"] / f"{PROFILE}.toml"
    path.write_text(PROFILE_TEXT.replace("weight = 0.7", "weight = 0.2"))  # not committed
    service.send("second").wait()
    first, _a, second, answer = service.transcript()
    assert "profile_changed" not in first.meta
    change = second.meta["profile_changed"]
    assert change["from"]["sha256"] != change["to"]["sha256"] == second.meta["profile"]["sha256"]
    assert second.meta["profile"]["modified"] is True and first.meta["profile"]["modified"] is False
    assert second.meta["profile"]["commit"] == first.meta["profile"]["commit"]
    assert "- Place (low priority)" in answer.meta["told"]["system_prompt"]  # the edited weight
    assert service.profile.profile.values["place"].weight == 0.2
    service.send("third").wait()
    assert "profile_changed" not in service.transcript()[-2].meta  # said once


def test_a_broken_edit_keeps_the_version_read_before(service, lab) -> None:
    (lab["m1"] / f"{PROFILE}.toml").write_text("schema = 1\n[values\n")
    service.send("q").wait()
    assert service.profile.ok and "profile_changed" not in service.transcript()[0].meta


def test_contribute_commits_only_the_changed_value_on_a_new_branch(library, lab) -> None:
    entry = library.get(PROFILE)
    profile_command(library, entry, "set values.nuance.weight=0.9")
    done = contribute(library, PROFILE, lab["m1"], branch="nuance-up")
    clone = lab["m1"]
    assert git(clone, "branch", "--show-current") == "nuance-up" == done.branch
    assert git(clone, "diff", "--numstat", "main", "nuance-up") == f"1\t1\t{PROFILE}.toml"
    diff = git(clone, "diff", "main", "nuance-up")
    assert "-weight = 0.5  # agreed at the November meeting" in diff
    assert "+weight = 0.9  # agreed at the November meeting" in diff
    assert git(clone, "log", "-1", "--format=%s") == (
        f"Profile {PROFILE}: values.nuance.weight: 0.5 -> 0.9")
    assert done.push == f"git -C {clone.resolve()} push -u origin nuance-up"
    assert library.lab_update(library.get(PROFILE)) is None  # based on the commit now


def test_contribute_refuses_what_it_cannot_do_cleanly(library, lab, tmp_path) -> None:
    with pytest.raises(ProfileError, match="is not an edited copy of yours"):
        contribute(library, PROFILE, lab["m1"])
    profile_command(library, library.get(PROFILE), "set values.nuance.weight=0.9")
    with pytest.raises(ProfileError, match="is not one of your lab's profile folders"):
        contribute(library, PROFILE, tmp_path)
    (lab["m1"] / f"{PROFILE}.toml").write_text(PROFILE_TEXT + "\n")
    with pytest.raises(ProfileError, match="has changes that are not committed"):
        contribute(library, PROFILE, lab["m1"])
    git(lab["m1"], "checkout", "--", f"{PROFILE}.toml")
    profile_command(library, library.get(PROFILE), "set values.nuance.weight=0.5")
    with pytest.raises(ProfileError, match="changes nothing"):
        contribute(library, PROFILE, lab["m1"])
    assert git(lab["m1"], "branch", "--show-current") == "main"


def test_a_copy_steers_with_the_vector_beside_the_lab_file(library, lab, tmp_path) -> None:
    clone = lab["m1"]
    (clone / "vectors").mkdir()
    vector = gguf_file(clone / "vectors" / "nuance.gguf", "controlvector", 64, 3)
    text = PROFILE_TEXT.replace('meaning = "Say where historians disagree."',
                                'meaning = "Say where historians disagree."\n'
                                'control_vector = "vectors/nuance.gguf"')
    (clone / f"{PROFILE}.toml").write_text(text)
    profile_command(library, library.get(PROFILE), "set values.nuance.weight=0.9")
    mine = library.get(PROFILE)
    assert [use.path for use in control_vector_uses(mine)] == [str(vector)]
    assert reference_problems(mine) == []
    assert reference_problems(mine, gguf_file(tmp_path / "m.gguf", "llama", 64, 4)) == []
    other = reference_problems(mine, gguf_file(tmp_path / "big.gguf", "llama", 576, 30))
    assert len(other) == 1 and "was made for another model" in other[0]
    assert other[0].startswith(f"{mine.path}:")
    vector.unlink()
    missing = reference_problems(mine)
    assert len(missing) == 1 and "no such file" in missing[0]
    assert "values.nuance.control_vector" in missing[0]


def test_profile_list_and_switch_say_the_lab_moved_on(library, lab) -> None:
    profile_command(library, library.get(PROFILE), "set values.nuance.weight=0.9")
    now = git(lab["m1"], "rev-parse", "--short", "HEAD")
    (lab["m1"] / f"{PROFILE}.toml").write_text(PROFILE_TEXT.replace("0.7", "0.8"))
    git(lab["m1"], "commit", "-q", "-am", "place 0.8")
    later = git(lab["m1"], "rev-parse", "--short", "HEAD")
    lines = profile_command(library, None, "list").lines
    assert lines[0].startswith("in precedence order (the first of a name is used): yours, lab:")
    mine = next(line for line in lines if "[yours, from lab:" in line)
    assert mine.endswith(f"@ {now}]  — the file it was made from has changed since "
                         f"(now @ {later})")
    assert any(line.endswith("(shadowed by yours)") for line in lines)
    switched = profile_command(library, None, PROFILE).lines
    assert f"profile reset {PROFILE}" in switched[-1] and "has changed since" in switched[-1]


def test_a_diary_entry_about_an_answer_from_a_dirty_file_says_modified(service, lab) -> None:
    from tui.alignment.diary.prefill import entry_from_exchange

    (lab["m1"] / f"{PROFILE}.toml").write_text(PROFILE_TEXT.replace("0.7", "0.3"))
    service.send("q").wait()
    answer = service.last_answer()
    entry = entry_from_exchange("q", answer.content, answer.meta)
    sha = answer.meta["profile"]["sha256"]
    assert entry.profile["commit"] == f"{answer.meta['profile']['commit']}, modified (sha256 " \
                                      f"{sha[:12]})"
