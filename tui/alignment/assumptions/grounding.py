"""The places a response names, counted by country and world region, against the compass."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from tui.alignment.assumptions.fit import Fit, fit_of
from tui.alignment.assumptions.geo import (
    AMBIGUOUS,
    COUNTRY,
    Place,
    regions,
    resolve,
    surface_names,
)

PROVENANCE = ("Places found by matching country names from pycountry (ISO 3166-1), a short "
              "alias list and UN M49 region names in the text; a name is not a claim about "
              "the place. Capitalised names only; demonyms (\"Kenyan\") are not counted. "
              "\"Global South\" and \"Middle East\" are approximate groupings.")

# The regions the chart draws: M49 sub-regions, with Oceania's four taken together.
CHART_REGIONS = ("Northern America", "Latin America and the Caribbean", "Northern Europe",
                 "Western Europe", "Southern Europe", "Eastern Europe", "Northern Africa",
                 "Sub-Saharan Africa", "Western Asia", "Central Asia", "Southern Asia",
                 "Eastern Asia", "South-eastern Asia", "Oceania")


@dataclass(frozen=True)
class PlaceMention:
    """One place named in a text: where (text[start:end]) and which place."""

    start: int
    end: int
    text: str
    place: Place
    ambiguous: bool = False  # the name is also a common word or given name ("Jordan")

    @property
    def chart_region(self) -> str | None:
        """The chart region that holds the whole place, or None for a broader one."""
        return chart_region_of(self.place)


@cache
def _pattern() -> re.Pattern[str]:
    names = sorted(surface_names(), key=len, reverse=True)
    alternatives = "|".join(re.escape(name).replace("'", "['’]") for name in names)
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w]|\.\w)")


def find_places(text: str) -> list[PlaceMention]:
    """Every country and region named in the text, in order; the longest name wins."""
    known = surface_names()
    found = []
    for match in _pattern().finditer(text):
        written = match.group().replace("’", "'")
        place = known.get(written)
        if place is None:
            continue  # "New Mexico" and the like
        found.append(PlaceMention(match.start(), match.end(), match.group(), place,
                                  written in AMBIGUOUS))
    return found


@cache
def _chart_members() -> dict[str, frozenset[str]]:
    named = regions()
    return {name: named[name].countries for name in CHART_REGIONS}


def chart_region_of(place: Place) -> str | None:
    """The chart region containing every country of the place (None when it spans several)."""
    for name, members in _chart_members().items():
        if place.countries and place.countries <= members:
            return name
    return None


@dataclass
class CompassCheck:
    """The compass as resolved from the profile, and each mention's place against it."""

    entries: list[str]  # the profile's regions filter, as written
    places: list[Place]  # the entries that name a known place
    unrecognised: list[str]  # entries that name no known place (not used)
    status: list[tuple[PlaceMention, Fit]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.places)

    @property
    def countries(self) -> frozenset[str]:
        return frozenset().union(*(place.countries for place in self.places))

    def mentions(self, wanted: Fit) -> list[PlaceMention]:
        return [mention for mention, status in self.status if status is wanted]


def resolve_compass(entries: list[str]) -> CompassCheck:
    """Read the profile's regions filter (country or region names) into places."""
    places, unrecognised = [], []
    for entry in entries:
        place = resolve(entry)
        (places.append(place) if place else unrecognised.append(entry))
    return CompassCheck(list(entries), places, unrecognised)


def place_against(place: Place, compass: CompassCheck) -> Fit:
    """INSIDE when the compass holds every country of the place, PARTLY when some."""
    covered = place.countries & compass.countries
    return fit_of(len(covered), len(place.countries), compass.active)


def compare_regions(mentions: list[PlaceMention], entries: list[str]) -> CompassCheck:
    """Each mention against the regions filter (compass); unknown entries are listed."""
    check = resolve_compass(entries)
    check.status = [(mention, place_against(mention.place, check)) for mention in mentions]
    return check


@dataclass
class GroundingMap:
    """How often each country and chart region is named; broader regions apart."""

    mentions: list[PlaceMention]
    countries: Counter[str]  # display name -> mentions
    regions: Counter[str]  # chart region -> mentions of it or of places inside it
    broad: Counter[str]  # regions and groups that span several chart regions

    @property
    def total(self) -> int:
        return len(self.mentions)


def grounding_map(mentions: list[PlaceMention]) -> GroundingMap:
    """Count the mentions per country, per chart region and per broader region."""
    countries: Counter[str] = Counter()
    chart: Counter[str] = Counter()
    broad: Counter[str] = Counter()
    for mention in mentions:
        if mention.place.kind == COUNTRY:
            countries[mention.place.name] += 1
        region = mention.chart_region
        if region:
            chart[region] += 1
        elif mention.place.kind != COUNTRY:
            broad[mention.place.name] += 1
    return GroundingMap(list(mentions), countries, chart, broad)
