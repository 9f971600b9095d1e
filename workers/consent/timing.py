"""When a lead asked us to wait, in its own words (pure, no I/O).

A limit on *when* is not an opt-out (`optout` reads those: "don't text me before 9am" is not
one), but it is still the lead's word about being contacted, and an automated text inside it
is one the lead asked not to get. So the consent ledger records it, and the consent decision
keeps to it:

* **Pause**: no automated text until a moment. "don't contact me until after the holidays",
  "don't message me till next week, traveling", "no me escriban hasta marzo", "text me next
  week", "check back in a couple of months", "llámame el mes que viene". A time the words do
  not pin down ("don't text me until I'm back") pauses for `UNDATED`.
* **Hours**: a standing limit on the lead's clock. "no texts after 8pm", "dont text me before
  9am", "stop texting me so early", "don't message me during work", "not on sundays", "no me
  manden mensajes en la noche"; or asked for with "only" ("only text me after 6", "text me
  only on weekends", "solo escríbeme en la tarde"), the hours it leaves out kept quiet.
  Without "only", "text me after 5" asks for one text later today: a pause until then.
* **Resume**: the lead lifts its own pause and hours ("you can text me now", "ya me pueden
  escribir").

Only the lead's own words are read (quoted text removed by the caller), and a request needs a
contact word (text, message, call, contact, escribir, mandar, llamar...) in the same sentence
as its time: "we're not moving until next year" is about the move, not about us. Moments are
resolved against every US zone and the latest taken, so a pause never ends early wherever the
lead is; the law's and the tenant's hours still apply after it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workers.consent.quiet import LeadHours, QuietWindow

UNDATED = timedelta(days=14)  # "until I'm back": how long a pause with no date lasts
# Every zone a US lead may be in, east to west: a day boundary is taken in each, the latest.
US_ZONES = tuple(ZoneInfo(z) for z in (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"))


@dataclass(frozen=True)
class Wait:
    """A pause the lead asked for, before it is placed in time: it ends at the start of a day
    on the lead's calendar (`day`: local today -> that day), at a time of day on its clock
    (`clock`: today's, or tomorrow's once past), or after a span from the message."""

    said: str  # the words it rests on, for people reading the ledger
    day: Callable[[date], date] | None = None
    clock: time | None = None
    span: timedelta | None = None

    def until(self, now: datetime, zones: Sequence[ZoneInfo]) -> datetime:
        """When the pause ends, for a message at `now` from a lead who may be in any of
        `zones`: the latest of their readings, so it never ends early where the lead is."""
        if self.span is not None:
            return now + self.span
        ends: list[datetime] = []
        for zone in zones or US_ZONES:
            local = now.astimezone(zone)
            if self.day is not None:
                ends.append(datetime.combine(self.day(local.date()), time(0), tzinfo=zone))
            else:
                assert self.clock is not None
                at = datetime.combine(local.date(), self.clock, tzinfo=zone)
                ends.append(at if at > local else at + timedelta(days=1))
        return max(ends).astimezone(UTC)

    def ends_after(self, now: datetime, zones: Sequence[ZoneInfo]) -> datetime | None:
        """`until`, when it is still to come: "check back in march" said in March asks for
        no wait at all."""
        end = self.until(now, zones)
        return end if end > now else None


@dataclass(frozen=True)
class Hours:
    hours: LeadHours
    said: str


@dataclass(frozen=True)
class Resume:
    said: str


Request = Wait | Hours | Resume


def fold(text: str) -> str:
    """Lower case, accents and apostrophes off, one space between words."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = re.sub(r"['\u2019\u2018`]", "", plain)
    return re.sub(r"[ \t]+", " ", plain)


# --- the words -----------------------------------------------------------------------------

_CONTACT_VERB = (r"(?:text\w*|txt\w*|messag\w*|msg\w*|contact\w*|call\w*|e-?mail\w*|reach\w*"
                 r"|ping\w*|bother\w*|hit (?:me|us) up|hear from|send (?:me|us) (?:any|stuff|\w+s)"
                 r"|escrib\w*|mand\w*|envi\w*|llam\w*|molest\w*|recib\w*|busc\w*)")
_CONTACT_NOUN = (r"(?:texts?|txts?|messages?|msgs?|calls?|e-?mails?|mensajes?|msjs?|llamadas"
                 r"|correos|informacion|info)")
# A negation that bears on a contact word within three words: "dont text", "please do not
# contact us", "no me escriban", "no quiero recibir", "no texts", "stop texting me so early".
_NEG = r"(?:dont|do not|pls dont|please dont|never|stop|quit|no|not|nada de)"
_NOT_NEG = r"(?:mind|care|worry|hesitate|problem|worries|rush|pressure|prob|te preocupes)"
_NEGATED = re.compile(
    rf"\b{_NEG}\b(?! {_NOT_NEG}\b)(?: [\w-]+){{0,3}}? (?:{_CONTACT_VERB}|{_CONTACT_NOUN})\b"
    rf"|^\s*{_NEG} {_CONTACT_NOUN}\b")
_ASKED = re.compile(
    r"\b(?:text|txt|call|contact|message|msg|e-?mail|ping|reach (?:back )?out|hit (?:me|us) up"
    r"|get back to (?:me|us)|get in touch|follow up|check (?:back|in)|circle back|touch base"
    r"|try (?:me|us)(?: again)?|talk|lets talk|talk to you|ttyl|hmu|hablamos|hablemos|escribeme"
    r"|escribame|escribenos|escribanme|llamame|llameme|llamenme|contactame|contacteme"
    r"|contactenme|mandame|buscame|hablame|hableme)\b")
# Whose contact it is: "i'll call you next week", "my wife will text you tomorrow" (the lead
# or someone else does the contacting), "got your text at 9pm" (a noun, not a request).
_NOT_ASKED_BEFORE = re.compile(
    r"\b(?:i|ill|id|im|ive|we|well|wed|were|weve|he|hell|she|shell|they|theyll|my \w+|our \w+"
    r"|his \w+|her \w+|their \w+|yo|nosotros|mi \w+|nuestr[oa] \w+|el|ella|ellos)"
    r"(?: (?:will|would|can|could|might|may|should|shall|wont|gonna|going to|want to|wanna"
    r"|plan to|need to|have to|te|le|les|lo|la))* $"
    r"|\b(?:your|my|the|a|an|that|this|his|her|their|our|ur|tu|su|el|la|un|una|tus|sus)\s$")
# "you can text me again", "ya me pueden escribir": the whole sentence, unconditioned ("you
# can text me again when the market cools" lifts nothing; "...next year" is a pause).
_RESUME = re.compile(
    r"^(?:(?:ok|okay|k|yes|yeah|sure|si|bueno|ya|were looking again|im back|we are back)"
    r"\s*)*\b(?:you can|u can|you may|feel free to|go ahead and|its ok to|its okay to"
    r"|its fine to|ok to|okay to|fine to)(?: \w+)? (?:text|call|message|contact|reach|email)\w*"
    r"(?: (?:me|us))?(?: (?:now|anytime|any time|whenever|again|out|back)){0,2}\W*$"
    r"|^(?:ya )?(?:me |nos )?(?:pueden|puedes|puede) (?:volver a )?(?:escribir|llamar|contactar"
    r"|mandar)\w*(?: mensajes)?(?: (?:de nuevo|otra vez|ya))?\W*$")
_MONTHS = {
    "january": 1, "jan": 1, "enero": 1, "february": 2, "feb": 2, "febrero": 2, "march": 3,
    "mar": 3, "marzo": 3, "april": 4, "apr": 4, "abril": 4, "may": 5, "mayo": 5, "june": 6,
    "jun": 6, "junio": 6, "july": 7, "jul": 7, "julio": 7, "august": 8, "aug": 8,
    "agosto": 8, "september": 9, "sept": 9, "sep": 9, "septiembre": 9, "setiembre": 9,
    "october": 10, "oct": 10, "octubre": 10, "november": 11, "nov": 11, "noviembre": 11,
    "december": 12, "dec": 12, "diciembre": 12,
}
_WEEKDAYS = {
    "monday": 0, "mon": 0, "lunes": 0, "tuesday": 1, "tue": 1, "tues": 1, "martes": 1,
    "wednesday": 2, "wed": 2, "miercoles": 2, "thursday": 3, "thu": 3, "thurs": 3,
    "jueves": 3, "friday": 4, "fri": 4, "viernes": 4, "saturday": 5, "sat": 5, "sabado": 5,
    "sunday": 6, "sun": 6, "domingo": 6,
}
_COUNTS = {"a": 1, "an": 1, "one": 1, "un": 1, "una": 1, "two": 2, "dos": 2, "couple": 2,
           "a couple": 2, "a couple of": 2, "un par de": 2, "three": 3, "tres": 3, "few": 3,
           "a few": 3, "unos": 3, "unas": 3, "unos cuantos": 3, "four": 4, "cuatro": 4,
           "five": 5, "cinco": 5, "six": 6, "seis": 6}
_UNIT_DAYS = {"day": 1, "dia": 1, "week": 7, "wk": 7, "semana": 7, "month": 30, "mo": 30,
              "mes": 30, "year": 365, "yr": 365, "ano": 365}

_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_WEEKDAY = "(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + ")"
_COUNT = r"(?:\d{1,2}|a couple of|a couple|un par de|unos cuantos|a few|couple|few|an?|one|two|three|four|five|six|una?|unos|unas|dos|tres|cuatro|cinco|seis)"  # noqa: E501
_UNIT = r"(?:days?|dias?|weeks?|wks?|semanas?|months?|mos?|mes(?:es)?|years?|yrs?|anos?)"
_CLOCK = (r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>am|pm|a\.m\.?|p\.m\.?|a m|p m)?"
          r"(?:\s*(?:oclock|o clock|hrs))?"
          r"(?P<part>\s*(?:de la|in the|at) (?:manana|tarde|noche|morning|evening|night))?")

