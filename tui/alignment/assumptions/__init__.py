"""The assumptions behind a response (issue 4): places, years, citations, confidence, risk.

Pure analysis for the assumptions panel: plain data and plain strings, no UI. Each section
module has a PROVENANCE line saying where its findings come from and how far to trust them.
"""

from __future__ import annotations

from tui.alignment.assumptions import check, grounding, years
from tui.alignment.assumptions.bibliography import (
    BibEntry,
    Library,
    LoadIssue,
    load_bibliographies,
    load_bibliography,
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
from tui.alignment.assumptions.years import YearCheck, YearMention, compare_years, find_years

PROVENANCE = {
    "grounding": grounding.PROVENANCE,
    "years": years.PROVENANCE,
    "citations": check.PROVENANCE,
}

__all__ = [
    "PROVENANCE", "MAP_LEGEND", "BibEntry", "Citation", "CitationCheck", "CompassCheck", "Fit",
    "GroundingMap", "Library", "LoadIssue", "Place", "PlaceMention", "RegionRow", "Status",
    "TimeStrip", "YearBin", "YearCheck", "YearMention", "bar_lines", "broad_line",
    "check_citation", "compare_regions", "compare_years", "find_citations", "find_places",
    "find_years", "grounding_map", "load_bibliographies", "load_bibliography", "region_rows",
    "time_strip", "world_map",
]
