"""Rules fixed after the held-out run (heldout.jsonl): one test per generalised rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.learning.extract import Area, Message, extract_profile
from workers.learning.extract.case import parse_now

Extract = Callable[..., dict[str, Any]]


def test_start_after_an_apology_clears_the_opt_out(extract: Extract) -> None:
    assert "opted_out" not in extract([("<", "stop"), ("<", "sorry wrong thread. START")])
    assert "opted_out" not in extract([("<", "STOP"), ("<", "oops, start")])
    assert extract([("<", "stop"), ("<", "when can we start looking?")])["opted_out"] is True


def test_where_the_lead_lives_or_works_is_not_a_location(extract: Extract) -> None:
    got = extract([("<", "we live on Oak Rd out in Garner. want to buy in Apex")])
    assert got["locations"] == ["Apex"]
    got = extract([("<", "I'm in Cary for work but want to buy in Apex")])
    assert got["locations"] == ["Apex"]


def test_place_after_an_area_is_a_home_unless_it_is_an_address(extract: Extract) -> None:
    got = extract([("<", "need to sell our Garner place fast")])
    assert got["locations"] == ["Garner"]
    assert "locations" not in extract([("<", "we're at 120 Garner Place, want to buy")])


def test_area_names_used_as_ordinary_words() -> None:
    areas = [Area(name="Golden", aliases=["golden"]), Area(name="Media", aliases=["media"]),
             Area(name="Lakewood", aliases=["lakewood"])]
    messages = [Message(direction="inbound", body="saw you on social media. we have a golden "
                                                  "retriever, so want a yard in Lakewood")]
    got = extract_profile(messages, areas, parse_now("2026-01-01T00:00:00Z")).to_spec_dict()
    assert got["locations"] == ["Lakewood"]


def test_not_going_over_is_a_max_and_a_yes_amount_is_the_preapproval(extract: Extract) -> None:
    got = extract([("<", "want to buy a condo in cary, 350k max"), (">", "Are you pre-approved?"),
                   ("<", "yes for 425k but we don't want to go over 350")])
    assert (got["budget_max"], got.get("budget_min"), got["financing"]) == (
        350_000, None, "preapproved")
    got = extract([("<", "buying in apex, we won't spend over 500k")])
    assert (got["budget_max"], got.get("budget_min")) == (500_000, None)


def test_digit_and_a_half_baths_and_bedroom_typos(extract: Extract) -> None:
    got = extract([("<", "a 3 bedroom townhome, need 2 and a half baths")])
    assert (got["bedrooms_min"], got["bathrooms_min"]) == (3, 2.5)
    assert extract([("<", "need a garage and 3 bedrms")])["bedrooms_min"] == 3


def test_make_that_n_corrects_the_count_just_given(extract: Extract) -> None:
    got = extract([("<", "need at least 3 bedrooms in cary"), (">", "Got it."),
                   ("<", "actually make that 4, we need a guest room")])
    assert got["bedrooms_min"] == 4
    got = extract([("<", "2 baths please"), ("<", "sorry, make it 3")])
    assert got["bathrooms_min"] == 3
    assert extract([("<", "buying in apex"), ("<", "actually make that 4")]).get(
        "bedrooms_min") is None


def test_to_be_moved_into_by_a_date_is_a_timeline(extract: Extract) -> None:
    got = extract([("<", "we need to be moved into a place in apex by mid-August")],
                  now="2026-05-10T12:00:00Z")
    assert got["timeline"] == "3_6_months"
    got = extract([("<", "we moved into our rental in march, buying next spring")],
                  now="2026-05-10T12:00:00Z")
    assert got["timeline"] == "6_12_months"


def test_features_of_the_home_being_sold_are_not_wishes(extract: Extract) -> None:
    got = extract([("<", "selling our 4 bedroom with a pool in garner and buying a ranch in apex")])
    assert got["must_haves"] == ["single_story"]
    got = extract([("<", "want our next home with a pool")])
    assert got["must_haves"] == ["pool"]


def test_yes_no_answer_to_a_feature_question(extract: Extract) -> None:
    assert extract([(">", "Do you need a garage?"), ("<", "yes, winters lol")])["must_haves"] == [
        "garage"]
    got = extract([("<", "must have a pool"), (">", "Is a pool a must?"), ("<", "no not really")])
    assert "must_haves" not in got
    assert "must_haves" not in extract([(">", "Would a pool be nice?"), ("<", "yes")])


def test_closing_on_a_house_and_rental_typos(extract: Extract) -> None:
    assert extract([("<", "we need to close on a house in apex by june")])["intent"] == "buy"
    assert extract([("<", "lookng for a rental house in cary")])["intent"] == "rent"
    assert "intent" not in extract([("<", "is the one at 1804 still for sale?")])
