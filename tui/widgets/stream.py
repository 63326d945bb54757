"""The answer while it streams: literal text that costs the UI little per update.

With two cores, any CPU the UI thread spends is taken from llama.cpp's threads. In Textual
a widget whose height changes costs a layout of the whole screen, twice (the scroll view's
size follows), and a repaint of everything that moved: ~25 ms here, against a few ms for
repainting one small widget in place. So the live tail keeps SLACK_ROWS spare rows below
its text and is repainted in place while the text fits them. When it outgrows them, the
lines above its last line break move into a plain Static (wrapped once, never repainted)
in the same layout, so the tail, and the cost of an update, stays small however long the
answer gets. The finished answer is shown as Markdown by AnswerView.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.widgets import Static

SLACK_ROWS = 6  # spare rows under the streaming text: a layout every ~6 new lines
FREEZE_CHARS = 1200  # a tail this long without a line break is cut at a space instead


class _Tail(Static):
    """The last lines of the streaming text; repainted in place while they fit its rows."""

    DEFAULT_CSS = "_Tail { height: auto; }"

    def __init__(self) -> None:
        super().__init__(Content(""))
        self.text = ""
        self._rows = 0
        self._width = 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        lines = super().get_content_height(container, viewport, width)
        if width != self._width or lines > self._rows:
            self._width, self._rows = width, lines + SLACK_ROWS
        return self._rows

    def fits(self, text: str) -> bool:
        """Whether text fits the rows the tail has now (no layout needed to show it)."""
        if not self._width:
            return False
        # Textual's Static passes its styles the same way; the stub asks for a RulesMap
        height = Content(text).get_height(self.styles, self._width)  # type: ignore[arg-type]
        return height <= self._rows

    def show(self, text: str, fits: bool) -> None:
        """Show text (already stripped of control characters) literally."""
        self.text = text
        self.update(Content(text), layout=False)
        if not fits:
            self._rows = 0  # get_content_height sizes the rows afresh
            self.refresh(layout=True)


class StreamView(Vertical):
    """Streamed answer text: frozen Statics for the older lines, a live tail for the rest."""

    # Textual's Markdown pads its sides by 2: so does the stream, so that the lines wrap
    # the same way when the finished answer's Markdown replaces it.
    DEFAULT_CSS = """
    StreamView { height: auto; padding: 0 2; }
    StreamView > Static { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._tail = _Tail()

    def compose(self) -> ComposeResult:
        yield self._tail

    async def append(self, piece: str) -> None:
        """Add a piece (already stripped of control characters) to the end."""
        self.text += piece
        tail = self._tail
        text = tail.text + piece
        if tail.fits(text):
            tail.show(text, fits=True)
            return
        # A layout is due anyway: freeze the older lines in it.
        cut = text.rfind("\n")
        if cut < 0 and len(text) > FREEZE_CHARS:
            cut = text.rfind(" ")
        if cut > 0:
            with self.app.batch_update():
                await self.mount(Static(Content(text[:cut])), before=tail)
                tail.show(text[cut + 1:], fits=False)
        else:
            tail.show(text, fits=False)
