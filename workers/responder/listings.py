"""Matching a lead's profile against the tenant's listings, and seller talking points from
recent comparable sales (pure).

A listing is considered only when it meets the lead's hard filters (`Search.admits`): active,
priced within the budget and its tolerances (down to `UNDER_BUDGET_TOLERANCE` below
budget_min, up to `OVER_BUDGET_TOLERANCE` above budget_max, where the budget part scores 0),
in one of the lead's areas or their aliases (`workers.tenants.model.area_terms`), with at
least the bedrooms and bathrooms asked for and of the type asked for; a count or type the
listing does not give excludes nothing. `workers.responder.store` puts the same filters,
with the same bounds (`Search.price_min`/`price_max`), in the statement that loads them, so
a tenant with thousands of listings sends only the candidates.

A listing's score is the weighted mean of the criteria the lead has stated (budget fit,
bedrooms, bathrooms, area, property type, must-haves); criteria the lead has not stated are
left out of both numerator and denominator, so a lead who only named a budget and an area
is not punished for the rest. What the listing does not say (bedrooms, bathrooms, type, no
features at all) scores 0.5; must-haves count where the feed has them (`CLAIMABLE`, or the
listing claims them), and they rank, never exclude: feeds describe features unevenly. A
recommendation needs at least two stated
criteria, one of them budget or area (`Search.enough`), and a score of `MATCH_THRESHOLD`: a
weak match is worse than another qualification question.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from workers.learning.extract.model import Area
from workers.listings.reso import FEATURES
from workers.tenants.model import area_terms

WEIGHTS = {"budget": 0.35, "bedrooms": 0.20, "bathrooms": 0.10, "area": 0.20, "type": 0.10,
           "must_haves": 0.15}
MATCH_THRESHOLD = 0.75
OVER_BUDGET_TOLERANCE = 0.10  # 10% over budget_max scores 0: nothing above is considered
UNDER_BUDGET_TOLERANCE = 0.25  # down to 25% under budget_min is still worth a look
UNKNOWN = 0.5  # the part of a criterion the listing says nothing about
COMPS_WINDOW_DAYS = 180
TYPE_WORDS = {"single_family": "single-family home", "condo": "condo",
              "townhouse": "townhouse", "multi_family": "multi-family",
              "land": "lot", "mobile_home": "manufactured home"}
ACTIVE = "active"  # the only status recommended (`listings.status`, migrations/0018)
PRICE_LIMIT = 2**31 - 1  # `listings.price` is an integer
LINK_MAX = 2000
# The must-haves a feed's listing can claim (the RESO fields `workers.listings.reso` reads):
# yard, good schools or an updated kitchen are never claimed, so a listing is not marked
# down for them unless it claims them itself.
CLAIMABLE = frozenset(name for name, _ in FEATURES)


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
    url: str | None = None  # its page (RESO `ListingURL`)
    photo_url: str | None = None  # its first photo (RESO `Media`)
    status: str = ACTIVE


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


def _number(value: Any) -> float | None:
    """A figure of the profile: a finite number (not a bool), else unstated."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _price(value: Any) -> int | None:
    number = _number(value)
    return min(round(number), PRICE_LIMIT) if number is not None and number >= 1 else None


def _words(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple | set | frozenset):
        return ()
    return tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v.strip()))


