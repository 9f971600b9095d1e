"""What a lead chose from the slots offered, as a table: English and Spanish, ordinals,
weekdays, times, dates, affirmations, refusals, ambiguity; slots given in UTC and matched in
the lead's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workers.booking.choice import Choice, choose


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


CHI, NYC, LAX = "America/Chicago", "America/New_York", "America/Los_Angeles"
THREE = [utc(14, 15), utc(15, 19), utc(16, 16)]
# name: (offered, lead's timezone, now)
SCENARIOS: dict[str, tuple[list[datetime], str, datetime]] = {
    # Sat Mar 14 10 AM, Sun Mar 15 2 PM, Mon Mar 16 11 AM in Chicago; now Thu Mar 12, 3 PM
    "chi": (THREE, CHI, utc(12, 20)),
    # the same offer on Fri Mar 13 at 10 PM in Chicago (already Saturday in UTC)
    "chi_late": (THREE, CHI, utc(14, 3)),
    # the same instants in New York: Sat 11 AM, Sun 3 PM, Mon 12 PM
    "nyc": (THREE, NYC, utc(12, 20)),
    # Los Angeles: Sat Mar 14 7 PM (Sunday 02:00 in UTC), Sun 9 AM, Mon 1 PM; now Fri 6 PM
    "lax": ([utc(15, 2), utc(15, 16), utc(16, 20)], LAX, utc(14, 1)),
    "one": ([utc(14, 15)], CHI, utc(12, 20)),  # Sat 10 AM only
    "two_sat": ([utc(14, 15), utc(14, 19)], CHI, utc(12, 20)),  # Sat 10 AM, Sat 2 PM
    # Sat 2 PM, Sun 10 AM, Mon 11 AM: "2" is the second option AND 2 o'clock
    "clash": ([utc(14, 19), utc(15, 15), utc(16, 16)], CHI, utc(12, 20)),
}

TABLE: list[tuple[str, str, str]] = [
    # --- ordinals and options, English
    ("the second one", "chi", "picked 1"),
    ("2nd", "chi", "picked 1"),
    ("second works", "chi", "picked 1"),
    ("option 2", "chi", "picked 1"),
    ("#2", "chi", "picked 1"),
    ("2", "chi", "picked 1"),  # the second option, and 2 PM is the second slot too
    ("the first", "chi", "picked 0"),
    ("The last one pls", "chi", "picked 2"),
    ("3rd one please", "chi", "picked 2"),
    ("the earliest", "chi", "picked 0"),
    ("option 4", "chi", "unclear"),  # not offered
    # --- ordinals and options, Spanish
    ("la segunda", "chi", "picked 1"),
    ("el primero", "chi", "picked 0"),
    ("la primera opción", "chi", "picked 0"),
    ("la última", "chi", "picked 2"),
    ("opción 2", "chi", "picked 1"),
    ("la 3ra", "chi", "picked 2"),
    ("opcion dos porfa", "chi", "picked 1"),
    ("Option #2", "chi", "picked 1"),
    ("number two", "chi", "picked 1"),
    # --- weekday and time, English
    ("Saturday at 10 works", "chi", "picked 0"),
    ("sat 10am", "chi", "picked 0"),
    ("10 works", "chi", "picked 0"),
    ("2pm is good", "chi", "picked 1"),
    ("let's do sunday", "chi", "picked 1"),
    ("Monday 11:00 A.M.", "chi", "picked 2"),
    ("sunday afternoon", "chi", "picked 1"),
    ("saturday morning is best", "chi", "picked 0"),
    ("SATURDAY!!! 🙌", "chi", "picked 0"),
    ("saterday at 10", "chi", "picked 0"),  # a typo
    ("sat. 10 a.m.", "chi", "picked 0"),
    ("next monday", "chi", "picked 2"),
    ("the one on monday", "chi", "picked 2"),
    ("the sun is out, saturday works", "chi", "picked 0"),
    ("14:00", "chi", "picked 1"),
    ("after 1 on sunday", "chi", "picked 1"),
    ("before noon", "chi", "unclear"),  # Saturday 10 AM or Monday 11 AM
    ("I'm busy saturday", "chi", "unclear"),
    ("thrusday", "chi", "unclear"),  # Thursday: not offered
    ("tomorrow at 2", "chi", "unclear"),  # Friday: not offered
    # --- weekday and time, Spanish
    ("el sábado a las 10", "chi", "picked 0"),
    ("sabado 10am", "chi", "picked 0"),
    ("a las 2 de la tarde", "chi", "picked 1"),
    ("el domingo", "chi", "picked 1"),
    ("el lunes a las 11 de la mañana", "chi", "picked 2"),
    ("a las 10 de la noche", "chi", "unclear"),  # 22:00
    ("la de las 2", "chi", "picked 1"),
    ("el sabado a las diez y media", "chi", "unclear"),  # 10:30: not offered
    # --- dates
    ("March 14", "chi", "picked 0"),
    ("the 14th", "chi", "picked 0"),
    ("14 de marzo", "chi", "picked 0"),
    ("3/15", "chi", "picked 1"),
    ("the 16th at 11", "chi", "picked 2"),
    ("el día 16", "chi", "picked 2"),
    ("march 20", "chi", "unclear"),
    # --- affirmations: only when one slot was offered
    ("yes", "chi", "unclear"),
    ("yes", "one", "picked 0"),
    ("that works 👍", "one", "picked 0"),
    ("Perfect!", "one", "picked 0"),
    ("sí", "one", "picked 0"),
    ("dale", "one", "picked 0"),
    ("perfecto", "chi", "unclear"),
    ("either works", "two_sat", "unclear"),
    ("las dos opciones me sirven", "two_sat", "unclear"),  # both
    ("a las dos", "chi", "picked 1"),  # at two
    ("ok no problem", "one", "picked 0"),
    # --- refusals
    ("none of those work", "chi", "none"),
    ("neither", "two_sat", "none"),
    ("can't do any of those", "chi", "none"),
    ("ninguno me sirve", "chi", "none"),
    ("no puedo", "chi", "none"),
    ("no", "chi", "none"),
    ("No", "one", "none"),
    ("nope, sorry", "one", "none"),
    ("any other times?", "chi", "none"),
    ("do you have anything later?", "chi", "none"),
    ("I can't do the weekend", "two_sat", "none"),  # every offered slot excluded
    ("both don't work for me", "two_sat", "none"),
    ("no puedo el sábado", "two_sat", "none"),
    ("no puedo el sábado", "chi", "unclear"),  # Sunday or Monday?
    # --- corrections and exclusions
    ("no, the second one", "chi", "picked 1"),
    ("no the 2nd one", "chi", "picked 1"),
    ("I can't do saturday, sunday works", "chi", "picked 1"),
    ("not sunday, monday is better", "chi", "picked 2"),
    ("sábado no puedo pero el domingo sí", "chi", "picked 1"),
    ("no sunday", "chi", "unclear"),  # not Sunday, or "no, Sunday"?
    # --- ambiguity: never a guess
    ("10", "two_sat", "picked 0"),
    ("saturday", "two_sat", "unclear"),  # two Saturday slots
    ("saturday at 2", "two_sat", "picked 1"),
    ("the earlier one", "two_sat", "picked 0"),
    ("the later one", "two_sat", "picked 1"),
    ("the earlier one", "chi", "unclear"),  # earlier than which?
    ("2", "clash", "unclear"),  # the second option (Sun 10 AM) or 2 PM (Sat)?
    ("option 2", "clash", "picked 1"),
    ("2pm", "clash", "picked 0"),
    ("saturday at 10 or sunday at 2", "chi", "unclear"),
    ("how about friday at 5?", "chi", "unclear"),
    ("none of those, how about friday at 5?", "chi", "unclear"),
    ("maybe saturday", "chi", "unclear"),
    ("let me check with my wife", "chi", "unclear"),
    ("no sé, déjame ver", "chi", "unclear"),
    ("what's the address?", "chi", "unclear"),
    # --- the lead's timezone (slots given in UTC)
    ("sat at 11", "nyc", "picked 0"),
    ("sat at 10", "nyc", "unclear"),
    ("sat at 11", "chi", "unclear"),
    ("3pm on sunday", "nyc", "picked 1"),
    ("noon on monday", "nyc", "picked 2"),
    ("saturday at 7pm", "lax", "picked 0"),  # Sunday 02:00 in UTC
    ("tomorrow at 7", "lax", "picked 0"),
    ("sunday at 2", "lax", "unclear"),  # what the first slot would be in UTC
    ("el domingo a las 9", "lax", "picked 1"),
    ("mañana a las 7 de la tarde", "lax", "picked 0"),
    ("the 14th", "lax", "picked 0"),  # the 15th in UTC
    ("tomorrow", "chi_late", "picked 0"),  # Friday night in Chicago: tomorrow is Saturday
    ("hoy", "chi_late", "unclear"),
    ("tomorrow morning", "chi_late", "picked 0"),
]


def _got(choice: Choice) -> str:
    return f"picked {choice.index}" if choice.kind == "picked" else choice.kind


@pytest.mark.parametrize(("text", "scenario", "expected"), TABLE)
def test_choose(text: str, scenario: str, expected: str) -> None:
    offered, tz, now = SCENARIOS[scenario]
    assert _got(choose(text, offered, tz, now)) == expected


def test_the_table_covers_each_kind_in_both_languages() -> None:
    assert len(TABLE) >= 40
    kinds = {expected.split()[0] for _, _, expected in TABLE}
    assert kinds == {"picked", "none", "unclear"}


@pytest.mark.parametrize(("text", "wanted_day", "wanted_hour"), [
    ("how about friday at 5?", date(2026, 3, 13), 17),
    ("none of those, could we do tuesday?", date(2026, 3, 17), None),
    ("mañana a las 10 de la mañana", date(2026, 3, 13), 10),
    ("march 20 at 3pm", date(2026, 3, 20), 15),
    ("a las 8 de la noche", None, 20),
    ("saturday at 10 works", None, None),  # offered: nothing wanted
])
def test_a_time_not_offered_comes_back_as_wanted(text: str, wanted_day: date | None,
                                                 wanted_hour: int | None) -> None:
    offered, tz, now = SCENARIOS["chi"]
    got = choose(text, offered, tz, now)
    assert (got.wanted_day, got.wanted_hour) == (wanted_day, wanted_hour)


@pytest.mark.parametrize(("offered", "tz", "now"), [
    ([], CHI, utc(12, 20)),
    ([datetime(2026, 3, 14, 10)], CHI, utc(12, 20)),  # naive slot
    (THREE, CHI, datetime(2026, 3, 12, 15)),  # naive now
    (THREE, "Chicago", utc(12, 20)),
])
def test_choose_refuses_bad_arguments(offered: list[datetime], tz: str, now: datetime) -> None:
    with pytest.raises(ValueError):
        choose("the first one", offered, tz, now)


@pytest.mark.parametrize(("kind", "index"), [("picked", None), ("none", 0), ("unclear", 1)])
def test_a_choice_holds_an_index_only_when_picked(kind: str, index: int | None) -> None:
    with pytest.raises(ValueError, match="index"):
        Choice(kind, index)  # type: ignore[arg-type]
