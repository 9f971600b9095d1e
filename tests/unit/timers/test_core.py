"""The timers' pure core as tables: what a lead's event does to its timers, when a timer may
be claimed, which new contacts get a first touch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.timers.core import (
    EVENT_KINDS,
    MAX_ATTEMPTS,
    Change,
    LeadEvent,
    State,
    Timer,
    after_claim,
    changes_for,
    claimable,
    first_touch_id,
    reply_key,
    wants_first_touch,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)


def timer(kind: Any = "first_touch", state: State = "pending", *, tid: str = "t1",
          due: datetime = T0, claimed: datetime | None = None, attempt: int = 0,
          **payload: Any) -> Timer:
    return Timer("loc", tid, "c1", kind, due, state, attempt, claimed, payload)


@pytest.mark.parametrize("event", EVENT_KINDS)
def test_every_event_cancels_an_open_first_touch(event: Any) -> None:
    for state in ("pending", "firing"):
        got = changes_for([timer(state=state)], LeadEvent(event, T0))
        assert got == [Change("t1", "cancel", event)]


@pytest.mark.parametrize("state", ["done", "cancelled", "failed"])
def test_a_closed_timer_is_left_alone(state: State) -> None:
    assert changes_for([timer(state=state)], LeadEvent("inbound", T0)) == []


@pytest.mark.parametrize(("event", "payload", "expected"), [
    # a follow-up with a reset delay is moved by the lead's message (the cadence restarts)
    ("inbound", {"reset_after_s": 3600}, Change("t1", "move", "inbound",
                                                T0 + timedelta(hours=1))),
    ("inbound", {}, Change("t1", "cancel", "inbound")),  # no delay known: cancelled
    ("takeover", {"reset_after_s": 3600}, Change("t1", "cancel", "takeover")),
    ("booked", {"reset_after_s": 3600}, Change("t1", "cancel", "booked")),
    ("opted_out", {"reset_after_s": 3600}, Change("t1", "cancel", "opted_out")),
    ("not_interested", {"reset_after_s": 60}, Change("t1", "cancel", "not_interested")),
    ("agent_message", {"reset_after_s": 60}, Change("t1", "cancel", "agent_message")),
])
def test_what_an_event_does_to_a_follow_up(event: Any, payload: dict[str, Any],
                                           expected: Change) -> None:
    assert changes_for([timer("follow_up", **payload)], LeadEvent(event, T0)) == [expected]


def test_each_open_timer_of_the_lead_is_changed() -> None:
    timers = [timer(tid="a"), timer("follow_up", tid="b", reset_after_s=60),
              timer(tid="c", state="done")]
    assert changes_for(timers, LeadEvent("inbound", T0)) == [
        Change("a", "cancel", "inbound"),
        Change("b", "move", "inbound", T0 + timedelta(seconds=60))]


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lead event"):
        changes_for([timer()], LeadEvent("bought", T0))  # type: ignore[arg-type]


@pytest.mark.parametrize(("t", "now", "expected"), [
    (timer(due=T0), T0, True),  # due now
    (timer(due=T0), T0 - timedelta(seconds=1), False),  # not yet
    (timer(state="firing", claimed=T0), T0 + LEASE - timedelta(seconds=1), False),  # leased
    (timer(state="firing", claimed=T0), T0 + LEASE, True),  # its replica died: again
    (timer(state="firing", claimed=None), T0 + LEASE, False),
    (timer(state="done"), T0 + LEASE, False),
    (timer(state="cancelled"), T0 + LEASE, False),
    (timer(state="failed"), T0 + LEASE, False),
])
def test_claimable(t: Timer, now: datetime, expected: bool) -> None:
    assert claimable(t, now, LEASE) is expected


@pytest.mark.parametrize(("attempt", "state"), [
    (0, "firing"), (MAX_ATTEMPTS - 1, "firing"), (MAX_ATTEMPTS, "failed"),
])
def test_a_timer_claimed_too_often_fails(attempt: int, state: State) -> None:
    assert after_claim(timer(attempt=attempt)) == state


@pytest.mark.parametrize(("live", "sources", "source", "expected"), [
    (True, ["Website Form", "Zillow"], "Website Form", True),
    (True, ["Website Form", "Zillow"], "website  form", True),  # case and spaces
    (True, ["Website Form", "Zillow"], "ZILLOW", True),
    (True, ["Website Form", "Zillow"], "Realtor.com", False),  # not listed
    (True, ["Website Form"], "Website", False),  # whole names only
    (True, [], "Website Form", False),  # default: only leads who wrote first
    (True, ["Website Form"], None, False),
    (True, ["Website Form"], "  ", False),
    (False, ["Website Form"], "Website Form", False),  # installed, not live yet
])
def test_wants_first_touch(live: bool, sources: list[str], source: str | None,
                           expected: bool) -> None:
    assert wants_first_touch(live, sources, source) is expected


def test_ids_are_derived_so_a_redelivery_finds_the_same() -> None:
    assert first_touch_id("c1") == first_touch_id("c1") == "first_touch:c1"
    assert reply_key("first_touch:c1") == "timer:first_touch:c1"
