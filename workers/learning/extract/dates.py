"""The date-expression reader: every phrase of a message that points at a day, as that day.

Phrasing classes, in English and Spanish (text is lower-cased and accent-folded):

* durations: "in 3 months", "within 60 days", "a year from now", "en dos meses";
* named months, with a part or a day: "by april", "mid-august", "end of june", "may 1",
  "the 15th of march", "a finales de junio", "el 15 de agosto";
* seasons: "by summer", "next spring", "fall of 2027", "el proximo verano";
* holidays (fixed and moving): Christmas, Thanksgiving, Labor Day, Memorial Day, July 4th,
  Easter, New Year, "after the holidays", Navidad ...; school terms ("before school starts");
* years and relative periods: "in 2028", "next year", "next month", "end of the year",
  "early next year", "el ano que viene";
* numeric dates: "by 5/1", "lease ends 6/30/27".

The reader only finds dates (SPEC: a named month or season counts to its first day unless a
day is given; "end of June" is June 30; a holiday counts to its date). Whether a date is a
*moving* timeline, and its bucket, is the timeline rule's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from .almanac import SEASONS, last_day, month_number, next_occurrence

# How the timeline rule must check a mention before believing it:
#   duration / numeric: needs a framing word (or a direct answer to "when?");
#   context: needs a moving context around it (not a past event);
#   year / next_month: stands on its own; next_year: anything but a past event.
Check = Literal["duration", "numeric", "context", "year", "next_month", "next_year"]


@dataclass(frozen=True)
class DateMention:
    """One date expression: where it is, the day it points at and how to check it."""

    start: int
    end: int
    target: date
    check: Check
    framed: bool = True


_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365, "s": 7, "a": 365}
_QTY_WORDS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "eighteen": 18, "a couple": 2,
    "a couple of": 2, "couple": 2, "couple of": 2, "a few": 3, "few": 3, "several": 3,
    "another": 1,
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "dieciocho": 18,
    "un par de": 2, "unos": 3, "unas": 3, "unos cuantos": 3, "unas cuantas": 3, "pocos": 3,
    "pocas": 3, "half a": 0.5, "half an": 0.5, "medio": 0.5,
}
_QTY = (r"\d+(?:\.\d+)?|half an?|medio|a couple(?: of)?|couple(?: of)?|a few|few|several|another"
        r"|an?|one"
        r"|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen|un par de|unos cuantos"
        r"|unas cuantas|unos|unas|pocos|pocas|una|uno|un|dos|tres|cuatro|cinco|seis|siete"
        r"|ocho|nueve|diez|doce|dieciocho")
_UNIT = (r"days?|weeks?|wks?|months?|mos?|years?|yrs?|dias?|semanas?|mes(?:es)?|anos?")
_DURATION = re.compile(
    rf"(?P<prep>\b(?:in|within|next|another|about|around|approximately|roughly|probably"
    rf"|maybe|not for|like|least|after|than|give or take|en|dentro de|como en|despues de"
    # the lead's own estimate: "i'd say 9 months", "thinking 6 months", "diría que 8 meses"
    rf"|(?:i'?d |i would |let'?s )?say|(?:yo )?diria(?: que)?|digamos|thinking|guessing"
    rf"|proximos|proximas|mas o menos en|aproximadamente"
    # the plan sized by it: "un plan a 2 años", "un horizonte de 18 meses"
    rf"|plan (?:a|de)|horizonte de|plazo de)\s+)?(?:the\s+|los\s+|las\s+)?"
    rf"(?:next\s+)?(?:about\s+|around\s+|like\s+|approx\.?\s+|roughly\s+|unos\s+|unas\s+)?"
    # a quantity is a whole word: "regresamos" holds no "a mos" (a month)
    rf"\b(?P<n>{_QTY})(?:\s*(?:-|to|or|a|o)\s*(?P<n2>\d+|two|three|four|five|six|seven|eight|nine"
    rf"|ten|twelve|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce))?\s*(?P<unit>{_UNIT})\b"
    r"(?P<half>\s+(?:and a half|y medio|y media))?"
    r"(?:\s+(?:or|o)\s+(?P<n3>\d+|two|three|four|five|six|dos|tres|cuatro|cinco|seis))?"
    # ... or after it: "a 5 year plan", "a 6 month timeline"
    r"(?P<tail>\s+from now|\s+out\b|\s+away\b|\s+a partir de hoy|\s+desde hoy|\s+notice\b"
    r"|\s+(?:plan|timeline|time ?frame|horizon|window)\b"
    r"|\s+(?:de )?aviso\b)?"
)
_DURATION_STOP = re.compile(r"^\s*(?:ago|into|behind|old|late|in a row|straight|running"
                            r"|now that|atras|de atraso)")
# How long something has lasted, said after "after" / "despues de": what filled the span follows
# ("after 32 years teaching", "after 8 years of renting", "after 20 years in this house",
# "despues de 15 anos rentando", "despues de 30 anos de maestra"). No time ahead.
_ELAPSED_AFTER = re.compile(r"\s+(?:of\s+)?\w+(?:ing|ando|iendo)\b|\s+(?:of|de)\s+\w+"
                            r"|\s+(?:in|at|en)\s+(?:this|our|my|esta|este|nuestra|nuestro|mi)\b"
                            r"|\s+(?:here|there|aqui|ahi|alla)\b")
_ELAPSED_PREP = frozenset(("after", "despues de"))
_DURATION_PAST = re.compile(r"\b(?:last|past|for the past|been|over the last|hace|desde hace"
                            r"|llevamos|ultimos|ultimas)\s*$")

_MONTH_WORD = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo"
               r"|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre"
               r"|diciembre")
_PART = (r"early|mid|late|end of|the end of|beginning of|start of|the start of"
         r"|the beginning of|a principios de|principios de|a inicios de|inicios de"
         r"|a comienzos de|a mediados de|mediados de|a finales de|finales de|a fines de"
         r"|fines de|para finales de|para fines de|fin de")
_MONTH = re.compile(
    rf"(?P<pre>\b(?:{_PART})[\s-]+)?"
    r"(?:\b(?:the\s+)?(?P<dayfirst>\d{1,2})(?:st|nd|rd|th)?\s+(?:of|de)\s+)?"
    rf"\b(?P<month>{_MONTH_WORD})\b\.?"
    r"(?:\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?![\s-]*(?:bed|bd|br|bath|ba\b|k\b|m\b|mil"
    r"|%|\+|recamaras|habitaciones|cuartos|banos|dormitorios|car|story|stories)))?"
    r"(?:,?\s+(?:of\s+|del?\s+)?(?P<year>20\d\d))?"
    # that month of next year: "march of next year", "marzo del año que viene"
    r"(?(year)|(?P<next_year>,?\s+(?:of\s+)?next year|\s+del? (?:ano que viene|proximo ano"
    r"|ano proximo|ano entrante))?)"
)
_ABBREVIATIONS = frozenset(("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
                            "nov", "dec"))
_SEASON_WORD = r"spring|summer|fall|autumn|winter|primavera|verano|otono|invierno"
_SEASON = re.compile(
    rf"(?P<pre>\b(?:after(?: the)?|despues del?|pasando el|this|next|early|late|mid|by|in|end of"
    rf"|the end of|este|esta|el proximo"
    rf"|la proxima|proximo|proxima|para el|en el|a finales del|a finales de|a principios del"
    rf"|a principios de)\s+)?\b(?P<season>{_SEASON_WORD})\b"
    r"(?P<next_after>\s+(?:que viene|entrante|proximo|(?:of |in )?next year"
    r"|del? (?:ano que viene|proximo ano|ano proximo)))?"
    r"(?:\s+(?:of\s+|del?\s+)?(?P<year>20\d\d))?"
)
_YEAR = re.compile(
    r"\b(?P<pre>end of|the end of|in|by|until|till|til|before|of|early|mid|late|around|sometime in"
    r"|en|para|hasta|antes de|a principios de|a mediados de|a finales de|a fines de"
    # a hedged year stands for the year too: "maybe 2028?", "probably 2029", "quizas 2028"
    r"|maybe|probably|prob|possibly|hopefully|ideally|likely|like|quizas|tal vez|probablemente)"
    # (an article may come between: "para el 2027", "hasta el 2028", "by the year 2029")
    r"[\s-]+(?:(?:the year|el ano|el)\s+)?(?P<year>20\d\d)\b"
    r"|^\W*(?P<alone>20\d\d)\W*$"  # a year said alone
    # ... or with a hedge after it: "2027 prob", "2028 i think", "2029 creo"
    r"|^\W*(?P<hedged>20\d\d)\s+(?:probably|maybe|hopefully|ideally|likely|or so|i think|i guess"
    r"|i hope|quizas|tal vez|creo|probablemente|ojala)\W*$"
)
# Where in the year a part points: mid -> July 1, late -> October 1, end -> December 31.
_YEAR_PART: dict[str, tuple[int, int]] = {
    "mid": (7, 1), "a mediados de": (7, 1), "late": (10, 1), "end of": (12, 31),
    "the end of": (12, 31), "a finales de": (12, 31), "a fines de": (12, 31),
}
_BUILT_BEFORE = re.compile(r"\b(?:built|since|construida|desde)\s+(?:in\s+|en\s+)?$")
_NUMERIC = re.compile(r"(?<![\d/.$])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])"
                      r"(?:/(?P<y>\d{2}|\d{4}))?(?![\d/])(?!\s*(?:ba|bath|br|bed))")
_NUMERIC_LEAD = re.compile(r"\b(?:by|on|before|until|till|til|ends?|ending|up|starting|around|after"
                           r"|para el|el|antes del?|hasta el)\s+(?:the\s+)?$")

_HOLIDAY_RAW: tuple[tuple[str, str], ...] = (
    ("after_the_holidays", r"\bafter (?:the )?holidays\b|\bdespues de (?:las )?fiestas\b"),
    ("the_holidays", r"\b(?:the )?holidays\b|\b(?:las )?fiestas decembrinas\b"),
    ("christmas_eve", r"\bchristmas eve\b|\bnochebuena\b"),
    ("christmas", r"\bchristmas\b|\bxmas\b|\bnavidad(?:es)?\b"),
    ("new_years_eve", r"\bnew year'?s eve\b"),
    ("thanksgiving", r"\bthanksgiving\b|\b(?:dia de )?accion de gracias\b"),
    ("labor_day", r"\blabou?r day\b"),
    ("memorial_day", r"\bmemorial day\b"),
    ("july_4th", r"\b(?:july|jul) (?:4th|4|fourth)\b|\b(?:4th|fourth) of july\b"
                 r"|\bindependence day\b|\b4 de julio\b"),
    ("easter", r"\beaster\b|\bpascua\b"),
    ("holy_week", r"\bsemana santa\b|\bholy week\b"),
    ("halloween", r"\bhalloween\b"),
    ("valentines", r"\bvalentine'?s(?: day)?\b"),
    ("mothers_day", r"\bmother'?s day\b"),
    ("fathers_day", r"\bfather'?s day\b"),
    ("cinco_de_mayo", r"\bcinco de mayo\b"),
    ("veterans_day", r"\bveterans'? day\b"),
    ("mlk_day", r"\bmlk day\b|\bmartin luther king(?: jr\.?)? day\b"),
    ("presidents_day", r"\bpresidents'? day\b"),
    ("school_start", r"\b(?:before|by|when|until|till|til) (?:the )?(?:new )?school(?: year)?"
                     r" (?:starts|begins|starting|beginning|kicks off|resumes)\b"
                     r"|\b(?:start|beginning) of (?:the )?(?:next |new )?school year\b"
                     r"|\bback to school\b|\b(?:before|by) (?:the )?(?:next |new )?school year"
                     r"|\b(?:inicio|regreso|comienzo) (?:a |de )?(?:las )?clases\b"
                     r"|\bantes de que (?:empiecen|comiencen|inicien) (?:las )?clases\b"),
    ("school_end", r"\b(?:end of (?:the )?school year|(?:finish|finishes|finishing|done with"
                   r"|complete"
                   r"|completes) (?:the )?school year"
                   r"|when school (?:ends|gets out|lets out"
                   r"|is out)|after (?:the )?school year|once school (?:ends|is out|gets out)"
                   r"|school(?: year)? (?:ends|is over|gets out|lets out)"
                   r"|fin (?:de|del) (?:ano escolar|curso|clases)"
                   r"|(?:cuando|despues de que|en cuanto) (?:terminen|acaben|salgan de)"
                   r" (?:las )?clases"
                   r"|al terminar el (?:ano escolar|curso))\b"),
)
# One alternation, longest phrasing first: "christmas eve" is not also "christmas", and
# "after the holidays" not also "the holidays".
_HOLIDAYS = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _HOLIDAY_RAW))
_RELATIVE_RAW: tuple[tuple[str, str], ...] = (
    ("end_next_month", r"\bend of next month\b|\bfinales del proximo mes\b"),
    ("next_month", r"\bnext month\b|\bel (?:proximo mes|mes que viene|mes entrante"
                   r"|mes que entra)\b"),
    ("year_after_next", r"\bthe year after next\b|\bdentro de dos anos\b"),
    ("this_time_next_year", r"\bthis time next year\b|\b(?:a|para) estas alturas del"
                            r" proximo ano\b"),
    ("mid_next_year", r"\b(?:mid|middle of) next year\b|\bmediados del (?:proximo ano"
                      r"|ano que viene)\b"),
    ("late_next_year", r"\blate next year\b|\bfinales del (?:proximo ano|ano que viene)\b"),
    ("end_next_year", r"\bend of next year\b"),
    ("next_year", r"\bnext year\b|\bafter the new year\b|\bnew year\b|\bnew year'?s\b"
                  r"|\b(?:after )?the first of the year\b"
                  r"|\b(?:el )?(?:proximo ano|ano que viene|ano entrante)\b|\bano nuevo\b"),
    ("end_of_year", r"\b(?:end of (?:the |this )?year|year[\s-]end|by december|fin de ano"
                    r"|(?:sometime |later |some time )?this year|(?:este|en este) ano"
                    r"|(?:finales|fines|fin) de(?:l| este)? ano"
                    r"|finales de(?:l)? ano|fines de(?:l)? ano|fin del ano)\b"),
    ("by_first", r"\bby the (?:1st|first)\b|\bpara el (?:1|primero) del? mes\b"),
)
_RELATIVE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _RELATIVE_RAW))


_GREETING = re.compile(r"\b(?:merry|happy|feliz|felices|hope you had an?|enjoy(?: the| your)?)"
                       r"\s+(?:\w+\s+)?$")


def _qty(raw: str) -> float:
    raw = raw.strip()
    return _QTY_WORDS[raw] if raw in _QTY_WORDS else float(raw)


def _next_date(today: date, month: int, day: int, year: int | None, *, allow_now: bool) -> date:
    """The next such day: a month already past means next year (unless it is this month and
    no day was given: "in march" said in March is now)."""
    if year is not None:
        return date(year, month, min(day, last_day(year, month)))
    target = date(today.year, month, min(day, last_day(today.year, month)))
    if target < today and not (allow_now and month == today.month):
        target = date(today.year + 1, month, min(day, last_day(today.year + 1, month)))
    return target


def _first_of_next_month(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def read_dates(text: str, today: date) -> list[DateMention]:
    """All date expressions of a normalised message, in text order."""
    out: list[DateMention] = []
    for reader, words in _GATES:  # defined below the readers
        if any(word in text for word in words):
            out.extend(reader(text, today))
    # a mention inside a longer one is part of it: "next year" in "fall of next year"
    out = [d for d in out if not any(
        o.start <= d.start and d.end <= o.end and o.end - o.start > d.end - d.start for o in out)]
    return sorted(out, key=lambda d: d.start)


def _durations(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _DURATION.finditer(text):
        if _DURATION_STOP.match(text[m.end() :]):
            continue
        if (m.group("prep") or "").strip() in _ELAPSED_PREP and _ELAPSED_AFTER.match(text, m.end()):
            continue  # "after 32 years teaching": a span that has passed
        if _DURATION_PAST.search(text[max(0, m.start() - 14) : m.start()]):
            continue
        unit = m.group("unit")
        per_unit = _UNIT_DAYS["y" if unit.startswith("an") else "m" if unit.startswith("mes")
                              else unit[0]]
        half = 0.5 if m.group("half") and not (m.group("n3") or m.group("n2")) else 0.0
        qty = _qty(m.group("n3") or m.group("n2") or m.group("n")) + half
        if per_unit == _UNIT_DAYS["y"] and not qty.is_integer():
            per_unit = 12 * _UNIT_DAYS["m"]  # half a year is six months (a month = 30 days)
        days = qty * per_unit
        framed = bool(m.group("prep") or m.group("tail"))
        out.append(DateMention(m.start(), m.end(), today + timedelta(days=days), "duration",
                               framed))
    return out


def _month_day(pre: str, year: int, month: int) -> int:
    """Day a month part points at: early 1, mid 15, late 20, end of -> last day."""
    if pre.startswith(("mid", "a mediados", "mediados")):
        return 15
    if pre.startswith("late"):
        return 20
    if "end of" in pre or "final" in pre or "fines" in pre or pre.startswith("fin "):
        return last_day(year, month)
    return 1


def _months(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _MONTH.finditer(text):
        word = m.group("month")
        day_given = m.group("day") or m.group("dayfirst")
        lead = text[max(0, m.start() - 10) : m.start()]
        alone = not text[: m.start()].strip(" !.,-") and not re.match(
            r"\s+(?:i|we|you|u|he|she|they|be|have|need|want|take|get|not|just|also|as)\b",
            text[m.end() :])  # "may" as the whole answer, or "may probably"
        if word == "may" and not (day_given or m.group("pre") or alone or re.search(
            r"\b(?:in|by|of|until|till|til|before|early|mid|late|around|since)\s+$", lead
        )):
            continue  # the verb "may"
        if word in _ABBREVIATIONS and not (
            day_given or m.group("pre") or re.search(
                r"\b(?:in|by|of|until|till|til|before|around)\s+$", lead)
        ):
            continue  # "mar", "dec", "jun" alone are not dates
        month = month_number(word)
        year = int(m.group("year")) if m.group("year") else None
        if m.group("next_year"):
            year = today.year + 1
        pre = (m.group("pre") or "").strip()
        if day_given:
            day = int(day_given)
            if not 1 <= day <= 31:
                continue
        else:
            day = _month_day(pre, year or today.year, month)
        # "next august" said in August is a year away, not now
        upcoming = re.search(r"\b(?:next|proximo|el proximo)\s+$", lead) is not None
        try:
            target = _next_date(today, month, day, year,
                                allow_now=not day_given and day == 1 and not upcoming)
        except ValueError:
            continue
        out.append(DateMention(m.start(), m.end(), target, "context"))
    return out


def _seasons(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _SEASON.finditer(text):
        month = SEASONS[m.group("season")]
        year = int(m.group("year")) if m.group("year") else None
        pre = (m.group("pre") or "").strip()
        is_next = "next" in pre or "proxim" in pre or bool(m.group("next_after"))
        after = m.group("next_after") or ""
        check: Check = "context"
        if year is None and ("year" in after or "ano" in after):
            year, check = today.year + 1, "next_year"  # "fall of next year", as "next year"
        target = date(year or today.year, month, 1)
        if year is None and target < today:
            in_season = (today - target).days < 92 and not is_next
            target = today if in_season else date(today.year + 1, month, 1)
        if pre.startswith(("after", "despues", "pasando")):
            # after the season: the first day of the next one ("after summer" = Sep 1)
            after_month = (month + 2) % 12 + 1
            target = date(target.year + (after_month < month), after_month, 1)
        elif pre in ("late", "mid") or "end of" in pre or "finales" in pre:
            # late summer: its last month; mid summer: the 15th of its middle month; end of
            # summer: its last day.
            shift = 1 if pre == "mid" else 2
            part_month = (month + shift - 1) % 12 + 1
            part_year = target.year + (part_month < month)
            day = 15 if pre == "mid" else 1 if pre == "late" else last_day(part_year, part_month)
            target = max(target, date(part_year, part_month, day))
        out.append(DateMention(m.start(), m.end(), target, check))
    return out


def _holidays(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _HOLIDAYS.finditer(text):
        if _GREETING.search(text, max(0, m.start() - 24), m.start()):
            continue  # "merry christmas!", "happy holidays", "feliz navidad"
        name = m.lastgroup or ""
        out.append(DateMention(m.start(), m.end(), next_occurrence(name, today), "context"))
    return out


def _relative(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    next_year = today.year + 1
    targets: dict[str, tuple[date, Check]] = {
        "end_next_month": (_end_of_month(_first_of_next_month(today)), "next_month"),
        "next_month": (_first_of_next_month(today), "next_month"),
        "year_after_next": (date(today.year + 2, 1, 1), "next_year"),
        "this_time_next_year": (today + timedelta(days=365), "next_year"),
        "mid_next_year": (date(next_year, 7, 1), "next_year"),
        "late_next_year": (date(next_year, 10, 1), "next_year"),
        "end_next_year": (date(next_year, 12, 31), "next_year"),
        "next_year": (date(next_year, 1, 1), "next_year"),
        "end_of_year": (date(today.year, 12, 31), "context"),
        "by_first": (_first_of_next_month(today), "year"),
    }
    for m in _RELATIVE.finditer(text):
        if _GREETING.search(text, max(0, m.start() - 24), m.start()):
            continue  # "happy new year!"
        target, check = targets[m.lastgroup or ""]
        out.append(DateMention(m.start(), m.end(), target, check))
    return out


# "we have to be out by the 15th", "para el 20": the next such day of a month.
_DAY_OF_MONTH = re.compile(
    r"\b(?:by|before|until|till|til|no later than|para el|antes del?|hasta el)\s+(?:the\s+)?"
    r"(?P<d>[12]?\d|3[01])(?:st|nd|rd|th)?\b(?!\s*(?:of|de)\b)(?![\s-]*(?:/|k\b|%|\$|am\b|pm\b"
    r"|o'?clock|days?|weeks?|months?|years?|mil\b|bed|br\b|bath|dias|semanas|meses|anos"
    r"|recamaras|cuartos))"
)


def _days_of_month(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _DAY_OF_MONTH.finditer(text):
        raw = m.group(0)
        if not re.search(r"\d(?:st|nd|rd|th)\b|\bthe\s+\d|\b(?:para|antes|hasta)\s+el\b", raw):
            continue  # "by 15" alone is no day: only "the 15th", "el 15"
        day = int(m.group("d"))
        if not 1 <= day <= 31:
            continue
        month, year = today.month, today.year
        if day < today.day:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        target = date(year, month, min(day, last_day(year, month)))
        out.append(DateMention(m.start(), m.end(), target, "year"))
    return out


def _end_of_month(day: date) -> date:
    return date(day.year, day.month, last_day(day.year, day.month))


def _years(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _YEAR.finditer(text):
        year = int(m.group("year") or m.group("alone") or m.group("hedged"))
        part = _YEAR_PART.get(m.group("pre") or "")
        # A year already begun only counts with a part of it ("mid 2026" said in January).
        if year < today.year or (year == today.year and part is None) or re.search(
            rf"\b(?:{_SEASON_WORD}|{_MONTH_WORD})\W*$", text[max(0, m.start() - 14) : m.start()]
        ):
            continue
        if _BUILT_BEFORE.search(text, max(0, m.start() - 14), m.start()):
            continue
        month, day = part or (1, 1)
        target = max(today, date(year, month, day))
        out.append(DateMention(m.start(), m.end(), target, "year"))
    return out


def _numeric(text: str, today: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _NUMERIC.finditer(text):
        framed = bool(_NUMERIC_LEAD.search(text[max(0, m.start() - 16) : m.start()]))
        raw_year = m.group("y")
        year = None if raw_year is None else int(raw_year) + (2000 if len(raw_year) == 2 else 0)
        try:
            target = _next_date(today, int(m.group("m")), int(m.group("d")), year, allow_now=False)
        except ValueError:
            continue
        out.append(DateMention(m.start(), m.end(), target, "numeric", framed))
    return out


# Cheap gates: each reader runs only when a word it needs is in the text at all (substring
# tests are far cheaper than scanning a long alternation at every position).
_QUARTER = re.compile(
    r"\b(?:q(?P<q>[1-4])|(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th|last|primer|segundo"
    r"|tercer|cuarto|ultimo)\s+(?:quarter|trimestre))\b(?:\s+(?:of\s+|del?\s+)?(?P<year>20\d\d))?")
_QUARTER_NUMBER = {"first": 1, "1st": 1, "primer": 1, "second": 2, "2nd": 2, "segundo": 2,
                   "third": 3, "3rd": 3, "tercer": 3, "fourth": 4, "4th": 4, "last": 4, "cuarto": 4,
                   "ultimo": 4}


def _quarters(text: str, today: date) -> list[DateMention]:
    """A quarter of the year counts to its first day ("q4" = Oct 1); the quarter we are in is
    now, one already past this year is next year's."""
    out: list[DateMention] = []
    for m in _QUARTER.finditer(text):
        quarter = int(m.group("q")) if m.group("q") else _QUARTER_NUMBER[m.group("ord")]
        month = 3 * quarter - 2
        year = int(m.group("year")) if m.group("year") else None
        target = date(year or today.year, month, 1)
        if year is None and target < today:
            in_quarter = today.month < month + 3
            target = today if in_quarter else date(today.year + 1, month, 1)
        out.append(DateMention(m.start(), m.end(), target, "context"))
    return out


