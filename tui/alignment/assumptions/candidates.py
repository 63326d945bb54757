"""Scores for N candidate answers (§6.3's post-hoc filters over candidates), best first.

score = 100
        − 10 per year mention outside the profile's year filter
        − 10 per place outside the compass (regions filter)
        − 15 per citation not in the user's libraries
        −  5 per citation found with differences
        − 20 × the share of tokens below the confidence threshold
        +  5 per place inside the compass (at most +15)

A signal that cannot be checked (no filter, no library, no probabilities) adds nothing.
The profile's value weights are not scored: no signal here measures them honestly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.alignment.assumptions.analysis import Analysis, analyse
from tui.alignment.assumptions.bibliography import Library
from tui.alignment.assumptions.fit import Fit
from tui.alignment.assumptions.risk import COMPASS, DIFFERENT, NOT_FOUND, YEARS
from tui.alignment.profiles.schema import Profile

PROVENANCE = ("Each candidate scored from 100 with the signals above: points off for years "
              "and places outside your filters, citations missing from or differing from "
              "your library and low confidence; points for places inside your compass.")

BASE = 100.0
PER_FLAG = {YEARS: -10.0, COMPASS: -10.0, NOT_FOUND: -15.0, DIFFERENT: -5.0}
LOW_CONFIDENCE_WEIGHT = -20.0
INSIDE_BONUS, INSIDE_CAP = 5.0, 15.0


@dataclass(frozen=True)
class ScoreTerm:
    """One line of a score's breakdown: what, how many, how many points."""

    label: str
    count: float
    points: float


@dataclass(frozen=True)
class CandidateScore:
    """One candidate answer, its score and the terms that make it up."""

    index: int  # the candidate's position as generated
    score: float
    terms: tuple[ScoreTerm, ...]
    analysis: Analysis

    def explain(self) -> list[str]:
        """'−15  citations not in your library (1)', one line per term that counts."""
        lines = [f"{BASE:>5.0f}  starting score"]
        lines += [f"{term.points:>+5.0f}  {term.label} ({term.count:g})" for term in self.terms]
        return lines + [f"{self.score:>5.0f}  score"]


def score_analysis(analysis: Analysis, index: int = 0) -> CandidateScore:
    """The score of an analysed answer (see the module docstring for the formula)."""
    terms = []
    for key, weight in PER_FLAG.items():
        flag = analysis.risk.get(key)
        if flag and flag.checked and flag.count:
            terms.append(ScoreTerm(flag.label, flag.count, weight * flag.count))
    confidence = analysis.confidence
    if confidence is not None and confidence.share_low:
        terms.append(ScoreTerm("share of tokens of low confidence",
                               round(confidence.share_low, 2),
                               LOW_CONFIDENCE_WEIGHT * confidence.share_low))
    inside = len(analysis.compass.mentions(Fit.INSIDE))
    if inside:
        terms.append(ScoreTerm("places inside your compass", inside,
                               min(INSIDE_CAP, INSIDE_BONUS * inside)))
    score = BASE + sum(term.points for term in terms)
    return CandidateScore(index, round(score, 1), tuple(terms), analysis)


def score_candidate(text: str, token_probs: Iterable[Any] | None, profile: Profile | None,
                    library: Library | None, index: int = 0) -> CandidateScore:
    """Analyse one candidate answer and score it against the profile."""
    return score_analysis(analyse(text, token_probs, profile, library), index)


def rank(candidates: Iterable[CandidateScore]) -> list[CandidateScore]:
    """Best first; equal scores keep the order they were generated in."""
    return sorted(candidates, key=lambda c: (-c.score, c.index))