_UNTIL = r"(?:until|untill|till|til|hasta|before|antes de(?:l)?|through|thru)"
_AFTER = r"(?:after|past|despues de(?:l)?|pasad[oa]s?)"
_HOLIDAYS = (r"(?:the holidays|holidays|las fiestas|fiestas|las festividades|navidad|christmas"
             r"|xmas|new years?(?: day)?|the new year|ano nuevo|thanksgiving|dia de accion de"
             r" gracias)")


# --- days ----------------------------------------------------------------------------------

def _next_weekday(today: date, weekday: int) -> date:
    """The next `weekday` strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _on_or_after(today: date, month: int, day: int) -> date:
    """`month`/`day` this year, or next year's once it has passed."""
    this = date(today.year, month, min(day, 28 if month == 2 else 30 if month in (4, 6, 9, 11)
                                       else 31))
    return this if this >= today else this.replace(year=today.year + 1)


def _after_holidays(today: date) -> date:
    """The end of the year-end holidays (January 2nd), next one to come."""
    return _on_or_after(today, 1, 2)


def _thanksgiving_after(today: date) -> date:
    """The day after the next US Thanksgiving (the fourth Thursday of November)."""
    for year in (today.year, today.year + 1):
        first = date(year, 11, 1)
        day = first + timedelta(days=(3 - first.weekday()) % 7 + 21 + 1)
        if day >= today:
            return day
    raise AssertionError("unreachable")


