"""The demo's lead journey runs at any hour: its lead is where it is daytime (no quiet hours
hold a text), and the calendar's free slots are in the next days, offered in a known order
(so "the second one" names tomorrow at 14:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devtools.demo.journey import ZONES, daytime_zone, free_slots
from workers.booking.slots import pick


@pytest.mark.parametrize("hour", range(24))
def test_the_lead_is_in_daytime_and_offered_the_next_days(hour: int) -> None:
    now = datetime(2026, 12, 7, hour, 30, tzinfo=UTC)
    zone = daytime_zone(now)
    local = now.astimezone(ZoneInfo(zone))
    assert 11 <= local.hour < 17
    slots = free_slots(zone, now)
    assert [(s.date() - local.date(), s.hour) for s in slots] == [
        (timedelta(days=1), 10), (timedelta(days=1), 14), (timedelta(days=2), 11)]
    assert pick(slots, now, tz=zone) == slots  # offered as listed: the second is 14:00


def test_a_named_zone_is_preferred_to_an_etc_one() -> None:
    assert daytime_zone(datetime(2026, 7, 1, 19, tzinfo=UTC)) == ZONES[0]  # 13:00 in Denver
