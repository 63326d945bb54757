"""How a found thing (a place, a year) sits against a profile filter."""

from __future__ import annotations

from enum import Enum


class Fit(Enum):
    """INSIDE the filter, PARTLY (overlaps it), OUTSIDE, or UNSET (the profile sets none)."""

    INSIDE = "inside"
    PARTLY = "partly"
    OUTSIDE = "outside"
    UNSET = "no filter"


def fit_of(covered: int, total: int, active: bool) -> Fit:
    """INSIDE when the filter covers all of a thing, PARTLY when some, else OUTSIDE."""
    if not active:
        return Fit.UNSET
    if covered and covered >= total:
        return Fit.INSIDE
    return Fit.PARTLY if covered else Fit.OUTSIDE
