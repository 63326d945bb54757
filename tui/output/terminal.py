"""The one way the CLI and the REPL write to a terminal: every string is sanitised.

Text shown in a terminal comes from places coalign does not control: model answers,
shared profiles (their file names and key names too), participants' diary folders, the
history. `Terminal` writes it with escape sequences, control characters (a lone CR too)
and bidi controls removed, so no string can set the clipboard or the window title, clear
the screen or overwrite what is shown. Rich markup is never interpreted here: it shows
literally. The only deliberate escape is `control()` (the OSC 52 of /copy), written only
to a terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TextIO

from tui.alignment.text import strip_control
from tui.output.lines import one_line

DIM, HIGHLIGHT, RESET = "\x1b[2m", "\x1b[1;4;33m", "\x1b[0m"
_SURROGATES = re.compile(r"[\ud800-\udfff]")  # undecodable bytes of a file name


def clean(text: object) -> str:
    """str(text) as it may reach a terminal: no escapes, no controls but tab and newline."""
    return _SURROGATES.sub("\ufffd", strip_control(str(text)))


class Terminal:
    """Writes sanitised text to a stream; styles only when the stream is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def _put(self, text: str) -> None:
        stream = self.stream
        stream.write(text)
        stream.flush()

    def line(self, text: object = "") -> None:
        """text and a newline (text may hold several lines)."""
        self._put(clean(text) + "\n")

    def write(self, text: object) -> None:
        """text with no newline: a streamed piece of an answer."""
        self._put(clean(text))

    def dim(self, text: object) -> None:
        """A line of secondary information, dimmed on a terminal."""
        text = clean(text)
        self._put((f"{DIM}{text}{RESET}" if self.isatty() else text) + "\n")

    def highlight(self, pieces: Iterable[tuple[str, bool]]) -> None:
        """One line of pieces; the flagged ones bold, underlined and yellow on a terminal,
        «between guillemets» elsewhere."""
        opening, closing = (HIGHLIGHT, RESET) if self.isatty() else ("«", "»")
        self._put("".join(f"{opening}{clean(piece)}{closing}" if flagged else clean(piece)
                          for piece, flagged in pieces) + "\n")

    def error(self, problem: BaseException | str, prefix: str = "error") -> None:
        """'error: what went wrong' as one line (an exception without its traceback)."""
        text = problem if isinstance(problem, str) else one_line(problem)
        self.line(f"{prefix}: {text}")

    def control(self, sequence: str) -> None:
        """A deliberate escape sequence (OSC 52 for /copy), written only to a terminal."""
        if self.isatty():
            self._put(sequence)


class _Standard(Terminal):
    """sys.stdout or sys.stderr as it is at each call (tests and loaders replace them)."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self._name)
        return stream


out: Terminal = _Standard("stdout")
err: Terminal = _Standard("stderr")
