"""Parsing and mapping of the old file-based memory (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.envelope import derive_event_id
from workers.memory.legacy import (
    LegacyFileError,
    legacy_files,
    map_preferences,
    map_score,
    money,
    parse_lead,
    parse_timestamp,
)

FALLBACK = datetime(2025, 1, 1, tzinfo=UTC)


def legacy(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_id": "c1", "location_id": "loc1",
        "conversation_history": [
            {"role": "assistant", "content": "Hi! Buying or selling?",
             "timestamp": "2025-03-01T10:00:00Z"},
            {"role": "user", "content": "Buying, 3 beds in Austin",
             "timestamp": "2025-03-01T10:05:00"},
        ],
        "extracted_preferences": {"bedrooms": 3, "location": "Austin", "budget": 500000},
        "lead_score": 75, "conversation_stage": "qualifying",
        "previous_sessions_summary": "Talked in 2024  about\nselling a condo.",
    }
    data.update(overrides)
    return data


def parse(data: Any, location: str = "loc1", contact: str = "c1") -> Any:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return parse_lead(raw, location, contact, fallback_at=FALLBACK)


def test_a_file_becomes_messages_facts_and_score() -> None:
    lead = parse(legacy())
    assert [(m.direction, m.sender, m.channel) for m in lead.messages] == [
        ("outbound", "ai", "sms"), ("inbound", "lead", "sms")]
    assert lead.messages[1].at == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)  # naive = UTC
    assert lead.messages[0].event_id == derive_event_id(
        "loc1", "legacy", "c1", "0", "2025-03-01T10:00:00Z")
    assert lead.facts == {"bedrooms_min": 3, "locations": ["Austin"], "budget_max": 500000}
    assert lead.facts_at == lead.messages[-1].at
    assert (lead.score, lead.stage) == ("hot", "qualifying")
    assert lead.summary == "Talked in 2024 about selling a condo."


def test_messages_are_ordered_by_time_and_keep_their_index_in_ids() -> None:
    history = [{"role": "user", "content": "later", "timestamp": 1_740_000_600},
               {"role": "user", "content": "earlier", "timestamp": 1_740_000_000_000,
                "channel": "email"}]
    lead = parse(legacy(conversation_history=history))
    assert [m.body for m in lead.messages] == ["earlier", "later"]
    assert lead.messages[0].channel == "email"  # epoch milliseconds read as such
    assert lead.messages[0].event_id == derive_event_id(
        "loc1", "legacy", "c1", "1", "1740000000000")


def test_no_messages_dates_facts_by_the_fallback() -> None:
    assert parse(legacy(conversation_history=[])).facts_at == FALLBACK


@pytest.mark.parametrize(("prefs", "expected"), [
    ({"bedrooms": "3+", "bathrooms": "2.5", "budget": "450k"},
     {"bedrooms_min": 3, "bathrooms_min": 2.5, "budget_max": 450000}),
    ({"min_budget": "$300,000", "max_budget": "1.2m"},
     {"budget_min": 300000, "budget_max": 1200000}),
    ({"location": "Austin", "areas": ["Round Rock", "Austin"]},
     {"locations": ["Austin", "Round Rock"]}),
    ({"property_type": "condo", "pets": "2 dogs", "budget": "flexible"},
     {"property_type": "condo", "pets": "2 dogs", "budget": "flexible"}),
    ({"bedrooms": None, "location": ""}, {}),
])
def test_preferences_map_to_profile_fields(prefs: dict[str, Any],
                                           expected: dict[str, Any]) -> None:
    assert map_preferences(prefs) == expected


@pytest.mark.parametrize(("score", "label"), [
    (70, "hot"), (69.9, "warm"), (40, "warm"), (39, "cold"), (0, "cold"), ("85", "hot"),
    ("WARM", "warm"), (None, None),
])
def test_scores(score: Any, label: str | None) -> None:
    assert map_score(score) == label


@pytest.mark.parametrize("score", [101, -1, "very hot", True, [50]])
def test_bad_scores_are_errors(score: Any) -> None:
    with pytest.raises(LegacyFileError, match="lead_score"):
        map_score(score)


def test_money() -> None:
    assert [money(v) for v in (500000, "500k", "$1.5M", "450,000", "lots", True)] == [
        500000, 500000, 1500000, 450000, None, None]


@pytest.mark.parametrize(("data", "reason"), [
    (b"{not json", "bad JSON"),
    ("caf\xe9".encode("latin-1"), "not UTF-8"),
    ([1, 2], "not a JSON object"),
    (legacy(contact_id="c2"), "contact_id 'c2' does not match the path"),
    (legacy(location_id="other"), "location_id 'other' does not match"),
    ({"contact_id": "c1", "location_id": "loc1"}, "conversation_history"),
    (legacy(conversation_history=[{"role": "user", "content": "hi"}]), "no 'timestamp'"),
    (legacy(conversation_history=[{"role": "system", "content": "x", "timestamp": 1}]),
     "role 'system'"),
    (legacy(conversation_history=[{"role": "user", "content": "x", "timestamp": "soon"}]),
     "not ISO 8601"),
    (legacy(extracted_preferences=["beds"]), "extracted_preferences"),
    (legacy(lead_score="???"), "lead_score"),
])
def test_unreadable_files_say_why(data: Any, reason: str) -> None:
    with pytest.raises(LegacyFileError, match=reason):
        parse(data)


def test_ids_that_cannot_be_cache_keys_are_refused() -> None:
    with pytest.raises(LegacyFileError, match="cache key"):
        parse(legacy(location_id="a}b"), location="a}b")


def test_timestamps() -> None:
    assert parse_timestamp("2025-03-01T10:00:00+02:00") == datetime(2025, 3, 1, 8, tzinfo=UTC)
    with pytest.raises(LegacyFileError):
        parse_timestamp(None)


def test_files_are_found_one_level_down_only(tmp_path: Path) -> None:
    (tmp_path / "loc1").mkdir()
    (tmp_path / "loc1" / "c1.json").write_text("{}")
    (tmp_path / "loc1" / "notes.txt").write_text("")
    (tmp_path / "stray.json").write_text("{}")
    assert list(legacy_files(tmp_path)) == [(tmp_path / "loc1" / "c1.json", "loc1", "c1")]
