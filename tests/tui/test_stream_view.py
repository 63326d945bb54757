"""StreamView: the streamed answer is cut into frozen lines and a live tail, and looks exactly
like the same text shown whole (literally: no markup)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tests.fixtures.pilot import wait_until
from tui.widgets import stream
from tui.widgets.stream import StreamView

TEXT = ("Para one is long enough to wrap around the narrow width of this test app.\n\n"
        "Para **two** [b]not markup[/b] follows.\nLine three.\n\n\nAfter blank lines "
        + "word " * 40 + "\nend\n\nwide 漢字漢字 characters\tand a tab, then more words to wrap")


class Side(App):
    """The streamed view above a separator and the whole text in one Static below it."""

    CSS = "StreamView, #whole { width: 40; padding: 0 2; } #separator { width: 40; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield StreamView()
            yield Static("----", id="separator")
            yield Static(Content(TEXT), id="whole")


def screen_lines(app: App) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


def without_trailing_blanks(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


@pytest.mark.parametrize("slack", [1, 4, 30])
async def test_streamed_text_looks_like_the_whole_text(
    slack: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "SLACK_ROWS", slack)
    app = Side()
    async with app.run_test(size=(40, 80)) as pilot:
        view = app.query_one(StreamView)
        for start in range(0, len(TEXT), 7):
            await view.append(TEXT[start:start + 7])
            await pilot.pause()
        assert view.text == TEXT
        frozen = [w for w in view.children if type(w) is Static]
        assert bool(frozen) == (slack < 30)  # older lines are frozen when the tail outgrows
        await wait_until(pilot, lambda: "----" in screen_lines(app))
        lines = screen_lines(app)
        cut = lines.index("----")
        streamed, whole = lines[:cut], lines[cut + 1:]
        assert without_trailing_blanks(streamed) == without_trailing_blanks(whole)
        assert len(streamed) - len(without_trailing_blanks(streamed)) <= slack
        assert any("[b]not markup[/b]" in line for line in streamed)


async def test_a_long_paragraph_is_cut_at_a_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "FREEZE_CHARS", 50)
    app = Side()
    async with app.run_test(size=(40, 80)) as pilot:
        view = app.query_one(StreamView)
        words = "word " * 200
        for start in range(0, len(words), 10):
            await view.append(words[start:start + 10])
            await pilot.pause()
        assert view.text == words
        assert len([w for w in view.children if type(w) is Static]) >= 2
        assert len(view.query_one(stream._Tail).text) <= 50 + (stream.SLACK_ROWS + 1) * 36
