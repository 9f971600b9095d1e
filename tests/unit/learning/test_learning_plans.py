"""The mechanisms of dev_generalise6 (issue #30), as tables: a plan given up, carried out, only
possible or not chosen yet; a time ruled out; an area named like a season; a relative clause of
the home now. Each row is read from SPEC.md; the areas are the shared made-up ones (conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.learning.conftest import AREAS
from workers.learning.extract import Area, Message, extract_profile
from workers.learning.extract.given_up import given_up_spans
from workers.learning.extract.text import normalize

Extract = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(("text", "given_up"), [
    # a past plan with a turn that replaces it
    ("we were gonna buy in cary but my job moved us so now we just need to sell", "buy in cary"),
    ("ibamos a comprar en apex pero ya no", "comprar en apex"),
    ("we were going to move for my job until it fell through", "move for my job"),
    # a past plan the turn does not replace, or no turn at all: left to the other rules
    ("we were planning to list in may, is that still a good time?", ""),
    ("we were going to buy in spring but prices went up", ""),
    ("we were looking to buy in cary but now we're also looking in apex", ""),  # only added to
])
def test_a_plan_given_up(text: str, given_up: str) -> None:
    text = normalize(text)
    spans = given_up_spans(text)
    assert (given_up in text[spans[0][0] : spans[0][1]]) if given_up else not spans


@pytest.mark.parametrize(("turns", "intent"), [
    # given up and replaced: the new plan alone, the old one withdrawn
    ([("<", "we want to buy in cary"), ("<", "we were going to buy but now we'll rent a while")],
     "rent"),
    # carried out already: no plan now
    ([(">", "Still looking for a rental in Apex?"), ("<", "no we ended up buying lol")], None),
    # only possible: yields to a plan stated plainly, but a sale and a purchase combine
    ([(">", "Still looking to buy in Cary?"), ("<", "yes but we might rent first")], "buy"),
    ([("<", "we might sell our house in apex and buy in cary")], "buy_and_sell"),
    # not chosen yet: alternatives under one hedge, an indirect question, torn between
    ([("<", "maybe buy maybe keep renting. depends on rates")], None),
    ([("<", "todavia no se si vamos a comprar o no")], None),
    ([("<", "torn between buying in cary and renting one more year")], None),
    # a home the lead rents out now is what they own, not a purchase to rent out
    ([("<", "we own a condo in apex that we rent out")], None),
])
def test_the_plan_stated_now(extract: Extract, turns: list[tuple[str, str]],
                             intent: str | None) -> None:
    assert extract(turns).get("intent") == intent, turns


@pytest.mark.parametrize(("body", "timeline"), [  # said on 2026-01-01
    # a time ruled out; a range counts to its upper end (summer: Jun 1, 151 days)
    ("Not this year. Probably next spring or summer", "3_6_months"),
    ("not until 2028", "12_plus_months"),  # "not until" gives the earliest time
    # a month of next year (Mar 1 2027, 424 days)
    ("mi esposo se retira en marzo del ano que viene y ahi vendemos", "12_plus_months"),
    ("we're not in a hurry. I'd say 9 months?", "6_12_months"),  # the lead's own estimate
    ("my job starts march 1, we need to rent something before", "1_3_months"),  # 59 days
])
def test_times(extract: Extract, body: str, timeline: str) -> None:
    assert extract([("<", body)]).get("timeline") == timeline, body


@pytest.mark.parametrize(("body", "locations"), [
    # the home lived in, in a relative clause after the area
    ("we have a condo in apex and a house in cary we live in. selling the condo", ["Apex"]),
    # a workplace's words end at a conjunction
    ("my office is in cary. would prefer a short commute so apex or garner", ["Apex", "Garner"]),
    # an area in a plan given up
    ("we were gonna buy in apex but now we're looking in garner", ["Garner"]),
])
def test_areas(extract: Extract, body: str, locations: list[str]) -> None:
    assert extract([("<", body)]).get("locations", []) == locations, body


@pytest.mark.parametrize(("body", "locations"), [
    ("looking in spring or cary", ["Spring", "Cary"]),  # the area
    ("looking in cary by spring", ["Cary"]),  # the season
    ("looking to buy in cary this spring", ["Cary"]),
    ("thinking spring of 2027, in cary", ["Cary"]),
])
def test_an_area_named_like_a_season(body: str, locations: list[str]) -> None:
    areas = (*AREAS, Area(name="Spring", aliases=("spring",)))
    said = [Message(direction="inbound", body=body)]
    profile = extract_profile(said, areas, datetime(2026, 10, 5, 12, tzinfo=UTC)).to_spec_dict()
    assert profile.get("locations") == locations