_SEASONS = {"spring": (3, 20), "primavera": (3, 20), "summer": (6, 21), "verano": (6, 21),
            "fall": (9, 22), "autumn": (9, 22), "otono": (9, 22), "winter": (12, 21),
            "invierno": (12, 21)}
_SEASON = "(?:" + "|".join(_SEASONS) + ")"
_DAY_WORDS = (
    rf"(?P<holidays>{_HOLIDAYS})"
    r"|(?P<tomorrow>tomorrow|tmrw|tmr|manana(?! (?:en|por) la))"
    r"|(?P<next_week>next week|the next week|la proxima semana|la semana que viene"
    r"|la otra semana|this week|the rest of (?:the|this) week|esta semana)"
    r"|(?P<weekend>(?:this |the )?weekend|el fin de semana|este fin de semana)"
    r"|(?P<next_month>next month|the next month|el proximo mes|el mes que viene|this month"
    r"|the end of the month|end of the month|el fin de mes|fin de mes|fin del mes|este mes)"
    r"|(?P<next_year>next year|the new year|el proximo ano|el ano que viene|the end of the year"
    r"|end of the year|fin de ano|fin del ano|este ano)"
    rf"|(?P<edge>end of|the end of|late|finales de|fin de|mid|mediados de|early|principios de)?"
    rf" ?(?:the )?(?P<month>{_MONTH})\b(?: (?P<mday>\d{{1,2}})(?:st|nd|rd|th)?)?"
    rf"|(?P<mday2>\d{{1,2}}) de (?P<month2>{_MONTH})"
    rf"|(?:(?:next|the|el|este|el proximo) )?(?P<weekday>{_WEEKDAY})s?"
    rf"|(?:the )?(?P<season>{_SEASON})"
)
_DAY_RE = re.compile(rf"(?:{_DAY_WORDS})\b")


