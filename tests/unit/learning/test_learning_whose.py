"""The general mechanisms of issue #30, as tables: whose search a clause is about, what a closed
question states when answered, and where the lead is now vs where they want to be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from workers.learning.extract.questions import classify_question
from workers.learning.extract.text import normalize
from workers.learning.extract.whose import read_whose

Extract = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(("text", "phrase", "role"), [
    # someone else's life, beside the lead's own search: a remark
    ("my sister just had a baby! anyway we're looking for a 3 bed", "baby", "other"),
    ("our neighbors are getting divorced and selling. we'd like to sell too", "selling", "other"),
    ("mi primo se mudo a texas por trabajo. nosotros queremos rentar", "trabajo", "other"),
    ("my friend's selling her condo, anyway we're looking in cypress", "selling", "other"),
    # the lead's household speaks as the lead, and so do pronouns that refer to it
    ("my wife got a new job, she starts in june so we need to move", "june", "self"),
    ("my husband and i want to sell", "sell", "self"),
    # the person the lead writes for: said so, or the only plan stated
    ("asking for my brother, he wants to buy near durham", "buy", "proxy"),
    ("le escribo por mi mama, ella quiere vender su casa", "vender", "proxy"),
    ("my parents want to downsize, they need one story", "one story", "proxy"),
    ("my daughter got a job in austin and i want to buy her a condo", "job", "proxy"),
    # a third person acting in the lead's search
    ("my brother in law is our realtor, he's showing us places in evanston", "evanston", "self"),
    # "they" with no person named is the homes, not someone's life
    ("the ones you sent are too small, they need 4 beds", "4 beds", "self"),
])
def test_whose_search_a_clause_is_about(text: str, phrase: str, role: str) -> None:
    assert read_whose(text, frozenset(), False).role(text.index(phrase)) == role


def test_the_person_written_for_carries_on_to_later_messages() -> None:
    first = read_whose("i'm asking for my mom", frozenset(), False)
    later = read_whose("she wants a condo in mesa", first.proxies, first.own_plan)
    assert later.role(0) == "proxy"


@pytest.mark.parametrize(("question", "echo"), [
    ("Still looking for a condo in Round Rock under 500?",
     "still looking for a condo in round rock under 500"),
    ("Are you still wanting 3 bedrooms in Apex?", "are i still wanting 3 bedrooms in apex"),
    ("Ok so 4 beds in Apex - did I get that right?",
     "ok so 4 beds in apex - . did i get that right"),
    ("What's your budget?", ""),  # an open question states nothing
    ("Are you looking to buy or sell?", ""),  # a choice is answered by the choice
    ("Did you see the listing in Cary?", ""),  # about something sent, not a preference
])
def test_a_closed_question_in_the_leads_voice(question: str, echo: str) -> None:
    assert classify_question(question, seller=False).echo == echo


def test_where_do_you_live_now_is_asked_apart() -> None:
    assert classify_question("Where are you living now?", seller=False).now_home
    assert not classify_question("Where do you want to live?", seller=False).now_home


@pytest.mark.parametrize(("turns", "expect"), [
    ([(">", "Is 2 baths enough?"), ("<", "yes that works")], {"bathrooms_min": 2}),
    ([("<", "looking in apex"), (">", "Still looking in Apex?"), ("<", "no, cary now")],
     {"locations": ["Cary"]}),
    ([(">", "Is Cary too far?"), ("<", "yes")], {}),
    ([(">", "Where are you living now?"), ("<", "Cary, in an apartment")], {}),
])
def test_an_answer_takes_what_the_question_names(
    extract: Extract, turns: list[tuple[str, str]], expect: dict[str, Any]
) -> None:
    assert extract(turns) == expect


@pytest.mark.parametrize(("body", "locations"), [
    ("currently in a 2br apartment in cary, want to buy in apex", ["Apex"]),
    ("we're in garner right now, looking at homes for sale in apex", ["Apex"]),
    ("i rent a condo downtown, looking to buy in cary", ["Cary"]),
    ("just bought in garner last month lol", []),
    ("we're staying in cary and want to buy a bigger house here", ["Cary"]),
    ("right now cary and apex are our top choices", ["Cary", "Apex"]),
])
def test_where_they_are_is_not_where_they_want(
    extract: Extract, body: str, locations: list[str]
) -> None:
    assert extract([("<", body)]).get("locations", []) == locations


def test_normalised_text_is_what_whose_reads() -> None:
    text = normalize("Mi hermano se acaba de divorciar, pero nosotros seguimos buscando")
    whose = read_whose(text, frozenset(), False)
    assert whose.role(text.index("divorciar")) == "other"
    assert whose.role(text.index("buscando")) == "self"
