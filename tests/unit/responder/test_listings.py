"""Listing match scoring and comparable-sales talking points."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from workers.learning.extract.model import Area
from workers.responder.listings import (
    Comparable,
    Listing,
    Search,
    best_match,
    comps_talking_point,
    criteria,
    describe_match,
    link,
    recent_sales,
    score_listing,
)
from workers.tenants.model import area_terms

BUYER = {"budget_max": 450_000, "bedrooms_min": 3, "locations": ["Round Rock"],
         "property_type": "single_family", "must_haves": ["pool", "garage"]}
PERFECT = Listing("L1", 435_000, "12 Oak St", "Round Rock", 3, 2.0, "single_family",
                  ("pool", "garage", "yard"), "https://x/L1")


def test_perfect_listing_scores_one() -> None:
    assert score_listing(BUYER, PERFECT).score == 1.0


@pytest.mark.parametrize(("change", "expected"), [
    ({"price": 495_000}, 1 - 0.35),                     # 10% over budget: budget part 0
    ({"price": 472_500}, 1 - 0.35 * 0.5),               # 5% over: half
    ({"bedrooms": 2}, 1 - 0.20 * 0.6),                  # one bedroom short: 0.4
    ({"area": "Austin"}, 1 - 0.20),
    ({"property_type": "condo"}, 1 - 0.10),
    ({"features": ("pool",)}, 1 - 0.15 * 0.5),
])
def test_weighted_parts(change: dict[str, object], expected: float) -> None:
    listing = Listing(**{**PERFECT.__dict__, **change})
    assert score_listing(BUYER, listing).score == pytest.approx(expected, abs=1e-4)


def test_unstated_criteria_do_not_count() -> None:
    profile = {"budget_max": 450_000, "locations": ["Round Rock"]}
    cheap_condo = Listing("L2", 300_000, area="Round Rock", bedrooms=1, property_type="condo")
    assert score_listing(profile, cheap_condo).score == 1.0


def test_best_match_picks_the_top_and_needs_enough_said() -> None:
    worse = Listing("L3", 449_000, "9 Elm", "Round Rock", 3, 2, "single_family", ("pool",))
    far = Listing("L4", 400_000, "1 Main", "Austin", 4, 3, "single_family", ())
    match = best_match(BUYER, [worse, far, PERFECT])
    assert match is not None and match.listing.listing_id == "L1"
    assert best_match({"bedrooms_min": 3}, [PERFECT]) is None  # one criterion only
    assert best_match({"bedrooms_min": 3, "property_type": "single_family"}, [PERFECT]) is None
    assert best_match(BUYER, [far]) is None  # below the threshold
    assert best_match(BUYER, []) is None


def test_describe_match_is_one_line_with_the_reasons() -> None:
    match = best_match(BUYER, [PERFECT])
    assert match is not None
    line = describe_match(match, BUYER)
    assert line == ("There's a 3-bed single-family home in Round Rock at $435,000 (12 Oak St) "
                    "that fits your budget and has the pool and garage you wanted.")
    assert "\n" not in line


def test_comps_talking_point_uses_recent_sales_in_the_area() -> None:
    today = date(2026, 11, 1)
    comps = [Comparable(400_000, date(2026, 10, 1), "Round Rock"),
             Comparable(440_000, date(2026, 9, 1), "Round Rock"),
             Comparable(480_000, date(2026, 8, 1), "round rock"),
             Comparable(900_000, date(2026, 10, 1), "Westlake"),
             Comparable(100_000, date(2025, 1, 1), "Round Rock")]  # too old
    point = comps_talking_point({"locations": ["Round Rock"]}, comps, today)
    assert point == ("Homes in Round Rock have sold for a median of $440,000 over the last "
                     "6 months (3 sales).")
    assert comps_talking_point({"locations": ["Cedar Park"]}, comps, today) is None
    assert "nearby" in (comps_talking_point({}, comps, today) or "")


# -- the hard filters, the ranking and the sales (issue #27) -------------------------------

AREAS = (Area(name="Round Rock", aliases=("RR", "Round Rock TX")),
         Area(name="Austin", aliases=("ATX",)))
WANTS = {"budget_min": 400_000, "budget_max": 450_000, "bedrooms_min": 3,
         "bathrooms_min": 2, "locations": ["Round Rock"], "property_type": "single_family",
         "must_haves": ["pool", "garage"]}
HOME = Listing("H1", 435_000, "12 Oak St", "Round Rock", 3, 2.0, "single_family",
               ("garage", "pool"), "https://homes.example/l/H1",
               "https://cdn.photos.example/H1/1.jpg")
TERMS = area_terms(AREAS, ["Round Rock"])


@pytest.mark.parametrize(("change", "admitted"), [
    ({}, True),
    # areas: the name in any case, the area's aliases; not another area's, not none
    ({"area": "round rock"}, True),
    ({"area": "RR"}, True),
    ({"area": "round rock tx"}, True),
    ({"area": "Austin"}, False),
    ({"area": "ATX"}, False),
    ({"area": None}, False),
    # budget 400-450k: down to 75% of the minimum, up to 110% of the maximum
    ({"price": 495_000}, True),
    ({"price": 495_001}, False),
    ({"price": 300_000}, True),
    ({"price": 299_999}, False),
    # bedrooms and bathrooms at least as asked, or not given
    ({"bedrooms": 2}, False),
    ({"bedrooms": 5}, True),
    ({"bedrooms": None}, True),
    ({"bathrooms": 1.5}, False),
    ({"bathrooms": 2.5}, True),
    ({"bathrooms": None}, True),
    # the type (the feed maps PropertyType/PropertySubType to it), or not given
    ({"property_type": "condo"}, False),
    ({"property_type": None}, True),
    # must-haves rank, they never exclude
    ({"features": ()}, True),
    ({"features": ("basement",)}, True),
    # only active listings
    ({"status": "coming_soon"}, False),
    ({"status": "active_under_contract"}, False),
    ({"status": "pending"}, False),
])
def test_hard_filters(change: dict[str, object], admitted: bool) -> None:
    listing = replace(HOME, **change)  # type: ignore[arg-type]
    assert Search.of(WANTS).admits(listing, TERMS) is admitted


@pytest.mark.parametrize(("profile", "expected"), [
    ({}, Search()),
    ({"budget_max": 450_000.0, "budget_min": True, "bedrooms_min": 2.5,
      "bathrooms_min": "2", "property_type": "castle", "locations": ["Austin", " ", 3],
      "must_haves": "pool", "intent": "buy"},
     Search(budget_max=450_000, bedrooms_min=3, locations=("Austin",), intent="buy")),
    ({"budget_max": 0, "budget_min": -5, "bedrooms_min": float("nan")}, Search()),
    ({"budget_max": 10**12}, Search(budget_max=2**31 - 1)),
])
def test_search_reads_only_what_the_spec_says(profile: dict[str, object],
                                              expected: Search) -> None:
    assert Search.of(profile) == expected


@pytest.mark.parametrize(("profile", "bounds", "enough"), [
    ({"budget_max": 450_000}, (None, 495_000), False),
    ({"budget_max": 450_000, "bedrooms_min": 3}, (None, 495_000), True),
    ({"budget_min": 400_001, "locations": ["Austin"]}, (300_001, None), True),
    ({"bedrooms_min": 3, "property_type": "condo"}, (None, None), False),  # no budget or area
    ({"locations": ["Austin"], "bathrooms_min": 2}, (None, None), True),
])
def test_price_bounds_and_when_enough_was_said(profile: dict[str, object],
                                               bounds: tuple[int | None, int | None],
                                               enough: bool) -> None:
    search = Search.of(profile)
    assert (search.price_min, search.price_max) == bounds
    assert search.enough is enough


@pytest.mark.parametrize(("intent", "listings", "sales"), [
    ("buy", True, False), ("sell", False, True), ("buy_and_sell", True, True),
    (None, True, False),
])
def test_what_a_turn_reads(intent: str | None, listings: bool, sales: bool) -> None:
    search = Search.of({**WANTS, "intent": intent})
    assert (search.wants_listings, search.wants_sales) == (listings, sales)


def test_an_alias_finds_the_match_and_a_non_active_one_never_wins() -> None:
    under_alias = replace(HOME, listing_id="H2", area="RR")
    assert best_match(WANTS, [under_alias]) is None  # without the tenant's aliases
    match = best_match(WANTS, [under_alias], AREAS)
    assert match is not None and match.listing.listing_id == "H2"
    pending = replace(HOME, listing_id="H3", price=401_000, status="pending")
    weaker = replace(HOME, listing_id="H4", features=("garage",))
    match = best_match(WANTS, [pending, weaker], AREAS)
    assert match is not None and match.listing.listing_id == "H4"


@pytest.mark.parametrize(("features", "part"), [
    (("garage", "pool"), 1.0),
    (("pool",), 0.5),
    (("basement",), 0.0),
    ((), 0.5),  # says nothing about its features
])
def test_must_haves_count_where_the_feed_has_them(features: tuple[str, ...],
                                                  part: float) -> None:
    # good_schools is never claimed by a feed's listing: it counts for none of them.
    profile = {**WANTS, "must_haves": ["pool", "garage", "good_schools"]}
    listing = replace(HOME, features=features)
    assert criteria(profile, listing, TERMS)["must_haves"] == part
    claimed = replace(HOME, features=("garage", "good_schools", "pool"))
    assert criteria(profile, claimed, TERMS)["must_haves"] == 1.0


def test_a_budget_and_good_schools_still_get_a_recommendation() -> None:
    profile = {"budget_max": 450_000, "must_haves": ["good_schools"]}
    match = best_match(profile, [HOME])
    assert match is not None and match.parts == {"budget": 1.0, "must_haves": 0.5}


@pytest.mark.parametrize(("change", "part", "value"), [
    ({"bathrooms": None}, "bathrooms", 0.5),
    ({"bathrooms": 1.0}, "bathrooms", 0.0),
    ({"property_type": None}, "type", 0.5),
    ({"bedrooms": None}, "bedrooms", 0.5),
])
def test_what_a_listing_does_not_say_scores_half(change: dict[str, object], part: str,
                                                 value: float) -> None:
    listing = replace(HOME, **change)  # type: ignore[arg-type]
    assert criteria(WANTS, listing, TERMS)[part] == value


def test_ranking_prefers_the_better_fit_then_the_cheaper() -> None:
    listings = [replace(HOME, listing_id="A", price=449_000),
                replace(HOME, listing_id="B", price=420_000),
                replace(HOME, listing_id="C", price=380_000),  # under the minimum: 0.7
                replace(HOME, listing_id="D", price=410_000, features=("pool",))]
    ranked = sorted((score_listing(WANTS, x, TERMS) for x in listings),
                    key=lambda s: (-s.score, s.listing.price, s.listing.listing_id))
    assert [s.listing.listing_id for s in ranked] == ["B", "A", "D", "C"]
    match = best_match(WANTS, listings, AREAS)
    assert match is not None and match.listing.listing_id == "B"


@pytest.mark.parametrize(("url", "kept"), [
    ("https://homes.example/l/1", True),
    ("http://homes.example/l/1?x=1", True),
    ("HTTPS://HOMES.EXAMPLE/", True),
    ("javascript:alert(1)", False),
    ("ftp://homes.example/l/1", False),
    ("homes.example/l/1", False),
    ("https://homes.example/l/1 call 512-555-0100", False),
    ("https://", False),
    ("https://[::1", False),
    ("https://homes.example/" + "x" * 2000, False),
    (None, False),
    ("", False),
])
def test_only_http_links_are_sent(url: str | None, kept: bool) -> None:
    assert link(url) == (url if kept else None)


TODAY = date(2026, 11, 30)
SALES = [Comparable(440_000, date(2026, 6, 3), "Round Rock"),  # the window's first day
         Comparable(452_000, date(2026, 9, 14), "RR"),
         Comparable(470_000, date(2026, 11, 28), "round rock tx"),
         Comparable(455_000, date(2026, 10, 20), "Round Rock"),
         Comparable(999_000, date(2026, 6, 2), "Round Rock"),  # a day too old
         Comparable(300_000, date(2026, 10, 1), "Austin"),
         Comparable(1_000, date(2026, 12, 1), "Round Rock")]  # not closed yet


@pytest.mark.parametrize(("profile", "areas", "note", "point"), [
    ({"locations": ["Round Rock"]}, AREAS,
     "Median of 4 closed sales in Round Rock, Jun 3 \u2013 Nov 28: $453,500",
     "Homes in Round Rock have sold for a median of $453,500 over the last 6 months "
     "(4 sales)."),
    ({"locations": ["Round Rock"]}, (),  # without the aliases: the name in any case
     "Median of 2 closed sales in Round Rock, Jun 3 \u2013 Oct 20: $447,500",
     "Homes in Round Rock have sold for a median of $447,500 over the last 6 months "
     "(2 sales)."),
    ({"locations": ["Austin"]}, AREAS,
     "1 closed sale in Austin, Oct 1: $300,000",
     "Homes in Austin have sold for a median of $300,000 over the last 6 months (1 sale)."),
    ({"locations": ["Round Rock", "Austin"]}, AREAS,
     "Median of 5 closed sales in Round Rock and Austin, Jun 3 \u2013 Nov 28: $452,000",
     "Homes in Round Rock and Austin have sold for a median of $452,000 over the last 6 "
     "months (5 sales)."),
    ({}, AREAS,
     "Median of 5 closed sales across all your areas, Jun 3 \u2013 Nov 28: $452,000",
     "Homes nearby have sold for a median of $452,000 over the last 6 months (5 sales)."),
])
def test_recent_sales_state_their_count_and_dates(profile: dict[str, object],
                                                  areas: tuple[Area, ...], note: str,
                                                  point: str) -> None:
    sales = recent_sales(profile, SALES, TODAY, areas)
    assert sales is not None
    assert (sales.note(), sales.talking_point()) == (note, point)
    assert comps_talking_point(profile, SALES, TODAY, areas) == point


def test_recent_sales_across_new_year_give_the_years() -> None:
    comps = [Comparable(400_000, date(2026, 12, 3), "Austin"),
             Comparable(420_000, date(2027, 3, 28), "Austin")]
    sales = recent_sales({"locations": ["Austin"]}, comps, date(2027, 4, 1))
    assert sales is not None
    assert sales.note() == ("Median of 2 closed sales in Austin, Dec 3, 2026 \u2013 "
                            "Mar 28, 2027: $410,000")
    assert recent_sales({"locations": ["Cedar Park"]}, comps, date(2027, 4, 1)) is None
