"""The profile's filters (P6: years, languages, disciplines; P5's regions) over documents.

A document that does not say (no year, no language found, no tags, no places named) is
kept, and counted, since a filter cannot judge it; every exclusion is counted per filter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from tui.alignment.library.language import language_code
from tui.alignment.library.model import Document, Metadata
from tui.alignment.profiles.schema import Filters

YEARS, LANGUAGES, DISCIPLINES, REGIONS = "years", "languages", "disciplines", "regions"
FILTERS = (YEARS, LANGUAGES, DISCIPLINES, REGIONS)


@dataclass
class FilterResult:
    """Which documents every filter keeps, and what each one kept out or could not judge."""

    allowed: set[int] = field(default_factory=set)
    excluded: dict[str, list[int]] = field(default_factory=dict)  # filter -> document ids
    unknown: dict[str, int] = field(default_factory=dict)  # filter -> documents kept unjudged
    rules: dict[str, str] = field(default_factory=dict)  # filter -> '1990–2026', 'en, fr'
    total: int = 0

    @property
    def active(self) -> bool:
        return bool(self.rules)


@lru_cache(maxsize=65536)
def _words(text: str) -> str:
    """' oral history ': words folded (case and accents gone), spaced for whole-word tests."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    words = re.findall(r"\w+", "".join(ch for ch in plain if not unicodedata.combining(ch)))
    return " " + " ".join(words) + " "


Verdict = Callable[[Metadata], bool | None]  # True: kept, False: excluded, None: cannot say


def _years(span: tuple[int, int]) -> Verdict:
    return lambda meta: None if meta.year is None else span[0] <= meta.year <= span[1]


def _languages(wanted: list[str]) -> Verdict:
    codes = {language_code(name) for name in wanted}  # documents store theirs as codes
    return lambda meta: None if not meta.language else meta.language in codes


def _disciplines(wanted: list[str]) -> Verdict:
    keys = [_words(name) for name in wanted]

    def verdict(meta: Metadata) -> bool | None:
        tags = [_words(tag) for tag in meta.disciplines + meta.keywords]
        if not tags:
            return None
        return any(key in tag for key in keys for tag in tags)
    return verdict


def _regions(wanted: list[str]) -> Verdict | None:
    from tui.alignment.assumptions.fit import Fit
    from tui.alignment.assumptions.geo import resolve
    from tui.alignment.assumptions.grounding import place_against, resolve_compass

    compass = resolve_compass(wanted)
    if not compass.active:
        return None  # no entry names a known place: nothing to judge by

    def verdict(meta: Metadata) -> bool | None:
        places = [place for name in meta.regions if (place := resolve(name)) is not None]
        if not places:
            return None
        return any(place_against(place, compass) in (Fit.INSIDE, Fit.PARTLY) for place in places)
    return verdict


def _verdicts(filters: Filters) -> dict[str, tuple[str, Verdict]]:
    found: dict[str, tuple[str, Verdict]] = {}
    if filters.years:
        found[YEARS] = (f"{filters.years[0]}–{filters.years[1]}", _years(filters.years))
    if filters.languages:
        found[LANGUAGES] = (", ".join(filters.languages), _languages(filters.languages))
    if filters.disciplines:
        found[DISCIPLINES] = (", ".join(filters.disciplines), _disciplines(filters.disciplines))
    if filters.regions and (regions := _regions(filters.regions)) is not None:
        found[REGIONS] = (", ".join(filters.regions), regions)
    return found


def apply_filters(filters: Filters | None, documents: Iterable[Document]) -> FilterResult:
    """Every document against every filter the profile sets."""
    verdicts = _verdicts(filters) if filters is not None else {}
    result = FilterResult(rules={name: rule for name, (rule, _v) in verdicts.items()})
    for name in verdicts:
        result.excluded[name], result.unknown[name] = [], 0
    for document in documents:
        result.total += 1
        kept = True
        for name, (_rule, verdict) in verdicts.items():
            judged = verdict(document.meta)
            if judged is None:
                result.unknown[name] += 1
            elif not judged:
                result.excluded[name].append(document.id)
                kept = False
        if kept:
            result.allowed.add(document.id)
    return result
