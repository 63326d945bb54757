"""The assumptions behind a response (issue 4): places, years, citations, confidence, risk.

Pure analysis for the assumptions panel: plain data and plain strings, no UI. Each section
module has a PROVENANCE line saying where its findings come from and how far to trust them.
"""

from __future__ import annotations

from tui.alignment.assumptions import candidates, check, confidence, grounding, risk, years
from tui.alignment.assumptions.analysis import Analysis, analyse
from tui.alignment.assumptions.bibliography import (
    BibEntry,
    Library,
    LoadIssue,
    load_bibliographies,
    load_bibliography,
)
from tui.alignment.assumptions.candidates import (
    CandidateScore,
    ScoreTerm,
    rank,
    score_analysis,
    score_candidate,
)
from tui.alignment.assumptions.charts import (
    MAP_LEGEND,
    RegionRow,
    TimeStrip,
    YearBin,
    bar_lines,
    broad_line,
    region_rows,
    time_strip,
    world_map,
)
from tui.alignment.assumptions.check import CitationCheck, Status
from tui.alignment.assumptions.check import check as check_citation
from tui.alignment.assumptions.citations import Citation, find_citations
from tui.alignment.assumptions.confidence import (
    ConfidenceSummary,
    LowSpan,
    hedge,
    hedges,
    low_spans,
    summarise,
)
from tui.alignment.assumptions.fit import Fit
from tui.alignment.assumptions.geo import Place
from tui.alignment.assumptions.grounding import (
    CompassCheck,
    GroundingMap,
    PlaceMention,
    compare_regions,
    find_places,
    grounding_map,
)
from tui.alignment.assumptions.risk import Flag, RiskFlags, coverage_flags
from tui.alignment.assumptions.years import YearCheck, YearMention, compare_years, find_years

PROVENANCE = {
    "grounding": grounding.PROVENANCE,
    "years": years.PROVENANCE,
    "citations": check.PROVENANCE,
    "confidence": confidence.PROVENANCE,
    "risk": risk.PROVENANCE,
    "candidates": candidates.PROVENANCE,
}

__all__ = [
    "PROVENANCE", "MAP_LEGEND", "Analysis", "BibEntry", "CandidateScore", "Citation",
    "CitationCheck", "CompassCheck", "ConfidenceSummary", "Fit", "Flag", "GroundingMap",
    "Library", "LoadIssue", "LowSpan", "Place", "PlaceMention", "RegionRow", "RiskFlags",
    "ScoreTerm", "Status", "TimeStrip", "YearBin", "YearCheck", "YearMention", "analyse",
    "bar_lines", "broad_line", "check_citation", "compare_regions", "compare_years",
    "coverage_flags", "find_citations", "find_places", "find_years", "grounding_map", "hedge",
    "hedges", "load_bibliographies", "load_bibliography", "low_spans", "rank", "region_rows",
    "score_analysis", "score_candidate", "summarise", "time_strip", "world_map",
]