def _day_of(m: re.Match[str], after: bool) -> Callable[[date], date] | None:
    """The local day a pause ends at, from a day expression (`after`: "after X" or "until
    after X", so the day past X's)."""
    g = m.groupdict()
    if g["holidays"]:
        word = g["holidays"]
        if "thanks" in word or "gracias" in word:
            return _thanksgiving_after
        if any(w in word for w in ("christmas", "xmas", "navidad")):
            return lambda today: _on_or_after(today, 12, 26 if after else 25)
        return _after_holidays
    if g["tomorrow"]:
        return lambda today: today + timedelta(days=2 if after else 1)
    # "this week" (month, year, weekend): negated, until it ends; asked for, it is now.
    within = any(w in m.group() for w in ("this", "esta", "este", "rest of"))
    if within and not after:
        return None
    if g["next_week"]:
        later = 7 if after and not within else 0  # "don't text me next week": the one after
        return lambda today: _next_weekday(today, 0) + timedelta(days=later)
    if g["weekend"]:
        if after:
            return lambda today: _next_weekday(today, 0)
        return lambda today: today if today.weekday() >= 5 else _next_weekday(today, 5)
    if g["next_month"]:
        if after and not within and "end" not in g["next_month"] and "fin" not in \
                g["next_month"]:
            return lambda today: _first_of_next_month(_first_of_next_month(today))
        return _first_of_next_month
    if g["next_year"]:
        return lambda today: date(today.year + 1, 1, 1)
    month = g["month"] or g["month2"]
    if month:
        number = _MONTHS[month]
        mday = g["mday"] or g["mday2"]
        if mday and 1 <= int(mday) <= 31:
            day = int(mday)
            return lambda today: _on_or_after(today, number, day) + timedelta(days=int(after))
        edge = g["edge"] or ""
        if after or edge in ("end of", "the end of", "late", "finales de", "fin de"):
            return lambda today: _first_of_next_month(_on_or_after(today, number, 1))
        if edge in ("mid", "mediados de"):
            return lambda today: _on_or_after(today, number, 15)
        return lambda today: (today if today.month == number
                              else _on_or_after(today, number, 1))
    if g["weekday"]:
        weekday = _WEEKDAYS[g["weekday"]]
        return lambda today: _next_weekday(today, weekday) + timedelta(days=int(after))
    if g["season"]:
        month_, day_ = _SEASONS[g["season"]]
        return lambda today: (_on_or_after(today, month_, day_)
                              + timedelta(days=91 if after else 0))
    return None


