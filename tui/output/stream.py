"""An answer streamed to a terminal as it comes, sanitised; Ctrl-C stops it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TextIO

from tui.alignment.text import strip_control


class Streamed(Protocol):
    """A Turn or a Generation: pieces to iterate, and a way to stop them."""

    def __iter__(self) -> Iterator[str]: ...

    def stop(self) -> None: ...

    def wait(self) -> str: ...


def write_streamed(streamed: Streamed, out: TextIO) -> bool:
    """Write each piece as it arrives; False when Ctrl-C stopped it (then drained)."""
    try:
        for piece in streamed:
            out.write(strip_control(piece))
            out.flush()
    except KeyboardInterrupt:
        streamed.stop()
        streamed.wait()
        return False
    return True
