"""A follow-up's text: what the lead told us, a listing not named before, the lead's
language; the plan Claude gets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.context import ContactInfo, ContextMessage, LeadContext, MemoryPart, ProfilePart
from workers.responder import follow_up
from workers.responder.listings import Listing

AT = datetime(2026, 12, 7, 15, tzinfo=UTC)
OAK = Listing("L1", 420_000, "12 Oak St", "Round Rock", 3, 2.0, "single_family")


def ctx(profile: dict[str, Any], *messages: tuple[str, str]) -> LeadContext:
    recent = [ContextMessage(direction=d, sender="lead" if d == "inbound" else "ai",
                             channel="sms", body=b, at=AT) for d, b in messages]
    return LeadContext(
        memory=MemoryPart(tenant_id="t", contact_id="c", recent=recent,
                          contact=ContactInfo(first_name="Ana")),
        profile=ProfilePart(tenant_id="t", contact_id="c", profile=profile))


@pytest.mark.parametrize(("profile", "lang", "text"), [
    ({"bedrooms_min": 3, "property_type": "single_family", "locations": ["Round Rock"],
      "budget_max": 450000}, "en", "a 3-bedroom house in Round Rock under $450,000"),
    ({"property_type": "condo"}, "en", "a condo"),
    ({"locations": ["Austin", "Hutto"]}, "en", "a home in Austin or Hutto"),
    ({"bedrooms_min": 2}, "es", "una casa de 2 recámaras"),
    ({"property_type": "condo", "locations": ["Austin"]}, "es", "un condominio en Austin"),
    ({"intent": "buy"}, "en", None),
])
def test_what_the_lead_is_looking_for(profile: dict[str, Any], lang: str,
                                      text: str | None) -> None:
    assert follow_up.recap(profile, lang) == text  # type: ignore[arg-type]


def test_the_language_is_the_leads_latest_message() -> None:
    spanish = ctx({}, ("inbound", "Hola, buscamos una casa de 3 recámaras"))
    assert follow_up.language(spanish) == "es"
    assert follow_up.language(ctx({}, ("inbound", "Hola"), ("inbound", "we want a condo"))) == "en"
    assert follow_up.language(ctx({})) == "en"


def test_a_listing_our_texts_named_already_is_not_offered_again() -> None:
    profile = {"budget_max": 450000, "locations": ["Round Rock"], "bedrooms_min": 3}
    assert follow_up.new_match(profile, [OAK], []) is not None
    assert follow_up.new_match(profile, [OAK], ["There's a 3-bed at 12 Oak St"]) is None


def test_the_plan_names_the_step_the_match_and_the_language() -> None:
    profile = {"budget_max": 450000, "locations": ["Round Rock"], "bedrooms_min": 3}
    plan = follow_up.plan(ctx(profile, ("inbound", "3 bed in Round Rock under 450k")),
                          [OAK], 1, 5)
    assert plan.mode == "follow_up" and plan.match is not None
    assert "follow-up 2 of 5" in plan.goal and "Write in English" in plan.goal
    assert plan.opener is not None and plan.opener.startswith("Hi Ana, a new one that fits")
    assert "12 Oak St" in plan.opener


@pytest.mark.parametrize(("profile", "messages", "start"), [
    ({"locations": ["Austin"]}, [("inbound", "looking in Austin")],
     "Hi Ana, are you still looking for a home in Austin?"),
    ({}, [("inbound", "hi")], "Hi Ana, are you still thinking about a move?"),
    ({"locations": ["Austin"]}, [("inbound", "buscamos casa en Austin por favor")],
     "Hola Ana, ¿sigue buscando una casa en Austin?"),
    ({}, [("inbound", "hola, queremos mudarnos")], "Hola Ana, ¿sigue pensando en mudarse?"),
])
def test_the_fallback_text(profile: dict[str, Any], messages: list[tuple[str, str]],
                           start: str) -> None:
    plan = follow_up.plan(ctx(profile, *messages), [], 0, 3)
    assert plan.opener is not None and plan.opener.startswith(start), plan.opener
