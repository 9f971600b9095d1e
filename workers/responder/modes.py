"""Which kind of reply a lead needs now, and the deterministic texts (pure).

Modes: `buyer_qualification` (acknowledge, ask the most valuable open question),
`seller` (price expectation, condition, listing vs as-is pathway, a comparable-sales talking
point), `recommendation` (the top listing match in one line), plus `handoff` and
`opt_out_confirmation` chosen by the guards. Hot leads also get a coaching note for the
human agent. The fallback texts are what the lead receives when Claude is not configured or
keeps failing, so they must stand on their own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from workers.learning.extract.model import Area
from workers.responder.listings import (
    Comparable,
    Listing,
    ScoredListing,
    best_match,
    describe_match,
    link,
    recent_sales,
)

QUESTIONS = {  # mirrors workers.learning.qualification.QUESTIONS (its owner may change it)
    "timeline": "When are you hoping to move?",
    "price": "What price are you hoping to get for your home?",
    "condition": "How would you describe the condition of the home — move-in ready or "
                 "needing some work?",
}
AS_IS_WORDS = ("needs", "work", "fixer", "as-is", "as is", "dated", "original")
OPT_OUT_TEXT = ("You're unsubscribed from {name} messages and won't hear from us again. "
                "Reply START to resubscribe.")
HANDOFF_TEXT = "Of course{first} — I'm letting {agent} know now, and they'll reach out shortly."


@dataclass(frozen=True)
class Plan:
    mode: str
    goal: str
    question: str | None = None
    match: ScoredListing | None = None
    match_line: str | None = None
    talking_point: str | None = None
    # For the agent: how many closed sales the talking point's median stands on, and when.
    sales_note: str | None = None
    pathway: str | None = None
    # A first touch (`responder.first_touch`): the deterministic message, the fallback's text.
    opener: str | None = None


def is_seller_turn(profile: dict[str, Any], qualification: dict[str, Any]) -> bool:
    intent = profile.get("intent")
    if intent == "sell":
        return True
    if intent != "buy_and_sell":
        return False
    open_ = qualification.get("open") or []
    return profile.get("sell_price") is None or "condition" in open_


def seller_pathway(condition: str | None) -> str | None:
    if not condition:
        return None
    if any(w in condition.lower() for w in AS_IS_WORDS):
        return "as-is sale (a quick cash offer, no repairs) or fix-up-then-list"
    return "traditional listing (market-ready homes draw the strongest offers)"


def plan_reply(profile: dict[str, Any], qualification: dict[str, Any],
               next_questions: list[str], listings: list[Listing],
               comps: list[Comparable], today: date, areas: Sequence[Area] = ()) -> Plan:
    """`areas`: the tenant's service areas, whose aliases a listing's or a sale's area may
    read."""
    question = next_questions[0] if next_questions else None
    if is_seller_turn(profile, qualification):
        if profile.get("sell_price") is None:
            question = QUESTIONS["price"]
        elif "condition" in (qualification.get("open") or []):
            question = QUESTIONS["condition"]
        condition = qualification.get("home_condition")
        sales = recent_sales(profile, comps, today, areas)
        return Plan("seller", "Qualify the seller: price expectation, condition of the home, "
                    "then the listing vs as-is pathway.", question,
                    talking_point=sales.talking_point() if sales else None,
                    sales_note=sales.note() if sales else None,
                    pathway=seller_pathway(condition))
    match = best_match(profile, listings, areas)
    if match is not None:
        return Plan("recommendation", "Share the top listing match in one line and ask if "
                    "they'd like to see it.", question, match, describe_match(match, profile))
    return Plan("buyer_qualification", "Acknowledge what the lead said, then ask the most "
                "valuable open qualification question.", question)


NAME_MAX = 30  # longer than any given name we greet by
# Letters (any script), joined by ' ’ - (O'Neil, Anne-Marie), maybe one final dot (St.); or
# initials (J.R.). No digits, no inner dots: nothing that reads as a link, a phone or markup.
_NAME = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?|(?:[^\W\d_]\.){1,3}")


def spoken_name(name: str | None) -> str | None:
    """The first word of the contact's first name if it reads as a name, else None. The
    field is whatever was typed into a form or the CRM, and it rides into texts sent
    without Claude and without the reply check (the fallback, the hand-off)."""
    word = unicodedata.normalize("NFC", name.split()[0]) if name and name.strip() else ""
    return word if len(word) <= NAME_MAX and _NAME.fullmatch(word) else None


def first_name_of(name: str | None) -> str:
    spoken = spoken_name(name)
    return f", {spoken}" if spoken else ""


def fallback_text(plan: Plan, first_name: str | None) -> str:
    """A complete reply built only from the framework, for when Claude cannot answer."""
    if plan.opener:  # a first touch: nothing to thank the lead for yet
        return plan.opener
    greet = f"Thanks{first_name_of(first_name)}!"
    if plan.mode == "recommendation" and plan.match_line:
        url = link(plan.match.listing.url) if plan.match else None
        details = f" Details: {url}" if url else ""
        return f"{greet} {plan.match_line}{details} Would you like to see it?"
    parts = [greet]
    if plan.mode == "seller" and plan.talking_point:
        parts.append(plan.talking_point)
    parts.append(plan.question or "What can I help you with next?")
    return " ".join(parts)


def opt_out_text(tenant_name: str | None) -> str:
    return OPT_OUT_TEXT.format(name=tenant_name or "our")


def handoff_text(first_name: str | None, agent: str | None = None) -> str:
    return HANDOFF_TEXT.format(first=first_name_of(first_name), agent=agent or "your agent")


def coaching_note(profile: dict[str, Any], score: str, reasons: list[str], plan: Plan) -> str:
    """Next best action and likely objections, for the human agent (hot leads, takeovers)."""
    action = {
        "recommendation": "call today and offer a showing of the matched listing",
        "seller": "call today to book a listing consultation and walk through pricing",
    }.get(plan.mode, "call within the hour while the lead is engaged")
    objections = []
    if profile.get("financing") == "needs_financing":
        objections.append("not pre-approved: offer a lender introduction")
    if profile.get("timeline") in ("6_12_months", "12_plus_months", "browsing"):
        objections.append("long timeline: set a check-in, don't push")
    if profile.get("has_agent"):
        objections.append("already has an agent: stay courteous, no poaching")
    if plan.mode == "seller" and profile.get("sell_price") is not None:
        objections.append("price expectation: anchor on recent comparable sales")
    lines = [f"{score.upper()} lead ({'; '.join(reasons[:4]) or 'no score reasons'}).",
             f"Next best action: {action}."]
    if plan.match_line:
        url = link(plan.match.listing.url) if plan.match else None
        lines.append(f"Top match: {plan.match_line}" + (f" {url}" if url else ""))
    if plan.sales_note:
        lines.append(f"Comparable sales: {plan.sales_note}.")
    if objections:
        lines.append("Objection handling: " + "; ".join(objections) + ".")
    if plan.question:
        lines.append(f"Still open: {plan.question}")
    return " ".join(lines)
