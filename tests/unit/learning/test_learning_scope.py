"""Negation and scope, and intent as the current plan (SPEC: intent; Language, dates and
edges). Our own sentences per phrasing class, with near misses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]


def test_a_negated_intent_states_nothing(extract: Extract) -> None:
    assert "intent" not in extract([("<", "we're not interested in selling, thanks")])
    assert "intent" not in extract([("<", "I have no plans to sell the condo")])
    got = extract([("<", "we aren't looking to rent anymore, we want to buy in apex")])
    assert got["intent"] == "buy"
    # Negation elsewhere in the sentence does not touch the intent word.
    assert extract([("<", "can't wait to buy our first place!")])["intent"] == "buy"


def test_a_negation_answering_an_intent_question_is_no_yes(extract: Extract) -> None:
    got = extract([(">", "Any interest in selling your home this year?"),
                   ("<", "nope, not selling. please stop asking")])
    assert "intent" not in got
    got = extract([(">", "¿Le interesa vender su casa?"), ("<", "no, no quiero vender")])
    assert "intent" not in got


def test_a_later_statement_withdraws_the_intent(extract: Extract) -> None:
    got = extract([("<", "thinking about selling our place in cary"),
                   ("<", "talked it over and we're not selling after all")])
    assert "intent" not in got
    got = extract([("<", "we'd sell in garner and buy in apex"),
                   ("<", "update: we're not selling, just buying")])
    assert got["intent"] == "buy"


def test_a_put_off_plan_is_still_the_plan(extract: Extract) -> None:
    assert extract([("<", "not buying until the spring of 2027")])["intent"] == "buy"
    assert extract([("<", "we won't sell for another year or so")])["intent"] == "sell"


def test_rent_for_now_buy_later_is_rent(extract: Extract) -> None:
    assert extract([("<", "we'll rent for now and buy in a year or two")])["intent"] == "rent"
    got = extract([("<", "looking for a rental in the meantime, we'll buy eventually")])
    assert got["intent"] == "rent"
    got = extract([(">", "Are you looking to buy or rent?"),
                   ("<", "rentar por ahora, comprar mas adelante")])
    assert got["intent"] == "rent"


def test_renting_now_describes_the_home_not_the_plan(extract: Extract) -> None:
    got = extract([("<", "we're renting for now but want to buy in holly springs this fall")])
    assert got["intent"] == "buy"


def test_selling_now_and_buying_later_is_both(extract: Extract) -> None:
    got = extract([("<", "we want to sell the house now and buy something smaller later")])
    assert got["intent"] == "buy_and_sell"


def test_a_withdrawn_bedroom_count(extract: Extract) -> None:
    got = extract([("<", "need 2 bedrooms in cary"),
                   ("<", "please stop sending 2 bedrooms, we need 3 at least")])
    assert got["bedrooms_min"] == 3
    got = extract([("<", "need 2 bedrooms in cary"), ("<", "no more 2 bedrooms please")])
    assert "bedrooms_min" not in got
    # "no less than" is a minimum, not a withdrawal.
    assert extract([("<", "no less than 4 bedrooms")])["bedrooms_min"] == 4


def test_a_bare_minimum_count_in_a_message_about_bedrooms(extract: Extract) -> None:
    got = extract([("<", "quit sending 1 bedrooms. we need 2 min, ideally in apex")])
    assert got["bedrooms_min"] == 2
    assert extract([("<", "we need a fourth bedroom for my mom")])["bedrooms_min"] == 4
    # A count of something else in such a message is not a bedroom count.
    assert extract([("<", "3 bedrooms. we need 2 parking spots")])["bedrooms_min"] == 3


def test_a_withdrawn_size_keeps_the_type(extract: Extract) -> None:
    got = extract([("<", "stop sending me two-story houses, we need single story")])
    assert (got["property_type"], got["must_haves"]) == ("single_family", ["single_story"])
    got = extract([("<", "ya no me manden casas de tres pisos")])
    assert got["property_type"] == "single_family"
    # The type itself withdrawn.
    assert "property_type" not in extract([("<", "want a condo"),
                                           ("<", "actually no more condos")])


def test_areas_ruled_out_or_lived_in(extract: Extract) -> None:
    got = extract([("<", "don't send me anything in garner anymore, cary or apex only")])
    assert got["locations"] == ["Cary", "Apex"]
    got = extract([("<", "just moved for work and staying in garner until we buy in apex")])
    assert got["locations"] == ["Apex"]
    got = extract([("<", "we closed on a house in cary last month, thank you!")])
    assert "locations" not in got
