"""Matching a lead's profile against the tenant's listings, and seller talking points from
recent comparable sales (pure).

A listing's score is the weighted mean of the criteria the lead has stated (budget fit,
bedrooms, area, property type, must-haves); criteria the lead has not stated are left out of
both numerator and denominator, so a lead who only named a budget and an area is not punished
for the rest. A recommendation needs at least two stated criteria, one of them budget or area,
and a score of `MATCH_THRESHOLD`: a weak match is worse than another qualification question.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

WEIGHTS = {"budget": 0.35, "bedrooms": 0.20, "area": 0.20, "type": 0.10, "must_haves": 0.15}
MATCH_THRESHOLD = 0.75
OVER_BUDGET_TOLERANCE = 0.10  # 10% over budget_max scores 0
COMPS_WINDOW_DAYS = 180
TYPE_WORDS = {"single_family": "single-family home", "condo": "condo",
              "townhouse": "townhouse", "multi_family": "multi-family",
              "land": "lot", "mobile_home": "manufactured home"}


@dataclass(frozen=True)
class Listing:
    listing_id: str
    price: int
    address: str = ""
    area: str | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    property_type: str | None = None
    features: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class Comparable:
    sold_price: int
    sold_at: date
    area: str | None = None
    bedrooms: int | None = None


@dataclass(frozen=True)
class ScoredListing:
    listing: Listing
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def _budget(profile: dict[str, Any], price: int) -> float | None:
    low, high = profile.get("budget_min"), profile.get("budget_max")
    if low is None and high is None:
        return None
    if high is not None and price > high:
        over = price / high - 1
        return max(0.0, 1 - over / OVER_BUDGET_TOLERANCE)
    if low is not None and price < low:
        return 0.7  # cheaper than asked: still worth a look
    return 1.0


def criteria(profile: dict[str, Any], listing: Listing) -> dict[str, float]:
    """Per stated criterion, how well the listing meets it (0..1)."""
    parts: dict[str, float] = {}
    budget = _budget(profile, listing.price)
    if budget is not None:
        parts["budget"] = budget
    beds = profile.get("bedrooms_min")
    if beds is not None:
        have = listing.bedrooms
        parts["bedrooms"] = (0.5 if have is None else 1.0 if have >= beds
                             else 0.4 if have == beds - 1 else 0.0)
    areas = {a.lower() for a in profile.get("locations") or []}
    if areas:
        parts["area"] = 1.0 if (listing.area or "").lower() in areas else 0.0
    kind = profile.get("property_type")
    if kind:
        parts["type"] = 1.0 if listing.property_type == kind else 0.0
    wanted = set(profile.get("must_haves") or [])
    if wanted:
        parts["must_haves"] = len(wanted & set(listing.features)) / len(wanted)
    return parts


def score_listing(profile: dict[str, Any], listing: Listing) -> ScoredListing:
    parts = criteria(profile, listing)
    weight = sum(WEIGHTS[k] for k in parts)
    value = sum(WEIGHTS[k] * v for k, v in parts.items()) / weight if weight else 0.0
    return ScoredListing(listing, round(value, 4), parts)


def best_match(profile: dict[str, Any], listings: list[Listing]) -> ScoredListing | None:
    """The top listing if it is a good enough match for a lead who said enough."""
    stated = criteria(profile, Listing("probe", 0)).keys()
    if len(stated) < 2 or not ({"budget", "area"} & set(stated)):
        return None
    scored = sorted((score_listing(profile, x) for x in listings),
                    key=lambda s: (-s.score, s.listing.price, s.listing.listing_id))
    if not scored or scored[0].score < MATCH_THRESHOLD:
        return None
    return scored[0]


def describe_match(match: ScoredListing, profile: dict[str, Any]) -> str:
    """One line explaining why the top match fits."""
    x = match.listing
    what = " ".join(p for p in (f"{x.bedrooms}-bed" if x.bedrooms else "",
                                TYPE_WORDS.get(x.property_type or "", "home")) if p)
    where = f" in {x.area}" if x.area else ""
    address = f" ({x.address})" if x.address else ""
    reasons = []
    if match.parts.get("budget") == 1.0:
        reasons.append("fits your budget")
    wanted = [f.replace("_", " ") for f in profile.get("must_haves") or [] if f in x.features]
    if wanted:
        reasons.append("has the " + " and ".join(wanted) + " you wanted")
    why = f" that {' and '.join(reasons)}" if reasons else ""
    return f"There's a {what}{where} at ${x.price:,}{address}{why}."


def comps_talking_point(profile: dict[str, Any], comps: list[Comparable],
                        today: date) -> str | None:
    """The median recent sale in the seller's area(s), as one sentence."""
    areas = {a.lower() for a in profile.get("locations") or []}
    since = today - timedelta(days=COMPS_WINDOW_DAYS)
    recent = [c for c in comps if c.sold_at >= since
              and (not areas or (c.area or "").lower() in areas)]
    if not recent:
        return None
    median = int(statistics.median(c.sold_price for c in recent))
    place = next((c.area for c in recent if c.area), None) if areas else None
    where = f" in {place}" if place else " nearby"
    sales = "sale" if len(recent) == 1 else "sales"
    return (f"Homes{where} have sold for a median of ${median:,} over the last 6 months "
            f"({len(recent)} {sales}).")
