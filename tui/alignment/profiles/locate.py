"""Find the line of a key in TOML text (tomllib reports none for valid documents)."""

from __future__ import annotations

import re

from tui.alignment.profiles.errors import KeyPath

_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART = re.compile(_KEY)


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _PART.findall(dotted))


def _toggles_multiline(line: str, inside: str | None) -> str | None:
    """Track whether the next line is inside a multi-line string ('\"\"\"' or "'''")."""
    for quote in ('"""', "'''"):
        if (inside in (None, quote)) and line.count(quote) % 2 == 1:
            return None if inside == quote else quote
    return inside


def key_lines(text: str) -> list[tuple[KeyPath, int]]:
    """Every header and assignment in text as (full key path, 1-based line)."""
    found: list[tuple[KeyPath, int]] = []
    table: KeyPath = ()
    counts: dict[tuple[str, ...], int] = {}
    inside: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if inside is not None:
            inside = _toggles_multiline(line, inside)
            continue
        if match := _ARRAY_HEADER.match(line):
            parts = _parts(match.group(1))
            counts[parts] = counts.get(parts, 0) + 1
            table = parts + (counts[parts] - 1,)
            found.append((table, number))
        elif match := _HEADER.match(line):
            table = _parts(match.group(1))
            found.append((table, number))
        elif match := _ASSIGN.match(line):
            found.append((table + _parts(match.group(1)), number))
            inside = _toggles_multiline(line[match.end():], None)
    return found


def line_of(text: str, path: KeyPath) -> int | None:
    """The line defining path, else the line of its longest defined prefix, else None."""
    best, best_length = None, 0
    for found, number in key_lines(text):
        length = len(found)
        if found == path[:length] and length > best_length:
            best, best_length = number, length
    return best
