"""Must-haves: synonyms, declines, withdrawals and hedged wishes (SPEC: must_haves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]



def test_synonyms(extract: Extract) -> None:
    got = extract([("<", "need a big back yard, one-story, room for an office, no HOA, "
                         "top-rated school district and it has to be on the water")])
    assert sorted(got["must_haves"]) == [
        "good_schools", "home_office", "no_hoa", "single_story", "waterfront", "yard",
    ]
    got = extract([("<", "ranch style with a finished basement, newly built, updated kitchen")])
    assert sorted(got["must_haves"]) == [
        "basement", "new_construction", "single_story", "updated_kitchen",
    ]


def test_declined_feature_is_left_out(extract: Extract) -> None:
    got = extract([("<", "2 car garage for sure, we don't need a pool")])
    assert got["must_haves"] == ["garage"]


def test_withdrawn_feature_is_removed(extract: Extract) -> None:
    got = extract([("<", "must have a pool and a basement"), ("<", "actually forget the pool")])
    assert got["must_haves"] == ["basement"]


def test_hedged_wishes_are_not_must_haves(extract: Extract) -> None:
    got = extract([("<", "a pool would be nice, garage if possible, bonus if it has a basement. "
                         "good schools are a must")])
    assert got["must_haves"] == ["good_schools"]


def test_answer_to_what_are_you_looking_for(extract: Extract) -> None:
    got = extract([(">", "What are you looking for in the next home?"), ("<", "garage and yard")])
    assert sorted(got["must_haves"]) == ["garage", "yard"]


def test_hoa_rules_are_not_no_hoa(extract: Extract) -> None:
    assert "must_haves" not in extract([("<", "hoa under 200 a month is fine")])
