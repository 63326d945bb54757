"""Entry files parsed fast by rtoml (Rust), with tomllib's acceptance, values and messages.

tomllib walks every basic string character by character in Python, and tomli-w writes
every text as one; rtoml reads an entry file over ten times faster. rtoml also reads some
of TOML 1.1, which tomllib (TOML 1.0, like `coalign diary edit`) rejects: a byte-order
mark, the \\e and \\x escapes, inline tables over several lines or with a trailing comma,
times without seconds. A text that may hold one of those, a text rtoml rejects (tomllib
then gives its line and column, or reads what rtoml cannot: 1e400, integers past 64
bits) and a result holding a date or a time (whose time zone rtoml builds differently)
are parsed by tomllib, so a file loads, or fails, exactly as with tomllib alone.
"""

from __future__ import annotations

import marshal
import re
import tomllib
from typing import Any

import rtoml

TOMLDecodeError = tomllib.TOMLDecodeError
# Strings and comments, left to right, so that what is left is the document's skeleton.
_STRINGS = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"'
                      r"|'[^'\n]*'|#[^\n]*", re.DOTALL)
# An inline table left open at a line's end or holding another (TOML 1.1 lets it span
# lines; a nested one is rare enough to hand over), or a trailing comma: looked for in the
# text first (cheap; strings may give false alarms), then in its skeleton (exact).
_OPEN_TABLE = re.compile(r"\{[^{}\n]*+(?:[{\n]|\Z)")  # possessive: no backtracking


def loads(text: str) -> dict[str, Any]:
    """text parsed as tomllib.loads(text) would, raising its TOMLDecodeError."""
    if _maybe_toml_1_1(text):
        return tomllib.loads(text)
    try:
        data: dict[str, Any] = rtoml.loads(text)
    except (rtoml.TomlParsingError, ValueError):
        return tomllib.loads(text)
    return data if _plain(data) else tomllib.loads(text)


def _maybe_toml_1_1(text: str) -> bool:
    """Whether text may use what rtoml reads and tomllib rejects (false alarms cost time)."""
    if text.startswith("\ufeff"):
        return True
    if _new_escape(text):
        return True
    if _inline_table_1_1(text):  # in the text, strings included: then in its skeleton
        return _inline_table_1_1(_STRINGS.sub('""', text))
    return False


def _new_escape(text: str) -> bool:
    """Whether text has a \\e or \\x escape (each backslash found by str.find, in C, and
    taking the character after it, so that an escaped backslash is skipped; with no
    backslash before an e or an x, there is none, which two looks in C tell)."""
    if "\\e" not in text and "\\x" not in text:
        return False
    at = text.find("\\")
    while at >= 0:
        if text[at + 1:at + 2] in ("e", "x"):
            return True
        at = text.find("\\", at + 2)
    return False


def _inline_table_1_1(text: str) -> bool:
    """Whether text has an inline table left open at a line's end or holding another, or
    a comma before a "}" (the braces found by str.find, in C: entries have one or two)."""
    at = text.find("{")
    while at >= 0:
        if _OPEN_TABLE.match(text, at):
            return True
        at = text.find("{", at + 1)
    at = text.find("}")
    while at >= 0:
        before = at - 1
        while before >= 0 and text[before] in " \t\r\n":
            before -= 1
        if before >= 0 and text[before] == ",":
            return True
        at = text.find("}", at + 1)
    return False


def _plain(data: dict[str, Any]) -> bool:
    """Whether data holds only tables, lists, texts, numbers and booleans: of what rtoml
    builds, marshal writes exactly those and refuses a date or a time (a walk in C)."""
    try:
        marshal.dumps(data)
    except ValueError:
        return False
    return True
