"""Countries (pycountry, ISO 3166-1) and world regions (UN M49), with the names to find them by.

Every place is a set of ISO alpha-2 codes, so a country, an M49 region and a loose grouping
such as "the Global South" can be compared the same way: by what they contain.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pycountry

COUNTRY, REGION, GROUP = "country", "region", "group"


@dataclass(frozen=True)
class Place:
    """A country, an M49 region or a looser group, with the countries it covers."""

    name: str  # display name: "Kenya", "Sub-Saharan Africa", "Global South"
    kind: str  # COUNTRY, REGION or GROUP
    countries: frozenset[str]  # ISO 3166-1 alpha-2 codes
    code: str = ""  # alpha-2 code for a country


@dataclass(frozen=True)
class M49:
    """Where one country sits in the UN M49 scheme."""

    region: str
    sub_region: str
    intermediate_region: str


# Everyday names that no name, official_name or common_name of pycountry 26 gives (those
# already give "South Korea", "Iran", "Vietnam", "Bolivia", "Syria", "Laos", "Czech
# Republic"). England, Scotland, Wales and Northern Ireland count as the United Kingdom.
COUNTRY_ALIASES: dict[str, str] = {
    "USA": "US", "U.S.A.": "US", "US": "US", "U.S.": "US", "America": "US",
    "UK": "GB", "U.K.": "GB", "Britain": "GB", "Great Britain": "GB", "England": "GB",
    "Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB",
    "Russia": "RU", "Turkey": "TR", "Ivory Coast": "CI",
    "Holland": "NL", "Burma": "MM", "Swaziland": "SZ", "Macedonia": "MK",
    "Cape Verde": "CV", "East Timor": "TL", "Brunei": "BN", "Vatican": "VA",
    "Vatican City": "VA", "Holy See": "VA", "Malvinas": "FK", "Macau": "MO",
    "UAE": "AE", "Emirates": "AE", "PRC": "CN", "DRC": "CD", "DR Congo": "CD",
    "Democratic Republic of Congo": "CD", "Congo-Kinshasa": "CD", "Congo-Brazzaville": "CG",
    "São Tomé and Príncipe": "ST", "St Lucia": "LC",
    "St. Lucia": "LC", "Trinidad": "TT", "Tobago": "TT", "Palestine": "PS",
}
# Capitalised names that are also ordinary words or given names: still counted, but marked.
AMBIGUOUS = frozenset({"Georgia", "Jordan", "Chad", "Turkey", "Jersey", "Guinea", "America",
                       "Congo", "Niger", "Dominica"})
# Phrases that contain a country name but are not about the country; matched and dropped.
NOT_PLACES = ("New Mexico", "New Guinea", "New Jersey", "New England", "New South Wales",
              "Georgia Tech", "Jersey City", "Turkey Point")
# Names shown for countries whose ISO name reads badly in a sentence.
DISPLAY_NAMES = {"CD": "DR Congo", "PS": "Palestine", "FM": "Micronesia (Federated States)",
                 "VG": "British Virgin Islands", "VI": "US Virgin Islands",
                 "SH": "Saint Helena", "VA": "Vatican City", "FK": "Falkland Islands"}

# Region names as people write them, mapped to M49 names (or to a GROUP below).
REGION_ALIASES: dict[str, str] = {
    "North Africa": "Northern Africa", "West Africa": "Western Africa",
    "East Africa": "Eastern Africa", "Central Africa": "Middle Africa",
    "Subsaharan Africa": "Sub-Saharan Africa",
    "Latin America": "Latin America and the Caribbean", "the Caribbean": "Caribbean",
    "North America": "Northern America", "the Americas": "Americas",
    "East Asia": "Eastern Asia", "South Asia": "Southern Asia", "West Asia": "Western Asia",
    "Southeast Asia": "South-eastern Asia", "South-East Asia": "South-eastern Asia",
    "South East Asia": "South-eastern Asia", "Southeastern Asia": "South-eastern Asia",
    "South-Eastern Asia": "South-eastern Asia", "East Europe": "Eastern Europe",
    "Australasia": "Australia and New Zealand",
}
# Looser groupings that M49 does not define. The Global South follows UNCTAD's "developing
# economies" roughly: Africa, Latin America and the Caribbean, Asia without Japan, South
# Korea, Israel and Cyprus, Oceania without Australia and New Zealand. The Middle East is
# M49's Western Asia with Egypt and Iran. Both are approximations and say so in PROVENANCE.
_NORTH_IN_ASIA = frozenset({"JP", "KR", "IL", "CY"})
# Words that open a region name and may be written in lower case ("southern Africa").
_DIRECTIONS = ("North", "South", "East", "West", "Northern", "Southern", "Eastern", "Western",
               "Central", "Sub-Saharan", "Southeast", "South-East", "Southeastern", "Middle")


@cache
def m49_table() -> dict[str, M49]:
    """alpha-2 code -> its M49 region, from the data file shipped with coalign."""
    source = resources.files(__package__).joinpath("data", "m49.csv")
    lines = [line for line in source.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    table: dict[str, M49] = {}
    for row in csv.DictReader(lines):
        where = M49(row["region"], row["sub_region"], row["intermediate_region"])
        table.update((code, where) for code in row["countries"].split())
    return table


def country_name(code: str) -> str:
    """The display name of a country, from its alpha-2 code."""
    if code in DISPLAY_NAMES:
        return DISPLAY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def country_place(code: str) -> Place:
    """The Place for one country."""
    return Place(country_name(code), COUNTRY, frozenset({code}), code)


@cache
def regions() -> dict[str, Place]:
    """Every M49 region, sub-region, intermediate region and group, by its name."""
    members: dict[str, set[str]] = {}
    for code, where in m49_table().items():
        for name in (where.region, where.sub_region, where.intermediate_region):
            if name:
                members.setdefault(name, set()).add(code)
    found = {name: Place(name, REGION, frozenset(codes)) for name, codes in members.items()}
    everywhere = frozenset(m49_table())
    north = (members["Europe"] | members["Northern America"] | members["Australia and New Zealand"]
             | _NORTH_IN_ASIA)
    groups = {"Global North": north, "Global South": everywhere - north,
              "Middle East": (members["Western Asia"] | {"EG", "IR"})}
    found.update((name, Place(name, GROUP, frozenset(codes))) for name, codes in groups.items())
    return found


def _fold(name: str) -> str:
    """'Côte d’Ivoire' -> "Cote d'Ivoire": accents and curly apostrophes removed."""
    plain = unicodedata.normalize("NFKD", name.replace("’", "'"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


def _country_names() -> dict[str, str]:
    """Every surface name of every country -> alpha-2 code (ambiguous short forms left out)."""
    names: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        forms = {country.name, getattr(country, "official_name", ""),
                 getattr(country, "common_name", "")}
        if "(" in country.name:  # "Cocos (Keeling) Islands" -> "Cocos Islands"
            forms.add(" ".join(country.name.replace("(", ")").split(")")[::2]).strip())
            forms.add(" ".join(country.name.split("(")[0].split()))
        if ", " in country.name:  # "Korea, Republic of" -> "Republic of Korea"; "Iran"
            head, tail = country.name.split(", ", 1)
            if tail.endswith((" of", " of the")):
                forms.add(f"{tail.removeprefix('The ')} {head}")
            short.setdefault(head, set()).add(code)
        for form in forms - {""}:
            names[form] = code
    taken = set(names) | set(regions()) | set(REGION_ALIASES)
    names.update((head, codes.pop()) for head, codes in short.items()
                 if len(codes) == 1 and head not in taken)
    names.update(COUNTRY_ALIASES)
    names.update({_fold(name): code for name, code in names.items()})
    return names


def _variants(name: str) -> set[str]:
    """The written forms accepted for a region name: its direction word may be lower case."""
    first = name.split(" ")[0]
    forms = {name, _fold(name)}
    if first in _DIRECTIONS or name.startswith(("Sub-Saharan", "Global")):
        forms |= {form[0].lower() + form[1:] for form in forms}
    if name.startswith("Global"):
        forms |= {form.lower() for form in forms}
    return forms


@cache
def surface_names() -> dict[str, Place | None]:
    """Every written name to look for -> its Place (None: a phrase that is not a place)."""
    found: dict[str, Place | None] = {name: country_place(code)
                                      for name, code in _country_names().items()}
    named = regions()
    aliases = {**{name: name for name in named}, **REGION_ALIASES}
    for written, canonical in aliases.items():
        for form in _variants(written):
            found[form] = named[canonical]
    found.update((phrase, None) for phrase in NOT_PLACES)
    return found


def _typed(name: str) -> str:
    return " ".join(_fold(name).split()).casefold().removeprefix("the ")


@cache
def _typed_names() -> dict[str, Place]:
    found: dict[str, Place] = {}
    for written, place in surface_names().items():
        if place is not None:
            found.setdefault(_typed(written), place)
    return found


def resolve(name: str) -> Place | None:
    """The place a user typed (a compass entry): a country or region name, any case."""
    place = _typed_names().get(_typed(name))
    if place is not None:
        return place
    try:
        return country_place(pycountry.countries.lookup(name.strip()).alpha_2)
    except LookupError:
        return None
