"""All sections of the assumptions panel for one response, computed in one call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.alignment.assumptions.bibliography import Library
from tui.alignment.assumptions.check import CitationCheck, check_all
from tui.alignment.assumptions.citations import find_citations
from tui.alignment.assumptions.confidence import LOW, ConfidenceSummary, summarise
from tui.alignment.assumptions.grounding import (
    CompassCheck,
    GroundingMap,
    compare_regions,
    find_places,
    grounding_map,
)
from tui.alignment.assumptions.risk import RiskFlags, coverage_flags
from tui.alignment.assumptions.years import YearCheck, compare_years, find_years
from tui.alignment.profiles.schema import Filters, Profile


@dataclass(frozen=True)
class Analysis:
    """What one response names, cites and hesitates over, against one profile."""

    text: str
    grounding: GroundingMap
    compass: CompassCheck
    years: YearCheck
    citations: list[CitationCheck] | None  # None: no library to check against
    confidence: ConfidenceSummary | None  # None: no token probabilities
    risk: RiskFlags


def analyse(text: str, tokens: Iterable[Any] | None = None, profile: Profile | None = None,
            library: Library | None = None, threshold: float = LOW) -> Analysis:
    """Places, years, citations and confidence of a response, and its risk flags."""
    filters = profile.filters if profile else Filters()
    places = find_places(text)
    compass = compare_regions(places, filters.regions)
    years = compare_years(find_years(text), filters.years)
    checks = check_all(find_citations(text), library) if library is not None else None
    confidence = summarise(tokens, threshold) if tokens is not None else None
    if confidence is not None and not confidence.available:
        confidence = None
    risk = coverage_flags(filters, years, compass, checks, confidence)
    return Analysis(text, grounding_map(places), compass, years, checks, confidence, risk)