def _span(m: re.Match[str]) -> timedelta:
    count = m["count"]
    n = int(count) if count.isdigit() else _COUNTS.get(count, 1)
    unit = m["unit"]
    base = ("day" if unit.startswith(("day", "dia")) else "week" if unit.startswith(("week", "wk",
            "semana")) else "month" if unit.startswith(("month", "mo", "mes")) else "year")
    return timedelta(days=n * _UNIT_DAYS[base])


# --- clocks --------------------------------------------------------------------------------

def _clock(m: re.Match[str], evening: bool) -> time | None:
    """A clock time from `_CLOCK`'s groups (`_clock_of`)."""
    return _clock_of(m["h"], m["m"], m["ap"], m["part"], evening)


def _clock_of(h: str, mins: str | None, ap: str | None, part: str | None,
              evening: bool) -> time | None:
    """A clock time: "9am", "8:30 pm", "21:00", "las 9 de la noche"; without am/pm a bare
    hour reads as the evening's after "after" (`evening`: "no texts after 8" is 20:00) and
    as the morning's otherwise for 5-11 ("not before 9" is 09:00; "before 3" is 15:00)."""
    hour, minute = int(h), int(mins or 0)
    if hour > 23 or minute > 59:
        return None
    ap, part = (ap or "").replace(".", "").replace(" ", ""), (part or "").strip()
    pm = ap == "pm" or any(w in part for w in ("tarde", "noche", "evening", "night"))
    am = ap == "am" or any(w in part for w in ("manana", "morning"))
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    elif not (am or pm) and hour < 12 and (evening or hour < 5):
        hour += 12
    return time(hour, minute)


_BEFORE_CLOCK = re.compile(rf"\b(?:before|until|untill|till|til|antes de(?: las?)?"
                           rf"|hasta(?: las?)?|earlier than) (?:las? )?{_CLOCK}")
_AFTER_CLOCK = re.compile(rf"\b(?:after|past|later than|despues de(?: las?)?"
                          rf"|mas tarde de(?: las?)?) (?:las? )?{_CLOCK}")
_BETWEEN = re.compile(r"\b(?:between|entre(?: las?)?) (?:las? )?(?P<a>\d{1,2})(?::(?P<am>\d{2}))?"
                      r"\s*(?P<aap>am|pm)? (?:and|y|-|to) (?:las? )?(?P<b>\d{1,2})"
                      r"(?::(?P<bm>\d{2}))?\s*(?P<bap>am|pm)?")
_WINDOWS: tuple[tuple[re.Pattern[str], QuietWindow], ...] = (
    (re.compile(r"\b(?:before|until|till|antes del?) (?:noon|midday|mediodia)\b"),
     QuietWindow(time(0), time(12))),
    (re.compile(r"\b(?:(?:late )?at night|(?:so|this|too) late|late at night|late night"
                r"|nights|(?:en|por|de) la noche|de noche|en las noches|por las noches"
                r"|tan tarde|(?:in|during) the evenings?|evenings)\b"),
     QuietWindow(time(20), time(0))),
    (re.compile(r"\b(?:(?:so|this|too|super|very|real) early|early in the morning"
                r"|(?:muy |tan )?temprano|en la madrugada)\b"),
     QuietWindow(time(0), time(10))),
    (re.compile(r"\b(?:in the mornings?|mornings|(?:en|por) la manana|en las mananas"
                r"|por las mananas)\b"), QuietWindow(time(0), time(12))),
    (re.compile(r"\b(?:(?:during|at|while (?:im|i am) at) work|work(?:ing)? hours"
                r"|business hours|(?:during|in) the (?:work ?)?day|during my shift|on my shift"
                r"|while (?:im|i am) working|while i work|(?:en|durante) el trabajo"
                r"|(?:en )?horas? de trabajo|horario (?:de trabajo|laboral)|durante el dia"
                r"|cuando (?:estoy|este) trabajando|mientras trabajo)\b"),
     QuietWindow(time(9), time(17))),
)
_DAYS_OFF = re.compile(
    r"\b(?:on |los |el |en )?(?P<day>sundays?|saturdays?|mondays?|tuesdays?|wednesdays?"
    r"|thursdays?|fridays?|domingos?|sabados?|lunes|martes|miercoles|jueves|viernes)\b"
    r"|\b(?P<weekend>(?:on |the |los |el |en )?(?:weekends?|fines de semana|fin de semana))"
    r"|\b(?P<weekdays>(?:on )?weekdays|entre semana)\b")


