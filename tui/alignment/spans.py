"""Stretches of a text to highlight (the least sure parts of an answer), as segments."""

from __future__ import annotations

from collections.abc import Iterable


def split_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, highlighted) segments, in order; overlaps are merged."""
    segments: list[tuple[str, bool]] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if end <= start:
            continue
        if start > position:
            segments.append((text[position:start], False))
        segments.append((text[start:end], True))
        position = end
    if position < len(text):
        segments.append((text[position:], False))
    return segments