@dataclass(frozen=True)
class Search:
    """What a lead asks of a listing, read from its profile (`shared/learning/SPEC.md`); a
    value that is not what the SPEC says (a budget that is no positive number, an unknown
    property type) counts as unstated."""

    budget_min: int | None = None
    budget_max: int | None = None
    bedrooms_min: int | None = None
    bathrooms_min: float | None = None
    property_type: str | None = None
    locations: tuple[str, ...] = ()  # area names (the tenant's canonical ones)
    must_haves: tuple[str, ...] = ()
    intent: str | None = None

    @classmethod
    def of(cls, profile: Mapping[str, Any]) -> Search:
        beds, baths = _number(profile.get("bedrooms_min")), _number(profile.get("bathrooms_min"))
        kind = profile.get("property_type")
        intent = profile.get("intent")
        return cls(
            budget_min=_price(profile.get("budget_min")),
            budget_max=_price(profile.get("budget_max")),
            bedrooms_min=math.ceil(beds) if beds is not None and 0 <= beds < 100 else None,
            bathrooms_min=baths if baths is not None and 0 <= baths < 100 else None,
            property_type=kind if isinstance(kind, str) and kind in TYPE_WORDS else None,
            locations=_words(profile.get("locations")),
            must_haves=_words(profile.get("must_haves")),
            intent=intent if isinstance(intent, str) else None)

    @property
    def stated(self) -> frozenset[str]:
        """The criteria the lead has stated (the keys of `WEIGHTS`)."""
        given = {"budget": self.budget_min is not None or self.budget_max is not None,
                 "bedrooms": self.bedrooms_min is not None,
                 "bathrooms": self.bathrooms_min is not None,
                 "area": bool(self.locations), "type": self.property_type is not None,
                 "must_haves": bool(self.must_haves)}
        return frozenset(k for k, v in given.items() if v)

    @property
    def enough(self) -> bool:
        """Enough said for a recommendation: two criteria, one of them budget or area."""
        stated = self.stated
        return len(stated) >= 2 and bool({"budget", "area"} & stated)

    @property
    def wants_listings(self) -> bool:
        """A reply may recommend a listing (a seller's turn never does; `modes`)."""
        return self.enough and self.intent != "sell"

    @property
    def wants_sales(self) -> bool:
        """A reply may be a seller's turn, with a talking point from recent sales."""
        return self.intent in ("sell", "buy_and_sell")

    @property
    def price_min(self) -> int | None:
        """The lowest price considered (budget_min less its tolerance)."""
        if self.budget_min is None:
            return None
        return math.ceil(round(self.budget_min * (1 - UNDER_BUDGET_TOLERANCE), 6))

    @property
    def price_max(self) -> int | None:
        """The highest price considered (budget_max and its tolerance)."""
        if self.budget_max is None:
            return None
        return min(math.floor(round(self.budget_max * (1 + OVER_BUDGET_TOLERANCE), 6)),
                   PRICE_LIMIT)

    def admits(self, listing: Listing, terms: frozenset[str]) -> bool:
        """The hard filters (`terms`: `area_terms` of `locations`; empty: any area). The
        statement in `store` is their SQL twin."""
        x = self
        return (listing.status == ACTIVE
                and (x.price_min is None or listing.price >= x.price_min)
                and (x.price_max is None or listing.price <= x.price_max)
                and (not terms or (listing.area or "").lower() in terms)
                and (x.bedrooms_min is None or listing.bedrooms is None
                     or listing.bedrooms >= x.bedrooms_min)
                and (x.bathrooms_min is None or listing.bathrooms is None
                     or listing.bathrooms >= x.bathrooms_min)
                and (x.property_type is None or listing.property_type is None
                     or listing.property_type == x.property_type))


def _budget(search: Search, price: int) -> float | None:
    low, high = search.budget_min, search.budget_max
    if low is None and high is None:
        return None
    if high is not None and price > high:
        over = price / high - 1
        return max(0.0, 1 - over / OVER_BUDGET_TOLERANCE)
    if low is not None and price < low:
        return 0.7  # cheaper than asked: still worth a look
    return 1.0


def criteria(profile: Mapping[str, Any], listing: Listing,
             terms: frozenset[str] | None = None) -> dict[str, float]:
    """Per stated criterion, how well the listing meets it (0..1). `terms`: what the
    listing's area may read (`area_terms`; by default the location names alone)."""
    search = Search.of(profile)
    parts: dict[str, float] = {}
    budget = _budget(search, listing.price)
    if budget is not None:
        parts["budget"] = budget
    beds = search.bedrooms_min
    if beds is not None:
        have = listing.bedrooms
        parts["bedrooms"] = (UNKNOWN if have is None else 1.0 if have >= beds
                             else 0.4 if have == beds - 1 else 0.0)
    baths = search.bathrooms_min
    if baths is not None:
        parts["bathrooms"] = (UNKNOWN if listing.bathrooms is None
                              else 1.0 if listing.bathrooms >= baths else 0.0)
    if search.locations:
        areas = area_terms((), search.locations) if terms is None else terms
        parts["area"] = 1.0 if (listing.area or "").lower() in areas else 0.0
    kind = search.property_type
    if kind:
        parts["type"] = (UNKNOWN if listing.property_type is None
                         else 1.0 if listing.property_type == kind else 0.0)
    wanted = set(search.must_haves)
    if wanted:
        has = set(listing.features)
        known = wanted & (CLAIMABLE | has)  # what this listing could say it has
        parts["must_haves"] = len(wanted & has) / len(known) if has and known else UNKNOWN
    return parts


def score_listing(profile: Mapping[str, Any], listing: Listing,
                  terms: frozenset[str] | None = None) -> ScoredListing:
    parts = criteria(profile, listing, terms)
    weight = sum(WEIGHTS[k] for k in parts)
    value = sum(WEIGHTS[k] * v for k, v in parts.items()) / weight if weight else 0.0
    return ScoredListing(listing, round(value, 4), parts)


