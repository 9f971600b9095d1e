"""Quiet hours: when an automated text may reach a lead, in every zone it may be in (pure).

A *quiet window* is "no automated texts from `start` until `end`, local time", crossing
midnight when `end` is not after `start` (21:00-08:00 is one night). The law's hours are data
with their citations (`state_rules`); a tenant may add its own window, in the lead's clock,
and can be stricter than the law, never looser.

A lead's place is never one zone picked from its sources: `whereabouts` collects every
plausible (zone, state) of a contact from all it knows (its GHL zone, state, ZIP, phone area
code; the tenant's zone only when nothing else is known), and `send_window` finds the first
moment every one of them allows, under the rules of `state_rules` (federal + state hours,
Sunday and holiday bans) and the tenant's own window; `daily_cap` is the strictest cap of
texts per rolling 24 hours. `next_open` is the one-zone search `leadmem tenant config
--quiet-hours` uses to refuse a window that, with `FEDERAL_QUIET`, would leave no time at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workers.consent import holidays
from workers.consent.areacodes import (
    STATE_ZONES,
    normalize_state,
    state_for_phone,
    zones_for_phone,
)
from workers.consent.state_rules import FEDERAL_RULE, Combined, combined
from workers.consent.zipcodes import state_for_zip

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


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class LeadHours:
    """When the lead itself asked not to be texted, on its own clock ("no texts after 8pm",
    "not on Sundays"): a daily window and whole weekdays (Monday 0). Stricter than the law
    and the tenant, never looser: it only adds quiet time. Its text form (`str`, `parse`) is
    how the consent ledger stores it: "20:00-00:00", "sun,sat" or "09:00-17:00 sat"."""

    quiet: QuietWindow | None = None
    days_off: frozenset[int] = frozenset()

    def covers(self, local: datetime) -> bool:
        """Whether the lead's own hours forbid a text at `local` (a time on its clock)."""
        if local.weekday() in self.days_off:
            return True
        return self.quiet is not None and self.quiet.covers(local.time().replace(tzinfo=None))

    def __str__(self) -> str:
        days = ",".join(_DAY_NAMES[d] for d in sorted(self.days_off))
        return " ".join(part for part in (str(self.quiet) if self.quiet else "", days) if part)

    @classmethod
    def parse(cls, text: str) -> LeadHours:
        """The hours from their text form; ValueError for anything else."""
        quiet: QuietWindow | None = None
        days: set[int] = set()
        for part in text.split():
            if "-" in part and ":" in part:
                start, _, end = part.partition("-")
                quiet = QuietWindow(time.fromisoformat(start), time.fromisoformat(end))
            else:
                for name in part.split(","):
                    if name not in _DAY_NAMES:
                        raise ValueError(f"{text!r} is not a lead's hours (e.g. 20:00-00:00 sun)")
                    days.add(_DAY_NAMES.index(name))
        if quiet is None and not days:
            raise ValueError(f"{text!r} names no hours")
        return cls(quiet, frozenset(days))


def _federal_quiet() -> QuietWindow:
    window = FEDERAL_RULE.week[0]  # the same every day
    assert window is not None
    return QuietWindow(window[1], window[0])


# The federal hours as a quiet window (no texts 21:00-08:00), from `state_rules.FEDERAL_RULE`:
# what a tenant's own quiet hours are checked against (`leadmem tenant config --quiet-hours`).
FEDERAL_QUIET = _federal_quiet()


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


# --- Every plausible place of a lead, and the first moment all of them allow a text ---------

SEARCH_DAYS = 9  # how far ahead `send_window` looks before it says "never"


@dataclass(frozen=True, order=True)
class Place:
    """One plausible (zone, state) of a lead; state None: no source names one."""

    zone: str
    state: str | None


@dataclass(frozen=True)
class Whereabouts:
    """Every plausible place of a lead. `known` is False when nothing about the contact was
    known and the places are the tenant's (or the fallback) zone with an unknown state."""

    places: tuple[Place, ...]
    known: bool = True

    def __post_init__(self) -> None:
        if not self.places:
            raise ValueError("a lead is somewhere: Whereabouts needs at least one place")

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(sorted({p.zone for p in self.places}))

    @property
    def states(self) -> tuple[str | None, ...]:
        return tuple(sorted({p.state for p in self.places}, key=lambda s: s or ""))


