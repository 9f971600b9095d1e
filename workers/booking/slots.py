"""Free slots (pure): GHL's free-slots answer read, the few offered to a lead chosen, and the
texts that offer, confirm or re-offer them, in the lead's timezone and language. No I/O.

A slot is a timezone-aware `datetime` (the instant GHL can book). Texts name it in the lead's
timezone, never the machine's, with day and month names from the tables below (no locale):
English "Sat Mar 14 at 10 AM" (minutes only when not :00, "10:30 AM"), Spanish
"sábado 14 de marzo a las 10 a. m." (12-hour clock like the English one, "a la 1 p. m."; day
and month written out because "mar" would be both martes and marzo).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workers.booking.wants import Kind

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")

EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ES_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
ES_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")

_DATE_KEY = re.compile(r"\d{4}-\d{2}-\d{2}")
SPREAD = timedelta(hours=1)  # filling slots on one day: at least this far from a chosen one


def parse_free_slots(body: Mapping[str, Any]) -> list[datetime]:
    """The slots of GHL's `GET /calendars/{id}/free-slots` answer, sorted, each instant once.

    Keys that are dates (`2026-03-14`) hold `{"slots": [ISO 8601 datetime with offset, ...]}`;
    other keys (`traceId`) are ignored. Anything else is a ValueError naming the bad value.
    """
    if not isinstance(body, Mapping):
        raise ValueError(f"free-slots answer is not an object: {body!r}")
    found: dict[datetime, datetime] = {}
    for key, day in body.items():
        if not (isinstance(key, str) and _DATE_KEY.fullmatch(key)):
            continue
        try:
            date.fromisoformat(key)
        except ValueError:
            raise ValueError(f"free-slots key {key!r} is not a date") from None
        if not isinstance(day, Mapping):
            raise ValueError(f"free-slots day {key!r} is not an object: {day!r}")
        slots = day.get("slots")
        if not isinstance(slots, list):
            raise ValueError(f"free-slots day {key!r}: 'slots' is not a list: {slots!r}")
        for raw in slots:
            slot = _slot(key, raw)
            found.setdefault(slot, slot)
    return sorted(found.values())


def _slot(key: str, raw: object) -> datetime:
    if not isinstance(raw, str):
        raise ValueError(f"free-slots day {key!r}: slot {raw!r} is not a string")
    try:
        slot = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"free-slots day {key!r}: slot {raw!r} is not an ISO 8601 datetime"
                         ) from None
    if slot.tzinfo is None or slot.utcoffset() is None:
        raise ValueError(f"free-slots day {key!r}: slot {raw!r} has no UTC offset")
    return slot


def pick(slots: Iterable[datetime], now: datetime, *, n: int = 3,
         min_notice: timedelta = timedelta(hours=2), tz: str | None = None) -> list[datetime]:
    """Up to `n` slots to offer, sorted by time: only slots at least `min_notice` after `now`;
    the earliest slot of each of the first days; when there are fewer days than `n`, the
    next-earliest slots at least an hour from a chosen one; then any. Days are counted in
    `tz` when given (the lead's timezone), else in each slot's own offset."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    _aware("now", now)
    zone = zone_of(tz) if tz is not None else None
    earliest = now + min_notice
    eligible = sorted({s for s in (_aware("slot", s) for s in slots) if s >= earliest})
    chosen: list[datetime] = []
    days: set[date] = set()
    for slot in eligible:
        day = (slot.astimezone(zone) if zone else slot).date()
        if day not in days and len(chosen) < n:
            days.add(day)
            chosen.append(slot)
    for slot in eligible:
        if len(chosen) >= n:
            break
        if slot not in chosen and all(abs(slot - c) >= SPREAD for c in chosen):
            chosen.append(slot)
    for slot in eligible:
        if len(chosen) >= n:
            break
        if slot not in chosen:
            chosen.append(slot)
    return sorted(chosen)


def describe(slot: datetime, tz: str, language: Language) -> str:
    """The slot as the lead reads it, in the lead's timezone: "Sat Mar 14 at 10 AM",
    "sábado 14 de marzo a las 10 a. m."."""
    local = _aware("slot", slot).astimezone(zone_of(tz))
    hour12 = local.hour % 12 or 12
    clock = f"{hour12}" if local.minute == 0 else f"{hour12}:{local.minute:02d}"
    if _language(language) == "en":
        return (f"{EN_DAYS[local.weekday()]} {EN_MONTHS[local.month - 1]} {local.day} at "
                f"{clock} {'AM' if local.hour < 12 else 'PM'}")
    article = "a la" if hour12 == 1 else "a las"
    return (f"{ES_DAYS[local.weekday()]} {local.day} de {ES_MONTHS[local.month - 1]} "
            f"{article} {clock} {'a. m.' if local.hour < 12 else 'p. m.'}")


def offer_text(slots: Sequence[datetime], tz: str, language: Language) -> str:
    """The sentence offering `slots` (one or more) to the lead."""
    if not slots:
        raise ValueError("offer_text needs at least one slot (no_slots_text says there are none)")
    if _language(language) == "en":
        return f"I can set that up — would {_listing(slots, tz, 'en')} work for you?"
    return f"¡Con gusto lo agendo! ¿Le funciona {_listing(slots, tz, 'es')}?"


def confirmation_text(slot: datetime, tz: str, language: Language, kind: Kind) -> str:
    """The confirmation of a booked showing or call."""
    if kind not in ("showing", "call"):
        raise ValueError(f"unknown appointment kind {kind!r}")
    when = describe(slot, tz, language)
    if language == "en":
        what, bye = ("a showing", "see you then!") if kind == "showing" else (
            "a call", "talk to you then!")
        return f"You're booked for {what} on {when} — {bye}"
    what, bye = ("su visita", "¡Nos vemos!") if kind == "showing" else (
        "su llamada", "¡Hablamos entonces!")
    end = "" if when.endswith(".") else "."  # "10 a. m." already ends the sentence
    return f"¡Listo! Queda agendada {what} para el {when}{end} {bye}"


def taken_text(next_slots: Sequence[datetime], tz: str, language: Language) -> str:
    """The chosen slot was taken meanwhile: offer the next ones (or say the agent will reach
    out when there are none)."""
    if _language(language) == "en":
        if not next_slots:
            return ("That time was just taken, and I don't see other openings right now — "
                    "the agent will reach out to find a time with you.")
        return f"That time was just taken — would {_listing(next_slots, tz, 'en')} work instead?"
    if not next_slots:
        return ("Ese horario se acaba de ocupar y por ahora no veo otros disponibles — el "
                "agente se pondrá en contacto con usted para encontrar un horario.")
    return (f"Ese horario se acaba de ocupar — ¿le funciona {_listing(next_slots, tz, 'es')} "
            "en su lugar?")


def no_slots_text(language: Language) -> str:
    """No free time in the window: the agent will reach out."""
    if _language(language) == "en":
        return ("I don't see open times on the calendar right now — the agent will reach out "
                "to set one up with you.")
    return ("Por ahora no veo horarios disponibles en el calendario — el agente se pondrá en "
            "contacto con usted para agendar uno.")


def zone_of(tz: str) -> ZoneInfo:
    """The IANA timezone `tz`; a ValueError naming it when it is not one."""
    if not isinstance(tz, str) or not tz.strip():
        raise ValueError(f"timezone {tz!r} is not an IANA timezone name")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {tz!r} is not an IANA timezone name") from None


def _listing(slots: Sequence[datetime], tz: str, language: Language) -> str:
    """"A, B or C" (Spanish: "el A, el B o el C")."""
    named = [describe(s, tz, language) for s in slots]
    if language == "es":
        named = [f"el {name}" for name in named]
    if len(named) == 1:
        return named[0]
    joiner = " or " if language == "en" else " o "
    return ", ".join(named[:-1]) + joiner + named[-1]


def _aware(what: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not {value!r}")
    return value


def _language(language: str) -> Language:
    if language == "en":
        return "en"
    if language == "es":
        return "es"
    raise ValueError(f"language must be 'en' or 'es', not {language!r}")
