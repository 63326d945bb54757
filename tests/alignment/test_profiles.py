"""Value profiles: loading and its errors, TOML round trip, composition, editing, diff."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.alignment.profiles import (
    Filters,
    Goal,
    NamedPrompt,
    Profile,
    ProfileError,
    Sampling,
    Tradeoff,
    Value,
    compose,
    load_profile,
    parse_profile,
)
from tui.alignment.profiles.compose import HONESTY, PREAMBLE
from tui.alignment.profiles.edit import apply_setting, diff
from tui.alignment.profiles.library import dumps
from tui.alignment.profiles.schema import Engagement, to_data
from tui.application.profiles import SHIPPED_PROFILES_DIR

DATA = Path(__file__).parents[1] / "data" / "profiles"
BROKEN = DATA / "broken"
CONTROL = "remove it: profile text is shown literally"

EXPECTED = {
    "bad-toml": "6: not valid TOML: illegal character '\\n' at column 24; fix the syntax "
                "(see profiles/README.md)",
    "wrong-type": "5: key 'values.nuance.weight' = \"high\" is a string, not a number; "
                  "use a number from 0 to 1",
    "out-of-range": "10: key 'values.nuance.weight' = 1.7 is out of range 0..1; "
                    "use a number from 0 to 1",
    "dotted-out-of-range": "3: key 'values.care.weight' = -0.2 is out of range 0..1; "
                           "use a number from 0 to 1",
    "temperature-type": "3: key 'sampling.temperature' = true is a boolean, not a number; "
                        "use a number from 0 to 2",
    "escape": "3: key 'description' contains the terminal escape character ESC (U+001B); "
              f"{CONTROL}",
    "c1-control": "5: key 'values.nuance.meaning' contains a control character (U+009B); "
                  f"{CONTROL}",
    "bidi": "5: key 'prompts[1].text' contains the bidirectional control RIGHT-TO-LEFT OVERRIDE "
            f"(U+202E); {CONTROL}",
    "unknown-key": "5: key 'filters.langauges' is unknown; use one of: years, languages, "
                   "disciplines, regions",
    "path-leaves-folder": "5: key 'values.nuance.control_vector' = \"../../secrets/nuance.gguf\" "
                          "leaves the profile's folder; use a relative path inside it, such as "
                          "\"vectors/nuance.gguf\"",
    "absolute-path": "5: key 'values.nuance.control_vector' = \"/etc/passwd\" leaves the "
                     "profile's folder; use a relative path inside it, such as "
                     "\"vectors/nuance.gguf\"",
    "tradeoff-unknown-value": "7: key 'tradeoffs[1].between' = [\"reliability\", "
                              "\"sustainability\"] names 'sustainability', which is not a value "
                              "of this profile; use values defined under [values]: reliability",
    "second-tradeoff": "13: key 'tradeoffs[2].between' = [\"a\", \"a\"] does not name two "
                       "different values; use between = [\"reliability\", \"sustainability\"]",
    "schema-missing": "1: key 'schema' is missing; add schema = 1 as the first line",
    "schema-future": "1: key 'schema' = 2 is not supported; this coalign reads schema = 1",
    "years-reversed": "2: key 'filters.years' = [2026, 1990] starts after it ends; "
                      "use [FROM, TO] with FROM <= TO",
}


# loading and the broken corpus ---------------------------------------------------------------


def test_the_corpus_and_the_expectations_cover_each_other() -> None:
    assert {path.stem for path in BROKEN.glob("*.toml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_profile_gives_its_one_line_error(name: str) -> None:
    path = BROKEN / f"{name}.toml"
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert message == f"{path}:{EXPECTED[name]}"
    assert "\n" not in message and "\x1b" not in message


def test_a_5_mb_profile_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"schema = 1\n" + b"#" * (5_000_000 - 11))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == (f"{path}: is 5.0 MB, profiles are capped at 256 KiB; "
                                 "keep only the profile's own settings in it")


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"nowhere\.toml: cannot be read \(No such file"):
        load_profile(tmp_path / "nowhere.toml")


def test_markup_in_text_is_accepted_and_kept_as_typed() -> None:
    profile = load_profile(DATA / "ok" / "markup.toml")
    assert profile.title == "[bold]Not bold[/bold]"
    assert profile.values["nuance"].meaning == "[blink]shown as typed[/blink]"
    assert "as [red]markup[/red] researchers" in compose(profile).system_prompt


def test_error_lines_follow_values_tables_inside_multiline_strings(tmp_path: Path) -> None:
    text = ('schema = 1\n[[prompts]]\nname = "p"\ntext = """\n[values.x]\nweight = 9\n"""\n'
            "[values.x]\nweight = 9\n")
    with pytest.raises(ProfileError, match=r"^p\.toml:9: key 'values\.x\.weight' = 9"):
        parse_profile(text, "p.toml")


def test_a_control_vector_inside_the_folder_is_kept_as_data() -> None:
    text = 'schema = 1\n[values.nuance]\nweight = 0.5\ncontrol_vector = "vectors/nuance.gguf"\n'
    profile = parse_profile(text, "/lab/profiles/p.toml")
    assert profile.values["nuance"].control_vector == "vectors/nuance.gguf"


def test_a_symlink_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "escape").symlink_to("/etc")
    path = tmp_path / "p.toml"
    path.write_text('schema = 1\n[values.v]\nweight = 0.5\ncontrol_vector = "escape/passwd"\n')
    with pytest.raises(ProfileError, match="leaves the profile's folder"):
        load_profile(path)


@pytest.mark.parametrize("path", sorted(SHIPPED_PROFILES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_profile_validates(path: Path) -> None:
    profile = load_profile(path)
    assert profile.name == path.stem
    assert profile.title


def test_shipped_group_goals_are_table_c1_verbatim() -> None:
    goals = {path.stem: load_profile(path).goal.sentence
             for path in SHIPPED_PROFILES_DIR.glob("group*.toml")}
    assert len(goals) == 4
    assert goals["group1-reliable-research"] == (
        "We want an LLM that lets us, as CS/AI researchers, do reliable research, by supporting "
        "interactions that are characterised by reflection on whether the responses are "
        "corresponding to the users’ requirements and intentions.")
    assert goals["group4-sustainable"].endswith(
        "by supporting interactions that convey honesty when the LLM can’t deliver the desired "
        "degree of nuance or precision, and that condition us to think about the environmental "
        "impacts of our LLM use.")
    group4 = load_profile(SHIPPED_PROFILES_DIR / "group4-sustainable.toml")
    assert group4.tradeoffs[0].between == ("reliability", "sustainability")
    assert "(P12)" in group4.tradeoffs[0].note and group4.engagement.daily_requests


# round trip ----------------------------------------------------------------------------------

_TEXT = st.characters(blacklist_categories=("Cc", "Cs", "Cf"))
one_line = st.text(_TEXT, max_size=30)
non_blank = one_line.filter(lambda s: s.strip() != "")
multi_line = st.text(st.one_of(_TEXT, st.just("\n")), max_size=60)
multi_blank = multi_line.filter(lambda s: s.strip() != "")
value_name = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,10}\Z")
unit = st.floats(0, 1, allow_nan=False)
vector = st.none() | st.lists(st.text(string.ascii_lowercase + "_", min_size=1, max_size=6),
                              min_size=1, max_size=3).map(lambda p: "/".join(p) + ".gguf")


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    values = draw(st.dictionaries(value_name, st.builds(Value, unit, one_line, vector), max_size=4))
    names = sorted(values)
    pairs = [(a, b) for a in names for b in names if a != b]
    tradeoffs = draw(st.lists(st.sampled_from(pairs).flatmap(
        lambda pair: st.builds(Tradeoff, st.just(pair), one_line)), max_size=2)) if pairs else []
    goal = draw(st.just(Goal()) | st.builds(Goal, non_blank, non_blank, non_blank))
    years = draw(st.none() | st.tuples(st.integers(1, 9999), st.integers(1, 9999)).map(
        lambda pair: tuple(sorted(pair))))
    items = st.lists(non_blank, max_size=3)
    prompts = draw(st.lists(st.builds(NamedPrompt, non_blank, multi_blank, one_line), max_size=3,
                            unique_by=lambda prompt: prompt.name))
    maybe = lambda strategy: st.none() | strategy  # noqa: E731
    return Profile(
        name="p", title=draw(one_line), description=draw(multi_line), authors=draw(items),
        goal=goal, values=values, tradeoffs=tradeoffs,
        filters=Filters(years, draw(items), draw(items), draw(items)),
        sampling=Sampling(draw(maybe(st.floats(0, 2, allow_nan=False))),
                          draw(maybe(st.integers(1, 131072))), draw(maybe(unit))),
        prompts=prompts,
        engagement=Engagement(*(draw(maybe(st.integers(1, 1440))) for _ in range(3))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_profiles_round_trip_through_toml(profile: Profile) -> None:
    text = tomli_w.dumps(to_data(profile), multiline_strings=True)
    assert parse_profile(text, "/lab/p.toml") == profile
    assert dumps(profile) == text


# composition ---------------------------------------------------------------------------------


def _rich_profile(order: list[str]) -> Profile:
    all_values = {"nuance": Value(0.8, "Keep distinctions."), "care": Value(0.8, "Be careful."),
                  "speed": Value(0.5, "Be quick."), "brevity": Value(0.1, "Be short."),
                  "ignored": Value(0.0, "Never shown.")}
    return Profile(
        goal=Goal("humanities", "account for multiple perspectives", "nuanced questions"),
        values={name: all_values[name] for name in order},
        tradeoffs=[Tradeoff(("nuance", "brevity"), "Prefer nuance.")],
        filters=Filters((1990, 2026), ["English", "German"], ["history"], ["Europe", "Africa"]),
        sampling=Sampling(temperature=0.3, max_tokens=200))


def test_compose_is_deterministic_whatever_the_order_of_values() -> None:
    first = compose(_rich_profile(["nuance", "care", "speed", "brevity", "ignored"]))
    second = compose(_rich_profile(["ignored", "brevity", "speed", "care", "nuance"]))
    assert first == second
    assert first.system_prompt.encode() == second.system_prompt.encode()


def test_compose_phrases_goal_values_tradeoffs_filters_and_honesty() -> None:
    composition = compose(_rich_profile(["nuance", "care", "speed", "brevity", "ignored"]))
    assert composition.system_prompt == "\n\n".join([
        PREAMBLE,
        'The researchers you work with describe their goal like this: "We want an LLM that lets '
        "us, as humanities researchers, account for multiple perspectives, by supporting "
        'interactions that are characterised by nuanced questions."',
        "Values to uphold, most important first:\n"
        "- Care (prioritise strongly): Be careful.\n"
        "- Nuance (prioritise strongly): Keep distinctions.\n"
        "- Speed (take into account): Be quick.\n"
        "- Brevity (low priority): Be short.",
        "When nuance and brevity conflict: Prefer nuance.",
        "Prefer sources published 1990–2026.\nPrefer sources in these languages: English, German."
        "\nDraw on these disciplines: history.\nGive attention to these regions: Europe, Africa.",
        HONESTY,
    ])
    assert (composition.temperature, composition.max_tokens, composition.top_p) == (0.3, 200, None)


def test_a_neutral_profile_composes_a_short_neutral_prompt() -> None:
    neutral = load_profile(SHIPPED_PROFILES_DIR / "neutral.toml")
    composition = compose(neutral)
    assert composition.system_prompt == f"{PREAMBLE}\n\n{HONESTY}"
    assert len(composition.system_prompt) < 300
    assert (composition.temperature, composition.max_tokens, composition.top_p) == (None,) * 3


# editing and diff ----------------------------------------------------------------------------


def test_apply_setting_changes_one_key_and_leaves_the_original() -> None:
    base = load_profile(SHIPPED_PROFILES_DIR / "group1-reliable-research.toml")
    changed = apply_setting(base, "values.reliability.weight=0.5")
    changed = apply_setting(changed, "filters.regions=Europe, Africa")
    changed = apply_setting(changed, "filters.years=1990-2020")
    changed = apply_setting(changed, "goal.aim=do careful research")
    changed = apply_setting(changed, "sampling.temperature=")
    changed = apply_setting(changed, "values.speed.weight=0.2")
    assert base.values["reliability"].weight == 0.9
    assert changed.values["reliability"].weight == 0.5
    assert changed.filters.regions == ["Europe", "Africa"]
    assert changed.filters.years == (1990, 2020)
    assert changed.goal.aim == "do careful research"
    assert changed.sampling.temperature is None
    assert changed.values["speed"] == Value(0.2)
    assert diff(base, changed) == [
        "+ filters.regions = [\"Europe\", \"Africa\"]",
        "+ filters.years = [1990, 2020]",
        "~ goal.aim: \"do reliable research\" -> \"do careful research\"",
        "- sampling.temperature = 0.3",
        "~ values.reliability.weight: 0.9 -> 0.5",
        "+ values.speed.weight = 0.2",
    ]
    assert diff(base, base) == []


@pytest.mark.parametrize("setting, message", [
    ("values.nuance.weight=1.7",
     "key 'values.nuance.weight' = 1.7 is out of range 0..1; use a number from 0 to 1"),
    ("values.nuance.weight=lots", "key 'values.nuance.weight' = \"lots\" cannot be read; "
                                  "use a number"),
    ("filters.years=1990", "key 'filters.years' = \"1990\" cannot be read; use FROM-TO, such as "
                           "1990-2026"),
    ("title=\x1b[2Jgone", "key 'title' contains the terminal escape character ESC (U+001B); "
                          "remove it: profile text is shown literally"),
    ("colour=blue", "cannot set 'colour'; use KEY=VALUE with KEY one of: title, description, "
                    "authors, goal.*, values.NAME.weight|meaning, filters.*, sampling.*, "
                    "engagement.*, grounding.*"),
    ("values.nuance.wieght=1", "key 'values.nuance.wieght' is unknown; use one of: weight, "
                               "meaning, control_vector, control_scale"),
])
def test_a_bad_setting_names_the_key_and_the_fix(setting: str, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        apply_setting(Profile(values={"nuance": Value(0.5)}), setting)
    assert str(caught.value) == message
