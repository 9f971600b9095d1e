"""Intent and motivation (SPEC: intent, motivation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]



def test_intent_only_when_plainly_said(extract: Extract) -> None:
    assert "intent" not in extract([("<", "3 bed under 400k in cary")])
    assert extract([("<", "we want to purchase in cary")])["intent"] == "buy"
    assert extract([("<", "do you have any lots for sale in garner?")])["intent"] == "buy"
    assert extract([("<", "our condo is listed with another agent")])["intent"] == "sell"


def test_answers_to_buy_or_sell_questions(extract: Extract) -> None:
    assert extract([(">", "Buying or renting?"), ("<", "renting")])["intent"] == "rent"
    assert extract([(">", "Buy, sell, or both?"), ("<", "both!")])["intent"] == "buy_and_sell"
    assert extract([(">", "Thinking about selling?"), ("<", "yeah")])["intent"] == "sell"
    assert extract([(">", "Are you looking to buy?"), ("<", "who is this?")]) == {}


def test_selling_then_buying_is_buy_and_sell(extract: Extract) -> None:
    got = extract([("<", "we need to sell our condo in cary"), ("<", "and then buy in apex")])
    assert got["intent"] == "buy_and_sell"
    assert extract([("<", "we may have to sell instead of buying")])["intent"] == "sell"


def test_investor_states_purpose(extract: Extract) -> None:
    got = extract([("<", "want to buy a duplex in garner to rent out")])
    assert (got["intent"], got["motivation"]) == ("invest", "investment")


def test_renting_now_is_not_rent_intent(extract: Extract) -> None:
    got = extract([("<", "we currently rent in garner but want to buy in apex")])
    assert got["intent"] == "buy"


def test_landlord_selling_is_not_the_lead_selling(extract: Extract) -> None:
    got = extract([("<", "our landlord is selling so we need to buy something")])
    assert got["intent"] == "buy"


def test_growing_family_beats_more_room(extract: Extract) -> None:
    got = extract([("<", "baby number two is on the way, we need more room")])
    assert got["motivation"] == "growing_family"
    got = extract([("<", "my wife is pregnant"), ("<", "so we need a bigger place")])
    assert got["motivation"] == "growing_family"


def test_latest_reason_wins(extract: Extract) -> None:
    got = extract([("<", "we're downsizing"), ("<", "well really, my job is transferring me")])
    assert got["motivation"] == "relocation"


def test_motivation_synonyms(extract: Extract) -> None:
    cases = {
        "we're empty nesters": "downsizing",
        "we outgrew our place": "upsizing",
        "first-time buyer here": "first_time_buyer",
        "going through a separation": "divorce",
        "got laid off and can't afford the mortgage": "financial_hardship",
        "we just retired": "retirement",
        "relocating for work": "relocation",
    }
    for body, reason in cases.items():
        assert extract([("<", body)]).get("motivation") == reason, body


def test_someone_elses_retirement_is_not_ours(extract: Extract) -> None:
    assert "motivation" not in extract([("<", "our realtor retired so we need a new one")])
