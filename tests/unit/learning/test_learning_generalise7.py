"""The mechanisms of dev_generalise7 (issue #30), as tables: a reply over several messages, the
no that answers, a question's topic before a dash, answer words and texting spellings, time
(elapsed spans, a move after a dated event, a deadline, a time alone, a plan's horizon, a year
with its article), whose words (Spanish "el", acts done), workplaces, asides about the writing,
a sale with the home as subject, renting again, a plan put off, a loan's kind, the budget's
predicate, no HOA and a seller's next home in a fragment. Each row is read from SPEC.md; the
areas are the shared made-up ones (conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from workers.learning.extract.asides import aside_spans
from workers.learning.extract.dates import read_dates
from workers.learning.extract.questions import answer_particle, bare_answer, defers, undrawn
from workers.learning.extract.text import Segments, normalize, opens_with_fragment
from workers.learning.extract.whose import read_whose

Extract = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(("text", "bare"), [
    ("nah", True), ("nel", True), ("yes!", True), ("no sorry", True), ("👍", True),
    ("siii", True), ("not really lol", True),
    ("no, garner", False), ("yes 3 beds", False), ("2 is plenty", False), ("maybe", False),
])
def test_a_bare_answer(text: str, bare: bool) -> None:
    assert bare_answer(normalize(text)) is bare, text


@pytest.mark.parametrize(("text", "particle"), [
    ("no garner", "no"), ("nope, apex instead", "nope"), ("nah cary", "nah"),
    ("nothing in cary works", None),  # "nothing" negates what follows it
    ("yes cary", None), ("cary", None),
])
def test_the_no_that_answers(text: str, particle: str | None) -> None:
    span = answer_particle(text)
    assert (text[span[0] : span[1]] if span else None) == particle


@pytest.mark.parametrize(("text", "put_off"), [
    ("we're holding off till fall", True), ("pushing it out to 2027", True),
    ("vamos a posponerlo", True), ("lo dejamos para el otro ano", True),
    ("we put everything on hold", True),
    ("no, we decided not to sell", False), ("yes in the spring", False),
])
def test_a_plan_put_off(text: str, put_off: bool) -> None:
    assert defers(normalize(text)) is put_off, text


@pytest.mark.parametrize(("text", "once"), [
    ("siiii", "si"), ("yesss", "yes"), ("nooo", "no"), ("yeahhh ok", "yeah ok"),
    ("sounds good", "sounds good"), ("okay", "okay"),  # a double inside a word stays
])
def test_a_word_drawn_out(text: str, once: str) -> None:
    assert undrawn(text) == once


@pytest.mark.parametrize(("text", "fragment"), [
    ("a 3 bed townhome in apex", True), ("single story, 2 beds, garner", True),
    ("un depa de 2 recamaras en cary", True),
    ("it's a 3 bed", False), ("we need 3 beds", False), ("tiene 3 recamaras", False),
])
def test_a_fragment(text: str, fragment: bool) -> None:
    assert opens_with_fragment(normalize(text)) is fragment, text


@pytest.mark.parametrize(("text", "aside"), [
    ("sorry for typos, holding the baby. need 3 beds", "sorry for typos, holding the baby."),
    ("disculpa la tardanza, el bebe no me deja. buscamos en cary",
     "disculpa la tardanza, el bebe no me deja."),
    # a clause tied to the move is no aside
    ("sorry for the late reply, we're expecting and need room", "sorry for the late reply"),
    ("the baby is coming in may, need 3 beds", ""),  # no apology, no aside
])
def test_an_aside_about_the_writing(text: str, aside: str) -> None:
    text = normalize(text)
    spans = aside_spans(text, Segments.of(text))
    assert "".join(text[a:b] for a, b in spans).strip() == aside


@pytest.mark.parametrize(("text", "roles"), [
    # Spanish "el" before a verb is "he": the person the lead writes for
    ("escribo por mi tio, el quiere vender", ("self", "proxy")),
    # an act done is no plan: the relative's clause stays a remark
    ("mi prima acaba de comprar en apex", ("other",)),
    ("my uncle just finished selling his condo", ("other",)),
    ("my uncle is selling his condo", ("proxy",)),  # a plan, with no plan of the lead's
])
def test_whose_words(text: str, roles: tuple[str, ...]) -> None:
    got = read_whose(normalize(text), frozenset(), False)
    assert got.roles == roles, got


@pytest.mark.parametrize(("text", "days"), [  # read on 2026-01-01
    ("after 12 years in this house", None),  # a span that has passed
    ("despues de 10 anos rentando", None),
    ("after 6 months we want to move", 180),  # a time ahead
    ("it's a 3 year plan", 1095),  # a duration that sizes the plan
    ("un plan a 2 anos", 730),
    ("para el 2028", 730),  # an article between the preposition and the year
    ("by the year 2027", 365),
])
def test_durations_and_years(text: str, days: int | None) -> None:
    found = [(d.target - date(2026, 1, 1)).days for d in read_dates(normalize(text),
                                                                    date(2026, 1, 1))]
    assert found == ([] if days is None else [days]), text


@pytest.mark.parametrize(("turns", "profile"), [
    # a reply over several messages: a bare no, then the answer; a correction of the answer
    ([(">", "Still need 2 bathrooms?"), ("<", "nope"), ("<", "1.5 works")],
     {"bathrooms_min": 1.5}),
    # (answering what they would list their home for, the lead sells: SPEC's "answers a
    # buy-or-sell question")
    ([(">", "What would you list the Garner house for?"), ("<", "like 3"),
      ("<", "sorry i meant 325")],
     {"intent": "sell", "sell_price": 325000, "locations": ["Garner"]}),
    # ... and a later no answers nothing: the yes was given
    ([(">", "Still looking in Garner?"), ("<", "yes"), ("<", "no rush tho")],
     {"locations": ["Garner"]}),
    ([(">", "Do you need a garage?"), ("<", "yep"), ("<", "no basement needed tho")],
     {"must_haves": ["garage"]}),
    # the no answers the question; the area after it is the new one
    ([(">", "Still set on Apex?"), ("<", "no garner")], {"locations": ["Garner"]}),
    # a topic before a dash is what the question asks
    ([(">", "Holly Springs - still in the running?"), ("<", "yes")],
     {"locations": ["Holly Springs"]}),
    ([(">", "Your budget - still 400?"), ("<", "yes")], {"budget_max": 400000}),
    # answer words
    ([(">", "¿Le marco hoy?"), ("<", "sisi")], {"wants_human": True}),
    # a plan put off is still the plan
    ([(">", "Still planning to sell your place in Cary?"), ("<", "holding off till next year")],
     {"intent": "sell", "locations": ["Cary"], "timeline": "6_12_months"}),
    # a loan's kind after a pre-approval says no stage
    ([("<", "we're preapproved"), ("<", "usda loan")], {"financing": "preapproved"}),
    # a seller's next home, in the fragment after
    ([("<", "selling our place in apex and moving to something smaller"),
      ("<", "a 2 bed townhome in cary")],
     {"intent": "sell", "locations": ["Apex", "Cary"], "bedrooms_min": 2,
      "property_type": "townhouse", "motivation": "downsizing"}),
])
def test_conversations(extract: Extract, turns: list[tuple[str, str]],
                       profile: dict[str, Any]) -> None:
    assert extract(turns) == profile, turns


@pytest.mark.parametrize(("body", "profile"), [  # said on 2026-01-01
    # the home as the subject of the sale; renting again
    ("once our condo sells we'd buy in apex", {"intent": "buy_and_sell", "locations": ["Apex"]}),
    ("leasing again, somewhere in cary", {"intent": "rent", "locations": ["Cary"]}),
    # the budget's predicate before the figure; HOA under a negation
    ("we bumped the budget up to 415", {"budget_max": 415000}),
    ("nothing with an hoa in garner", {"must_haves": ["no_hoa"], "locations": ["Garner"]}),
    # a workplace named by the area; a place lived in, wanted by a later "there"
    ("i'm starting at the apex office, want to buy in cary",
     {"intent": "buy", "locations": ["Cary"]}),
    ("we live in garner and we're buying there again", {"intent": "buy", "locations": ["Garner"]}),
    # a move after a dated event; a deadline said after its date; a time alone in its clause
    ("school's out june 10, we move right after", {"timeline": "3_6_months"}),
    ("feb 20 is our move-out date", {"timeline": "1_3_months"}),
    ("need a condo in cary, no rush, probably by the fall", {
        "property_type": "condo", "locations": ["Cary"], "timeline": "6_12_months"}),
    # an aside about the writing states no reason
    ("excuse typos, baby in one arm lol. 3 beds in apex", {"bedrooms_min": 3,
                                                          "locations": ["Apex"]}),
    # studying is not where a relative is, and no relocation
    ("my son is studying in raleigh so we'd like a condo in downtown for him",
     {"property_type": "condo", "locations": ["Downtown Raleigh"]}),
])
def test_messages(extract: Extract, body: str, profile: dict[str, Any]) -> None:
    assert extract([("<", body)]) == profile, body
