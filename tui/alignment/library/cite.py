"""The numbered sources an answer cites ([1], [2, 3], [1–3], [1][4]) against those it was given."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:,|;|–|-|and)\s*\d{1,3})*)\s*\]")
_RANGE = re.compile(r"(\d+)\s*[–-]\s*(\d+)")
MAX_RANGE = 50  # '[1-900]' is no citation of 900 sources


@dataclass(frozen=True)
class CitedSources:
    """Which of the given sources the answer cites, and the numbers it cites that it was
    never given (an invented source)."""

    cited: tuple[int, ...]  # given and cited, in the order first cited
    missing: tuple[int, ...]  # cited but never given
    uncited: tuple[int, ...]  # given and not cited


def markers(text: str) -> list[int]:
    """Every source number cited in text, in order, each once."""
    found: dict[int, None] = {}
    for match in _MARKER.finditer(text):
        body = match.group(1)
        for low, high in _RANGE.findall(body):
            start, end = int(low), int(high)
            if start <= end <= start + MAX_RANGE:
                found.update(dict.fromkeys(range(start, end + 1)))
            else:  # not a range of sources: its two numbers
                found.update(dict.fromkeys((start, end)))
        for number in re.findall(r"\d+", _RANGE.sub("", body)):
            found.setdefault(int(number), None)
    return list(found)


def check_markers(text: str, given: list[int]) -> CitedSources:
    """The answer's [n] markers against the numbers of the sources it was given."""
    numbers = markers(text)
    known = set(given)
    return CitedSources(tuple(n for n in numbers if n in known),
                        tuple(n for n in numbers if n not in known),
                        tuple(n for n in given if n not in numbers))
