"""The first touch's pure core: what is known of a new lead, the message in its language,
and the rows a fired timer claims (a held draft goes to the agent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.consent.reply_check import Finding, ReplyCheck
from workers.responder import first_touch, guards
from workers.responder.compose import Composition
from workers.responder.first_touch import Opener, Touch
from workers.responder.modes import fallback_text
from workers.timers.core import Timer

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TIMER = Timer("loc", "first_touch:c1", "c1", "first_touch", NOW - timedelta(seconds=2),
              "firing", 1, NOW, causation_id="ev-create")


@pytest.mark.parametrize(("fields", "expected"), [
    ({"f1": "I'm interested in 1234 Oak Street, Austin"}, "1234 Oak Street"),
    ({"f1": "pre-approved", "f2": "55 W. Elm Ave."}, "55 W. Elm Ave"),
    ({"f1": "3 bedrooms"}, None),  # a number, no street
    ({"f1": 1234}, None),
    ({}, None),
])
def test_property_of(fields: dict[str, object], expected: str | None) -> None:
    assert first_touch.property_of(fields) == expected


@pytest.mark.parametrize(("tags", "fields", "expected"), [
    (["Spanish"], {}, "es"),
    (["buyer", "español"], {}, "es"),
    ([], {"xYz12": "Español"}, "es"),
    ([], {"xYz12": "English"}, "en"),
    (["es-lead"], {"f": "es tu casa"}, "en"),  # only a whole value says the language
    ([], {}, "en"),
])
def test_language_of(tags: list[str], fields: dict[str, object], expected: str) -> None:
    assert first_touch.language_of(tags, fields) == expected


@pytest.mark.parametrize(("opener", "text"), [
    (Opener("Ana", "Zillow", "1234 Oak Street"),
     "Hi Ana, this is Acme Realty. Thanks for your interest in 1234 Oak Street! Would you "
     "like to see it, or should I send you a few similar homes?"),
    (Opener("Ana", "Website Form"),
     "Hi Ana, this is Acme Realty. Thanks for reaching out through Website Form! Are you "
     "looking to buy, sell, or both, and in which area?"),
    (Opener(None, None),
     "Hi, this is Acme Realty. Thanks for reaching out! Are you looking to buy, sell, or "
     "both, and in which area?"),
    (Opener("Luis", "Zillow", "55 Elm Ave", "es"),
     "Hola Luis, le escribe Acme Realty. ¡Gracias por su interés en 55 Elm Ave! ¿Le gustaría "
     "verla, o prefiere que le envíe algunas casas similares?"),
])
def test_opener_text(opener: Opener, text: str) -> None:
    assert first_touch.opener_text(opener, "Acme Realty") == text


def test_the_plan_carries_the_goal_and_the_fallback_text() -> None:
    o = Opener.of("  Ana ", "Zillow", ["Spanish"], {"f": "1 Main St"})
    plan = first_touch.plan(o, "Acme")
    assert plan.mode == "first_touch"
    assert "1 Main St" in plan.goal and "Zillow" in plan.goal and "Spanish" in plan.goal
    assert fallback_text(plan, "Ana") == plan.opener == first_touch.opener_text(o, "Acme")
    assert plan.opener is not None and plan.opener.startswith("Hola Ana")


def test_a_draft_to_send_is_keyed_by_the_timer_and_held_to_the_morning() -> None:
    touch = Touch(TIMER, "sms", NOW)
    morning = NOW + timedelta(hours=9)
    row = first_touch.composed(touch, guards.Verdict("reply", "ok", morning),
                               Composition("Hi Ana!", "not_configured"), None)
    assert row.idempotency_key == "timer:first_touch:c1" and row.reply_to_message_id is None
    assert row.status == "drafted" and row.send_after == morning and row.mode == "first_touch"
    [event] = row.published
    assert event["type"] == "reply.drafted" and event["send_after"] is not None
    assert event["idempotency_key"] == row.idempotency_key
    assert event["causation_id"] == "ev-create"
    assert datetime.fromisoformat(event["received_at"]) == TIMER.due_at  # the lead's arrival
    again = first_touch.composed(Touch(TIMER, "sms", NOW + timedelta(seconds=5)),
                                 guards.Verdict("reply", "ok"), Composition("x", "ok"), None)
    assert again.event_id == row.event_id  # a second fire derives the same ids


def test_a_draft_the_reply_check_stopped_goes_to_the_agent() -> None:
    check = ReplyCheck((Finding("phone", "555-0100"),))
    row = first_touch.composed(Touch(TIMER, "sms", NOW), guards.Verdict("reply", "ok"),
                               Composition("Call 555-0100", "ok", "claude"), check)
    assert row.status == "suppressed" and row.suppressed_reason == "reply_check:phone"
    [note] = row.published
    assert note["type"] == "agent.assist" and note["reason"] == "reply_held"
    assert "Call 555-0100" in note["note"]


def test_a_suppressed_first_touch_publishes_nothing() -> None:
    row = first_touch.suppressed(Touch(TIMER, "sms", NOW), "dnd")
    assert row.status == "suppressed" and row.suppressed_reason == "dnd"
    assert row.published == [] and row.body == ""