def _between(m: re.Match[str]) -> tuple[time, time] | None:
    """The two clock times of a `_BETWEEN` match ("between 9 and 5": 09:00, 17:00), unless
    one is no time or they are the same."""
    a = _clock_of(m["a"], m["am"], m["aap"], None, False)
    b = _clock_of(m["b"], m["bm"], m["bap"], None, True)
    return (a, b) if a is not None and b is not None and a != b else None


def _hours(region: str) -> LeadHours | None:
    """The standing hours a negated request names in `region` (the words after it)."""
    quiet: QuietWindow | None = None
    if (m := _BETWEEN.search(region)) is not None:
        ends = _between(m)
        quiet = QuietWindow(*ends) if ends else None
    elif (m := _AFTER_CLOCK.search(region)) is not None and (t := _clock(m, True)) is not None:
        quiet = QuietWindow(t, time(0))
    elif (m := _BEFORE_CLOCK.search(region)) is not None and (t := _clock(m, False)) is not None:
        quiet = QuietWindow(time(0), t) if t != time(0) else None
    else:
        quiet = next((w for pattern, w in _WINDOWS if pattern.search(region)), None)
    days: set[int] = set()
    for m in _DAYS_OFF.finditer(region):
        if m["day"]:
            day = m["day"] if m["day"] in _WEEKDAYS else m["day"][:-1]  # "sundays", "domingos"
            days.add(_WEEKDAYS[day])
        elif m["weekend"]:
            days.update((5, 6))
        elif m["weekdays"]:
            days.update(range(5))
    if quiet is None and not days:
        return None
    return LeadHours(quiet, frozenset(days))


# --- reading a message -----------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?;,\n]+")
# Words between a contact word and its time: "text me back in march", "no quiero recibir
# informacion hasta marzo", "check back with me next week", "talk to you after the holidays".
_FILLER = re.compile(r"^(?:\s*\b(?:me|us|him|her|them|back|again|pls|please|then|up|out|on it"
                     r"|with (?:me|us)|to (?:me|us|you|u|ya)|you|u|ya|any ?more|more|anything"
                     r"|nothing|stuff|texts?|messages?|calls?|info|informacion|mensajes?|nada"
                     r"|mas|nos|porfa|por favor|all|ok|okay|about it|about that)\b)*")
_SPAN_AT = re.compile(rf"\s*(?:for|in|en|dentro de|por|another|otr[oa]s?)"
                      rf" (?:the next |the following |los proximos |las proximas )?"
                      rf"(?P<count>{_COUNT}) (?P<unit>{_UNIT})\b")
_UNTIL_AT = re.compile(rf"\s*{_UNTIL} (?P<after>after |despues de(?:l| las?| los)? )?"
                       r"(?:the |la |el |las |los )?")
_AFTER_AT = re.compile(rf"\s*{_AFTER} (?:the |la |el |las |los )?")
_IN_AT = re.compile(r"\s*(?:(?:sometime |some time |early |later )?in|en|around|for|por|a|para"
                    r"|on|el|come|by|at|over|during|durante) (?:the |la |el |los |las )?")
_AFTER_WORK = re.compile(r"\s*(?:after|despues del?) (?:work|the work ?day|trabajo|mi trabajo"
                         r"|lunch|almuerzo|la comida|school|class|clase)\b")
