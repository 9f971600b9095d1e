"""Legal holidays a state's telephone-solicitation law bans automated texts on (pure).

Each calendar is data: a tuple of named holidays (a fixed date, the n-th weekday of a month,
the last weekday of a month, or a day counted from Easter), the statute that names them, and
an observance rule saying which weekday stands in when the date falls on a weekend. A banned
day is the holiday itself *and* its observed day: where the law could be read either way, no
automated text goes out on both (the stricter reading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

Observance = Literal["federal", "sunday_next", "weekend_next", "none"]
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def easter(year: int) -> date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) `weekday` (Monday 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def last_weekday(year: int, month: int, weekday: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@dataclass(frozen=True)
class Holiday:
    name: str
    on: Callable[[int], date | None]  # the date in a year (None: not that year)
    observed: bool = True  # moves off a weekend by the calendar's observance rule


def fixed(month: int, day: int) -> Callable[[int], date | None]:
    return lambda year: date(year, month, day)


def nth(month: int, weekday: int, n: int) -> Callable[[int], date | None]:
    return lambda year: nth_weekday(year, month, weekday, n)


def last(month: int, weekday: int) -> Callable[[int], date | None]:
    return lambda year: last_weekday(year, month, weekday)


def from_easter(days: int) -> Callable[[int], date | None]:
    return lambda year: easter(year) + timedelta(days=days)


def since(first_year: int, rule: Callable[[int], date | None]) -> Callable[[int], date | None]:
    return lambda year: rule(year) if year >= first_year else None


def even_years(rule: Callable[[int], date | None]) -> Callable[[int], date | None]:
    return lambda year: rule(year) if year % 2 == 0 else None


def _election_day(year: int) -> date:  # the Tuesday after the first Monday in November
    return nth_weekday(year, 11, MON, 1) + timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    region: str
    holidays: tuple[Holiday, ...]
    observance: Observance
    source: str
    also: tuple[str, ...] = ()  # other calendars whose days count too (RI: "state or federal")


NEW_YEAR = Holiday("New Year's Day", fixed(1, 1))
MLK = Holiday("Birthday of Martin Luther King, Jr.", nth(1, MON, 3))
WASHINGTON = Holiday("Washington's Birthday", nth(2, MON, 3))
MEMORIAL = Holiday("Memorial Day", last(5, MON))
JUNETEENTH = Holiday("Juneteenth National Independence Day", since(2021, fixed(6, 19)))
INDEPENDENCE = Holiday("Independence Day", fixed(7, 4))
LABOR = Holiday("Labor Day", nth(9, MON, 1))
COLUMBUS = Holiday("Columbus Day", nth(10, MON, 2))
VETERANS = Holiday("Veterans Day", fixed(11, 11))
THANKSGIVING = Holiday("Thanksgiving Day", nth(11, THU, 4))
CHRISTMAS = Holiday("Christmas Day", fixed(12, 25))
MARDI_GRAS = Holiday("Mardi Gras", from_easter(-47), observed=False)
GOOD_FRIDAY = Holiday("Good Friday", from_easter(-2), observed=False)

CALENDARS: dict[str, Calendar] = {c.region: c for c in (
    Calendar("US", (NEW_YEAR, MLK, WASHINGTON, MEMORIAL, JUNETEENTH, INDEPENDENCE, LABOR,
                    COLUMBUS, VETERANS, THANKSGIVING, CHRISTMAS),
             "federal", "5 U.S.C. § 6103(a); weekend observance § 6103(b), E.O. 11582"),
    Calendar("AL", (NEW_YEAR,
                    Holiday("Robert E. Lee / Martin Luther King, Jr. Day", nth(1, MON, 3)),
                    Holiday("George Washington / Thomas Jefferson Day", nth(2, MON, 3)),
                    MARDI_GRAS,  # Baldwin and Mobile counties only: statewide, the stricter
                    Holiday("Confederate Memorial Day", nth(4, MON, 4)), MEMORIAL,
                    Holiday("Jefferson Davis' Birthday", nth(6, MON, 1)), JUNETEENTH,
                    INDEPENDENCE, LABOR, COLUMBUS, VETERANS, THANKSGIVING, CHRISTMAS),
             "federal",
             "Ala. Code § 1-3-8 (Sunday -> Monday, Saturday -> Friday per § 1-3-8(a)); "
             "Juneteenth by proclamation, kept as the stricter reading"),
    Calendar("LA", (NEW_YEAR, Holiday("Battle of New Orleans", fixed(1, 8), observed=False), MLK,
                    Holiday("Robert E. Lee Day", fixed(1, 19), observed=False), WASHINGTON,
                    MARDI_GRAS, GOOD_FRIDAY, MEMORIAL,
                    Holiday("National Memorial Day (Jefferson Davis)", fixed(6, 3),
                            observed=False),
                    JUNETEENTH, INDEPENDENCE,
                    Holiday("Huey P. Long Day", fixed(8, 30), observed=False), LABOR, COLUMBUS,
                    Holiday("All Saints' Day", fixed(11, 1), observed=False), VETERANS,
                    THANKSGIVING, CHRISTMAS),
             "federal",
             "La. R.S. 1:55 (every day it names, not only the LPSC's shorter list: the "
             "stricter reading); governor-declared days are not known in advance"),
    Calendar("MS", (NEW_YEAR,
                    Holiday("Martin Luther King, Jr. / Robert E. Lee Day", nth(1, MON, 3)),
                    WASHINGTON, Holiday("Confederate Memorial Day", last(4, MON)),
                    Holiday("National Memorial Day / Jefferson Davis' Birthday", last(5, MON)),
                    INDEPENDENCE, LABOR, VETERANS, THANKSGIVING, CHRISTMAS),
             "sunday_next", "Miss. Code Ann. § 3-3-7 (a Sunday holiday -> the Monday)"),
    Calendar("RI", (NEW_YEAR, MLK, WASHINGTON,
                    Holiday("Rhode Island Independence Day", fixed(5, 4)), MEMORIAL,
                    INDEPENDENCE, Holiday("Victory Day", nth(8, MON, 2)), LABOR, COLUMBUS,
                    VETERANS, THANKSGIVING, CHRISTMAS,
                    # "in each year in which a general election of state officers is held":
                    # every even year, the stricter reading.
                    Holiday("Election Day", even_years(_election_day), observed=False)),
             "weekend_next",
             "R.I. Gen. Laws § 25-1-1 (Saturday or Sunday -> the Monday); § 5-61-2 bans "
             "'a state or federal holiday', so the federal calendar counts too",
             also=("US",)),
    Calendar("UT", (NEW_YEAR, Holiday("Dr. Martin Luther King, Jr. Day", nth(1, MON, 3)),
                    Holiday("Washington and Lincoln Day", nth(2, MON, 3)), MEMORIAL,
                    Holiday("Juneteenth National Freedom Day", since(2022, fixed(6, 19))),
                    INDEPENDENCE, Holiday("Pioneer Day", fixed(7, 24)), LABOR, COLUMBUS,
                    VETERANS, THANKSGIVING, CHRISTMAS),
             "federal",
             "Utah Code § 63G-1-301 (Sunday -> Monday, Saturday -> Friday); days the "
             "governor or President appoint are not known in advance"),
)}


def _observed(day: date, rule: Observance) -> date:
    wd = day.weekday()
    if rule == "federal":
        return day + timedelta(days={SAT: -1, SUN: 1}.get(wd, 0))
    if rule == "sunday_next":
        return day + timedelta(days=1 if wd == SUN else 0)
    if rule == "weekend_next":
        return day + timedelta(days={SAT: 2, SUN: 1}.get(wd, 0))
    return day


@lru_cache(maxsize=256)
def holidays(region: str, year: int) -> frozenset[date]:
    """Every day of `year` on which `region`'s calendar bans automated texts: each holiday
    and its observed day (an observed day may fall in the next or the previous year: New
    Year's Day on a Saturday is observed on Friday, December 31st, which is counted in the
    year it falls in)."""
    calendar = CALENDARS.get(region)
    if calendar is None:
        return frozenset()
    days: set[date] = set()
    for y in (year - 1, year, year + 1):
        for holiday in calendar.holidays:
            day = holiday.on(y)
            if day is None:
                continue
            days.add(day)
            if holiday.observed:
                days.add(_observed(day, calendar.observance))
    for other in calendar.also:
        days.update(holidays(other, year))
    return frozenset(d for d in days if d.year == year)


def is_holiday(region: str, day: date) -> bool:
    return day in holidays(region, day.year)
