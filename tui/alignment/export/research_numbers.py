"""Research numbers that redaction never masks: years, dates, DOIs, ISBNs, counts, pages.

`protected_spans` finds them and `shield` blanks them out (same length, so offsets hold)
before the phone matcher runs, so a year range or an ISBN is never read as a phone number.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

Span = tuple[int, int]
SHIELD = "_"  # neither a digit, a letter nor phone punctuation: the matcher skips it
_SPACES = " \u00a0\u2009\u202f"  # space, no-break space, thin space, narrow no-break space
_YEAR = r"(?:1\d{3}|20\d{2})"
# Not glued to a longer run of digits: no digit or + before, no "digit and separator".
_START = r"(?<![\d+])(?<!\d[-‐–—/.])"
_DOI = re.compile(r"(?<![\w.])10\.\d{4,9}/\S+")
# arXiv ids (2301.12345v2, YYMM.number) and PubMed ids, with or without their label.
_PAPER_ID = re.compile(r"(?<![\w.])(?:arXiv:\s*)?(?:0[7-9]|[1-9]\d)(?:0[1-9]|1[0-2])\.\d{4,5}"
                       r"(?:v\d+)?(?![\d]|\.\d)|\bPMID:?\s*\d{1,9}\b", re.IGNORECASE)
_ISBN_PREFIXED = re.compile(
    r"\bISBN(?:-1[03])?:?[\s\u00a0]*(?:97[89][-‐ ]?)?\d(?:[-‐ ]?\d){8}[-‐ ]?[\dXx](?![\w-])")
_ISBN_BARE = re.compile(
    _START + r"(?:97[89]([-‐ ])\d{1,5}\1\d{1,7}\1\d{1,7}\1\d"  # 978-0-19-953556-8
    r"|\d{1,5}([-‐ ])\d{1,7}\2\d{1,7}\2[\dXx]"  # 0-19-953556-6
    r"|97[89]\d{10}|\d{9}[\dXx])(?![\w-]|[-‐.]\d)")
_ISO_DATE = re.compile(
    _START + r"\d{4}(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\d]|[-/.]\d)")
_DATE = re.compile(_START + r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?:\d{4}|\d{2})"
                   r"(?![\d]|[-/.]\d)")
_YEAR_RANGE = re.compile(
    _START + rf"(?P<first>{_YEAR})\s?[-‐–—/]\s?(?P<last>{_YEAR}|\d{{2}})(?![\d]|[-‐–—/.]\d)")
_GROUPED = re.compile(
    rf"(?<![\d.,/-])(?<!\d[{_SPACES}])(?P<head>\d{{1,3}})(?P<sep>[{_SPACES}])\d{{3}}"
    rf"(?:(?P=sep)\d{{3}})*(?:[.,]\d+)?(?![\d]|[{_SPACES}/-]\d)")
_COUNT = re.compile(rf"(?<!\w)[nN][{_SPACES}]*[=≈~][{_SPACES}]*\d(?:[\d,.{_SPACES}]*\d)?")
_PAGE_RANGE = r"\d{1,5}(?:[\s\u00a0]?[-‐–—][\s\u00a0]?\d{1,5})?(?!\d)"
_PAGES = re.compile(rf"(?<!\w)(?:pp?\.|S\.|pages?\b|Seiten?\b)[\s\u00a0]*{_PAGE_RANGE}"
                    rf"(?:,[\s\u00a0]*{_PAGE_RANGE})*", re.IGNORECASE)
_DECIMAL = re.compile(r"(?<![\d.,])(?:0|[1-9]\d{0,2})[.,]\d+(?![\d]|[.,]\d)")
# A version such as 3.14.159 or 10.0.19041 (a phone's first group is 0x or 3+ digits).
_VERSION = re.compile(r"(?<![\d.])(?:0|[1-9]\d?)(?:\.\d+){2,}(?![\d]|\.\d)")
# Words joined by - or _ where one word mixes letters and digits: a commit, an entry id,
# a model or file name such as llama-3-8b-20240101; never a phone number.
_COMPOUND = re.compile(r"(?<![^\W_])[^\W_]+(?:[-_][^\W_]+)*")
_MIXED_WORD = re.compile(r"(?=[^\W_]*[^\W\d_xX])[^\W_]*\d")
_COMPACT_DATE = re.compile(r"(?<![\d+])(?<!\d[-/. ])(?:1[5-9]|20)\d{2}(?:0[1-9]|1[0-2])"
                           r"(?:0[1-9]|[12]\d|3[01])(?![\d]|[-/.]\d)")
# A span right after a country code ("+44 1955-1965") is part of a phone number.
_AFTER_COUNTRY_CODE = re.compile(r"(?:\+\d{1,3}|\(\d{1,3}\)|\(0\d{1,4}\))[\s.\-]*\Z")
_TRAILING = ".,;:!?'\"»”’"


def _isbn_ok(digits: str) -> bool:
    if len(digits) == 13:
        return digits[:3] in ("978", "979") and digits.isdigit() and sum(
            int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit():
        check = 10 if digits[9] in "xX" else int(digits[9]) if digits[9].isdigit() else -1
        return check >= 0 and (sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
                               + check) % 11 == 0
    return False


def _dois(text: str) -> Iterator[Span]:
    for match in _DOI.finditer(text):
        doi = match.group(0).rstrip(_TRAILING)
        while doi.endswith(")") and doi.count(")") > doi.count("("):
            doi = doi[:-1].rstrip(_TRAILING)
        yield match.start(), match.start() + len(doi)


def _isbns(text: str, is_phone: Callable[[str], bool]) -> Iterator[Span]:
    for match in _ISBN_PREFIXED.finditer(text):
        yield match.span()
    for match in _ISBN_BARE.finditer(text):
        digits = re.sub(r"[-‐ ]", "", match.group(0))
        if match.group(1):  # 978-0-19-953556-9: the shape is enough, check digit or not
            yield match.span()
        elif _isbn_ok(digits) and not (len(digits) == 10 and digits == match.group(0)
                                       and is_phone(digits)):
            yield match.span()


def _dates(text: str) -> Iterator[Span]:
    for match in _ISO_DATE.finditer(text):
        if 1 <= int(match.group("month")) <= 12 and 1 <= int(match.group("day")) <= 31:
            yield match.span()
    for match in _DATE.finditer(text):
        first, second = int(match.group("a")), int(match.group("b"))
        if 1 <= min(first, second) <= 12 and max(first, second) <= 31:
            yield match.span()


def _year_ranges(text: str) -> Iterator[Span]:
    for match in _YEAR_RANGE.finditer(text):
        first, last = match.group("first"), match.group("last")
        end = int(first[:2] + last) if len(last) == 2 else int(last)
        if 0 < end - int(first) <= 300:
            yield match.span()


def _mixed(text: str) -> Iterator[Span]:
    for match in _COMPOUND.finditer(text):
        words = match.group(0)
        if any(_MIXED_WORD.match(word) for word in re.split(r"[-_]", words)):
            yield match.span()


def _counts(text: str) -> Iterator[Span]:
    for match in _COUNT.finditer(text):
        yield match.span()
    for match in _GROUPED.finditer(text):
        # "1 234 567", "12 500", "1 234 567" (thin space); "612 345 678" may be a phone
        if match.group("sep") != " " or len(match.group("head")) < 3:
            yield match.span()


def protected_spans(text: str, is_phone: Callable[[str], bool] = lambda _digits: False
                    ) -> list[Span]:
    """Sorted spans of research numbers in text; is_phone(digits) keeps a bare
    ten-digit number that is also a valid phone number unprotected (ISBN-10 look-alikes)."""
    found = [*_dois(text), *(m.span() for m in _PAPER_ID.finditer(text)),
             *_isbns(text, is_phone), *_dates(text), *_year_ranges(text),
             *_counts(text), *(m.span() for m in _PAGES.finditer(text)),
             *(m.span() for m in _DECIMAL.finditer(text)),
             *(m.span() for m in _VERSION.finditer(text)),
             *(m.span() for m in _COMPACT_DATE.finditer(text)),
             *_mixed(text)]
    return sorted(span for span in found
                  if not _AFTER_COUNTRY_CODE.search(text, max(0, span[0] - 12), span[0]))


def shield(text: str, spans: list[Span]) -> str:
    """text with each span replaced by SHIELD characters of the same length."""
    if not spans:
        return text
    parts, at = [], 0
    for start, end in spans:
        if end <= at:
            continue
        start = max(start, at)
        parts += [text[at:start], SHIELD * (end - start)]
        at = end
    parts.append(text[at:])
    return "".join(parts)