def best_match(profile: Mapping[str, Any], listings: Iterable[Listing],
               areas: Sequence[Area] = ()) -> ScoredListing | None:
    """The top listing among those the lead's hard filters admit, if it is a good enough
    match for a lead who said enough (`areas`: the tenant's, for the aliases)."""
    search = Search.of(profile)
    if not search.enough:
        return None
    terms = area_terms(areas, search.locations)
    scored = sorted((score_listing(profile, x, terms) for x in listings
                     if search.admits(x, terms)),
                    key=lambda s: (-s.score, s.listing.price, s.listing.listing_id))
    if not scored or scored[0].score < MATCH_THRESHOLD:
        return None
    return scored[0]


def link(url: str | None) -> str | None:
    """`url` if it may be sent to a lead: an http(s) link with a host, no spaces or control
    characters, of a sane length; else None (a feed's value is not trusted to be one)."""
    if not url or len(url) > LINK_MAX or any(c.isspace() or not c.isprintable() for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and host else None


def describe_match(match: ScoredListing, profile: Mapping[str, Any]) -> str:
    """One line explaining why the top match fits."""
    x = match.listing
    what = " ".join(p for p in (f"{x.bedrooms}-bed" if x.bedrooms else "",
                                TYPE_WORDS.get(x.property_type or "", "home")) if p)
    where = f" in {x.area}" if x.area else ""
    address = f" ({x.address})" if x.address else ""
    reasons = []
    if match.parts.get("budget") == 1.0:
        reasons.append("fits your budget")
    wanted = [f.replace("_", " ") for f in Search.of(profile).must_haves if f in x.features]
    if wanted:
        reasons.append("has the " + " and ".join(wanted) + " you wanted")
    why = f" that {' and '.join(reasons)}" if reasons else ""
    return f"There's a {what}{where} at ${x.price:,}{address}{why}."


@dataclass(frozen=True)
class RecentSales:
    """The closed sales of the last `COMPS_WINDOW_DAYS` in the seller's area(s): how many,
    their median price, the first and last closing dates, and where (the lead's area names;
    None: every area of the tenant)."""

    count: int
    median: int
    first: date
    last: date
    place: str | None
    today: date

    @property
    def span(self) -> str:
        """`Jun 3 – Nov 28`; with the years when they are not both this year's."""
        yearly = self.first.year != self.last.year or self.last.year != self.today.year

        def day(d: date) -> str:
            return f"{d:%b} {d.day}" + (f", {d.year}" if yearly else "")

        return day(self.first) if self.first == self.last else \
            f"{day(self.first)} \u2013 {day(self.last)}"

    def talking_point(self) -> str:
        """For the lead: the median, as one sentence."""
        where = f" in {self.place}" if self.place else " nearby"
        sales = "sale" if self.count == 1 else "sales"
        return (f"Homes{where} have sold for a median of ${self.median:,} over the last 6 "
                f"months ({self.count} {sales}).")

    def note(self) -> str:
        """For the agent: the count and the dates the median stands on."""
        where = f"in {self.place}" if self.place else "across all your areas"
        if self.count == 1:
            return f"1 closed sale {where}, {self.span}: ${self.median:,}"
        return f"Median of {self.count} closed sales {where}, {self.span}: ${self.median:,}"


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def recent_sales(profile: Mapping[str, Any], comps: Iterable[Comparable], today: date,
                 areas: Sequence[Area] = ()) -> RecentSales | None:
    """The sales of the last `COMPS_WINDOW_DAYS` (to `today`) in the seller's area(s) and
    their aliases (`areas`: the tenant's), or everywhere when the lead named no area."""
    search = Search.of(profile)
    terms = area_terms(areas, search.locations)
    since = today - timedelta(days=COMPS_WINDOW_DAYS)
    recent = [c for c in comps if since <= c.sold_at <= today
              and (not terms or (c.area or "").lower() in terms)]
    if not recent:
        return None
    days = sorted(c.sold_at for c in recent)
    return RecentSales(len(recent), int(statistics.median(c.sold_price for c in recent)),
                       days[0], days[-1], _joined(search.locations) if terms else None, today)


def comps_talking_point(profile: Mapping[str, Any], comps: Iterable[Comparable], today: date,
                        areas: Sequence[Area] = ()) -> str | None:
    """The median recent sale in the seller's area(s), as one sentence for the lead."""
    sales = recent_sales(profile, comps, today, areas)
    return sales.talking_point() if sales is not None else None