def whereabouts(*, contact_tz: str | None, state: str | None, postal_code: str | None,
                phone: str | None, tenant_tz: str | None) -> Whereabouts:
    """Every plausible (zone, state) of a contact. Each source names states and zones: the
    contact's state field and ZIP each name a state (in every zone that state spans), the
    phone's area code names its state (in every zone the code spans), and the contact's GHL
    zone names a zone. When they disagree all are plausible, and the contact's own zone is
    paired with every named state (its state's law applies at the lead's clock). The
    tenant's zone counts only when the contact tells nothing (then the state is unknown and
    `state_rules.UNKNOWN_RULE` applies); with no valid tenant zone either, America/New_York."""
    places: set[Place] = set()
    states: set[str] = set()
    for named in (normalize_state(state), state_for_zip(postal_code)):
        if named is not None:
            states.add(named)
            places.update(Place(z, named) for z in STATE_ZONES.get(named, ()))
    phone_state = state_for_phone(phone)
    if phone_state is not None:
        states.add(phone_state)
        places.update(Place(z, phone_state) for z in zones_for_phone(phone))
    own = _zone(contact_tz)
    if own is not None and states:
        places.update(Place(own.key, s) for s in states)
    elif own is not None:
        places.add(Place(own.key, None))
    if places:
        return Whereabouts(tuple(sorted(places, key=_place_key)))
    fallback = _zone(tenant_tz)
    return Whereabouts((Place(fallback.key if fallback else FALLBACK_TZ, None),), known=False)


def _place_key(place: Place) -> tuple[str, str]:
    return place.zone, place.state or ""


@lru_cache(maxsize=64)
def _zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _allowed_at(moment: datetime, place: Place, rules: Combined,
                tenant_quiet: QuietWindow | None, lead: LeadHours | None = None) -> bool:
    local = moment.astimezone(_zone_info(place.zone))
    window = rules.week[local.weekday()]
    clock = local.time().replace(tzinfo=None)
    if window is None or not window[0] <= clock < window[1]:
        return False
    if tenant_quiet is not None and tenant_quiet.covers(clock):
        return False
    if lead is not None and lead.covers(local):
        return False
    day = local.date()
    return not any(holidays.is_holiday(calendar, day) for calendar in rules.calendars)


def allowed(moment: datetime, where: Whereabouts, tenant_quiet: QuietWindow | None = None,
            lead: LeadHours | None = None) -> bool:
    """Whether every plausible place of the lead allows an automated text at `moment`."""
    return all(_allowed_at(moment, p, combined(p.state), tenant_quiet, lead)
               for p in where.places)


def _local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` in `zone` as a real instant (a clock time skipped by a daylight-saving
    jump is moved past the jump: 02:30 on the spring-forward day is 03:30)."""
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


def send_window(now: datetime, where: Whereabouts, tenant_quiet: QuietWindow | None,
                lead: LeadHours | None = None) -> datetime | None:
    """`now` when every plausible place of the lead allows a text now (the law's hours and
    day bans there, the tenant's own quiet window and the lead's own hours on that place's
    clock), else the first later moment all of them allow one; None when there is none in
    the next `SEARCH_DAYS` days. Candidates are the moments a place's window opens or the
    tenant's or the lead's window ends, in each zone, day by day: the first allowed moment
    is always one of them (a lead's day off ends when the law's next day opens)."""
    if now.tzinfo is None:
        raise ValueError("send_window needs an aware datetime")
    places = [(p, combined(p.state)) for p in where.places]
    if all(_allowed_at(now, p, rules, tenant_quiet, lead) for p, rules in places):
        return now
    candidates: set[datetime] = set()
    for place, rules in places:
        zone = _zone_info(place.zone)
        today = now.astimezone(zone).date()
        for offset in range(SEARCH_DAYS + 1):
            day = today + timedelta(days=offset)
            window = rules.week[day.weekday()]
            if window is not None:
                candidates.add(_local(day, window[0], zone))
            if tenant_quiet is not None:
                candidates.add(_local(day, tenant_quiet.end, zone))
            if lead is not None and lead.quiet is not None:
                candidates.add(_local(day, lead.quiet.end, zone))
    for moment in sorted(c for c in candidates if c > now):
        if all(_allowed_at(moment, p, rules, tenant_quiet, lead) for p, rules in places):
            return moment.astimezone(now.tzinfo)
    return None


def daily_cap(where: Whereabouts) -> int | None:
    """The strictest cap of automated texts per rolling 24 hours among the lead's plausible
    states; None when no plausible state has one (an unknown state has none)."""
    caps = [c for p in where.places if (c := combined(p.state).daily_cap) is not None]
    return min(caps) if caps else None
