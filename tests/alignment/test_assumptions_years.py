"""Years a response names (issue 4, time strip): years, ranges, decades, centuries, filter."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.alignment.assumptions import Fit, compare_years, find_years, time_strip
from tui.alignment.assumptions.years import CENTURY, DECADE, RANGE, YEAR

PARAGRAPH = (
    "Fieldwork in Kenya and Brazil was compared with surveys from the United States and the "
    "UK. Most of the literature since 1998 comes from Europe, and work in the 2010s rarely "
    "looked beyond it."
)


def spans(text: str) -> list[tuple[str, int, int, str]]:
    return [(m.text, m.first, m.last, m.kind) for m in find_years(text)]


def test_the_fixed_paragraph_names_1998_and_the_2010s() -> None:
    assert spans(PARAGRAPH) == [("1998", 1998, 1998, YEAR), ("2010s", 2010, 2019, DECADE)]
    for mention in find_years(PARAGRAPH):
        assert PARAGRAPH[mention.start:mention.end] == mention.text


def test_ranges_decades_and_centuries_are_spans() -> None:
    text = ("from 1998–2003, in 2019-20, between 1990 and 2000, the 19th century, "
            "the nineteenth and twentieth centuries, the 1800s, the 2000s")
    assert spans(text) == [
        ("1998–2003", 1998, 2003, RANGE), ("2019-20", 2019, 2020, RANGE),
        ("between 1990 and 2000", 1990, 2000, RANGE), ("19th century", 1800, 1899, CENTURY),
        ("nineteenth and twentieth centuries", 1800, 1999, CENTURY),
        ("1800s", 1800, 1899, CENTURY), ("2000s", 2000, 2009, DECADE)]


def test_two_years_joined_by_and_stay_two_years() -> None:
    assert spans("in 1998 and 2003") == [("1998", 1998, 1998, YEAR), ("2003", 2003, 2003, YEAR)]


def test_counts_pages_and_identifiers_are_not_years() -> None:
    text = ("2000 participants, 1500 people, 45 %, p. 1999, No. 2001, 2,019 cases, 12345, "
            "doi:10.1145/3544548.3581234, arXiv:2603.04191, ISBN 978-1-4503-8309-7, $2020")
    assert find_years(text) == []


def test_early_years_need_a_cue() -> None:
    assert spans("in 1492 the ships; 1200 metres; 1650 was a number") == [
        ("1492", 1492, 1492, YEAR)]


def test_citation_years_count_as_years() -> None:
    assert [m.first for m in find_years("as Smith (2019a) and (Lee, 2003) showed")] == [
        2019, 2003]


def test_years_against_the_filter() -> None:
    check = compare_years(find_years(PARAGRAPH + " Also 1985 and the 1980s."), (1990, 2015))
    assert [(m.text, fit) for m, fit in check.status] == [
        ("1998", Fit.INSIDE), ("2010s", Fit.PARTLY), ("1985", Fit.OUTSIDE),
        ("1980s", Fit.OUTSIDE)]
    assert [m.text for m in check.mentions(Fit.OUTSIDE)] == ["1985", "1980s"]


def test_no_year_filter_means_no_verdict() -> None:
    check = compare_years(find_years(PARAGRAPH), None)
    assert {fit for _, fit in check.status} == {Fit.UNSET}


def test_time_strip_spans_mentions_and_filter() -> None:
    strip = time_strip(find_years(PARAGRAPH), (1990, 2026), width=40)
    assert strip.bins[0].first == 1990 and strip.bins[-1].last >= 2026
    assert len(strip.bins) <= 40
    by_year = {b.first: b for b in strip.bins}
    assert by_year[1998].count == 1 and by_year[2015].count == 1 and by_year[1995].count == 0
    assert all(b.fit is Fit.INSIDE for b in strip.bins if b.first >= 1990 and b.last <= 2026)
    heights, rule, axis = strip.lines
    assert len(heights) == len(rule) == len(strip.bins)
    assert set(rule) == {"═"} and axis.startswith("1990") and axis.endswith("2026")
    assert heights.count("·") == sum(1 for b in strip.bins if not b.count)


def test_time_strip_marks_bins_outside_the_filter() -> None:
    strip = time_strip(find_years("in 1950 and in 2020"), (2000, 2024), width=20)
    heights, rule, _ = strip.lines
    assert rule.startswith("─") and rule.endswith("═")
    assert heights[0] == "█" and heights[-1] == "█"


def test_time_strip_is_empty_without_years_or_filter() -> None:
    assert time_strip([], None).lines == ()
    assert time_strip([], (2000, 2010)).bins[0].count == 0


@given(st.text())
def test_find_years_never_raises_and_spans_are_ordered(text: str) -> None:
    for mention in find_years(text):
        assert text[mention.start:mention.end] == mention.text
        assert 1000 <= mention.first <= mention.last <= 2199


@given(st.lists(st.integers(1000, 2100), min_size=1, max_size=30),
       st.integers(1, 80))
def test_time_strip_covers_every_year_within_its_width(years: list[int], width: int) -> None:
    mentions = find_years(" ".join(f"in {year}" for year in years))
    strip = time_strip(mentions, None, width=width)
    assert len(strip.bins) <= width
    assert strip.bins[0].first <= min(years) and strip.bins[-1].last >= max(years)
    assert sum(b.count for b in strip.bins) == len(years)
