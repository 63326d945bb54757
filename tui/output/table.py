"""Plain-text tables with aligned columns, for the CLI (cells are sanitised first)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from tui.output.terminal import clean


def width(text: str) -> int:
    """Columns a line of text takes in a terminal (wide East Asian characters take two,
    combining marks none)."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell(value: object) -> str:
    """A cell as one sanitised line (newlines and tabs become spaces)."""
    return " ".join(clean(value).split())


def table(header: Sequence[str], rows: Sequence[Sequence[object]],
          numeric: Sequence[int] = (), gap: str = "  ") -> list[str]:
    """The header and rows as lines; columns in `numeric` aligned right, the rest left."""
    lines = [[cell(value) for value in row] for row in [header, *rows]]
    count = max(len(line) for line in lines)
    widths = [max((width(line[n]) for line in lines if n < len(line)), default=0)
              for n in range(count)]

    def pad(text: str, n: int) -> str:
        room = " " * (widths[n] - width(text))
        return room + text if n in numeric else text + room

    return [gap.join(pad(text, n) for n, text in enumerate(line)).rstrip() for line in lines]
