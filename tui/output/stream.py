"""An answer streamed to a terminal as it comes, sanitised; Ctrl-C stops it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TextIO

from tui.output.terminal import Terminal


class Streamed(Protocol):
    """A Turn or a Generation: pieces to iterate, and a way to stop them."""

    def __iter__(self) -> Iterator[str]: ...

    def stop(self) -> None: ...

    def wait(self) -> str: ...


def write_streamed(streamed: Streamed, out: TextIO | Terminal) -> bool:
    """Write each piece as it arrives; False when Ctrl-C stopped it (then drained)."""
    terminal = out if isinstance(out, Terminal) else Terminal(out)
    try:
        for piece in streamed:
            terminal.write(piece)
    except KeyboardInterrupt:
        streamed.stop()
        streamed.wait()
        return False
    return True
