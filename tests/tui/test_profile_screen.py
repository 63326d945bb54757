"""The Slider widget and the profile screen, driven headless in small host apps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, OptionList, Static

from tests.fixtures.pilot import plain, wait_until
from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.application.profiles import SHIPPED_PROFILES_DIR
from tui.screens.profile import ProfileScreen
from tui.widgets.slider import Slider

MARKUP = Path(__file__).parents[1] / "data" / "profiles" / "ok" / "markup.toml"


class SliderHost(App):
    """One slider, recording every Changed message."""

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[float] = []

    def compose(self) -> ComposeResult:
        yield Slider(0.5, "nuance", id="nuance")

    def on_slider_changed(self, event: Slider.Changed) -> None:
        assert event.control is event.slider
        self.changes.append(event.value)


async def test_slider_keys_step_and_jump_and_post_changed() -> None:
    app = SliderHost()
    async with app.run_test(size=(80, 5)) as pilot:
        slider = app.query_one(Slider)
        slider.focus()
        await pilot.press("right", "l")
        await wait_until(pilot, lambda: app.changes == [0.55, 0.6])
        await pilot.press("left", "h", "h")
        await wait_until(pilot, lambda: slider.value == 0.45)
        await pilot.press("end")
        await wait_until(pilot, lambda: slider.value == 1.0)
        await pilot.press("right")  # clamped at 1
        await pilot.press("home")
        await wait_until(pilot, lambda: app.changes[-1] == 0.0)
        assert 1.05 not in app.changes
        assert str(slider.render()).startswith("nuance")
        assert str(slider.render()).endswith(" 0.00")


async def test_slider_click_sets_the_value_where_the_bar_is_clicked() -> None:
    app = SliderHost()
    async with app.run_test(size=(80, 5)) as pilot:
        slider = app.query_one(Slider)
        start, width = slider._bar_span()
        await pilot.click(Slider, offset=(start + width - 1, 0))
        await wait_until(pilot, lambda: slider.value == 1.0)
        await pilot.click(Slider, offset=(start, 0))
        await wait_until(pilot, lambda: slider.value == 0.0)
        await pilot.click(Slider, offset=(start + (width - 1) // 2, 0))
        await wait_until(pilot, lambda: slider.value == 0.5)
        assert slider.has_focus


class ScreenHost(App):
    """Opens the profile screen at once and keeps what it is dismissed with."""

    def __init__(self, library: ProfileLibrary, current: ProfileEntry) -> None:
        super().__init__()
        self.library, self.current = library, current
        self.results: list[ProfileEntry | None] = []

    def on_mount(self) -> None:
        self.push_screen(ProfileScreen(self.library, self.current), self.results.append)


@pytest.fixture
def library(tmp_path: Path) -> ProfileLibrary:
    shipped = tmp_path / "shipped"
    shutil.copytree(SHIPPED_PROFILES_DIR, shipped, ignore=shutil.ignore_patterns("*.md"))
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(MARKUP, mine / "markup.toml")
    (mine / "broken.toml").write_text("schema = 1\n[values.x]\nweight = 1.7\n")
    return ProfileLibrary(mine, [], shipped, tmp_path / "sources.toml")


def preview(app: App) -> str:
    return plain(app.screen.query_one("#preview", Static))


async def test_screen_shows_goal_sliders_and_preview_and_saves_your_copy(library) -> None:
    current = library.get("group4-sustainable")
    app = ScreenHost(library, current)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        screen = app.screen
        assert plain(screen.query_one("#goal", Static)) == current.profile.goal.sentence
        sliders = list(screen.query(Slider))
        assert [s.label for s in sliders] == ["honesty about limits", "reliability",
                                              "sustainability"]
        assert sliders[0].has_focus
        assert "Honesty about limits (prioritise strongly)" in preview(app)
        await pilot.press("home")  # weight 0: left out of what the model is told
        await wait_until(pilot, lambda: "Honesty about limits" not in preview(app))
        screen.query_one("#filter-regions", Input).value = "Europe, West Africa"
        await wait_until(pilot, lambda: "these regions: Europe, West Africa." in preview(app))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results)
    saved = app.results[0]
    assert saved is not None and saved.source == "yours"
    assert saved.profile.values["honesty_about_limits"].weight == 0.0
    assert saved.profile.filters.regions == ["Europe", "West Africa"]
    assert library.get("group4-sustainable").path == library.user_dir / "group4-sustainable.toml"


async def test_a_bad_filter_is_shown_and_blocks_saving_until_fixed(library) -> None:
    app = ScreenHost(library, library.get("neutral"))
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        years = app.screen.query_one("#filter-years", Input)
        years.value = "2026-1990"
        problem = app.screen.query_one("#problem", Static)
        await wait_until(pilot, lambda: "starts after it ends" in plain(problem))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == [] and not (library.user_dir / "neutral.toml").exists()
        years.value = "1990-2026"
        await wait_until(pilot, lambda: plain(problem) == "")
        assert "Prefer sources published 1990–2026." in preview(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results)
    assert app.results == [None] and not (library.user_dir / "neutral.toml").exists()


async def test_markup_is_shown_literally_and_broken_profiles_cannot_be_picked(library) -> None:
    app = ScreenHost(library, library.get("markup"))
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        screen = app.screen
        assert plain(screen.query_one("#title", Static)) == "Profile markup: [bold]Not bold[/bold]"
        assert "as [red]markup[/red] researchers" in plain(screen.query_one("#goal", Static))
        assert "[blink]shown as typed[/blink]" in [plain(s) for s in screen.query(".meaning")]
        others = screen.query_one("#others", OptionList)
        prompts = {str(others.get_option_at_index(i).prompt): others.get_option_at_index(i)
                   for i in range(others.option_count)}
        broken = next(option for text, option in prompts.items() if text.startswith("! broken"))
        assert broken.disabled and "is out of range 0..1" in str(broken.prompt)
        assert not any(text.lstrip("! ").startswith("markup") for text in prompts)  # current
        others.focus()
        others.highlighted = next(i for i in range(others.option_count)
                                  if "group3-care" in str(others.get_option_at_index(i).prompt))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results)
    assert app.results[0] is not None and app.results[0].name == "group3-care"


async def test_the_goal_is_edited_and_a_value_added_in_the_screen(library) -> None:
    app = ScreenHost(library, library.get("neutral"))
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        screen = app.screen
        screen.query_one("#goal-researchers", Input).value = "oral historians"
        screen.query_one("#goal-aim", Input).value = "hear voices left out of archives"
        await wait_until(pilot, lambda: "fill them all" in plain(
            screen.query_one("#problem", Static)))  # two blanks of three: not yet
        screen.query_one("#goal-characterised_by", Input).value = "that name their sources"
        await wait_until(pilot, lambda: "as oral historians researchers" in plain(
            screen.query_one("#goal", Static)))
        assert plain(screen.query_one("#problem", Static)) == ""
        new = screen.query_one("#new-value", Input)
        new.focus()
        new.value = "Reflexivity"
        await pilot.press("enter")
        await wait_until(pilot, lambda: [s.label for s in screen.query(Slider)]
                         == ["reflexivity"])
        assert "Reflexivity" in preview(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results)
    saved = app.results[0]
    assert saved is not None and saved.profile is not None
    assert saved.profile.goal.researchers == "oral historians"
    assert saved.profile.goal.aim == "hear voices left out of archives"
    assert saved.profile.values["reflexivity"].weight == 0.5
