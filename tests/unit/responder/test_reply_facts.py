"""The links a Claude draft may carry (issue #27): the tenant's own domains, its listings'
links, and the matched listing's photo only when the turn gave it to Claude."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.context import ContactInfo, LeadContext, MemoryPart, ProfilePart
from workers.consent.reply_check import check_reply
from workers.responder import modes
from workers.responder.listings import Listing
from workers.responder.prompt import turn_instructions
from workers.responder.reply_facts import reply_facts
from workers.responder.store import LeadFacts
from workers.responder.tenant import TenantProfile

PROFILE = {"intent": "buy", "budget_max": 450_000, "bedrooms_min": 3,
           "locations": ["Round Rock"]}
HOME = Listing("L1", 435_000, "12 Oak St", "Round Rock", 3, 2.0, "single_family",
               ("pool",), "https://homes.example/l/1", "https://cdn.photos.example/L1/1.jpg")
ODD = Listing("L2", 600_000, "9 Elm", "Austin", 2, 1.0, "condo", (), "javascript:alert(1)",
              "ftp://evil.example/x.jpg")
TENANT = TenantProfile("locA", allowed_link_domains=("lonestar.com",))
CTX = LeadContext(
    memory=MemoryPart(tenant_id="locA", contact_id="c1", contact=ContactInfo(first_name="Ana")),
    profile=ProfilePart(tenant_id="locA", contact_id="c1", profile=PROFILE))
TODAY = date(2026, 11, 1)


def allowed(listings: list[Listing], plan: modes.Plan) -> tuple[str, ...]:
    return reply_facts(CTX, LeadFacts(tenant=TENANT, listings=listings), plan).allowed_domains


def test_a_recommendation_allows_its_link_and_its_photo() -> None:
    plan = modes.plan_reply(PROFILE, {}, [], [HOME, ODD], [], TODAY)
    assert plan.mode == "recommendation"
    assert allowed([HOME, ODD], plan) == ("lonestar.com", "homes.example", "cdn.photos.example")
    turn = turn_instructions(plan, "sms")
    assert 'Listing link: "https://homes.example/l/1"' in turn
    assert 'Listing photo: "https://cdn.photos.example/L1/1.jpg"' in turn
    facts = reply_facts(CTX, LeadFacts(tenant=TENANT, listings=[HOME, ODD]), plan)
    sent = ("Ana, a 3-bed in Round Rock at $435,000 with a pool: https://homes.example/l/1 "
            "(photo: https://cdn.photos.example/L1/1.jpg). Want to see it?")
    assert check_reply(sent, facts).ok
    assert check_reply("See https://evil.example/x first", facts).rule == "link"


@pytest.mark.parametrize("mode", ["buyer_qualification", "seller"])
def test_no_photo_host_unless_a_photo_is_given(mode: str) -> None:
    plan = modes.Plan(mode, "goal")
    assert allowed([HOME, ODD], plan) == ("lonestar.com", "homes.example")
    assert "Listing photo" not in turn_instructions(plan, "sms")


def test_a_link_that_is_no_http_link_allows_nothing() -> None:
    plan = modes.plan_reply(PROFILE, {}, [], [ODD], [], TODAY)
    assert plan.mode == "buyer_qualification" and allowed([ODD], plan) == ("lonestar.com",)
    odd_match = modes.plan_reply({**PROFILE, "locations": ["Austin"], "bedrooms_min": 2,
                                  "budget_max": 600_000}, {}, [], [ODD], [], TODAY)
    assert odd_match.mode == "recommendation"
    assert allowed([ODD], odd_match) == ("lonestar.com",)
    assert "Listing link" not in turn_instructions(odd_match, "sms")
    assert "Listing photo" not in turn_instructions(odd_match, "sms")
