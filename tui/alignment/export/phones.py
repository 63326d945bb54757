"""Phone numbers in free text, found by libphonenumber's matcher (the phonenumbers package).

The matcher runs for the default region at the chosen leniency, then, where digits are
left over, for a short list of other regions at "valid" or stricter, so a French or
German national number is found with region GB too. Only runs of seven or more digits
(outside the research numbers shielded first) reach the matcher; results are cached.
"""

from __future__ import annotations

import re
from typing import Sequence

from tui.alignment.diary.entry import DiaryError
from tui.alignment.export.research_numbers import Span, protected_spans, shield

DEFAULT_REGION = "GB"
# Regions whose national formats are looked for too (international "+" numbers need none).
EXTRA_REGIONS = ("GB", "US", "FR", "DE", "ES", "IT", "NL", "BE", "CH", "AT", "IE", "PT", "PL",
                 "SE")
LENIENCIES = ("possible", "valid", "strict", "exact")
MIN_DIGITS = 7
# libphonenumber's VALID_PUNCTUATION without "x" (an extension marker, not a separator).
_PUNCT = "\\-\u2010-\u2015\u2212\u30fc\uff0d-\uff0f\u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09" \
         "\uff3b\uff3d.\\[\\]/~\u2053\u223c\uff5e\\s"
# A run of at least MIN_DIGITS digits with phone punctuation between them (it starts with
# a digit, so the regex engine skips quickly to digits; _OPENING extends it to a + or "(").
_CANDIDATE = re.compile(rf"\d(?:[{_PUNCT}]{{0,4}}\d){{6,}}")
_OPENING = "+\uff0b(\uff08\uff3b["
_CACHE_LIMIT = 20_000
CONTEXT_WORDS = 3  # the number's own word and two before: "ISBN", "pp.", "n =", a DOI
CONTEXT_CHARS = 200
_WORDS_BEFORE = re.compile(rf"\S*(?:\s+\S+){{0,{CONTEXT_WORDS - 1}}}")  # read backwards
_REST_OF_WORD = re.compile(r"\S*")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class PhoneFinder:
    """Spans of phone numbers in a text, for a default region and a leniency."""

    def __init__(self, region: str = DEFAULT_REGION, leniency: str = "possible",
                 regions: Sequence[str] = EXTRA_REGIONS) -> None:
        import phonenumbers  # here, not at import time: only an export with --redact needs it

        self._phonenumbers = phonenumbers
        self.region = region_code(region)
        self.regions = tuple(dict.fromkeys(
            code for code in map(region_code, regions) if code != self.region))
        if leniency not in LENIENCIES:
            raise DiaryError(f"unknown phone leniency {leniency!r}; "
                             f"use one of {', '.join(LENIENCIES)}")
        levels = (phonenumbers.Leniency.POSSIBLE, phonenumbers.Leniency.VALID,
                  phonenumbers.Leniency.STRICT_GROUPING, phonenumbers.Leniency.EXACT_GROUPING)
        self._leniency = levels[LENIENCIES.index(leniency)]
        self._extra_leniency = levels[max(1, LENIENCIES.index(leniency))]
        self._cache: dict[str, list[Span]] = {}
        self._contexts: dict[str, list[Span]] = {}

    def spans(self, text: str) -> list[Span]:
        """Sorted, non-overlapping spans of the phone numbers in text."""
        if text.isascii() and not any(digit in text for digit in "0123456789"):
            return []  # the common case, found faster than by the regex engine
        contexts: list[Span] = []
        for match in _CANDIDATE.finditer(text):
            start, end = _context(text, _opening(text, match.start()), match.end())
            if contexts and start <= contexts[-1][1]:
                contexts[-1] = (contexts[-1][0], max(end, contexts[-1][1]))
            else:
                contexts.append((start, end))
        found: list[Span] = []
        for start, end in contexts:
            found += [(start + a, start + b) for a, b in self._context(text[start:end])]
        return found

    def is_phone(self, digits: str) -> bool:
        """Whether digits are a valid number in the default region (a bare ten-digit ISBN
        look-alike then counts as a phone number)."""
        try:
            number = self._phonenumbers.parse(digits, self.region)
        except self._phonenumbers.NumberParseException:
            return False
        return bool(self._phonenumbers.is_valid_number(number))

    def _context(self, context: str) -> list[Span]:
        """Phone spans in a number and the words around it, research numbers shielded."""
        cached = self._contexts.get(context)
        if cached is None:
            shielded = shield(context, protected_spans(context, self.is_phone))
            cached = []
            for match in _CANDIDATE.finditer(shielded):
                at = _opening(shielded, match.start())
                window = shielded[at:match.end()]
                cached += [(at + a, at + b) for a, b in self._window(window)]
            if len(self._contexts) >= _CACHE_LIMIT:
                self._contexts.clear()
            self._contexts[context] = cached
        return cached

    def _window(self, window: str) -> list[Span]:
        cached = self._cache.get(window)
        if cached is None:
            found = self._match(window, self.region, self._leniency)
            for region in self.regions:
                if not _uncovered(window, found):
                    break
                found += self._match(window, region, self._extra_leniency)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[window] = _merge(found)
        return cached

    def _match(self, window: str, region: str, leniency: int) -> list[Span]:
        matcher = self._phonenumbers.PhoneNumberMatcher(window, region, leniency=leniency)
        return [(m.start, m.end) for m in matcher if _digits(m.raw_string) >= MIN_DIGITS]


def _opening(text: str, start: int) -> int:
    """start moved back over a "+" or an opening bracket (at most three) before it."""
    low = max(0, start - 3)
    while start > low and text[start - 1] in _OPENING:
        start -= 1
    return start


def _context(text: str, start: int, end: int) -> Span:
    """The span of a candidate number, its word and the words before it (cues such as
    "ISBN", "pp.", "n =", a DOI's prefix), and the rest of its word after it."""
    before = text[max(0, start - CONTEXT_CHARS):start][::-1]
    left = _WORDS_BEFORE.match(before)
    right = _REST_OF_WORD.match(text, end, end + CONTEXT_CHARS)
    return start - (left.end() if left else 0), right.end() if right else end


def _uncovered(window: str, spans: list[Span]) -> bool:
    """Whether some digit of window lies outside every span."""
    covered = {i for start, end in spans for i in range(start, end)}
    return any(ch.isdigit() and i not in covered for i, ch in enumerate(window))


def region_code(code: str) -> str:
    """code as libphonenumber's region (GB, US, …), or DiaryError naming the fix."""
    import phonenumbers

    upper = code.strip().upper()
    if upper not in phonenumbers.SUPPORTED_REGIONS:
        raise DiaryError(f"unknown phone region {code!r}; use a two-letter country code "
                         "such as GB, US, FR or DE")
    return upper
