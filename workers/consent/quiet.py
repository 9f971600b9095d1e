"""Quiet hours: when an automated text may reach a lead, in the lead's own time zone (pure).

Everything here is a *quiet window*: "no automated texts from `start` until `end`, local
time", crossing midnight when `end` is not after `start` (21:00-08:00 is one night). The law
gives one (outside its send hours: the federal 8:00-21:00, or a stricter state's), a tenant
may add its own, and a text may go out only when no window covers the moment: a tenant can
be stricter than the law, never looser. The state windows are data with their source, not
code; a contact without a state is presumed to live where its phone's area code is (as
Florida's act presumes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workers.consent.areacodes import FLORIDA_AREA_CODES, area_code, timezone_for_phone

# Channels where quiet hours apply: automated texts (email and web chat answer at once).
QUIET_CHANNELS = frozenset({"sms", "whatsapp"})
FALLBACK_TZ = "America/New_York"


@dataclass(frozen=True)
class QuietWindow:
    """No automated texts from `start` until `end` (local time of the lead)."""

    start: time
    end: time

    def covers(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class LegalHours:
    """Where calling/texting hours are set by law: texts only from `send_from` until
    `send_until` local time."""

    region: str
    send_from: time
    send_until: time
    source: str
    names: tuple[str, ...] = ()
    area_codes: frozenset[str] = frozenset()

    @property
    def quiet(self) -> QuietWindow:
        return QuietWindow(self.send_until, self.send_from)


FEDERAL = LegalHours("US", time(8), time(21), "TCPA, 47 CFR 64.1200(c)(1)")
STATE_HOURS: tuple[LegalHours, ...] = (
    LegalHours("FL", time(8), time(20),
               "Florida Telephone Solicitation Act, Fla. Stat. 501.616(6)(a) (2021)",
               names=("FL", "FLORIDA"), area_codes=FLORIDA_AREA_CODES),
    LegalHours("MD", time(8), time(20),
               "Maryland Stop the Spam Calls Act, Md. Code Com. Law 14-4503 (2023)",
               names=("MD", "MARYLAND"),
               area_codes=frozenset({"240", "301", "410", "443", "667"})),
)


def legal_hours(state: str | None, phone: str | None) -> LegalHours:
    """The stricter state's hours for the contact's state, else for its phone's area code,
    else the federal ones."""
    name = (state or "").strip().upper()
    for hours in STATE_HOURS:
        if name in hours.names:
            return hours
    if not name:
        code = area_code(phone)
        for hours in STATE_HOURS:
            if code in hours.area_codes:
                return hours
    return FEDERAL


def quiet_windows(state: str | None, phone: str | None,
                  tenant: QuietWindow | None) -> tuple[QuietWindow, ...]:
    """Every window that holds a text to this contact: the law's, and the tenant's own."""
    law = legal_hours(state, phone).quiet
    return (law,) if tenant is None else (law, tenant)


def tenant_window(start: time | None, end: time | None) -> QuietWindow | None:
    """The tenant's own window from its settings (both ends set and different), else None."""
    if start is None or end is None or start == end:
        return None
    return QuietWindow(start, end)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def lead_timezone(contact_tz: str | None, phone: str | None, tenant_tz: str | None) -> ZoneInfo:
    """The contact's zone, else the phone's area code, else the tenant's, else Eastern."""
    for name in (contact_tz, timezone_for_phone(phone), tenant_tz):
        zone = _zone(name)
        if zone is not None:
            return zone
    return ZoneInfo(FALLBACK_TZ)


def is_quiet(moment: datetime, zone: ZoneInfo, windows: Sequence[QuietWindow]) -> bool:
    local = moment.astimezone(zone).time()
    return any(w.covers(local) for w in windows)


def next_open(now: datetime, zone: ZoneInfo,
              windows: Sequence[QuietWindow]) -> datetime | None:
    """`now` when no window covers it, else the first moment after it that none covers;
    None when the windows together cover the whole day (nothing may ever be sent)."""
    if not is_quiet(now, zone, windows):
        return now
    day = now.astimezone(zone).date()
    candidates = sorted(
        opens for offset in range(3) for w in windows
        if (opens := datetime.combine(day + timedelta(days=offset), w.end, tzinfo=zone)) > now
    )
    for opens in candidates:
        if not is_quiet(opens, zone, windows):
            return opens
    return None
