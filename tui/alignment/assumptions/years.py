"""The years, decades and centuries a response names, against the profile's year filter."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.alignment.assumptions.fit import Fit, fit_of

PROVENANCE = ("Years found by pattern in the text: four-digit years 1000-2100 (before 1800 only "
              "after words such as \"in\" or \"since\"), ranges, decades (\"the 1990s\") and "
              "centuries (\"19th century\" = 1800-1899); counts of things (\"2000 people\") are "
              "left out, but some plain numbers may still read as years.")

YEAR, RANGE, DECADE, CENTURY = "year", "range", "decade", "century"

_Y = r"(?:1\d{3}|20\d{2}|2100)"
_ORDINALS = ("eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth "
             "eighteenth nineteenth twentieth twenty-first").split()
_ORD = r"(?:1\d|2[01])(?:st|nd|rd|th)|" + "|".join(_ORDINALS)
_BEFORE = r"(?<![\w.,/:#$€£¥%+-])"
_AFTER = r"(?![\w%]|[.,/:]\d)"
_PATTERN = re.compile(
    rf"(?P<century>(?P<c1>{_ORD})(?:\s*(?:and|to|-|–|—)\s*(?P<c2>{_ORD}))?[\s-]+centur(?:y|ies))"
    rf"|(?P<range>{_BEFORE}(?:between\s+(?P<b1>{_Y})\s+and\s+(?P<b2>{_Y})|"
    rf"(?P<r1>{_Y})\s*(?:-|–|—|to|until)\s*(?P<r2>{_Y}|\d{{2}})){_AFTER})"
    rf"|(?P<decade>{_BEFORE}(?P<d>1\d{{2}}0|20\d0)['’]?s\b)"
    rf"|(?P<year>{_BEFORE}(?P<y>{_Y})[a-z]?{_AFTER})",
    re.IGNORECASE,
)
# A number followed by one of these counts things rather than naming a year.
_COUNTED = re.compile(
    r"\s*(?:%|percent|per\s?cent|people|persons|participants|respondents|patients|students|"
    r"users|words|tokens|pages|km|kilomet|miles|m\b|kg|tonnes|tons|times|cases|deaths|hours|"
    r"minutes|seconds|USD|EUR|dollars|euros|items|samples|cells|members|households|children|"
    r"adults|species|calories|kcal|feet|ft\b|metres|meters|units|papers|articles|studies)",
    re.IGNORECASE)
_LEADS = re.compile(r"(?:\bp|\bpp|\bno|\bpage|\bn\s*=|\bN\s*=|\bID)\.?\s*$", re.IGNORECASE)
# Before 1800, a number is read as a year only after one of these words (or in brackets).
_YEAR_CUES = re.compile(
    r"(?:\b(?:in|since|from|by|until|till|to|before|after|around|circa|c|ca|of|year|during|"
    r"between|and|early|late|mid|AD|CE)\.?\s+|\(\s*|,\s+)$", re.IGNORECASE)


@dataclass(frozen=True)
class YearMention:
    """A year or span of years named in a text (text[start:end]), first to last inclusive."""

    start: int
    end: int
    text: str
    first: int
    last: int
    kind: str  # YEAR, RANGE, DECADE or CENTURY


def _ordinal(text: str) -> int:
    word = text.lower()
    return _ORDINALS.index(word) + 11 if word in _ORDINALS else int(word[:-2])


def _end_year(first: int, second: str) -> int:
    """'2019-20' ends in 2020; a four-digit second year is taken as it is."""
    if len(second) == 2:
        return first // 100 * 100 + int(second)
    return int(second)


def _plain_year(text: str, match: re.Match[str]) -> bool:
    """Whether a bare number reads as a year in its context."""
    before = max(0, match.start() - 12)
    if _COUNTED.match(text, match.end()) or _LEADS.search(text, before, match.start()):
        return False
    return int(match["y"]) >= 1800 or bool(_YEAR_CUES.search(text, before, match.start()))


def find_years(text: str) -> list[YearMention]:
    """Every year, range, decade and century the text names, in order."""
    found = []
    for match in _PATTERN.finditer(text):
        if match["century"]:
            first = (_ordinal(match["c1"]) - 1) * 100
            last = (_ordinal(match["c2"] or match["c1"]) - 1) * 100 + 99
            kind = CENTURY
        elif match["range"]:
            first = int(match["r1"] or match["b1"])
            last = _end_year(first, match["r2"] or match["b2"])
            kind = RANGE
            if last < first or _COUNTED.match(text, match.end()):
                continue
        elif match["decade"]:
            first = int(match["d"])
            kind = CENTURY if first % 100 == 0 and first < 2000 else DECADE
            last = first + (99 if kind == CENTURY else 9)
        else:
            if not _plain_year(text, match):
                continue
            first = last = int(match["y"])
            kind = YEAR
        found.append(YearMention(match.start(), match.end(), match.group(), first, last, kind))
    return found


@dataclass
class YearCheck:
    """Each year mention against the profile's year filter."""

    years: tuple[int, int] | None
    status: list[tuple[YearMention, Fit]] = field(default_factory=list)

    def mentions(self, wanted: Fit) -> list[YearMention]:
        return [mention for mention, status in self.status if status is wanted]


def year_fit(mention: YearMention, years: tuple[int, int] | None) -> Fit:
    """INSIDE when the filter covers the whole span, PARTLY when some of it."""
    if years is None:
        return Fit.UNSET
    covered = max(0, min(mention.last, years[1]) - max(mention.first, years[0]) + 1)
    return fit_of(covered, mention.last - mention.first + 1, True)


def compare_years(mentions: list[YearMention], years: tuple[int, int] | None) -> YearCheck:
    """Each mention against the filter's [FROM, TO] years (None: no filter)."""
    return YearCheck(years, [(mention, year_fit(mention, years)) for mention in mentions])
