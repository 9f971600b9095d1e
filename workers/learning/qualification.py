"""Qualification state (pure): which questions a lead has answered and what to ask next.

Buyers are qualified on budget, location, timeline, property requirements, financing and
motivation; sellers on price expectation, location, timeline, motivation and the condition
of the home. Next questions are ordered by how much they move the lead score (timeline and
financing first), so the responder asks the most valuable open question.
"""

from __future__ import annotations

import re
from typing import Any

QUESTIONS: dict[str, str] = {
    "timeline": "When are you hoping to move?",
    "financing": "Are you paying cash, pre-approved, or still working on financing?",
    "budget": "What price range are you comfortable with?",
    "location": "Which areas are you considering?",
    "property": "How many bedrooms, and any must-haves?",
    "motivation": "What's prompting the move?",
    "price": "What price are you hoping to get for your home?",
    "condition": "How would you describe the condition of the home — move-in ready or "
                 "needing some work?",
}
BUYER_ORDER = ("timeline", "financing", "budget", "location", "property", "motivation")
SELLER_ORDER = ("timeline", "price", "condition", "location", "motivation")

_CONDITION = re.compile(
    r"\b(move[- ]in ready|turn[- ]?key|needs? (some |a lot of )?work|fixer|renovated|"
    r"remodel(?:ed|ing)?|updated|as[- ]is|great (shape|condition)|good (shape|condition)|"
    r"new roof|dated|original condition)\b",
    re.IGNORECASE,
)


def home_condition(inbound_texts: list[str]) -> str | None:
    """The latest thing a seller said about the state of the home, if anything."""
    found = None
    for text in inbound_texts:
        for match in _CONDITION.finditer(text):
            found = match.group(0).lower()
    return found


def answered(profile: dict[str, Any], condition: str | None) -> dict[str, bool]:
    return {
        "budget": profile.get("budget_max") is not None or profile.get("budget_min") is not None,
        "location": bool(profile.get("locations")),
        "timeline": profile.get("timeline") is not None,
        "property": any(profile.get(k) for k in ("bedrooms_min", "property_type",
                                                  "bathrooms_min", "must_haves")),
        "financing": profile.get("financing") is not None,
        "motivation": profile.get("motivation") is not None,
        "price": profile.get("sell_price") is not None,
        "condition": condition is not None,
    }


def is_seller(profile: dict[str, Any]) -> bool:
    return profile.get("intent") in ("sell", "buy_and_sell")


def is_buyer(profile: dict[str, Any]) -> bool:
    return profile.get("intent") in (None, "buy", "buy_and_sell", "invest", "rent")


def qualification(profile: dict[str, Any], condition: str | None) -> dict[str, Any]:
    """Answered questions per track and the ordered open ones."""
    done = answered(profile, condition)
    order: list[str] = []
    if is_buyer(profile):
        order += [q for q in BUYER_ORDER if q not in order]
    if is_seller(profile):
        # A seller who also buys answers the seller questions first: listing comes first.
        order = [*SELLER_ORDER, *[q for q in order if q not in SELLER_ORDER]]
    if profile.get("intent") == "sell":
        order = list(SELLER_ORDER)
    open_questions = [q for q in order if not done[q]]
    return {
        "track": "seller" if profile.get("intent") == "sell" else
                 "buyer_and_seller" if profile.get("intent") == "buy_and_sell" else "buyer",
        "answered": {q: done[q] for q in order},
        "open": open_questions,
        "home_condition": condition,
    }


def next_questions(qual: dict[str, Any], limit: int = 3) -> list[str]:
    return [QUESTIONS[q] for q in qual["open"][:limit]]
