"""Timeline: when the lead intends to move / transact, as a bucket counted from ``now``.

Time is counted in days (a month = 30 days, a week = 7, a year = 365). A named month or
season counts to its first day unless a day is given ("mid-August" = August 15). A boundary
falls in the lower bucket: exactly 90 days is ``1_3_months``.
"""

from __future__ import annotations

import re
from datetime import date

from .context import MessageContext
from .model import Timeline
from .text import WORD_NUMBERS

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_FULL_MONTHS = {"january", "february", "march", "april", "june", "july", "august", "september",
                "october", "november", "december"}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_QTY = r"\d+(?:\.\d+)?|a couple(?: of)?|couple(?: of)?|a few|few|several|an?|one|two|three|four" \
       r"|five|six|seven|eight|nine|ten|twelve|eighteen"
_DURATION = re.compile(
    rf"(?P<prep>\b(?:in|within|next|another|about|around|approximately|roughly|probably"
    rf"|maybe|not for|like|least|after|than|give or take)\s+)?(?:the\s+)?(?:next\s+)?"
    rf"(?:about\s+|around\s+|like\s+|approx\.?\s+|roughly\s+)?(?P<n>{_QTY})(?:\s*(?:-|to)\s*(?P<n2>\d+))?\s*"
    r"(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?)\b(?:\s+or\s+(?P<n3>\d+|two|three|four"
    r"|five|six))?(?P<tail>\s+from now)?"
)
_DURATION_STOP = re.compile(r"^\s*(?:ago|into|behind|old|late|in a row|straight|running|now that)")
_MONTH = re.compile(
    r"(?P<pre>\b(?:early|mid|late|end of|the end of|beginning of|start of)[\s-]+)?"
    r"\b(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
    r"(?:\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b)?(?:,?\s+(?:of\s+)?(?P<year>20\d\d))?"
)
_SEASON = re.compile(
    r"(?P<pre>\b(?:this|next|early|late|mid|by|in)\s+)?\b(?P<season>spring|summer|fall|autumn"
    r"|winter)\b(?:\s+(?:of\s+)?(?P<year>20\d\d))?"
)
_YEAR = re.compile(
    r"\b(?P<pre>in|by|until|till|before|of|early|mid|late|around|sometime in)\s+(?P<year>20\d\d)\b"
)
_YEAR_PART = {"mid": 7, "late": 10}
_NUMERIC_DATE = re.compile(r"(?<![\d/.$])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])"
                           r"(?:/(?P<y>\d{2}|\d{4}))?(?![\d/])(?!\s*(?:ba|bath|br|bed))")
_ASAP = re.compile(
    r"\basap\b|\bas soon as possible\b|\bimmediately\b|\bright away\b"
    r"|\bready to (?:buy|move|go|close)"
    r"(?: \w+)? now\b|\b(?:buy|move|close|list) (?:right )?now\b|\burgent(?:ly)?\b|\bfew weeks\b"
    r"|\bcouple (?:of )?weeks\b"
)
_SOON = re.compile(r"\bthis month\b|\bend of (?:the |this )?month\b|\bthis week\b|\bnext week\b")
_HOLIDAYS = re.compile(r"\b(?P<name>christmas|xmas|thanksgiving|the holidays)\b")
_BY_FIRST = re.compile(r"\bby the (?:1st|first)\b")
_NEXT_MONTH = re.compile(r"\bnext month\b")
_NEXT_YEAR = re.compile(r"\bnext year\b|\bafter the new year\b|\bnew year\b")
_END_OF_YEAR = re.compile(r"\b(?:end of (?:the |this )?year|year[\s-]end|by december)\b")
_BROWSING = re.compile(
    r"\bjust (?:browsing|looking(?! for (?!now))|curious|starting to look|window shopping)\b"
    r"|\bno (?:real |set |concrete |firm )?plans\b|\bnot sure (?:yet|when)\b|\bno timeline\b"
    r"|\bsomeday\b"
    r"|\b(?:just )?(?:seeing|see) what'?s out there\b"
)
_MOVE_CUE = re.compile(
    r"\b(?:by|before|until|till|move|moving|moved in|move in|buy|buying|sell|selling|list"
    r"|listing|listed|close|closing|settled|be in|in by|lease|relocat\w*|transferr?\w*"
    r"|timeline|want|wanna|need|hoping|hope|plan|planning|looking|ready|sometime|target|aim"
    r"|asap|then|out by|ideally)\b"
)
_MOVE_AFTER = re.compile(
    r"\b(?:move|moving|moved in|close|closing|list|listing|buy|buying|sell|selling|relocat\w*"
    r"|settled|by then|be in)\b"
)
_PAST_CUE = re.compile(
    r"\b(?:lost|got|had|was|were|did|started|(?<!be )moved(?! in(?:to)?\b)|bought|sold|closed|last"
    r"|ago|since|born"
    r"|married|went|happened|laid)\b"
)