_AFTER_CLOCK_AT = re.compile(
    rf"\s*(?:after|past|later than|despues de(?: las?)?|a las|at|around) (?:las? )?{_CLOCK}"
    r"(?! ?(?:min|hour|hr|day|week|month|year|dia|semana|mes|ano|k\b|bed|bd|br|bath|sq))")
_REACH = 60  # characters after a contact word that its time may sit in


def _day_at(rest: str, after: bool, weekdays: bool = True) -> Callable[[date], date] | None:
    d = _DAY_RE.match(rest)
    if d is None or (d["weekday"] and not weekdays):
        return None
    return _day_of(d, after)


def _wait_at(rest: str, negated: bool) -> Wait | None:
    """The pause a time expression at the start of `rest` (the words right after a contact
    word) asks for: "for two weeks", "until after the holidays", "after new year's", "in
    march", "next week", "tomorrow". Negated ("don't text me tomorrow"), a day means all of
    it; a positive "text me at 5" / "after work" is a time today."""
    said = rest.strip()[:120]
    if (m := _SPAN_AT.match(rest)) is not None:
        return Wait(said, span=_span(m))
    if (m := _UNTIL_AT.match(rest)) is not None:
        day = _day_at(rest[m.end():], bool(m["after"]))
        if day is not None:
            return Wait(said, day=day)
        if negated and not _CLOCK_AHEAD.match(rest[m.end():]):
            return Wait(said, span=UNDATED)  # "until I'm back", "until you have something"
    if (m := _AFTER_AT.match(rest)) is not None:
        day = _day_at(rest[m.end():], True)
        if day is not None:
            return Wait(said, day=day)
    if not negated:
        if _AFTER_WORK.match(rest):
            return Wait(said, clock=time(17, 30))
        if (m := _AFTER_CLOCK_AT.match(rest)) is not None and (t := _clock(m, True)):
            return Wait(said, clock=t)
    if (m := _IN_AT.match(rest)) is not None:
        day = _day_at(rest[m.end():], negated, weekdays=not negated)
        if day is not None:
            return Wait(said, day=day)
    day = _day_at(rest.lstrip(), negated, weekdays=not negated)
    return Wait(said, day=day) if day is not None else None


_CLOCK_AHEAD = re.compile(r"(?:las? )?\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m|p\.m)?\b|noon|midday"
                          r"|mediodia|midnight")


def _after_contact(sentence: str, end: int) -> str:
    """The words after a contact word ending at `end`, past pronouns and filler."""
    rest = sentence[end:end + _REACH]
    return rest[_FILLER.match(rest).end():]  # type: ignore[union-attr]


# "only text me after 6", "text me only on weekends", "solo escríbeme en la tarde": a
# standing rule asked for in the positive, the hours it leaves out kept quiet.
_ONLY = re.compile(r"\b(?:only|solo|solamente|nomas|unicamente)\b")  # not "just": "simply"
_ONLY_WINDOWS: tuple[tuple[re.Pattern[str], QuietWindow], ...] = (
    # (an afternoon is kept quiet until 17:00 too: one window cannot end it at 19:00)
    (re.compile(r"^\s*(?:in the |during the |(?:por|en) las? )?(?:evenings?|nights?|tardes?"
                r"|noches?)\b"), QuietWindow(time(0), time(17))),
    (re.compile(r"^\s*(?:in the |during the |(?:por|en) las? )?(?:mornings?|mananas?)\b"),
     QuietWindow(time(12), time(0))),
    (re.compile(r"^\s*(?:after work|after hours|despues del trabajo)\b"),
     QuietWindow(time(0), time(17, 30))),
    (re.compile(r"^\s*(?:before (?:noon|midday)|antes del mediodia)\b"),
     QuietWindow(time(12), time(0))),
)
_ONLY_DAYS = re.compile(r"^\s*(?:on |the |los |el |en |(?:on )?the )?(?P<days>weekends?"
                        r"|fines? de semana|weekdays|entre semana)\b")


