"""Public API: models, to_spec_dict, per-field sources, extract_case and the CLI runner."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from workers.learning.extract import (
    Area,
    LeadProfile,
    Message,
    extract_case,
    extract_profile,
    extract_profile_with_sources,
)
from workers.learning.extract_cli import run

CASE = {
    "id": "t-1",
    "now": "2026-03-01T12:00:00Z",
    "areas": [{"name": "Cary", "aliases": ["cary"]}],
    "messages": [
        {"direction": "outbound", "body": "Buying or selling?"},
        {"direction": "inbound", "body": "buying in cary, up to 400k"},
    ],
    "expect": {"intent": "sell"},
}


def test_to_spec_dict_drops_empty_fields() -> None:
    profile = LeadProfile(intent="buy", bathrooms_min=2.0, locations=[], has_agent=False)
    assert profile.to_spec_dict() == {"intent": "buy", "bathrooms_min": 2}


def test_profile_rejects_values_outside_the_enumerations() -> None:
    with pytest.raises(ValidationError):
        LeadProfile.model_validate({"intent": "lease"})


def test_messages_and_areas_are_frozen() -> None:
    message = Message(direction="inbound", body="hi")
    with pytest.raises(ValidationError):
        message.body = "changed"  # type: ignore[misc]  # frozen on purpose: must be refused
    assert Area(name="Cary", aliases=("cary",)).aliases == ("cary",)


def test_sources_point_at_the_message_that_last_set_each_field() -> None:
    messages = [
        Message(direction="inbound", body="want 3 beds in cary"),
        Message(direction="outbound", body="Budget?"),
        Message(direction="inbound", body="450"),
        Message(direction="inbound", body="actually 4 beds"),
    ]
    areas = [Area(name="Cary", aliases=("cary",))]
    profile, sources = extract_profile_with_sources(messages, areas, datetime.now(UTC))
    assert profile.bedrooms_min == 4
    assert sources == {"bedrooms_min": 3, "locations": 0, "budget_max": 2}


def test_extract_is_deterministic_and_pure() -> None:
    messages = [Message(direction="inbound", body="STOP")]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert extract_profile(messages, [], now) == extract_profile(messages, [], now)


def test_extract_case_ignores_expect() -> None:
    assert extract_case(CASE) == {"id": "t-1", "intent": "buy", "budget_max": 400_000,
                                  "locations": ["Cary"]}


def test_cli_processes_good_lines_and_reports_bad_ones() -> None:
    stdin = io.StringIO(json.dumps(CASE) + "\n{not json\n\n" + json.dumps({**CASE, "id": "t-2"}))
    stdout, stderr = io.StringIO(), io.StringIO()
    assert run(stdin, stdout, stderr) == 1
    ids = [json.loads(line)["id"] for line in stdout.getvalue().splitlines()]
    assert ids == ["t-1", "t-2"]
    assert "line 2" in stderr.getvalue()


def test_cli_success_exit_status() -> None:
    stdout = io.StringIO()
    assert run(io.StringIO(json.dumps(CASE) + "\n"), stdout, io.StringIO()) == 0
