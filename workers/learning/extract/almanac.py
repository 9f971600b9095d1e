"""Calendar facts the date reader needs: month names, holiday dates, month ends.

Kept apart from the reader so each holiday is one line and its date rule is testable alone.
Holidays that move (Thanksgiving, Labor Day, Easter ...) are computed for the year asked.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # Spanish (accents folded)
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
}
SEASONS: dict[str, int] = {
    "spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12,
    "primavera": 3, "verano": 6, "otono": 9, "invierno": 12,
}


def month_number(word: str) -> int:
    """Month of an English name or abbreviation, or a Spanish name."""
    return MONTHS.get(word, MONTHS.get(word[:3], 0))


def last_day(year: int, month: int) -> int:
    """Number of days in the month ("end of June" is June 30)."""
    return calendar.monthrange(year, month)[1]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` (Mon=0) of a month; ``n=-1`` is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, last_day(year, month))
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    shift = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


# Each holiday's date in a given year. Keys are the canonical names the reader emits.
HOLIDAYS: dict[str, Callable[[int], date]] = {
    "new_year": _fixed(1, 1),
    "mlk_day": lambda y: nth_weekday(y, 1, 0, 3),
    "valentines": _fixed(2, 14),
    "presidents_day": lambda y: nth_weekday(y, 2, 0, 3),
    "easter": easter,
    "holy_week": lambda y: easter(y) - timedelta(days=7),
    "cinco_de_mayo": _fixed(5, 5),
    "mothers_day": lambda y: nth_weekday(y, 5, 6, 2),
    "memorial_day": lambda y: nth_weekday(y, 5, 0, -1),
    "fathers_day": lambda y: nth_weekday(y, 6, 6, 3),
    "july_4th": _fixed(7, 4),
    "labor_day": lambda y: nth_weekday(y, 9, 0, 1),
    "halloween": _fixed(10, 31),
    "veterans_day": _fixed(11, 11),
    "thanksgiving": lambda y: nth_weekday(y, 11, 3, 4),
    "christmas_eve": _fixed(12, 24),
    "christmas": _fixed(12, 25),
    "new_years_eve": _fixed(12, 31),
    # Periods: the school year starts mid-August and ends with May; "the holidays" start in
    # December and are over on January 1.
    "the_holidays": _fixed(12, 1),
    "after_the_holidays": _fixed(1, 1),
    "school_start": _fixed(8, 15),
    "school_end": _fixed(6, 1),
}


def next_occurrence(name: str, today: date) -> date:
    """The holiday's next date on or after ``today``."""
    rule = HOLIDAYS[name]
    this_year = rule(today.year)
    return this_year if this_year >= today else rule(today.year + 1)