_GATES: tuple[tuple[Callable[[str, date], list[DateMention]], tuple[str, ...]], ...] = (
    (_quarters, ("q1", "q2", "q3", "q4", "quarter", "trimestre")),
    (_durations, ("day", "week", "wk", "mo", "year", "yr", "dia", "semana", "mes", "ano")),
    (_months, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
               "ene", "abr", "ago", "set", "dic")),
    (_seasons, ("spring", "summer", "fall", "autumn", "winter", "primavera", "verano", "otono",
                "invierno")),
    (_holidays, ("holiday", "christmas", "xmas", "navidad", "nochebuena", "new year", "thanks",
                 "gracias", "labor", "labour", "memorial", "jul", "fourth", "independence",
                 "easter", "pascua", "santa", "holy", "halloween", "valentine", "mother",
                 "father", "cinco de mayo", "veteran", "mlk", "luther", "president", "school",
                 "clases", "curso", "fiestas", "escolar")),
    (_relative, ("next", "year", "month", "first", "1st", "proxim", "que viene", "entrante",
                 "fin", "december", "ano", "mes")),
    (_years, ("20",)),
    (_numeric, ("/",)),
    (_days_of_month, ("by", "before", "until", "till", "til", "later than", "para el", "antes del",
                      "hasta el")),
)