def bucket(days: float) -> Timeline:
    """Bucket a distance in days; a boundary falls in the lower bucket."""
    if days <= 30:
        return "asap"
    if days <= 90:
        return "1_3_months"
    if days <= 180:
        return "3_6_months"
    if days <= 365:
        return "6_12_months"
    return "12_plus_months"


def _qty(raw: str) -> float:
    raw = raw.strip()
    if raw in WORD_NUMBERS:
        return float(WORD_NUMBERS[raw])
    return float({"twelve": 12, "eighteen": 18}.get(raw, raw))


def _next_date(today: date, month: int, day: int, year: int | None, *, allow_now: bool) -> date:
    if year is not None:
        return date(year, month, min(day, 28) if month == 2 else day)
    target = date(today.year, month, day)
    if target < today and not (allow_now and month == today.month):
        target = date(today.year + 1, month, day)
    return target


def _days_until(target: date, today: date) -> int:
    return max(0, (target - today).days)


def _accepts(ctx: MessageContext, pos: int) -> bool:
    """A date reads as a timeline only in a moving context, never for a past event.

    The cue must come before the date in its clause ("want to move in august"), so "expecting
    a baby in july and need more space" is no timeline.
    """
    before = ctx.segments.clause_before(pos)
    clause = ctx.segments.clause_text(pos)
    if _PAST_CUE.search(before):
        return False
    if ctx.question.asks("timeline") or _MOVE_CUE.search(before):
        return True
    if _MOVE_AFTER.search(ctx.segments.clause_after(pos)):
        return True
    return len(re.findall(r"\w+", clause)) <= 3


def timeline_events(ctx: MessageContext) -> list[tuple[int, Timeline]]:
    """``(pos, bucket)`` timeline statements of an inbound message, in text order."""
    text = ctx.masked
    today = ctx.now.date()
    out: list[tuple[int, Timeline]] = []
    out.extend((m.start(), "asap") for m in _ASAP.finditer(text))
    out.extend((m.start(), "asap") for m in _SOON.finditer(text) if _accepts(ctx, m.start()))
    out.extend((m.start(), "browsing") for m in _BROWSING.finditer(text))
    for m in _BY_FIRST.finditer(text):
        first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        out.append((m.start(), bucket(_days_until(first, today))))
    for m in _NEXT_MONTH.finditer(text):
        out.append((m.start(), bucket(_days_until(date(today.year + (today.month == 12),
                                                      today.month % 12 + 1, 1), today))))
    for m in _NEXT_YEAR.finditer(text):
        if not _PAST_CUE.search(ctx.segments.clause_before(m.start())):
            out.append((m.start(), bucket(_days_until(date(today.year + 1, 1, 1), today))))
    for m in _END_OF_YEAR.finditer(text):
        if _accepts(ctx, m.start()):
            target = date(today.year if today.month < 12 else today.year + 1, 12, 1)
            out.append((m.start(), bucket(_days_until(target, today))))
    for m in _HOLIDAYS.finditer(text):
        if not _accepts(ctx, m.start()):
            continue
        name = m.group("name")
        month, day = (11, _thanksgiving_day(today.year)) if name == "thanksgiving" else (
            (12, 1) if name == "the holidays" else (12, 25)
        )
        target = _next_date(today, month, day, None, allow_now=False)
        out.append((m.start(), bucket(_days_until(target, today))))
    out.extend(_durations(ctx))
    out.extend(_named_dates(ctx, today))
    return sorted(out, key=lambda e: e[0])


