"""Make untrusted text (model output, shared files) safe to show in a terminal."""

from __future__ import annotations

import re

# CSI, OSC, DCS/SOS/PM/APC strings, and lone escape sequences.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# C0 controls but tab and newline (a lone CR moves the cursor back over what was shown),
# DEL and C1, and the bidirectional controls that reorder what follows them on screen:
# the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069, and the marks
# LRM, RLM and ALM.
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """Remove terminal escape sequences, control characters (a lone CR too) and bidi
    controls, keeping tabs, newlines and every other printable character."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n")))


def counted(number: int, noun: str, plural: str = "") -> str:
    """'1 entry', '2 entries', '0 passages': the number with its noun agreeing."""
    if number == 1:
        return f"1 {noun}"
    return f"{number} {plural or noun + 's'}"
