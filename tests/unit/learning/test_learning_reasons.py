"""Motivation and contact flags in the phrasing classes of SPEC's "Language, dates and edges":
indirect relocation, near-family moves, agreements with another agent. Our own sentences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]


def _motivation(extract: Extract, *bodies: str) -> str | None:
    got: str | None = extract([("<", body) for body in bodies]).get("motivation")
    return got


def test_a_job_is_relocation_even_unsaid(extract: Extract) -> None:
    assert _motivation(extract, "we just moved here for a job at the university") == (
        "relocation")
    assert _motivation(extract, "I accepted a position at Duke, starting in May") == (
        "relocation")
    assert _motivation(extract, "got a job offer in raleigh, looking to buy") == "relocation"
    # An offer on a house is no job.
    assert _motivation(extract, "we got an offer on our house yesterday") is None


def test_military_orders(extract: Extract) -> None:
    assert _motivation(extract, "we're PCSing to fort liberty this summer") == "relocation"
    assert _motivation(extract, "husband got orders to camp lejeune") == "relocation"
    assert _motivation(extract, "we get stationed at seymour johnson in june") == "relocation"


def test_near_family_or_back_home_unless_another_reason(extract: Extract) -> None:
    assert _motivation(extract, "moving back to ohio to help my dad") == "relocation"
    assert _motivation(extract, "we'd like to be closer to our grandkids") == "relocation"
    # Another listed reason wins; living near family now is no reason to move.
    assert _motivation(extract, "retiring and moving closer to our grandkids") == "retirement"
    assert _motivation(extract, "the house is too big now, want to be closer to my son") == (
        "downsizing")
    assert _motivation(extract, "we live near my mom already") is None


def test_a_signed_agreement_is_an_agent(extract: Extract) -> None:
    got = extract([("<", "we signed an exclusive buyer agreement with a broker last week")])
    assert got["has_agent"] is True
    got = extract([("<", "our place is listed with Coldwell Banker, just browsing to buy")])
    assert got["has_agent"] is True
    # Asking for an agent to call is wanting a person, not having an agent.
    got = extract([("<", "could you have an agent call me this afternoon?")])
    assert got.get("wants_human") is True and "has_agent" not in got