def _thanksgiving_day(year: int) -> int:
    """Day of November of the fourth Thursday."""
    first = date(year, 11, 1).weekday()
    return 1 + (3 - first) % 7 + 21


def _durations(ctx: MessageContext) -> list[tuple[int, Timeline]]:
    out: list[tuple[int, Timeline]] = []
    text = ctx.masked
    for m in _DURATION.finditer(text):
        if _DURATION_STOP.match(text[m.end() :]):
            continue
        before = text[max(0, m.start() - 12) : m.start()]
        if re.search(r"\b(?:last|past|for the past|been|over the last)\s*$", before):
            continue
        framed = m.group("prep") or m.group("tail")
        if not framed and not (ctx.question.asks("timeline") and ctx.direct):
            continue
        qty = _qty(m.group("n3") or m.group("n2") or m.group("n"))
        days = qty * _UNIT_DAYS[m.group("unit")[0]]
        out.append((m.start(), bucket(days)))
    return out


def _named_dates(ctx: MessageContext, today: date) -> list[tuple[int, Timeline]]:
    out: list[tuple[int, Timeline]] = []
    text = ctx.masked
    for m in _MONTH.finditer(text):
        word = m.group("month")
        if word == "may" and not (m.group("day") or m.group("pre") or re.search(
            r"\b(?:in|by|of|until|till|before|early|mid|late|around|since)\s+$",
            text[max(0, m.start() - 10) : m.start()],
        )):
            continue
        if word not in _FULL_MONTHS and not (m.group("day") or m.group("pre") or re.search(
            r"\b(?:in|by|of|until|till|before|around)\s+$", text[max(0, m.start() - 10) : m.start()]
        )):
            continue
        if not _accepts(ctx, m.start()):
            continue
        month = _MONTHS[word[:3]]
        pre = (m.group("pre") or "").strip()
        day = int(m.group("day")) if m.group("day") else (15 if pre.startswith("mid") else 1)
        if day > 31:
            continue
        year = int(m.group("year")) if m.group("year") else None
        try:
            target = _next_date(today, month, day, year, allow_now=not m.group("day"))
        except ValueError:
            continue
        out.append((m.start(), bucket(_days_until(target, today))))
    for m in _SEASON.finditer(text):
        if not _accepts(ctx, m.start()):
            continue
        month = _SEASONS[m.group("season")]
        year = int(m.group("year")) if m.group("year") else None
        target = date(year or today.year, month, 1)
        if year is None and target < today:
            in_season = (today - target).days < 92 and "next" not in (m.group("pre") or "")
            target = today if in_season else date(today.year + 1, month, 1)
        out.append((m.start(), bucket(_days_until(target, today))))
    for m in _YEAR.finditer(text):
        year = int(m.group("year"))
        if year <= today.year or _SEASON.search(text[max(0, m.start() - 12) : m.start() + 3]):
            continue
        if re.search(r"\b(?:built|since)\b", text[max(0, m.start() - 10) : m.start()]):
            continue
        month = _YEAR_PART.get(m.group("pre"), 1)
        out.append((m.start(), bucket(_days_until(date(year, month, 1), today))))
    for m in _NUMERIC_DATE.finditer(text):
        lead_in = text[max(0, m.start() - 16) : m.start()]
        if not re.search(r"\b(?:by|on|before|until|till|ends?|ending|up|starting|around|after)"
                         r"\s+(?:the\s+)?$", lead_in) and not (
            ctx.question.asks("timeline") and ctx.direct and m.start() < 3
        ):
            continue
        raw_year = m.group("y")
        year = None if raw_year is None else int(raw_year) + (2000 if len(raw_year) == 2 else 0)
        try:
            target = _next_date(today, int(m.group("m")), int(m.group("d")), year, allow_now=False)
        except ValueError:
            continue
        out.append((m.start(), bucket(_days_until(target, today))))
    return out

