"""`workers.tenants.validate`: settings as typed -> the model's values, or a clear refusal."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from workers.learning.extract.model import Area
from workers.tenants import validate
from workers.tenants.model import SETTINGS_FIELDS
from workers.tenants.validate import SettingsError

GOOD: list[tuple[Any, str, dict[str, Any]]] = [
    (validate.model, " claude-x ", {"claude_model": "claude-x"}),
    (validate.persona, "Warm, concise.", {"persona": "Warm, concise."}),
    (validate.service_areas, '["Austin", {"name": "Round Rock", "aliases": ["RR"]}]',
     {"service_areas": (Area(name="Austin"), Area(name="Round Rock", aliases=("RR",)))}),
    (validate.service_areas, "[]", {"service_areas": ()}),
    (validate.quiet_hours, "21:00-08:00",
     {"no_texts_from": time(21), "no_texts_until": time(8)}),
    (validate.quiet_hours, "off", {"no_texts_from": None, "no_texts_until": None}),
    (validate.channels, "sms, email", {"reply_channels": frozenset({"sms", "email"})}),
    (validate.timezone, "America/Chicago", {"timezone": "America/Chicago"}),
    (validate.allowed_domains, "Acme.com, https://www.listings.example/x, acme.com",
     {"allowed_link_domains": ("acme.com", "listings.example")}),
    (validate.allowed_domains, "off", {"allowed_link_domains": ()}),
    (validate.own_phones, "+1 (512) 555-0111, 512-555-0112",
     {"own_phones": ("+1 (512) 555-0111", "512-555-0112")}),
    (validate.own_emails, "Hello@Acme.com", {"own_emails": ("hello@acme.com",)}),
    (validate.allowed_phrases, '["free buyer consultation", "consulta  gratis"]',
     {"allowed_phrases": ("free buyer consultation", "consulta gratis")}),
    (validate.crm_switches, "tasks=off, fields=on", {"crm_tasks": False, "crm_fields": True}),
    (validate.custom_fields, '{"budget_max": "fld1", "timeline": " fld2 "}',
     {"crm_custom_fields": {"budget_max": "fld1", "timeline": "fld2"}}),
    (validate.score_tags, '{"hot": "A", "warm": "B", "cold": "C"}',
     {"crm_tag_names": {"hot": "A", "warm": "B", "cold": "C"}}),
    (validate.crm_default_user, "  ", {"crm_default_user": None}),
    (validate.crm_opted_out_tag, " DNC ", {"crm_opted_out_tag": "DNC"}),
    (validate.crm_opted_out_tag, "", {"crm_opted_out_tag": ""}),  # no opted-out tag
    (validate.message_retention_days, "30", {"message_retention_days": 30}),
    (validate.message_retention_days, "off", {"message_retention_days": None}),
]


@pytest.mark.parametrize(("check", "text", "expected"), GOOD)
def test_what_is_accepted_and_what_it_sets(check: Any, text: str,
                                            expected: dict[str, Any]) -> None:
    changes = check(text)
    assert changes == expected
    assert set(changes) <= set(SETTINGS_FIELDS)  # every change is a column of the model


BAD: list[tuple[Any, str, str]] = [
    (validate.model, "  ", "--model must not be empty"),
    (validate.service_areas, "Austin", "not JSON"),
    (validate.service_areas, '{"name": "x"}', "must be a JSON list"),
    (validate.service_areas, '[{"aliases": ["x"]}]', "is not a name"),
    (validate.quiet_hours, "9pm-8am", "expected HH:MM-HH:MM"),
    (validate.quiet_hours, "21:00-21:00", "the same time"),
    (validate.quiet_hours, "07:00-22:00", "leaves no time"),  # with 21-08 legal: never open
    (validate.channels, "sms,pigeon", "unknown pigeon"),
    (validate.channels, " , ", "(none given)"),
    (validate.timezone, "Mars/Olympus", "unknown time zone"),
    (validate.allowed_domains, "acme", "is not a domain"),
    (validate.own_phones, "call me", "is not a phone number"),
    (validate.own_phones, "123", "is not a phone number"),
    (validate.own_emails, "hello-at-acme.com", "is not an email address"),
    (validate.allowed_phrases, "free consultation", "is not JSON"),
    (validate.allowed_phrases, '{"a": 1}', "JSON list of strings"),
    (validate.allowed_phrases, '["ok", "fee"]', "at least 4 characters"),
    (validate.crm_switches, "task=on", "is not KIND=on|off"),
    (validate.crm_switches, "tags=maybe", "is not KIND=on|off"),
    (validate.crm_switches, "off", "give KIND=on|off"),
    (validate.custom_fields, '{"shoe_size": "f"}', "not profile fields"),
    (validate.custom_fields, "[1]", "JSON object of names to strings"),
    (validate.score_tags, '{"hot": "A", "warm": "A", "cold": "C"}', "three different"),
    (validate.message_retention_days, "0", "whole number of days"),
    (validate.message_retention_days, "a week", "whole number of days"),
]


@pytest.mark.parametrize(("check", "text", "says"), BAD)
def test_what_is_refused_and_why(check: Any, text: str, says: str) -> None:
    with pytest.raises(SettingsError, match=None) as info:
        check(text)
    assert says in str(info.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("Website Form,Zillow", ("Website Form", "Zillow")),
    (" Website   Form , zillow,ZILLOW ", ("Website Form", "zillow")),  # once, whatever case
    ("off", ()),
    ("none", ()),
])
def test_first_touch_sources(text: str, expected: tuple[str, ...]) -> None:
    assert validate.first_touch_sources(text) == {"first_touch_sources": expected}


def test_first_touch_sources_too_long() -> None:
    with pytest.raises(SettingsError, match="--first-touch-sources"):
        validate.first_touch_sources("x" * 101)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT1H,P1D,P3D,P7D,P14D", (3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400)),
    ("PT5S,PT10S", (5, 10)), ("off", ()),
])
def test_follow_ups(text: str, expected: tuple[int, ...]) -> None:
    assert validate.follow_ups(text) == {"follow_ups": expected}


@pytest.mark.parametrize("text", ["1 hour", "P1D,PT0S", "P2Y"])
def test_follow_ups_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="--follow-ups"):
        validate.follow_ups(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("cal_8Hx2k-1", "cal_8Hx2k-1"), (" abc ", "abc"), ("off", None), ("", None)])
def test_calendar(text: str, expected: str | None) -> None:
    assert validate.calendar(text) == {"calendar_id": expected}


@pytest.mark.parametrize("text", ["cal 1", "a/b", "x" * 65])
def test_calendar_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="--calendar"):
        validate.calendar(text)
