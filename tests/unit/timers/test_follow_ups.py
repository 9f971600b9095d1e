"""The follow-ups' pure core as tables: durations, cadence, spacing by timeline, which step a
delivered text schedules, what ends a search, and the stop rules' order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.timers import follow_ups as fu
from workers.timers.follow_ups import DAY, StopFacts

AT = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT1H", 3600), ("P1D", DAY), ("P3D", 3 * DAY), ("P2W", 14 * DAY), ("PT30S", 30),
    ("PT1H30M", 5400), ("P1DT12H", DAY + 12 * 3600), ("pt5s", 5), (" P7D ", 7 * DAY),
    ("P1M", 30 * DAY), ("P1Y", 365 * DAY), ("PT0S", 0),
])
def test_iso_durations_are_read(text: str, seconds: int) -> None:
    assert fu.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["1 day", "-PT1H", "P", "PT", "P1H", "1h", "P1.5D", "", "PT1"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        fu.parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (3600, "PT1H"), (DAY, "P1D"), (DAY + 90, "P1DT1M30S"), (5, "PT5S"), (0, "PT0S"),
])
def test_seconds_are_written_back_as_durations(seconds: int, text: str) -> None:
    assert fu.iso(seconds) == text
    assert fu.parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "cadence"), [
    ("PT1H,P1D,P3D,P7D,P14D", (3600, DAY, 3 * DAY, 7 * DAY, 14 * DAY)),
    ("PT5S, PT10S", (5, 10)), ("off", ()), ("", ()), ("none", ()),
])
def test_a_cadence_is_read(text: str, cadence: tuple[int, ...]) -> None:
    assert fu.parse_cadence(text) == cadence


@pytest.mark.parametrize(("text", "error"), [
    ("PT0S", "more than nothing"), ("P400D", "at most a year"), ("P1D,soon", "ISO 8601"),
    (",".join(["P1D"] * 11), "at most 10"),
])
def test_a_bad_cadence_is_refused_with_a_reason(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        fu.parse_cadence(text)


@pytest.mark.parametrize(("step", "timeline", "delay"), [
    (0, None, 3600), (1, None, DAY), (0, "asap", 3600), (0, "1_3_months", 3600),
    (0, "3_6_months", 7 * DAY), (2, "3_6_months", 7 * DAY), (0, "6_12_months", 14 * DAY),
    (0, "12_plus_months", 30 * DAY), (0, "browsing", 14 * DAY), (3, None, None),
    (-1, None, None),
])
def test_each_step_waits_its_delay_or_the_timelines_floor(step: int, timeline: str | None,
                                                         delay: int | None) -> None:
    assert fu.delay((3600, DAY, 3 * DAY), step, timeline) == delay


def test_a_long_step_is_not_shortened_by_the_floor() -> None:
    assert fu.delay((60 * DAY,), 0, "12_plus_months") == 60 * DAY


@pytest.mark.parametrize(("key", "step"), [
    ("timer:first_touch:c1", 0), ("msg-123", 0), ("reply:abc", 0),
    ("timer:follow_up:0:c1:timer:first_touch:c1", 1),
    ("timer:follow_up:4:c1:reply-9", 5),
    ("timer:follow_up:x:c1:reply-9", 0),  # not a step: treated as a reply
])
def test_the_step_a_delivered_text_schedules(key: str, step: int) -> None:
    assert fu.next_step(key) == step


def test_the_step_read_back_from_a_timer_id_roundtrips() -> None:
    timer_id = fu.follow_up_id("c:1", 2, "timer:first_touch:c:1")
    assert fu.step_of("timer:" + timer_id) == 2


@pytest.mark.parametrize(("key", "mode", "timeline", "expected"), [
    ("reply-1", "buyer_qualification", None, (0, AT + timedelta(hours=1))),
    ("timer:first_touch:c1", "first_touch", None, (0, AT + timedelta(hours=1))),
    ("timer:follow_up:0:c1:r", "follow_up", None, (1, AT + timedelta(days=1))),
    ("timer:follow_up:2:c1:r", "follow_up", None, None),  # the last step was sent
    ("reply-1", "opt_out_confirmation", None, None),
    ("reply-1", "handoff", None, None),
    ("reply-1", "booking_confirmed", None, None),
    ("reply-1", None, "12_plus_months", (0, AT + timedelta(days=30))),
])
def test_what_a_delivered_text_schedules(key: str, mode: str | None, timeline: str | None,
                                        expected: tuple[int, datetime] | None) -> None:
    nxt = fu.after_delivery((3600, DAY, 3 * DAY), key, mode, timeline, AT)
    assert (None if nxt is None else (nxt.step, nxt.due_at)) == expected
    if nxt is not None:
        assert nxt.steps == 3


@pytest.mark.parametrize(("wrote", "scheduled"), [
    (None, True),
    (AT - timedelta(minutes=5), True),  # the message our text answered
    (AT + timedelta(seconds=30), False),  # the lead answered before the delivery was reported
])
def test_a_delivery_reported_after_the_leads_answer_schedules_nothing(
        wrote: datetime | None, scheduled: bool) -> None:
    nxt = fu.after_delivery((3600,), "reply-1", "buyer_qualification", None, AT, wrote)
    assert (nxt is not None) is scheduled


def test_no_cadence_schedules_nothing() -> None:
    assert fu.after_delivery((), "reply-1", None, None, AT) is None


@pytest.mark.parametrize(("text", "said"), [
    ("We already bought a place last week, thanks!", "done"),
    ("we just closed on a house in Hutto", "done"),
    ("Found a home already, thank you", None),  # no subject or 'already' before: unsure
    ("We found a place!", "done"),
    ("I signed a lease downtown", "done"),
    ("not looking anymore", "done"),
    ("No longer in the market, sorry", "done"),
    ("we stopped looking for now", "done"),
    ("Ya compramos casa, gracias", "done"),
    ("ya encontramos algo", "done"),
    ("Ya no estamos buscando", "done"),
    ("changed our minds, staying put", "not_interested"),
    ("Not interested", "not_interested"),
    ("no nos interesa, gracias", "not_interested"),
    ("Cambiamos de idea", "not_interested"),
    ("not interested in that one, too small", None),
    ("no me interesa esa, muy cara", None),
    ("Once we've sold ours we'll buy", None),
    ("Before we bought our first home we rented", None),
    ("We haven't found anything yet", None),
    ("If we found something under 400 we'd move", None),
    ("still looking, 3 bed in Round Rock", None),
    ("Todavía no encontramos nada", None),
    ("I'm interested!", None),
])
def test_what_ends_a_search(text: str, said: str | None) -> None:
    assert fu.closing(text) == said


def facts(**kw: object) -> StopFacts:
    base: dict[str, object] = {"consent_block": None, "step": 0, "steps": 3}
    base.update(kw)
    return StopFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kw", "reason"), [
    ({}, None),
    ({"consent_block": "opted_out"}, "consent"),
    ({"consent_block": "dnd", "booked": True}, "consent"),  # consent first
    ({"takeover": True}, "takeover"),
    ({"booked": True}, "booked"),
    ({"lead_messages": ["hi", "we already bought, thanks"]}, "done"),
    ({"lead_messages": ["we already bought", "thanks!", "ok", "bye"]}, None),  # older than 3
    ({"lead_messages": ["not interested"]}, "not_interested"),
    ({"has_agent": True}, "has_agent"),
    ({"pipeline_lost": True}, "lost"),
    ({"step": 3}, "max_touches"),
    ({"step": 2}, None),
    ({"has_agent": True, "pipeline_lost": True}, "has_agent"),
])
def test_the_stop_rules(kw: dict[str, object], reason: str | None) -> None:
    assert fu.stop_reason(facts(**kw)) == reason


@pytest.mark.parametrize(("due", "step", "steps", "stopped", "line"), [
    (AT, 1, 5, (), "Next follow-up: 2026-12-07 15:00 UTC (2 of 5)"),
    (None, 0, 5, (), "Follow-ups: none scheduled"),
    (AT, 0, 5, ("booked",), "Follow-ups: stopped (booked)"),
])
def test_the_living_notes_line(due: datetime | None, step: int, steps: int,
                               stopped: tuple[str, ...], line: str) -> None:
    assert fu.describe(due, step, steps, stopped) == line
