"""Free slots as tables: GHL's answer read (and refused when malformed), the slots picked to
offer, and the texts naming them in the lead's timezone and language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from workers.booking.slots import (
    confirmation_text,
    describe,
    no_slots_text,
    offer_text,
    parse_free_slots,
    pick,
    taken_text,
)

CDT = timezone(timedelta(hours=-5))  # America/Chicago in March after the DST change
CHI = "America/Chicago"


def at(day: int, hour: int, minute: int = 0, tz: timezone = CDT) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=tz)


# --- parse_free_slots ------------------------------------------------------------------------

def test_parse_reads_every_day_sorted_and_ignores_other_keys() -> None:
    body = {
        "2026-03-15": {"slots": ["2026-03-15T09:00:00-05:00", "2026-03-15T08:30:00-05:00"]},
        "2026-03-14": {"slots": ["2026-03-14T10:00:00-05:00"]},
        "traceId": "abc-123",
    }
    assert parse_free_slots(body) == [at(14, 10), at(15, 8, 30), at(15, 9)]


def test_parse_keeps_each_instant_once_and_the_offset_given() -> None:
    body = {"2026-03-14": {"slots": ["2026-03-14T10:00:00-05:00", "2026-03-14T15:00:00Z",
                                     "2026-03-14T11:00:00-04:00", "2026-03-14T10:00:00-05:00"]}}
    got = parse_free_slots(body)
    assert got == [at(14, 10)]
    assert got[0].utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("body", [{}, {"traceId": "x"}, {"2026-03-14": {"slots": []}}])
def test_parse_no_slots(body: dict[str, Any]) -> None:
    assert parse_free_slots(body) == []


@pytest.mark.parametrize(("body", "named"), [
    ({"2026-03-14": {"slots": ["2026-03-14T10:00:00"]}}, "2026-03-14T10:00:00"),  # no offset
    ({"2026-03-14": {"slots": ["2026-03-14"]}}, "2026-03-14"),  # a date, not a datetime
    ({"2026-03-14": {"slots": [1773500400000]}}, "1773500400000"),  # not a string
    ({"2026-03-14": {"slots": ["tomorrow at 10"]}}, "tomorrow at 10"),
    ({"2026-03-14": {"slots": "2026-03-14T10:00:00-05:00"}}, "'slots' is not a list"),
    ({"2026-03-14": {}}, "'slots' is not a list"),
    ({"2026-03-14": ["2026-03-14T10:00:00-05:00"]}, "is not an object"),
    ({"2026-13-40": {"slots": []}}, "2026-13-40"),
])
def test_parse_refuses_malformed_answers_naming_the_value(body: dict[str, Any],
                                                          named: str) -> None:
    with pytest.raises(ValueError, match="free-slots") as err:
        parse_free_slots(body)
    assert named in str(err.value)


def test_parse_refuses_a_body_that_is_not_an_object() -> None:
    with pytest.raises(ValueError, match="not an object"):
        parse_free_slots(["2026-03-14T10:00:00-05:00"])  # type: ignore[arg-type]


# --- pick ----------------------------------------------------------------------------------

NOW = at(13, 9)  # Friday Mar 13, 9:00 in Chicago


@pytest.mark.parametrize(("slots", "kwargs", "expected"), [
    # one slot on each of the first days, the earliest of each
    ([at(14, 10), at(14, 11), at(15, 9), at(15, 14), at(16, 10), at(17, 10)], {},
     [at(14, 10), at(15, 9), at(16, 10)]),
    # too soon: within min_notice of now (11:00 is exactly 2 h later: kept)
    ([at(13, 10), at(13, 11), at(14, 10), at(15, 10)], {}, [at(13, 11), at(14, 10), at(15, 10)]),
    ([at(13, 10), at(13, 10, 59), at(14, 10)], {}, [at(14, 10)]),
    # fewer days than n: filled with the next slots at least an hour from a chosen one
    ([at(14, 9), at(14, 9, 30), at(14, 10), at(14, 11), at(15, 9)], {},
     [at(14, 9), at(14, 10), at(15, 9)]),
    # then any
    ([at(14, 9), at(14, 9, 15), at(14, 9, 30)], {}, [at(14, 9), at(14, 9, 15), at(14, 9, 30)]),
    # n and min_notice
    ([at(14, 10), at(15, 10), at(16, 10)], {"n": 2}, [at(14, 10), at(15, 10)]),
    ([at(13, 9, 30), at(13, 10), at(14, 10)], {"min_notice": timedelta(minutes=45)},
     [at(13, 10), at(14, 10)]),
    ([], {}, []),
    # duplicates and unsorted input
    ([at(15, 10), at(14, 10), at(14, 10), at(14, 15, tz=UTC)], {"n": 2}, [at(14, 10), at(15, 10)]),
])
def test_pick(slots: list[datetime], kwargs: dict[str, Any], expected: list[datetime]) -> None:
    assert pick(slots, NOW, **kwargs) == expected


def test_pick_counts_days_in_the_leads_timezone() -> None:
    evening = [datetime(2026, 3, 14, 23, tzinfo=UTC), datetime(2026, 3, 15, 5, tzinfo=UTC),
               datetime(2026, 3, 15, 15, tzinfo=UTC)]
    # in the slots' own offset (UTC) the second slot starts a new day (the 15th)...
    assert pick(evening, NOW, n=2) == evening[:2]
    # ...in Los Angeles the first two are both Saturday (16:00, 22:00): the second pick is
    # Sunday's slot (08:00)
    assert pick(evening, NOW, n=2, tz="America/Los_Angeles") == [evening[0], evening[2]]


@pytest.mark.parametrize(("now", "n", "tz"), [
    (datetime(2026, 3, 13, 9), 3, None),  # naive now
    (NOW, 0, None),
    (NOW, 3, "Mars/Olympus"),
])
def test_pick_refuses_bad_arguments(now: datetime, n: int, tz: str | None) -> None:
    with pytest.raises(ValueError):
        pick([at(14, 10)], now, n=n, tz=tz)


def test_pick_refuses_a_naive_slot() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pick([datetime(2026, 3, 14, 10)], NOW)


# --- describe ------------------------------------------------------------------------------

@pytest.mark.parametrize(("slot", "tz", "language", "expected"), [
    (at(14, 10), CHI, "en", "Sat Mar 14 at 10 AM"),
    (at(14, 10, 30), CHI, "en", "Sat Mar 14 at 10:30 AM"),
    (at(15, 14), CHI, "en", "Sun Mar 15 at 2 PM"),
    (at(16, 12), CHI, "en", "Mon Mar 16 at 12 PM"),
    (at(16, 0, 5), CHI, "en", "Mon Mar 16 at 12:05 AM"),
    (at(14, 10), CHI, "es", "sábado 14 de marzo a las 10 a. m."),
    (at(14, 10, 30), CHI, "es", "sábado 14 de marzo a las 10:30 a. m."),
    (at(15, 13), CHI, "es", "domingo 15 de marzo a la 1 p. m."),
    (at(18, 17, 45), CHI, "es", "miércoles 18 de marzo a las 5:45 p. m."),
    # a slot written in another offset is named in the lead's timezone
    (datetime(2026, 3, 14, 15, tzinfo=UTC), CHI, "en", "Sat Mar 14 at 10 AM"),
    (datetime(2026, 3, 14, 15, tzinfo=UTC), "America/New_York", "en", "Sat Mar 14 at 11 AM"),
    (datetime(2026, 3, 14, 15, tzinfo=UTC), "America/Los_Angeles", "es",
     "sábado 14 de marzo a las 8 a. m."),
    (at(14, 23), "America/New_York", "en", "Sun Mar 15 at 12 AM"),  # the next day there
    (at(14, 20), "America/Los_Angeles", "es", "sábado 14 de marzo a las 6 p. m."),
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "Europe/Madrid", "es",
     "viernes 1 de enero a las 12 a. m."),
])
def test_describe(slot: datetime, tz: str, language: Any, expected: str) -> None:
    assert describe(slot, tz, language) == expected


@pytest.mark.parametrize(("slot", "tz", "language"), [
    (datetime(2026, 3, 14, 10), CHI, "en"),  # naive
    (at(14, 10), "Central", "en"),
    (at(14, 10), "", "en"),
    (at(14, 10), CHI, "fr"),
])
def test_describe_refuses_bad_arguments(slot: datetime, tz: str, language: Any) -> None:
    with pytest.raises(ValueError):
        describe(slot, tz, language)


# --- the texts -----------------------------------------------------------------------------

THREE = [at(14, 10), at(15, 14), at(16, 11)]


@pytest.mark.parametrize(("slots", "language", "expected"), [
    (THREE, "en", "I can set that up — would Sat Mar 14 at 10 AM, Sun Mar 15 at 2 PM or "
                  "Mon Mar 16 at 11 AM work for you?"),
    (THREE[:2], "en", "I can set that up — would Sat Mar 14 at 10 AM or Sun Mar 15 at 2 PM "
                      "work for you?"),
    (THREE[:1], "en", "I can set that up — would Sat Mar 14 at 10 AM work for you?"),
    (THREE, "es", "¡Con gusto lo agendo! ¿Le funciona el sábado 14 de marzo a las 10 a. m., "
                  "el domingo 15 de marzo a las 2 p. m. o el lunes 16 de marzo a las 11 a. m.?"),
    (THREE[:1], "es", "¡Con gusto lo agendo! ¿Le funciona el sábado 14 de marzo a las "
                      "10 a. m.?"),
])
def test_offer_text(slots: list[datetime], language: Any, expected: str) -> None:
    assert offer_text(slots, CHI, language) == expected


def test_offer_text_names_slots_in_the_leads_timezone() -> None:
    utc = [datetime(2026, 3, 14, 15, tzinfo=UTC), datetime(2026, 3, 15, 2, tzinfo=UTC)]
    assert offer_text(utc, "America/Los_Angeles", "en") == (
        "I can set that up — would Sat Mar 14 at 8 AM or Sat Mar 14 at 7 PM work for you?")


def test_offer_text_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="no_slots_text"):
        offer_text([], CHI, "en")


@pytest.mark.parametrize(("language", "kind", "expected"), [
    ("en", "showing", "You're booked for a showing on Sat Mar 14 at 10 AM — see you then!"),
    ("en", "call", "You're booked for a call on Sat Mar 14 at 10 AM — talk to you then!"),
    ("es", "showing", "¡Listo! Queda agendada su visita para el sábado 14 de marzo a las "
                      "10 a. m. ¡Nos vemos!"),
    ("es", "call", "¡Listo! Queda agendada su llamada para el sábado 14 de marzo a las "
                   "10 a. m. ¡Hablamos entonces!"),
])
def test_confirmation_text(language: Any, kind: Any, expected: str) -> None:
    assert confirmation_text(datetime(2026, 3, 14, 15, tzinfo=UTC), CHI, language,
                             kind) == expected


def test_confirmation_text_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        confirmation_text(at(14, 10), CHI, "en", "lunch")  # type: ignore[arg-type]


@pytest.mark.parametrize(("slots", "language", "expected"), [
    (THREE[1:], "en", "That time was just taken — would Sun Mar 15 at 2 PM or Mon Mar 16 at "
                      "11 AM work instead?"),
    (THREE[2:], "en", "That time was just taken — would Mon Mar 16 at 11 AM work instead?"),
    ([], "en", "That time was just taken, and I don't see other openings right now — the "
               "agent will reach out to find a time with you."),
    (THREE[1:], "es", "Ese horario se acaba de ocupar — ¿le funciona el domingo 15 de marzo a "
                      "las 2 p. m. o el lunes 16 de marzo a las 11 a. m. en su lugar?"),
    ([], "es", "Ese horario se acaba de ocupar y por ahora no veo otros disponibles — el "
               "agente se pondrá en contacto con usted para encontrar un horario."),
])
def test_taken_text(slots: list[datetime], language: Any, expected: str) -> None:
    assert taken_text(slots, CHI, language) == expected


@pytest.mark.parametrize(("language", "says"), [("en", "the agent will reach out"),
                                                ("es", "el agente se pondrá en contacto")])
def test_no_slots_text(language: Any, says: str) -> None:
    assert says in no_slots_text(language)


def test_no_slots_text_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="language"):
        no_slots_text("de")  # type: ignore[arg-type]
