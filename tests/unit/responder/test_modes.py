"""Mode choice, deterministic fallback texts and the agent coaching note."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from workers.learning.extract.model import Area
from workers.responder.listings import Comparable, Listing
from workers.responder.modes import (
    coaching_note,
    fallback_text,
    handoff_text,
    opt_out_text,
    plan_reply,
    seller_pathway,
    spoken_name,
)

TODAY = date(2026, 11, 1)
HOUSE = Listing("L1", 435_000, "12 Oak St", "Round Rock", 3, 2.0, "single_family", ("pool",))
COMPS = [Comparable(440_000, date(2026, 10, 1), "Round Rock")]
TIMELINE_Q = "When are you hoping to move?"


def test_buyer_without_a_match_is_asked_the_most_valuable_question() -> None:
    plan = plan_reply({"intent": "buy"}, {}, [TIMELINE_Q, "What price range?"], [HOUSE], [],
                      TODAY)
    assert plan.mode == "buyer_qualification" and plan.question == TIMELINE_Q
    assert fallback_text(plan, "Ana Lopez") == f"Thanks, Ana! {TIMELINE_Q}"
    assert fallback_text(plan, None) == f"Thanks! {TIMELINE_Q}"


def test_buyer_with_a_good_match_gets_a_recommendation() -> None:
    profile = {"intent": "buy", "budget_max": 450_000, "locations": ["Round Rock"],
               "bedrooms_min": 3}
    plan = plan_reply(profile, {}, [TIMELINE_Q], [HOUSE], [], TODAY)
    assert plan.mode == "recommendation" and plan.match is not None
    text = fallback_text(plan, "Ana")
    assert "$435,000" in text and text.endswith("Would you like to see it?")


def test_seller_asks_price_then_condition_with_comps_and_pathway() -> None:
    seller = {"intent": "sell", "locations": ["Round Rock"]}
    plan = plan_reply(seller, {"open": ["timeline", "price", "condition"]}, [TIMELINE_Q],
                      [HOUSE], COMPS, TODAY)
    assert plan.mode == "seller" and "price" in (plan.question or "")
    assert plan.talking_point and "$440,000" in plan.talking_point
    assert "$440,000" in fallback_text(plan, "Bo")
    priced = plan_reply({**seller, "sell_price": 450_000},
                        {"open": ["condition"], "home_condition": None}, [], [], [], TODAY)
    assert "condition" in (priced.question or "") and priced.talking_point is None
    worn = plan_reply({**seller, "sell_price": 1}, {"open": [], "home_condition": "needs work"},
                      [], [], [], TODAY)
    assert worn.pathway and "as-is" in worn.pathway


def test_buy_and_sell_is_a_seller_until_the_sale_is_qualified() -> None:
    both = {"intent": "buy_and_sell", "budget_max": 450_000, "locations": ["Round Rock"]}
    assert plan_reply(both, {"open": ["price"]}, [], [HOUSE], [], TODAY).mode == "seller"
    done = {**both, "sell_price": 400_000}
    assert plan_reply(done, {"open": ["budget"]}, [], [HOUSE], [], TODAY).mode == \
        "recommendation"


def test_a_match_under_an_alias_is_recommended_with_its_link() -> None:
    profile = {"intent": "buy", "budget_max": 450_000, "locations": ["Round Rock"],
               "bedrooms_min": 3}
    listed = replace(HOUSE, area="RR", url="https://homes.example/l/1")
    assert plan_reply(profile, {}, [], [listed], [], TODAY).mode == "buyer_qualification"
    areas = (Area(name="Round Rock", aliases=("RR",)),)
    plan = plan_reply(profile, {}, [], [listed], [], TODAY, areas)
    assert plan.mode == "recommendation"
    assert fallback_text(plan, "Ana") == (
        "Thanks, Ana! There's a 3-bed single-family home in RR at $435,000 (12 Oak St) that "
        "fits your budget. Details: https://homes.example/l/1 Would you like to see it?")
    note = coaching_note(profile, "hot", [], plan)
    assert "Top match: There's a 3-bed" in note and "(12 Oak St) that fits your budget. " \
        "https://homes.example/l/1" in note
    # a feed's value that is no http(s) link is never sent
    odd = plan_reply(profile, {}, [], [replace(listed, url="javascript:x()")], [], TODAY,
                     areas)
    assert "javascript" not in fallback_text(odd, "Ana")
    assert "javascript" not in coaching_note(profile, "hot", [], odd)


def test_the_agent_is_told_how_many_sales_and_when() -> None:
    seller = {"intent": "sell", "locations": ["Round Rock"], "sell_price": 460_000}
    comps = [Comparable(440_000, date(2026, 10, 1), "Round Rock"),
             Comparable(452_000, date(2026, 6, 3), "RR"),
             Comparable(460_000, date(2026, 9, 9), "round rock")]
    areas = (Area(name="Round Rock", aliases=("RR",)),)
    plan = plan_reply(seller, {"open": ["condition"]}, [], [], comps, TODAY, areas)
    assert plan.sales_note == ("Median of 3 closed sales in Round Rock, Jun 3 \u2013 Oct 1: "
                               "$452,000")
    note = coaching_note(seller, "hot", [], plan)
    assert ("Comparable sales: Median of 3 closed sales in Round Rock, Jun 3 \u2013 Oct 1: "
            "$452,000.") in note
    assert "anchor on recent comparable sales" in note
    assert plan_reply(seller, {"open": []}, [], [], [], TODAY, areas).sales_note is None


def test_seller_pathway() -> None:
    assert seller_pathway(None) is None
    assert "traditional" in (seller_pathway("move-in ready") or "")
    assert "as-is" in (seller_pathway("fixer") or "")


def test_fixed_texts() -> None:
    assert opt_out_text("Lone Star Realty").startswith("You're unsubscribed from Lone Star")
    assert handoff_text("Ana", None) == (
        "Of course, Ana — I'm letting your agent know now, and they'll reach out shortly.")


def test_coaching_note_names_next_action_and_objections() -> None:
    profile = {"intent": "buy", "budget_max": 450_000, "locations": ["Round Rock"],
               "bedrooms_min": 3, "financing": "needs_financing", "timeline": "asap"}
    plan = plan_reply(profile, {}, ["Are you pre-approved?"], [HOUSE], [], TODAY)
    note = coaching_note(profile, "hot", ["timeline asap (+35)"], plan)
    assert note.startswith("HOT lead (timeline asap (+35)).")
    assert "showing of the matched listing" in note and "lender" in note
    assert "Top match:" in note


@pytest.mark.parametrize(("typed", "spoken"), [
    ("Ana", "Ana"), ("ana maria", "ana"), ("Anne-Marie", "Anne-Marie"), ("O'Neil", "O'Neil"),
    ("O’Neil", "O’Neil"), ("Zoë", "Zoë"), ("Jose\u0301", "José"), ("李", "李"), ("St.", "St."),
    ("J.R.", "J.R."),
    # what a form or the CRM may hold that must not be sent in our name
    ("www.spam.co", None), ("bit.ly", None), ("http://x.co", None), ("Call5551234", None),
    ("<b>", None), ("Ana!", None), ("--", None), ("-Ana", None), ("Ana_", None),
    ("x" * 31, None), ("", None), ("   ", None), (None, None),
])
def test_only_a_name_that_reads_as_a_name_is_spoken(typed: str | None,
                                                     spoken: str | None) -> None:
    assert spoken_name(typed) == spoken


def test_texts_sent_without_claude_leave_out_a_name_that_is_not_one() -> None:
    assert handoff_text("bit.ly/win", None).startswith("Of course — I'm letting")
    assert fallback_text(plan_reply({}, {}, [TIMELINE_Q], [], [], TODAY),
                         "https://spam.example").startswith("Thanks! ")
