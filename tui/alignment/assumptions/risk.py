"""Coverage and risk flags (P4, P8): what in a response goes against the profile, counted."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui.alignment.assumptions.check import CitationCheck, Status
from tui.alignment.assumptions.confidence import ConfidenceSummary
from tui.alignment.assumptions.fit import Fit
from tui.alignment.assumptions.grounding import CompassCheck
from tui.alignment.assumptions.years import YearCheck
from tui.alignment.profiles.schema import Filters
from tui.alignment.text import strip_control

PROVENANCE = ("Counts of the findings above that go against your profile. Only what can be "
              "read from the text is checked: the languages and disciplines of sources are "
              "not, and an unchecked flag says why.")

YEARS, COMPASS, NOT_FOUND, DIFFERENT, LOW_CONFIDENCE = (
    "years", "compass", "not-found", "differences", "low-confidence")
UNCHECKED_FILTERS = ("languages", "disciplines")


@dataclass(frozen=True)
class Flag:
    """One risk: how many times it occurs, or why it could not be checked."""

    key: str
    label: str
    count: int
    checked: bool = True
    why: str = ""  # for an unchecked flag: what is missing
    examples: tuple[str, ...] = ()  # the first few offending pieces, display-safe


@dataclass(frozen=True)
class Bar:
    """One bar of the compact flag chart."""

    label: str
    count: int
    length: int
    checked: bool


@dataclass(frozen=True)
class RiskFlags:
    """All flags of one response, in a fixed order."""

    flags: tuple[Flag, ...]

    @property
    def total(self) -> int:
        return sum(flag.count for flag in self.flags if flag.checked)

    def get(self, key: str) -> Flag | None:
        return next((flag for flag in self.flags if flag.key == key), None)

    def bars(self, width: int = 10) -> list[Bar]:
        top = max((flag.count for flag in self.flags if flag.checked), default=0)
        return [Bar(flag.label, flag.count,
                    math.ceil(width * flag.count / top) if top and flag.checked else 0,
                    flag.checked) for flag in self.flags]

    def lines(self, width: int = 10) -> list[str]:
        """'citations not found      ███ 2'; unchecked flags say 'not checked'."""
        bars = self.bars(width)
        label = max((len(bar.label) for bar in bars), default=0)
        return [f"{bar.label:<{label}}  " + (f"{'█' * bar.length:<{width}} {bar.count}"
                                             if bar.checked else "not checked")
                for bar in bars]


def _examples(texts: list[str], most: int = 3) -> tuple[str, ...]:
    return tuple(" ".join(strip_control(text).split())[:60] for text in texts[:most])


def _year_flag(years: YearCheck) -> Flag:
    label = "years outside your filter"
    if years.years is None:
        return Flag(YEARS, label, 0, False, "this profile sets no year filter")
    outside = years.mentions(Fit.OUTSIDE)
    return Flag(YEARS, label, len(outside), examples=_examples([m.text for m in outside]))


def _compass_flag(compass: CompassCheck) -> Flag:
    label = "places outside your compass"
    if not compass.active:
        why = ("this profile sets no regions" if not compass.entries else
               f"no known place in the regions filter: {', '.join(compass.unrecognised)}")
        return Flag(COMPASS, label, 0, False, strip_control(why))
    outside = compass.mentions(Fit.OUTSIDE)
    return Flag(COMPASS, label, len(outside), examples=_examples([m.text for m in outside]))


def _citation_flags(checks: list[CitationCheck] | None) -> list[Flag]:
    labels = {NOT_FOUND: "citations not in your library",
              DIFFERENT: "citations that differ from it"}
    if checks is None:
        return [Flag(key, label, 0, False, "no BibTeX library is configured")
                for key, label in labels.items()]
    missing = [c.citation.label for c in checks if c.status is Status.NOT_FOUND]
    differ = [c.citation.label for c in checks if c.status is Status.FOUND_WITH_DIFFERENCES]
    return [Flag(NOT_FOUND, labels[NOT_FOUND], len(missing), examples=_examples(missing)),
            Flag(DIFFERENT, labels[DIFFERENT], len(differ), examples=_examples(differ))]


def _confidence_flag(confidence: ConfidenceSummary | None) -> Flag:
    label = "passages of low confidence"
    if confidence is None or not confidence.available:
        return Flag(LOW_CONFIDENCE, label, 0, False, "the model reported no token probabilities")
    return Flag(LOW_CONFIDENCE, label, confidence.low_count,
                examples=_examples([span.text for span in confidence.spans]))


def coverage_flags(filters: Filters, years: YearCheck, compass: CompassCheck,
                   checks: list[CitationCheck] | None,
                   confidence: ConfidenceSummary | None) -> RiskFlags:
    """The flags of one response; checks=None when there is no library at all."""
    flags = [_year_flag(years), _compass_flag(compass), *_citation_flags(checks),
             _confidence_flag(confidence)]
    for name in UNCHECKED_FILTERS:
        if getattr(filters, name):
            flags.append(Flag(name, f"{name} filter", 0, False,
                              f"the {name} of sources cannot be read from the text"))
    return RiskFlags(tuple(flags))
