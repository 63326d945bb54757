"""strip_control: what untrusted text loses before it reaches a terminal, and what it keeps."""

from __future__ import annotations

import pytest

from tui.alignment.text import strip_control

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings and overrides
        "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
        "\u200e", "\u200f", "\u061c"]  # LRM, RLM, ALM


def test_a_lone_carriage_return_is_removed_and_crlf_becomes_a_newline() -> None:
    assert strip_control("innocent title\rEVIL") == "innocent titleEVIL"  # nothing overwritten
    assert strip_control("#2  title\r#9\r\r") == "#2  title#9"
    assert strip_control("one\r\ntwo\r\r\nthree\n") == "one\ntwo\nthree\n"


@pytest.mark.parametrize("control", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_bidi_controls_are_removed(control: str) -> None:
    assert strip_control(f"invoice{control}fdp.exe") == "invoicefdp.exe"


def test_printable_text_tabs_and_newlines_are_kept_around_what_goes() -> None:
    kept = "Überraschung\tcafé 日本語 עברית عربي 🙂 [bold red]x[/] «» \u00a0\u200b\nnext"
    hostile = "".join(f"{ch}\r\u202e\x1b]0;T\x07" for ch in kept)
    assert strip_control(hostile) == kept
