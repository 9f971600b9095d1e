"""Lead score (pure): hot / warm / cold with the reasons that produced it.

Timeline and financing weigh most (a lead who can buy soon is worth a call today); the other
qualification answers and behavioral signals add smaller amounts. An opt-out or another
agent overrides everything: such a lead is cold whatever else is true.
"""

from __future__ import annotations

from typing import Any

from schemas.events import Score
from workers.learning.signals import Signals

HOT, WARM = 55, 30
TIMELINE_POINTS = {"asap": 35, "1_3_months": 25, "3_6_months": 12, "6_12_months": 5,
                   "12_plus_months": 0, "browsing": -10}
FINANCING_POINTS = {"cash": 30, "preapproved": 25, "needs_financing": 8}


def score(profile: dict[str, Any], signals: Signals | None, *,
          appointment: bool = False) -> tuple[Score, list[str], int]:
    """Returns (label, reasons, points)."""
    if profile.get("opted_out"):
        return "cold", ["opted out of messages"], 0
    if profile.get("has_agent"):
        return "cold", ["already works with another agent"], 0
    points, reasons = 0, []
    timeline = profile.get("timeline")
    if timeline in TIMELINE_POINTS:
        points += TIMELINE_POINTS[timeline]
        reasons.append(f"timeline {timeline} ({TIMELINE_POINTS[timeline]:+d})")
    financing = profile.get("financing")
    if financing in FINANCING_POINTS:
        points += FINANCING_POINTS[financing]
        reasons.append(f"financing {financing} ({FINANCING_POINTS[financing]:+d})")
    for field, what, value in (("budget_max", "budget stated", 8),
                                ("sell_price", "price expectation stated", 8),
                                ("locations", "areas named", 5),
                                ("motivation", "motivation stated", 7)):
        if profile.get(field):
            points += value
            reasons.append(f"{what} ({value:+d})")
    if any(profile.get(k) for k in ("bedrooms_min", "property_type", "must_haves")):
        points += 5
        reasons.append("home requirements stated (+5)")
    if profile.get("wants_human"):
        points += 10
        reasons.append("asked for a person (+10)")
    if appointment:
        points += 20
        reasons.append("appointment booked (+20)")
    if signals is not None:
        if signals.median_reply_latency_s is not None and signals.median_reply_latency_s < 600:
            points += 5
            reasons.append("replies within minutes (+5)")
        if signals.questions_asked >= 2:
            points += 3
            reasons.append("asks questions (+3)")
    label: Score = "hot" if points >= HOT else "warm" if points >= WARM else "cold"
    return label, reasons, points