def _only_hours(rest: str) -> LeadHours | None:
    """The standing hours a positive "only ... <when>" leaves (`rest`: the words after the
    contact word): what it does not allow is quiet."""
    if (m := _BETWEEN.match(rest.lstrip())) is not None:
        ends = _between(m)
        return LeadHours(QuietWindow(ends[1], ends[0])) if ends else None
    if (m := _AFTER_CLOCK_AT.match(rest)) is not None and m.group().lstrip().startswith(
            ("after", "past", "later", "despues")) and (t := _clock(m, True)) is not None:
        return LeadHours(QuietWindow(time(0), t)) if t != time(0) else None
    if (m := _BEFORE_CLOCK.match(rest.lstrip())) is not None and (t := _clock(m, False)):
        return LeadHours(QuietWindow(t, time(0)))
    for pattern, window in _ONLY_WINDOWS:
        if pattern.match(rest):
            return LeadHours(window)
    if (m := _ONLY_DAYS.match(rest)) is not None:
        weekend = m["days"].startswith(("weekend", "fin"))
        return LeadHours(None, frozenset(range(5) if weekend else (5, 6)))
    return None


def _asked_hours(sentence: str, asked: re.Match[str]) -> Hours | None:
    """"only text me after 6" / "text me only on weekends": "only" by the contact word."""
    before = sentence[max(0, asked.start() - 12):asked.start()]
    rest = _after_contact(sentence, asked.end())
    only_after = _ONLY.match(rest.lstrip())
    if only_after is not None:
        rest = rest.lstrip()[only_after.end():]
    elif not _ONLY.search(before):
        return None
    hours = _only_hours(rest)
    return Hours(hours, sentence[asked.start():asked.end() + _REACH][:120]) if hours else None


def read(text: str) -> tuple[Request, ...]:
    """What the lead's own words ask of *when* we contact it: pauses, standing hours, or the
    lift of both; () when they ask nothing of the kind."""
    folded = fold(text)
    found: list[Request] = []
    for piece in _SENTENCE.finditer(folded):
        sentence = piece.group().strip()
        neg = _NEGATED.search(sentence)
        if neg is not None:
            found.extend(_negated(sentence, neg))
            continue
        asks = [a for a in _ASKED.finditer(sentence)
                if not _NOT_ASKED_BEFORE.search(sentence[:a.start()])]
        standing = next((h for a in asks if (h := _asked_hours(sentence, a))), None)
        wait = next((w for a in asks
                     if (w := _wait_at(_after_contact(sentence, a.end()), False))), None)
        if standing is not None:
            found.append(standing)
        elif wait is not None:
            found.append(wait)
        elif _RESUME.search(sentence) and not folded[piece.end():].lstrip().startswith("?"):
            found.append(Resume(sentence[:120]))
    return tuple(found)


def _negated(sentence: str, neg: re.Match[str]) -> list[Request]:
    """A negated request's pause ("don't text me until march", "no me escribas mañana") or
    standing hours ("no texts after 8pm", "not on sundays"): a time it is told to wait until
    or after, or a span, is a pause even when hours are named too."""
    region = sentence[neg.start():]
    fronted_words = sentence[:neg.start()].strip()
    if 0 < len(fronted_words.split()) <= 4:  # "los domingos no me escriban", "after 8 no texts"
        region = sentence
    rest = _after_contact(sentence, neg.end())
    # Its time after the contact word, or fronted: "hasta marzo no me escriban".
    fronted = _wait_at(sentence[:neg.start()], negated=True)
    wait = _wait_at(rest, negated=True) or (fronted if fronted and fronted.day else None)
    hours = _hours(region)
    said = region[:120]
    if wait is not None and (hours is None or wait.span is not None
                             or _UNTIL_AT.match(rest) or _AFTER_AT.match(rest)):
        return [replace(wait, said=said)]
    if hours is not None:
        return [Hours(hours, said)]
    return [replace(wait, said=said)] if wait is not None else []
