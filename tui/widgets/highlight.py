"""An answer as literal text with its least sure stretches highlighted."""

from __future__ import annotations

from rich.text import Text

from tui.alignment.spans import split_spans
from tui.alignment.text import strip_control

LOW_CONFIDENCE_STYLE = "bold underline yellow"


def highlighted(content: str, spans: list[tuple[int, int]]) -> Text:
    """The content, sanitised piece by piece (the offsets are into the raw text)."""
    return Text.assemble(*((strip_control(piece), LOW_CONFIDENCE_STYLE if low else "")
                           for piece, low in split_spans(content, spans)))
