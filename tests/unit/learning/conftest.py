"""Shared helpers for the lead-profile extractor tests: made-up areas and a runner."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pytest

from workers.learning.extract import Area, Message, extract_profile

AREAS = (
    Area(name="Cary", aliases=("cary",)),
    Area(name="Apex", aliases=("apex",)),
    Area(name="Holly Springs", aliases=("holly springs", "hs")),
    Area(name="Morrisville", aliases=("morrisville",)),
    Area(name="Downtown Raleigh", aliases=("downtown raleigh", "downtown", "dtr")),
    Area(name="Garner", aliases=("garner",)),
    Area(name="Land Park", aliases=("land park",)),
    Area(name="Fuquay-Varina", aliases=("fuquay-varina", "fuquay")),
)

Turn = tuple[str, str]
Extract = Callable[..., dict[str, Any]]


def run(turns: Sequence[Turn], now: str = "2026-01-01T12:00:00Z") -> dict[str, Any]:
    """Profile (SPEC dict) of a conversation given as ("<" inbound | ">" outbound, body)."""
    messages = [
        Message(direction="outbound" if who == ">" else "inbound", body=body)
        for who, body in turns
    ]
    when = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return extract_profile(messages, AREAS, when).to_spec_dict()


@pytest.fixture
def extract() -> Extract:
    """The conversation runner, as a fixture so test modules need no imports from here."""
    return run
