"""Confidence, risk flags and candidate scores (issue 4, sections 3 and 6, and steering)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.alignment.assumptions import (
    PROVENANCE,
    analyse,
    hedges,
    load_bibliographies,
    low_spans,
    rank,
    score_candidate,
    summarise,
)
from tui.alignment.assumptions.candidates import BASE
from tui.alignment.assumptions.risk import COMPASS, LOW_CONFIDENCE, NOT_FOUND, YEARS
from tui.alignment.profiles.schema import Filters, Profile

LIBRARY = Path(__file__).parents[1] / "data" / "assumptions" / "library.bib"
TOKENS = [("The", 0.9), (" capital", 0.95), (" is", 0.9), (" Nai", 0.2), ("robi", 0.3),
          (",", 0.99), (" founded", 0.8), (" in", 0.9), (" 18", 0.4), ("99", 0.05), (".", None)]


class Piece:
    """Shaped like the engine's TokenProb (text, prob)."""

    def __init__(self, text: str, prob: float | None) -> None:
        self.text, self.prob = text, prob


@pytest.fixture(scope="module")
def library():
    return load_bibliographies([LIBRARY])


def profile(**filters) -> Profile:
    return Profile(name="test", filters=Filters(**filters))


def test_low_spans_are_whole_words_with_their_mean_probability() -> None:
    spans = low_spans(TOKENS)
    assert [(s.text, round(s.mean, 3), s.lowest, s.tokens) for s in spans] == [
        ("Nairobi", 0.25, 0.2, 2), ("1899", 0.225, 0.05, 2)]
    text = "".join(piece for piece, _ in TOKENS)
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_neighbouring_low_words_merge_into_one_stretch() -> None:
    spans = low_spans([("It", 0.9), (" was", 0.1), (" maybe", 0.2), (" fine", 0.9)])
    assert [s.text for s in spans] == ["was maybe"]


def test_summary_counts_only_tokens_with_a_probability() -> None:
    summary = summarise(TOKENS)
    assert summary.tokens == 10 and summary.low_count == 2
    assert summary.mean == pytest.approx(0.639)
    assert summary.share_low == pytest.approx(0.4)
    assert [s.text for s in summary.spans] == ["1899", "Nairobi"]  # least sure first
    assert not summarise([("a", None)]).available


def test_engine_token_objects_are_accepted_as_they_are() -> None:
    assert summarise([Piece(t, p) for t, p in TOKENS]) == summarise(TOKENS)


def test_hedges_speak_in_the_first_person() -> None:
    assert hedges(summarise(TOKENS)) == [
        "I am unsure about “1899” (I gave it 22 % probability).",
        "I am unsure about “Nairobi” (I gave it 25 % probability)."]
    very = summarise([("x", 0.9), (" Zq", 0.02)])
    assert hedges(very) == ["I am very unsure about “Zq” (I gave it 2 % probability)."]


def test_hedged_quotes_are_stripped_of_control_characters_and_shortened() -> None:
    [sentence] = hedges(summarise([(" \x1b[2J" + "word " * 20, 0.4)]))
    assert "\x1b" not in sentence and "…" in sentence and "not certain" in sentence


ANSWER = ("Studies in Kenya and France since 1850 (Okafor & Silva, 2019; Tanaka, 2021) "
          "and in Ghana during the 2010s.")


def test_risk_flags_count_what_goes_against_the_profile(library) -> None:
    filters = dict(years=(1990, 2026), regions=["Europe", "West Africa"], languages=["de"])
    result = analyse(ANSWER, TOKENS, profile(**filters), library)
    risk = result.risk
    assert {f.key: (f.count, f.checked) for f in risk.flags} == {
        YEARS: (1, True), COMPASS: (1, True), NOT_FOUND: (1, True), "differences": (0, True),
        LOW_CONFIDENCE: (2, True), "languages": (0, False)}
    assert risk.get(YEARS).examples == ("1850",)
    assert risk.get(COMPASS).examples == ("Kenya",)
    assert risk.get(NOT_FOUND).examples == ("Tanaka (2021)",)
    assert risk.total == 5
    lines = risk.lines(width=4)
    assert lines[4].endswith("████ 2") and lines[0].endswith("██   1")
    assert lines[-1].endswith("not checked")


def test_flags_without_a_signal_are_unchecked_with_a_reason() -> None:
    risk = analyse(ANSWER, None, profile(regions=["Narnia"]), None).risk
    assert {f.key: f.why for f in risk.flags if not f.checked} == {
        YEARS: "this profile sets no year filter",
        COMPASS: "no known place in the regions filter: Narnia",
        NOT_FOUND: "no BibTeX library is configured",
        "differences": "no BibTeX library is configured",
        LOW_CONFIDENCE: "the model reported no token probabilities"}
    assert risk.total == 0 and all(b.length == 0 for b in risk.bars())


def test_candidate_score_follows_the_documented_formula(library) -> None:
    p = profile(years=(1990, 2026), regions=["Europe", "West Africa"])
    scored = score_candidate(ANSWER, TOKENS, p, library, index=3)
    points = {t.label: t.points for t in scored.terms}
    assert points == {"years outside your filter": -10, "places outside your compass": -10,
                      "citations not in your library": -15,
                      "share of tokens of low confidence": pytest.approx(-8),
                      "places inside your compass": 10}
    assert scored.score == BASE - 10 - 10 - 15 - 8 + 10 and scored.index == 3
    assert scored.explain()[0].endswith("starting score")
    assert scored.explain()[-1] == "   67  score"


def test_rank_puts_the_best_candidate_first_and_keeps_ties_in_order(library) -> None:
    p = profile(years=(1990, 2026), regions=["Europe"])
    texts = ["In Kenya in 1850 (Tanaka, 2021).", "In France in 2001 (Okafor & Silva, 2019).",
             "Nothing to check.", "Nothing either."]
    ranked = rank(score_candidate(t, None, p, library, i) for i, t in enumerate(texts))
    assert [c.index for c in ranked] == [1, 2, 3, 0]
    assert ranked[0].score == BASE + 5 and ranked[-1].score == BASE - 35


def test_every_section_has_a_provenance_line() -> None:
    assert set(PROVENANCE) == {"grounding", "years", "citations", "confidence", "risk",
                               "candidates"}
    assert all(len(line) > 40 and "\n" not in line for line in PROVENANCE.values())


@given(st.lists(st.tuples(st.text(max_size=8),
                          st.one_of(st.none(), st.floats(0, 1, allow_nan=False))),
                max_size=60),
       st.floats(0.01, 0.99))
def test_low_spans_lie_within_the_text(tokens, threshold) -> None:
    text = "".join(piece for piece, _ in tokens)
    for span in low_spans(tokens, threshold):
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start:span.end] == span.text == span.text.strip()
        assert span.lowest < threshold and 0 <= span.mean <= 1


@given(st.text(max_size=400))
def test_analyse_never_raises_on_any_text(text: str) -> None:
    result = analyse(text, [(text, 0.3)], profile(years=(1900, 2000), regions=["Asia"]), None)
    assert result.risk.total >= 0
