"""What a lead search matches, and a lead's timeline and fact history (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.console import search, timeline

T = datetime(2026, 12, 7, 9, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "text", "pattern", "digits"), [
    ("", "", "%%", ""),
    ("  Ana   Diaz ", "Ana Diaz", "%Ana Diaz%", ""),
    ("ana@example.com", "ana@example.com", "%ana@example.com%", ""),
    ("100%_off\\", "100%_off\\", "%100\\%\\_off\\\\%", ""),
    ("(512) 555-0100", "(512) 555-0100", "%(512) 555-0100%", "5125550100"),
    ("+1 512", "+1 512", "%+1 512%", "1512"),
    ("12", "12", "%12%", ""),  # too few digits for a phone
    ("Unit 12", "Unit 12", "%Unit 12%", ""),  # words: not a phone
])
def test_parse(typed: str, text: str, pattern: str, digits: str) -> None:
    q = search.parse(typed)
    assert (q.text, q.pattern, q.digits) == (text, pattern, digits)


def test_timeline_orders_messages_and_activity() -> None:
    messages = [{"occurred_at": T + timedelta(minutes=2), "body": "b"},
                {"occurred_at": T, "body": "a"}]
    activity = [{"occurred_at": T, "title": "showing"},
                {"occurred_at": T + timedelta(minutes=1), "title": "task"}]
    items = timeline.merged(messages, activity)
    assert [(i.kind, i.row.get("body") or i.row.get("title")) for i in items] == [
        ("message", "a"), ("activity", "showing"), ("activity", "task"), ("message", "b")]


def test_facts_by_field_newest_first() -> None:
    facts = [{"field": "budget_max", "valid_from": T, "value": 400000},
             {"field": "area", "valid_from": T, "value": "Austin"},
             {"field": "budget_max", "valid_from": T + timedelta(days=1), "value": 450000},
             {"field": "budget_max", "valid_from": T + timedelta(days=2), "value": None}]
    out = timeline.by_field(facts)
    assert list(out) == ["area", "budget_max"]
    assert [f["value"] for f in out["budget_max"]] == [None, 450000, 400000]
