"""Bedrooms, bathrooms and property type of the wanted home (SPEC: home fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]



def test_bedroom_and_bathroom_forms(extract: Extract) -> None:
    assert extract([("<", "need a 3+ br, 2.5 ba")]) == {"bedrooms_min": 3, "bathrooms_min": 2.5}
    assert extract([("<", "four bedrooms please")])["bedrooms_min"] == 4
    assert extract([("<", "3-4 beds, two and a half baths")])["bathrooms_min"] == 2.5
    assert extract([("<", "a 4-bedroom with 3 baths")])["bedrooms_min"] == 4


def test_short_answers_in_the_light_of_the_question(extract: Extract) -> None:
    got = extract([(">", "How many beds and baths do you need?"), ("<", "4 and 2")])
    assert (got["bedrooms_min"], got["bathrooms_min"]) == (4, 2)
    got = extract([(">", "How many bedrooms?"), ("<", "3 would work, 4 ideally")])
    assert got["bedrooms_min"] == 3
    got = extract([(">", "Bedrooms?"), ("<", "three")])
    assert got["bedrooms_min"] == 3


def test_correction_latest_wins(extract: Extract) -> None:
    got = extract([("<", "2 bed condo"), ("<", "actually make it 3 bedrooms, and a townhouse")])
    assert (got["bedrooms_min"], got["property_type"]) == (3, "townhouse")


def test_seller_home_details_set_no_home_fields(extract: Extract) -> None:
    got = extract([("<", "looking to sell my 4 bed 3 bath house in cary, it has a pool")])
    assert got == {"intent": "sell", "locations": ["Cary"]}


def test_current_home_is_not_the_wanted_home(extract: Extract) -> None:
    got = extract([("<", "our 2 bed apartment is too small, want to buy a 4 bed house")])
    assert (got["bedrooms_min"], got["property_type"]) == (4, "single_family")


def test_property_type_synonyms(extract: Extract) -> None:
    cases = {
        "want a detached home": "single_family",
        "looking for a townhome": "townhouse",
        "interested in a triplex": "multi_family",
        "want to buy some acreage": "land",
        "a manufactured home would work": "mobile_home",
        "want to buy an apartment downtown": "condo",
    }
    for body, ptype in cases.items():
        assert extract([("<", body)]).get("property_type") == ptype, body


def test_home_alone_and_other_senses_set_no_type(extract: Extract) -> None:
    assert "property_type" not in extract([("<", "want a home with a yard")])
    assert "property_type" not in extract([("<", "saw you at the open house, call my mobile")])
    assert "property_type" not in extract([("<", "i cook a lot so the kitchen matters")])


def test_declined_type_is_not_set(extract: Extract) -> None:
    got = extract([("<", "stop sending me condos, we want a house")])
    assert got["property_type"] == "single_family"
    got = extract([("<", "we want a townhouse, not a condo")])
    assert got["property_type"] == "townhouse"
