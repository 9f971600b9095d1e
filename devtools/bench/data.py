"""Realistic synthetic memory for benchmarks: agencies, leads and their SMS conversations.

Pure and seeded (no I/O), so runs are comparable. Each lead has a popularity rank: its share
of the traffic follows a Zipf-like law (`weights`), and its last activity lies an exponential
time back at its own rate, which is what a Poisson stream at those rates leaves behind, so
the stream the bench replays later starts from the state its own history would have produced.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workers.memory import summary

METROS = {
    "TX": ["Round Rock", "Cedar Park", "Pflugerville", "Georgetown", "Downtown Austin", "Leander"],
    "NC": ["Apex", "Cary", "Holly Springs", "Wake Forest", "North Raleigh", "Durham"],
    "CO": ["Highlands Ranch", "Littleton", "Arvada", "Parker", "Castle Rock", "Lakewood"],
    "AZ": ["Gilbert", "Chandler", "Mesa", "Scottsdale", "Queen Creek", "Tempe"],
    "FL": ["Brandon", "Riverview", "Wesley Chapel", "South Tampa", "Lutz", "Valrico"],
}
FIRST = ["Sarah", "Mike", "Jessica", "David", "Maria", "Chris", "Ashley", "James", "Priya",
         "Kevin", "Emily", "Luis", "Hannah", "Tom", "Aisha", "Ryan", "Megan", "Jorge"]
LAST = ["Johnson", "Nguyen", "Garcia", "Smith", "Patel", "Brown", "Miller", "Lopez", "Kim",
        "Davis", "Wilson", "Martinez", "Clark", "Lewis", "Walker", "Young"]
STREETS = ["Oak Hollow Dr", "Maple Ridge Ln", "Cypress Creek Rd", "Willow Bend", "Elm St",
           "Sunset Vista Ct", "Brushy Creek Rd", "Meadowlark Way", "Stone Gate Trl"]
INBOUND = [
    "Hi, I saw the listing on {street}. Is it still available?",
    "We're looking for {beds} beds in {area}, budget around {budget}k",
    "Pre-approved up to {budget}k, we'd rather stay a bit under that though",
    "Can we see it {day} afternoon? Both of us are free after 3",
    "Good schools matter most, the kids are 7 and 10",
    "Is there an HOA? How much is it per month?",
    "Moving from Denver for my husband's job, need to be settled by {month}",
    "Does it have a garage? We have two cars and a boat",
    "What's the square footage on that one?",
    "Thanks! Let me talk to my wife and get back to you tonight",
    "Any new listings in {area}? Still looking",
    "Can you send me the seller's disclosure?",
    "We'd like to offer {offer}k, is that reasonable for the area?",
    "ok sounds good", "yes", "Perfect, see you then",
    "What are property taxes like in {area}?",
    "Honestly a pool would be nice but not a must",
    "We need at least {baths} baths, single story if possible",
    "How long has it been on the market?",
]
OUTBOUND = [
    "Hi {first}! This is Jen with Lone Star Realty. Are you looking to buy or sell?",
    "Great! How many bedrooms do you need?",
    "What price range are you comfortable with?",
    "Are you pre-approved, or would you like a lender recommendation?",
    "I found 3 homes in {area} that match: {street} ({beds}bd/{baths}ba, ${price}k) and two "
    "more I can send over.",
    "The home on {street} has an HOA of $85/mo and was built in 2016.",
    "Would {day} at 4pm work for a showing?",
    "Confirmed for {day} at 4pm, I'll meet you at {street}.",
    "Taxes in {area} run about 2.1% of assessed value.",
    "Just checking in, are you still looking in {area}?",
    "It's been listed 12 days; the sellers are motivated.",
    "When are you hoping to move?",
]
DAYS = ["Saturday", "Sunday", "Monday", "Tuesday", "Thursday"]
MONTHS = ["June", "August", "September", "the end of the year", "spring"]
CHANNELS = ["sms"] * 8 + ["email", "live_chat"]


def weights(n: int, s: float = 1.0, q: float = 10.0) -> list[float]:
    """Zipf-Mandelbrot traffic shares by rank: a few leads very active, a long quiet tail
    (`q` flattens the head so the busiest lead is not an implausible share)."""
    raw = [1.0 / (rank + q) ** s for rank in range(1, n + 1)]
    total = sum(raw)
    return [w / total for w in raw]


@dataclass
class Lead:
    tenant: str
    contact: str
    share: float  # of all traffic
    contact_row: tuple[Any, ...] = ()
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    profile: tuple[Any, ...] = ()
    facts: list[tuple[Any, ...]] = field(default_factory=list)
    last_inbound_at: datetime | None = None


CONTACT_COLUMNS = ("tenant_id", "contact_id", "first_name", "last_name", "name", "email",
                   "phone", "state", "tags", "summary", "message_count", "last_inbound_at",
                   "last_outbound_at", "source")
MESSAGE_COLUMNS = ("tenant_id", "event_id", "message_id", "contact_id", "conversation_id",
                   "direction", "channel", "sender", "body", "source", "occurred_at")
PROFILE_COLUMNS = ("tenant_id", "contact_id", "profile", "score", "score_reasons",
                   "qualification", "next_questions", "version")
FACT_COLUMNS = ("tenant_id", "contact_id", "field", "value", "confidence", "valid_from")


def tenants(count: int) -> list[tuple[str, str]]:
    """`(tenant id, state)` of each agency."""
    states = list(METROS)
    return [(f"bench{i:03d}", states[i % len(states)]) for i in range(count)]


def make_lead(rng: random.Random, tenant: str, state: str, index: int, share: float,
              now: datetime, events_per_day: float) -> Lead:
    """One lead with a coherent profile and a 30-80 message conversation ending at a time
    consistent with its activity rate."""
    lead = Lead(tenant, f"c{index:06d}", share)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    areas = rng.sample(METROS[state], k=rng.randint(1, 2))
    beds, baths = rng.choice([2, 3, 3, 4, 4, 5]), rng.choice([2, 2, 2.5, 3])
    budget = rng.choice(range(300, 900, 25))
    fill = {"first": first, "area": areas[0], "beds": beds, "baths": baths, "budget": budget,
            "offer": budget - 15, "price": budget - 10, "street": rng.choice(STREETS),
            "day": rng.choice(DAYS), "month": rng.choice(MONTHS)}
    age_days = min(rng.expovariate(max(share * events_per_day, 1e-6)), 365.0)
    at = now - timedelta(days=age_days)
    count = rng.randint(30, 80)
    times = [at]
    for _ in range(count - 1):
        gap = rng.choices([rng.uniform(1, 30), rng.uniform(120, 2880), rng.uniform(4320, 28800)],
                          weights=[70, 25, 5])[0]
        times.append(times[-1] - timedelta(minutes=gap))
    times.reverse()
    direction = rng.choice(["inbound", "outbound"])
    conversation, text = f"cv-{lead.contact}", ""
    last_in = last_out = None
    for i, when in enumerate(times):
        if i and rng.random() < 0.8:
            direction = "inbound" if direction == "outbound" else "outbound"
        inbound = direction == "inbound"
        sender = "lead" if inbound else rng.choices(["ai", "human", "workflow"], [80, 15, 5])[0]
        body = rng.choice(INBOUND if inbound else OUTBOUND).format(**fill)
        lead.messages.append((tenant, str(uuid.UUID(int=rng.getrandbits(128))),
                              f"m-{lead.contact}-{i}", lead.contact, conversation, direction,
                              rng.choice(CHANNELS), sender, body, "bench", when))
        if inbound:
            last_in = when
        else:
            last_out = when
    for m in lead.messages[:-20]:  # what the memory worker folds as messages leave the window
        text = summary.fold(text, m[7], m[8], m[10])
    lead.last_inbound_at = last_in
    lead.contact_row = (tenant, lead.contact, first, last, f"{first} {last}",
                        f"{first.lower()}.{last.lower()}{index}@example.com",
                        f"+1512555{index % 10000:04d}", state, ["buyer", "bench"], text, count,
                        last_in, last_out, "Zillow")
    profile = {"intent": "buy", "budget_max": budget * 1000, "bedrooms_min": beds,
               "bathrooms_min": baths, "locations": areas,
               "timeline": rng.choice(["asap", "1_3_months", "3_6_months", "browsing"]),
               "financing": rng.choice(["preapproved", "needs_financing", "cash"])}
    score = rng.choice(["hot", "warm", "warm", "cold"])
    lead.profile = (tenant, lead.contact, profile, score, [f"timeline {profile['timeline']}"],
                    {"answered": ["intent", "budget", "bedrooms", "locations"]},
                    ["Are you working with another agent?"], len(profile))
    lead.facts = [(tenant, lead.contact, k, v, 0.9, times[-1]) for k, v in profile.items()]
    return lead
