"""Listing match scoring and comparable-sales talking points."""

from __future__ import annotations

from datetime import date

import pytest

from workers.responder.listings import (
    Comparable,
    Listing,
    best_match,
    comps_talking_point,
    describe_match,
    score_listing,
)

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
