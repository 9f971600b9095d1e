"""Locations: aliases as whole words, ruled-out areas, other-sense mentions (SPEC: locations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]



def test_alias_matches_whole_words_only(extract: Extract) -> None:
    assert extract([("<", "we like fuquay and apex")])["locations"] == ["Fuquay-Varina", "Apex"]
    # "hs" inside a word and "apex" inside "apexes" are not mentions.
    assert "locations" not in extract([("<", "the ths grads love the apexes of the roof")])


def test_maybe_counts_and_ruled_out_is_left_out(extract: Extract) -> None:
    got = extract([("<", "cary or apex, maybe garner. not morrisville")])
    assert got["locations"] == ["Cary", "Apex", "Garner"]
    got = extract([("<", "anywhere but downtown honestly")])
    assert "locations" not in got


def test_later_ruling_out_removes_an_area(extract: Extract) -> None:
    got = extract([("<", "looking in cary or holly springs"),
                   ("<", "actually holly springs is too far, scratch that one")])
    assert got["locations"] == ["Cary"]


def test_area_named_in_another_sense_is_not_a_location(extract: Extract) -> None:
    got = extract([("<", "i work downtown and we currently rent in garner. want to buy in apex")])
    assert got["locations"] == ["Apex"]
    got = extract([("<", "we're at 410 Garner Rd right now, looking to buy in cary")])
    assert got["locations"] == ["Cary"]


def test_home_being_sold_gives_its_area(extract: Extract) -> None:
    got = extract([("<", "need to sell our place in morrisville")])
    assert got["locations"] == ["Morrisville"]


def test_yes_confirms_the_area_the_question_names(extract: Extract) -> None:
    got = extract([(">", "Hi Jo, still searching in Holly Springs?"), ("<", "yep!")])
    assert got["locations"] == ["Holly Springs"]
    assert "locations" not in extract([(">", "Still looking in Apex?"), ("<", "who is this")])


def test_area_names_do_not_leak_into_other_fields(extract: Extract) -> None:
    got = extract([("<", "want a 3 bed in land park")])
    assert "property_type" not in got
