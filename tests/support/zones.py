"""Time zones chosen so that a test's outcome does not depend on the hour it runs at."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def zone_at(lo: int, hi: int) -> str:
    """An IANA zone whose local hour is now in [lo, hi)."""
    for offset in range(-12, 15):
        name = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
        if lo <= datetime.now(UTC).astimezone(ZoneInfo(name)).hour < hi:
            return name
    raise AssertionError(f"no zone between {lo}:00 and {hi}:00")


def midday_zone() -> str:
    """Local time now between 11:00 and 17:00: no quiet hours hold a text."""
    return zone_at(11, 17)
