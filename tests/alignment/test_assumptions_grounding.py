"""Places a response names (issue 4, grounding map): countries, regions, compass, map."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.alignment.assumptions import (
    Fit,
    bar_lines,
    broad_line,
    compare_regions,
    find_places,
    grounding_map,
    region_rows,
    world_map,
)
from tui.alignment.assumptions.charts import MAP_COLUMNS, MAP_ROWS
from tui.alignment.assumptions.geo import m49_table, regions, resolve

PARAGRAPH = (
    "Fieldwork in Kenya and Brazil was compared with surveys from the United States and the "
    "UK. Most of the literature since 1998 comes from Europe, and work in the 2010s rarely "
    "looked beyond it."
)


def names(text: str) -> list[tuple[str, str]]:
    return [(m.text, m.place.name) for m in find_places(text)]


def test_the_fixed_paragraph_names_its_places_in_order() -> None:
    assert names(PARAGRAPH) == [("Kenya", "Kenya"), ("Brazil", "Brazil"),
                                ("United States", "United States"), ("UK", "United Kingdom"),
                                ("Europe", "Europe")]


def test_spans_point_at_the_names() -> None:
    for mention in find_places(PARAGRAPH):
        assert PARAGRAPH[mention.start:mention.end] == mention.text


def test_everyday_names_pycountry_lacks_come_from_the_alias_table() -> None:
    text = "USA, U.S., Britain, Russia, South Korea, Iran, Vietnam, Bolivia, Ivory Coast, Burma"
    codes = [m.place.code for m in find_places(text)]
    assert codes == ["US", "US", "GB", "RU", "KR", "IR", "VN", "BO", "CI", "MM"]


def test_iso_names_with_accents_and_commas_are_found_in_everyday_forms() -> None:
    text = "Côte d’Ivoire, Cote d'Ivoire, Türkiye, Viet Nam, Republic of Korea, Tanzania"
    codes = [m.place.code for m in find_places(text)]
    assert codes == ["CI", "CI", "TR", "VN", "KR", "TZ"]


def test_lower_case_words_are_not_countries() -> None:
    assert find_places("we ate turkey in china with a chad of paper and a jersey") == []


def test_capitalised_ambiguous_names_are_counted_but_marked() -> None:
    found = find_places("Jordan and Georgia, but also Kenya")
    assert [(m.place.code, m.ambiguous) for m in found] == [("JO", True), ("GE", True),
                                                             ("KE", False)]


def test_longest_name_wins_and_known_non_places_are_dropped() -> None:
    text = "Papua New Guinea, Guinea-Bissau, South Sudan, New Mexico, New South Wales, Niger"
    assert [m.place.code for m in find_places(text)] == ["PG", "GW", "SS", "NE"]


def test_region_names_are_regions_with_their_m49_countries() -> None:
    found = find_places("sub-Saharan Africa, Latin America, Southeast Asia and the Global South")
    assert [m.place.name for m in found] == ["Sub-Saharan Africa", "Latin America and the "
                                             "Caribbean", "South-eastern Asia", "Global South"]
    assert "KE" in found[0].place.countries and "EG" not in found[0].place.countries
    assert {"BR", "MX", "JM"} <= found[1].place.countries
    assert "JP" not in found[3].place.countries and "NG" in found[3].place.countries


def test_south_africa_the_country_is_not_southern_africa_the_region() -> None:
    found = find_places("South Africa and southern Africa")
    assert [(m.place.kind, m.place.name) for m in found] == [("country", "South Africa"),
                                                             ("region", "Southern Africa")]


def test_every_iso_country_but_antarctica_has_an_m49_region() -> None:
    import pycountry

    missing = {c.alpha_2 for c in pycountry.countries} - set(m49_table())
    assert missing == {"AQ"}
    assert m49_table()["KE"].intermediate_region == "Eastern Africa"
    assert m49_table()["BR"].sub_region == "Latin America and the Caribbean"


def test_the_m49_regions_nest() -> None:
    named = regions()
    assert named["Western Africa"].countries < named["Sub-Saharan Africa"].countries
    assert named["Sub-Saharan Africa"].countries < named["Africa"].countries
    assert named["Global North"].countries.isdisjoint(named["Global South"].countries)


def test_compass_entries_resolve_in_any_case_and_unknown_ones_are_listed() -> None:
    assert resolve("west africa").name == "Western Africa"
    assert resolve("The Netherlands").code == "NL"
    check = compare_regions([], ["Europe", "kenya", "Narnia"])
    assert [p.name for p in check.places] == ["Europe", "Kenya"]
    assert check.unrecognised == ["Narnia"]


def test_mentions_against_the_compass() -> None:
    check = compare_regions(find_places(PARAGRAPH + " Africa too."), ["Europe", "West Africa"])
    status = {mention.text: fit for mention, fit in check.status}
    assert status == {"Kenya": Fit.OUTSIDE, "Brazil": Fit.OUTSIDE,
                      "United States": Fit.OUTSIDE, "UK": Fit.INSIDE, "Europe": Fit.INSIDE,
                      "Africa": Fit.PARTLY}
    assert [m.text for m in check.mentions(Fit.OUTSIDE)] == ["Kenya", "Brazil", "United States"]


def test_no_compass_means_no_verdict() -> None:
    check = compare_regions(find_places(PARAGRAPH), [])
    assert not check.active
    assert {fit for _, fit in check.status} == {Fit.UNSET}


def test_grounding_map_counts_countries_chart_regions_and_broad_regions() -> None:
    grounding = grounding_map(find_places(PARAGRAPH + " Kenya again; Nigeria; the Caribbean."))
    assert grounding.countries["Kenya"] == 2
    assert grounding.regions["Sub-Saharan Africa"] == 3
    assert grounding.regions["Latin America and the Caribbean"] == 2
    assert grounding.regions["Northern Europe"] == 1
    assert grounding.broad == {"Europe": 1}
    assert broad_line(grounding) == "Also named: Europe ×1"


def test_region_rows_scale_bars_to_the_largest_count() -> None:
    grounding = grounding_map(find_places("Kenya, Ghana, Nigeria and Brazil"))
    rows = region_rows(grounding, compare_regions([], ["Africa"]), width=12)
    assert [(r.region, r.count, r.bar, r.fit) for r in rows] == [
        ("Sub-Saharan Africa", 3, 12, Fit.INSIDE),
        ("Latin America and the Caribbean", 1, 4, Fit.OUTSIDE)]
    assert bar_lines(rows)[0].endswith("████████████ 3 ◆")


def test_world_map_places_regions_roughly_where_they_are() -> None:
    grounding = grounding_map(find_places("the United States, the United States, Japan, Fiji"))
    lines = world_map(grounding, compare_regions([], ["East Asia"]))
    assert len(lines) == MAP_ROWS and all(len(line) <= MAP_COLUMNS for line in lines)
    assert lines[0].startswith("N.America") and lines[1].startswith("███ 2")
    assert lines[0].rstrip().endswith("E.Asia") and lines[1].rstrip().endswith("◆██ 1")
    assert lines[6].rstrip().endswith("Oceania") and lines[7].rstrip().endswith("██ 1")
    assert lines[5].startswith("·")  # Latin America: not named


@given(st.text())
def test_find_places_never_raises_and_spans_index_the_text(text: str) -> None:
    for mention in find_places(text):
        assert text[mention.start:mention.end] == mention.text
        assert mention.place.countries


@given(st.lists(st.sampled_from(["Kenya", "Peru", "Japan", "Europe", "Fiji", "Chad", "Iran",
                                 "the Global South", "Canada", "Poland"]), max_size=60))
def test_world_map_stays_within_its_frame(words: list[str]) -> None:
    lines = world_map(grounding_map(find_places(", ".join(words))),
                      compare_regions([], ["Asia"]))
    assert len(lines) == MAP_ROWS and all(len(line) <= MAP_COLUMNS for line in lines)
