"""Plain-text charts for the grounding map: region bars, a small world map, a time strip.

Everything here is data or lines of block characters; the screen decides colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui.alignment.assumptions.fit import Fit
from tui.alignment.assumptions.geo import regions
from tui.alignment.assumptions.grounding import (
    CHART_REGIONS,
    CompassCheck,
    GroundingMap,
    place_against,
)
from tui.alignment.assumptions.years import YearMention, year_fit

MARKS = {Fit.INSIDE: "◆", Fit.PARTLY: "◇", Fit.OUTSIDE: " ", Fit.UNSET: " "}
MAP_LEGEND = "◆ in your compass  ◇ partly in it  · not named"
_SHORT = {"Northern America": "N.America", "Latin America and the Caribbean": "Lat.Am",
          "Northern Europe": "N.Eur", "Western Europe": "W.Eur", "Southern Europe": "S.Eur",
          "Eastern Europe": "E.Eur", "Northern Africa": "N.Afr", "Sub-Saharan Africa": "SS.Afr",
          "Western Asia": "W.Asia", "Central Asia": "C.Asia", "Southern Asia": "S.Asia",
          "Eastern Asia": "E.Asia", "South-eastern Asia": "SE.Asia", "Oceania": "Oceania"}
# (row, column, width) of each region's two-line cell on an 8 x 40 map, roughly where it is.
_CELLS = {"Northern America": (0, 0, 12), "Northern Europe": (0, 12, 7),
          "Eastern Europe": (0, 19, 7), "Central Asia": (0, 26, 7), "Eastern Asia": (0, 33, 7),
          "Western Europe": (2, 12, 7), "Southern Europe": (2, 19, 7),
          "Western Asia": (2, 26, 7), "Southern Asia": (2, 33, 7),
          "Latin America and the Caribbean": (4, 0, 12), "Northern Africa": (4, 12, 7),
          "South-eastern Asia": (4, 33, 7), "Sub-Saharan Africa": (6, 12, 7),
          "Oceania": (6, 33, 7)}
MAP_ROWS, MAP_COLUMNS = 8, 40
_LEVELS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class RegionRow:
    """One bar of the region chart."""

    region: str
    short: str
    count: int
    bar: int  # length in cells, scaled to the largest count
    fit: Fit  # against the compass


def _region_fit(name: str, compass: CompassCheck | None) -> Fit:
    if compass is None:
        return Fit.UNSET
    return place_against(regions()[name], compass)


def region_rows(grounding: GroundingMap, compass: CompassCheck | None = None,
                width: int = 20, everywhere: bool = False) -> list[RegionRow]:
    """Chart rows, most named first; regions not named only with everywhere=True."""
    top = max(grounding.regions.values(), default=0)
    rows = []
    for name in CHART_REGIONS:
        count = grounding.regions.get(name, 0)
        if count or everywhere:
            bar = math.ceil(width * count / top) if top else 0
            rows.append(RegionRow(name, _SHORT[name], count, bar, _region_fit(name, compass)))
    return sorted(rows, key=lambda row: -row.count)


def bar_lines(rows: list[RegionRow]) -> list[str]:
    """A labelled bar chart: 'Sub-Saharan Africa  ████████ 3 ◆'."""
    if not rows:
        return []
    label = max(len(row.region) for row in rows)
    bar = max(row.bar for row in rows)
    return [f"{row.region:<{label}}  {'█' * row.bar:<{bar}} {row.count} {MARKS[row.fit]}"
            .rstrip() for row in rows]


def _cell(row: RegionRow, top: int, width: int) -> tuple[str, str]:
    label = row.short[:width]
    mark = MARKS[row.fit].strip()
    if not row.count:
        return label, f"{mark}·"
    count = str(row.count)
    room = max(1, width - 1 - len(mark) - len(count) - 1)
    blocks = max(1, math.ceil(min(3, room) * row.count / top))
    return label, f"{mark}{'█' * blocks} {count}"[:width]


def world_map(grounding: GroundingMap, compass: CompassCheck | None = None) -> list[str]:
    """Eight lines of forty characters: each chart region where it lies, with its count."""
    grid = [[" "] * MAP_COLUMNS for _ in range(MAP_ROWS)]
    rows = region_rows(grounding, compass, everywhere=True)
    top = max((row.count for row in rows), default=0) or 1
    for row in rows:
        line, column, width = _CELLS[row.region]
        for offset, text in enumerate(_cell(row, top, width)):
            grid[line + offset][column:column + len(text)] = list(text)
    return ["".join(line).rstrip() for line in grid]


def broad_line(grounding: GroundingMap) -> str:
    """The regions too wide for one map cell: 'Also named: Europe ×2, Global South ×1'."""
    named = ", ".join(f"{name} ×{count}" for name, count in grounding.broad.most_common())
    return f"Also named: {named}" if named else ""


@dataclass(frozen=True)
class YearBin:
    """One cell of the time strip: years first..last and how many mentions touch them."""

    first: int
    last: int
    count: int
    fit: Fit  # against the year filter


@dataclass(frozen=True)
class TimeStrip:
    """Bins over the mentioned years and the filter's range, with its three text lines."""

    bins: tuple[YearBin, ...]
    years: tuple[int, int] | None
    lines: tuple[str, ...]  # counts as block heights; the filter as ═; the axis labels


def _bins(low: int, high: int, width: int) -> tuple[int, int]:
    """(first year, bin size): a round size whose aligned bins fit in the width."""
    for size in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        start = low // size * size
        if math.ceil((high + 1 - start) / size) <= width:
            return start, size
    return low, math.ceil((high + 1 - low) / width)


def _strip_lines(bins: list[YearBin], years: tuple[int, int] | None) -> tuple[str, ...]:
    top = max(item.count for item in bins) or 1
    heights = "".join(_LEVELS[math.ceil(8 * item.count / top)] if item.count else "·"
                      for item in bins)
    marks = {Fit.INSIDE: "═", Fit.PARTLY: "═", Fit.OUTSIDE: "─", Fit.UNSET: "─"}
    rule = "".join(marks[item.fit] for item in bins)
    first, last = str(bins[0].first), str(bins[-1].last)
    room = len(bins) - len(first)
    axis = first + last.rjust(room) if room > len(last) else first[:max(len(bins), 1)]
    return (heights, rule if years else "", axis)


def time_strip(mentions: list[YearMention], years: tuple[int, int] | None = None,
               width: int = 40) -> TimeStrip:
    """The strip over every year mentioned and the filter; a span counts in each bin it meets."""
    ends = [(m.first, m.last) for m in mentions] + ([years] if years else [])
    if not ends:
        return TimeStrip((), years, ())
    low, high = min(a for a, _ in ends), max(b for _, b in ends)
    start, size = _bins(low, high, max(1, width))
    bins = []
    for first in range(start, high + 1, size):
        last = first + size - 1
        count = sum(1 for m in mentions if m.first <= last and m.last >= first)
        fit = year_fit(YearMention(0, 0, "", first, last, "bin"), years)
        bins.append(YearBin(first, last, count, fit))
    return TimeStrip(tuple(bins), years, _strip_lines(bins, years))
