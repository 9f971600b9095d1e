"""What a lead chose from the slots it was offered (pure): `choose`. No I/O.

The lead's SMS (English or Spanish, typos, no accents, emojis) is read in three steps:

1. Tokens and clauses (`words`); each clause is positive, or negative when it holds a negation
   ("can't", "doesn't", "not", "no", "ninguno", "busy"...; "no problem", "can't wait" are
   not). A leading bare "no" followed by an ordinal is a correction ("no the second one").
2. Expressions in each clause, each a *term* over the offered slots: ordinals and options
   ("the second one", "#2", "option 2", "la primera", "la última", "the earlier one"),
   weekdays (with one typo), the weekend, relative days ("tomorrow", "mañana", "hoy",
   "pasado mañana") counted from `now` in the lead's timezone, dates ("March 14", "the 14th",
   "14 de marzo", "3/14"), times ("10", "at 2", "2pm", "10:30", "a las 2 de la tarde",
   "a la 1", "noon", "after 5") and parts of the day ("morning", "sunday afternoon", "por la
   tarde"). An hour without am/pm is either ("10" is 10:00 or 22:00); a bare number is an
   option or an hour ("2" is the second slot or 2 o'clock) and the two readings must agree.
   Terms next to each other describe one slot (a *mention*) until one kind repeats
   ("saturday at 10 or sunday at 2" is two mentions).
3. Each mention is the set of offered slots it fits, in the lead's timezone. Positive mentions
   are intersected (or, when that is empty, joined); negative ones exclude slots. Exactly one
   slot left: picked. Several, or a mention that fits none ("how about friday at 5?": the
   requested day and hour come back as `wanted_day` / `wanted_hour`), or a hedge ("maybe",
   "not sure", "let me check"): unclear — never a guess. No mention: a refusal ("no",
   "neither", "none of those work", "ninguno", "no puedo", "other times?") is none; an
   affirmation ("yes", "perfect", "dale") picks the slot only when exactly one was offered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from workers.booking import words
from workers.booking.slots import zone_of

ChoiceKind = Literal["picked", "none", "unclear"]
Attr = Literal["ordinal", "day", "time", "period"]


@dataclass(frozen=True)
class Choice:
    """The lead's answer to an offer: `picked` (`index` into the offered slots), `none` (none
    of them works) or `unclear` (ask again; `wanted_day` / `wanted_hour`, in the lead's
    timezone, when the lead named a day or an hour that was not offered)."""

    kind: ChoiceKind
    index: int | None = None
    wanted_day: date | None = None
    wanted_hour: int | None = None

    def __post_init__(self) -> None:
        if (self.kind == "picked") != (self.index is not None):
            need = "needs" if self.kind == "picked" else "has no"
            raise ValueError(f"a {self.kind} choice {need} index (got {self.index!r})")


@dataclass(frozen=True)
class _Ctx:
    local: tuple[datetime, ...]  # the offered slots in the lead's timezone, as offered
    today: date

    @property
    def n(self) -> int:
        return len(self.local)


Test = Callable[[int, datetime], bool]


@dataclass(frozen=True)
class _Term:
    attr: Attr
    test: Test
    day: date | None = None  # the day it names (for wanted_day)
    hour: int | None = None  # the hour it names, 0-23 (for wanted_hour)


@dataclass
class _Mention:
    terms: list[_Term] = field(default_factory=list)

    def fits(self, ctx: _Ctx) -> frozenset[int]:
        return frozenset(i for i, s in enumerate(ctx.local)
                         if all(t.test(i, s) for t in self.terms))


# --- vocabulary ----------------------------------------------------------------------------

WEEKDAYS: dict[str, int] = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "weds": 2, "wensday": 2, "wendsday": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
    "lunes": 0, "lun": 0, "martes": 1, "miercoles": 2, "mie": 2, "jueves": 3, "jue": 3,
    "viernes": 4, "vie": 4, "sabado": 5, "sab": 5, "domingo": 6, "dom": 6,
}
_FULL_DAYS = [w for w in WEEKDAYS if len(w) >= 6]
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    "enero": 1, "ene": 1, "febrero": 2, "marzo": 3, "abril": 4, "abr": 4, "mayo": 5,
    "junio": 6, "julio": 7, "agosto": 8, "ago": 8, "septiembre": 9, "setiembre": 9,
    "octubre": 10, "noviembre": 11, "diciembre": 12, "dic": 12,
}
NUMBER_WORDS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "doce": 12,
}
# Number words that are numbers only after "at", "a las", "option"... ("one", "once").
CONTEXT_NUMBER_WORDS: dict[str, int] = {"one": 1, "uno": 1, "una": 1, "once": 11}
ORDINAL_WORDS: dict[str, int] = {
    "first": 0, "second": 1, "third": 2,
    "primero": 0, "primera": 0, "primer": 0, "segundo": 1, "segunda": 1, "tercero": 2,
    "tercera": 2, "tercer": 2,
}
BOTH_WORDS = frozenset({"both", "ambas", "ambos"})
LAST_WORDS = frozenset({"last", "ultimo", "ultima", "final"})
_SPANISH_ORDINAL_SUFFIXES = ("ro", "ra", "do", "da", "er", "era", "°")
_ENGLISH_ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")
OPTION_WORDS = frozenset({"option", "opcion", "opt", "choice", "number", "numero", "num", "#",
                          "no"})
ONE_WORDS = frozenset({"one", "option", "opcion", "choice", "slot", "time", "ones", "opt"})
RELATIVE: dict[tuple[str, ...], int] = {
    ("day", "after", "tomorrow"): 2, ("pasado", "manana"): 2,
    ("today",): 0, ("hoy",): 0, ("tomorrow",): 1, ("tmrw",): 1, ("tmr",): 1, ("tmw",): 1,
    ("tmrrw",): 1, ("tomorow",): 1, ("tommorow",): 1, ("tommorrow",): 1, ("2morrow",): 1,
    ("2moro",): 1, ("manana",): 1,
}
# Parts of the day: hours [start, end).
PERIODS: dict[str, tuple[int, int]] = {
    "morning": (0, 12), "mornin": (0, 12), "manana": (0, 12),
    "afternoon": (12, 18), "tarde": (12, 20),
    "evening": (17, 24), "night": (17, 24), "noche": (18, 24),
}
_TODAY_PERIODS: dict[tuple[str, str], str] = {
    ("this", "morning"): "morning", ("this", "afternoon"): "afternoon",
    ("this", "evening"): "evening", ("esta", "manana"): "manana", ("esta", "tarde"): "tarde",
    ("esta", "noche"): "noche",
}
WEEKEND = (("this", "weekend"), ("the", "weekend"), ("weekend",), ("wknd",), ("finde",),
           ("fin", "de", "semana"))
TIME_PREFIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("despues", "de", "las"), "after"), (("despues", "de", "la"), "after"),
    (("antes", "de", "las"), "before"), (("antes", "de", "la"), "before"),
    (("como", "a", "las"), "at"), (("como", "a", "la"), "at"),
    (("a", "eso", "de", "las"), "at"), (("a", "las"), "at"), (("a", "la"), "at"),
    (("las",), "at"), (("at",), "at"), (("@",), "at"), (("around",), "at"),
    (("after",), "after"), (("before",), "before"),
)
NOON = (("noon",), ("midday",), ("mediodia",), ("medio", "dia"), ("12", "noon"))
MINUTE_WORDS: dict[tuple[str, ...], int] = {
    ("y", "media"): 30, ("y", "cuarto"): 15, ("thirty",): 30, ("fifteen",): 15,
    ("forty", "five"): 45, ("y", "treinta"): 30,
}
MERIDIEMS = frozenset({"am", "pm"})
CLOCK_WORDS = frozenset({"oclock", "hrs", "horas", "hr"})

NEGATIONS = frozenset({
    "not", "no", "nope", "nah", "cant", "cannot", "dont", "doesnt", "didnt", "wont", "isnt",
    "aint", "never", "neither", "nor", "none", "busy", "unavailable", "ninguno", "ninguna",
    "ningun", "ni", "tampoco", "nunca", "ocupado", "ocupada", "imposible", "nada",
})
NEUTRAL = (("no", "problem"), ("no", "prob"), ("no", "probs"), ("no", "worries"),
           ("not", "a", "problem"), ("no", "hay", "problema"), ("sin", "problema"),
           ("cant", "wait"), ("why", "not"), ("why", "dont"), ("no", "doubt"), ("de", "nada"),
           ("por", "que", "no"), ("no", "te", "preocupes"), ("no", "se", "preocupe"))
HEDGE_WORDS = frozenset({"maybe", "perhaps", "idk", "dunno", "unsure", "quizas", "quiza",
                         "talvez", "probably", "possibly", "might"})
HEDGES = (("not", "sure"), ("no", "se"), ("tal", "vez"), ("let", "me", "check"),
          ("let", "me", "see"), ("let", "me", "think"), ("dejame", "ver"), ("dejeme", "ver"),
          ("dejame", "checar"), ("dejeme", "checar"), ("let", "you", "know"),
          ("le", "aviso"), ("te", "aviso"), ("les", "aviso"), ("get", "back", "to", "you"),
          ("not", "certain"), ("no", "estoy", "seguro"), ("no", "estoy", "segura"))
AFFIRM_WORDS = frozenset({
    "yes", "yeah", "yea", "yep", "yup", "ya", "sure", "ok", "okay", "k", "kk", "perfect",
    "great", "works", "good", "fine", "alright", "absolutely", "definitely", "sounds",
    "either", "any", "whichever", "si", "perfecto", "perfecta", "dale", "claro", "va", "sale",
    "listo", "bueno", "bien", "acuerdo", "excelente", "genial", "vale", "cualquiera",
    "funciona", "sirve", "confirmo", "confirmed", "book", "agenda", "agendalo",
})
LATER_WORDS = frozenset({"later", "earlier", "sooner", "else", "mas", "next", "after",
                         "before"})
OTHER_WORDS = frozenset({"other", "another", "else", "different", "otro", "otra", "otros",
                         "otras", "diferente"})
# A Spanish "no" before these negates the verb ("no puedo el sábado"), it does not correct.
SPANISH_NEGATED = frozenset({"puedo", "podemos", "puede", "pueden", "podre", "podria", "me",
                             "te", "le", "les", "nos", "lo", "se", "tengo", "estoy", "hay",
                             "voy", "quiero", "sirve", "sirven", "funciona", "funcionan",
                             "creo", "es", "esta", "va", "alcanzo", "llego", "gracias"})
_ARTICLES = frozenset({"the", "el", "la", "that", "this", "esa", "ese", "esta", "este"})


# --- readers: each reads the expression starting at clause[i], or returns None --------------

Read = tuple[list[_Term], int] | None


def _int(tok: str, *, context: bool = False) -> int | None:
    if tok.isdigit():
        return int(tok)
    if tok in NUMBER_WORDS:
        return NUMBER_WORDS[tok]
    if context and tok in CONTEXT_NUMBER_WORDS:
        return CONTEXT_NUMBER_WORDS[tok]
    return None


def _suffixed(tok: str) -> tuple[int, str] | None:
    """"2nd" -> (2, "en"), "2da" / "1°" -> (2, "es") / (1, "es")."""
    digits = "".join(c for c in tok if c.isdigit())
    rest = tok[len(digits):]
    if not digits or not rest or not tok.startswith(digits):
        return None
    if rest in _ENGLISH_ORDINAL_SUFFIXES:
        return int(digits), "en"
    if rest in _SPANISH_ORDINAL_SUFFIXES:
        return int(digits), "es"
    return None


def _day_number(tok: str) -> int | None:
    value = _int(tok) if tok.isdigit() else (s[0] if (s := _suffixed(tok)) else None)
    return value if value is not None and 1 <= value <= 31 else None


def _month(tok: str) -> int | None:
    return MONTHS.get(tok)


def _weekday(tok: str) -> int | None:
    if tok in WEEKDAYS:
        return WEEKDAYS[tok]
    if len(tok) >= 5:
        stem = tok[:-1] if tok.endswith("s") and tok[:-1] in WEEKDAYS else tok
        if stem in WEEKDAYS:
            return WEEKDAYS[stem]
        for name in _FULL_DAYS:
            if words.near(tok, name):
                return WEEKDAYS[name]
    return None


def _next_date(ctx: _Ctx, month: int, day: int) -> date | None:
    for year in (ctx.today.year, ctx.today.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if d >= ctx.today:
            return d
    return None


def _day_of_month(ctx: _Ctx, day: int) -> date | None:
    d = ctx.today
    for _ in range(62):
        if d.day == day:
            return d
        d += timedelta(days=1)
    return None


def _on_date(month: int, day: int) -> Test:
    return lambda _i, s: s.month == month and s.day == day


def _ordinal(k: int) -> Test:
    return lambda i, _s: i == k


def _date_term(ctx: _Ctx, month: int, day: int) -> _Term:
    return _Term("day", _on_date(month, day), day=_next_date(ctx, month, day))


def _read_date(c: list[str], i: int, ctx: _Ctx) -> Read:
    tok = c[i]
    month = _month(tok)
    if month is not None and i + 1 < len(c) and (day := _day_number(c[i + 1])) is not None:
        if i + 2 < len(c) and c[i + 2] in MERIDIEMS | CLOCK_WORDS:
            return None  # "mar 10 am": not a date
        return [_date_term(ctx, month, day)], i + 2
    day = _day_number(tok)
    if day is None:
        return None
    j = i + 1
    if j < len(c) and c[j] in ("of", "de"):
        j += 1
    if j < len(c) and (month := _month(c[j])) is not None:
        return [_date_term(ctx, month, day)], j + 1
    if tok.isdigit() and i + 2 < len(c) and c[i + 1] == "/" and c[i + 2].isdigit():
        a, b = int(tok), int(c[i + 2])
        readings = [(m, d) for m, d in ((a, b), (b, a)) if 1 <= m <= 12 and 1 <= d <= 31]
        if not readings:
            return None
        hint = _next_date(ctx, *readings[0]) if len(set(readings)) == 1 else None
        return [_Term("day", lambda _i, s: (s.month, s.day) in readings, day=hint)], i + 3
    return None


def _read_ordinal(c: list[str], i: int, ctx: _Ctx) -> Read:
    tok = c[i]
    before = c[i - 1] if i > 0 else ""
    after = c[i + 1] if i + 1 < len(c) else ""
    if tok in BOTH_WORDS or (tok in ("las", "los") and after == "dos" and before not in (
            "a", "de") and not _clock_follows(c, i + 2)):
        # "both", "las dos" (not "a las dos": at two): every slot, so never one
        return [_Term("ordinal", lambda _k, _s: True)], i + (1 if tok in BOTH_WORDS else 2)
    if tok in ORDINAL_WORDS:
        if tok == "second" and before in ("a", "one", "just", "per"):
            return None  # "give me a second"
        return [_Term("ordinal", _ordinal(ORDINAL_WORDS[tok]))], i + 1
    if tok in LAST_WORDS:
        if _weekday(after) is not None or after in ("week", "time", "night", "semana", "vez"):
            return None  # "last saturday", "last time"
        return [_Term("ordinal", _ordinal(ctx.n - 1))], i + 1
    if tok in OPTION_WORDS and after:
        k = _int(after, context=True)
        if k is None and after in ORDINAL_WORDS:
            k = ORDINAL_WORDS[after] + 1
        if k is not None and (tok != "no" or before in _ARTICLES) and 1 <= k <= 9:
            return [_Term("ordinal", _ordinal(k - 1))], i + 2
        return None
    suffixed = _suffixed(tok)
    if suffixed is not None:
        k, language = suffixed
        if language == "es" or after in ONE_WORDS:
            return [_Term("ordinal", _ordinal(k - 1))], i + 1
        # "2nd": the second option or the 2nd of the month; "14th": a day
        day = _day_of_month(ctx, k) if 1 <= k <= 31 else None
        return [_Term("ordinal" if k <= 3 else "day",
                      lambda idx, s: idx == k - 1 or s.day == k, day=day)], i + 1
    return _read_order(c, i, ctx)


def _read_order(c: list[str], i: int, ctx: _Ctx) -> Read:
    """"the earlier one" / "the earliest" / "la más temprana" / "the later one" / "latest"."""
    tok = c[i]
    before = c[i - 1] if i > 0 else ""
    after = c[i + 1] if i + 1 < len(c) else ""
    order = sorted(range(ctx.n), key=lambda k: ctx.local[k])
    framed = before in _ARTICLES or after in ONE_WORDS
    if tok in ("earliest", "soonest") or (tok in ("earlier", "sooner") and framed):
        keep = set(order[:1]) if tok in ("earliest", "soonest") else set(order[:-1])
        return [_Term("ordinal", lambda k, _s: k in keep)], i + 1
    if tok in ("latest",) or (tok == "later" and framed):
        keep = set(order[-1:]) if tok == "latest" else set(order[1:])
        return [_Term("ordinal", lambda k, _s: k in keep)], i + 1
    if tok == "mas" and before in ("la", "el") and after in ("temprano", "temprana", "tarde"):
        keep = set(order[:1]) if after != "tarde" else set(order[-1:])
        return [_Term("ordinal", lambda k, _s: k in keep)], i + 2
    return None


def _read_relative(c: list[str], i: int, ctx: _Ctx) -> Read:
    for pair, period in _TODAY_PERIODS.items():
        if words.find(c[i:i + 2], pair) == 0:
            start, end = PERIODS[period]
            return [_Term("day", _on_day(ctx.today), day=ctx.today),
                    _Term("period", _in_hours(start, end))], i + 2
    if c[i] == "tonight":
        return [_Term("day", _on_day(ctx.today), day=ctx.today),
                _Term("period", _in_hours(*PERIODS["night"]))], i + 1
    for phrase, days in RELATIVE.items():
        if words.find(c[i:i + len(phrase)], phrase) == 0:
            if phrase == ("manana",) and i > 0 and c[i - 1] in ("la", "esta"):
                return None  # "de la mañana": the morning
            day = ctx.today + timedelta(days=days)
            return [_Term("day", _on_day(day), day=day)], i + len(phrase)
    return None


def _on_day(day: date) -> Test:
    return lambda _i, s: s.date() == day


def _in_hours(start: int, end: int) -> Test:
    return lambda _i, s: start <= s.hour < end


def _read_weekday(c: list[str], i: int, ctx: _Ctx) -> Read:
    for phrase in WEEKEND:
        if words.find(c[i:i + len(phrase)], phrase) == 0:
            return [_Term("day", lambda _i, s: s.weekday() >= 5)], i + len(phrase)
    weekday = _weekday(c[i])
    if weekday is None:
        return None
    if c[i] in ("sun", "sat") and i > 0 and c[i - 1] in ("the", "i", "we", "he", "she"):
        return None  # "the sun", "I sat"
    ahead = (weekday - ctx.today.weekday()) % 7
    return [_Term("day", lambda _i, s: s.weekday() == weekday,
                  day=ctx.today + timedelta(days=ahead))], i + 1


def _read_time(c: list[str], i: int, ctx: _Ctx) -> Read:
    for phrase in NOON:
        if words.find(c[i:i + len(phrase)], phrase) == 0:
            return _clock(c, i + len(phrase), 12, 0, "at", fixed=frozenset({12}))
    if words.find(c[i:i + 2], ("half", "past")) == 0 and i + 2 < len(c):
        hour = _int(c[i + 2], context=True)
        if hour is not None and 1 <= hour <= 12:
            return _clock(c, i + 3, hour, 30, "at")
    mode = None
    j = i
    for prefix, m in TIME_PREFIXES:
        if words.find(c[i:i + len(prefix)], prefix) == 0:
            mode, j = m, i + len(prefix)
            break
    if j >= len(c):
        return None
    for phrase in NOON:
        if mode is not None and words.find(c[j:j + len(phrase)], phrase) == 0:
            return _clock(c, j + len(phrase), 12, 0, mode, fixed=frozenset({12}))
    tok = c[j]
    if ":" in tok:
        hour, minute = (int(x) for x in tok.split(":"))
        if hour > 23 or minute > 59:
            return None
        return _clock(c, j + 1, hour, minute, mode or "at")
    hour = _int(tok, context=mode is not None or _clock_follows(c, j + 1))
    if hour is None or hour > 23:
        return None
    if mode is None and not _clock_follows(c, j + 1):
        return None  # a bare number: `_read_number`
    return _clock(c, j + 1, hour, None, mode or "at")


def _clock_follows(c: list[str], j: int) -> bool:
    """After a number: am/pm, o'clock, "y media", "de la tarde", "in the morning"..."""
    if j >= len(c):
        return False
    if c[j] in MERIDIEMS | CLOCK_WORDS or c[j] in ("thirty", "fifteen"):
        return True
    return words.find(c[j:j + 2], ("y", "media")) == 0 or \
        words.find(c[j:j + 2], ("y", "cuarto")) == 0 or _period_at(c, j) is not None


def _period_at(c: list[str], j: int) -> tuple[str, int] | None:
    """A part of the day at c[j]: "in the morning", "de la tarde", "at night", "por la
    noche" -> (period, end index)."""
    for lead in (("in", "the"), ("de", "la"), ("en", "la"), ("por", "la"), ("at",), ("la",),
                 ()):
        k = j + len(lead)
        if words.find(c[j:k], lead) == 0 and k < len(c) and c[k] in PERIODS:
            if c[k] == "manana" and not lead:
                continue  # "manana" alone is tomorrow
            if c[k] == "tarde" and j > 0 and c[j - 1] == "mas" and not lead:
                continue  # "más tarde": later
            return c[k], k + 1
    return None


def _clock(c: list[str], j: int, hour: int, minute: int | None, mode: str, *,
           fixed: frozenset[int] | None = None) -> Read:
    """The time read from c[j] on, after its hour: minutes in words, o'clock, am/pm and a
    part of the day; `mode` at / after / before; `fixed`: the hours when already known."""
    for phrase, m in MINUTE_WORDS.items():
        if minute is None and words.find(c[j:j + len(phrase)], phrase) == 0:
            minute, j = m, j + len(phrase)
            break
    while j < len(c) and c[j] in CLOCK_WORDS:
        j += 1
    meridiem = c[j] if j < len(c) and c[j] in MERIDIEMS else None
    if meridiem:
        j += 1
        if not 1 <= hour <= 12:
            if hour == 0 or (hour > 12 and meridiem == "am"):
                return None
            meridiem = None  # "14 pm": 14:00
    hours: frozenset[int]
    if fixed is not None:
        hours = fixed
    elif meridiem is not None:
        hours = frozenset({hour % 12 + (12 if meridiem == "pm" else 0)})
    elif hour == 0 or hour > 12:
        hours = frozenset({hour})
    else:
        hours = frozenset({hour % 12, hour % 12 + 12})
    terms: list[_Term] = []
    period = _period_at(c, j)
    if period is not None:
        name, j = period
        start, end = PERIODS[name]
        in_period = frozenset(h for h in hours if start <= h < end)
        hours = in_period or frozenset({h for h in hours if h >= 12} or hours)
        terms.append(_Term("period", _in_hours(start, end)))
    resolved = _resolve(hours)
    if mode == "at":
        terms.insert(0, _Term("time", lambda _i, s: s.hour in hours and (
            minute is None or s.minute == minute), hour=resolved))
    else:
        threshold = (resolved, minute or 0)
        if mode == "after":
            terms.insert(0, _Term("time", lambda _i, s: (s.hour, s.minute) >= threshold))
        else:
            terms.insert(0, _Term("time", lambda _i, s: (s.hour, s.minute) < threshold))
    return terms, j


def _resolve(hours: frozenset[int]) -> int:
    """One hour for an hour said without am/pm: 1-7 in the afternoon, 8-11 in the morning."""
    if len(hours) == 1:
        return next(iter(hours))
    low = min(hours)
    return low + 12 if 1 <= low <= 7 else low


def _read_period(c: list[str], i: int, ctx: _Ctx) -> Read:
    found = _period_at(c, i)
    if found is None:
        return None
    name, j = found
    start, end = PERIODS[name]
    return [_Term("period", _in_hours(start, end))], j


def _read_number(c: list[str], i: int, ctx: _Ctx) -> Read:
    """"the 14", "el 2", "la 2", "el día 14" and bare numbers: an option, an hour or a day."""
    j = i
    article = c[i] in _ARTICLES and c[i] not in ("that", "this")
    if article:
        j += 1
        if j < len(c) and c[j] in ("dia", "day"):
            day = _day_number(c[j + 1]) if j + 1 < len(c) else None
            if day is None:
                return None
            return [_Term("day", lambda _i, s: s.day == day,
                          day=_day_of_month(ctx, day))], j + 2
    if j >= len(c):
        return None
    tok = c[j]
    value = _int(tok, context=article and c[i] == "la")
    if value is None:
        return None
    if j + 1 < len(c) and (c[j + 1] in ("of", "de", "/") or _month(c[j + 1])):
        return None
    if article and value <= 31:
        hour_ok = value <= 23
        hours = frozenset({value % 12, value % 12 + 12}) if 1 <= value <= 12 else frozenset(
            {value})
        return [_Term("time" if hour_ok else "day", lambda k, s: k == value - 1 or (
            hour_ok and s.hour in hours) or s.day == value,
            hour=_resolve(hours) if hour_ok else None)], j + 1
    if 1 <= value <= 12:
        hours = frozenset({value % 12, value % 12 + 12})
        return [_Term("time", lambda k, s: k == value - 1 or s.hour in hours,
                      hour=_resolve(hours))], j + 1
    if 13 <= value <= 23:
        return [_Term("time", lambda _k, s: s.hour == value, hour=value)], j + 1
    if 24 <= value <= 31:
        return [_Term("day", lambda _k, s: s.day == value,
                      day=_day_of_month(ctx, value))], j + 1
    return None


READERS: tuple[Callable[[list[str], int, _Ctx], Read], ...] = (
    _read_date, _read_ordinal, _read_relative, _read_weekday, _read_time, _read_period,
    _read_number,
)


def _terms(clause: list[str], ctx: _Ctx) -> list[_Term]:
    out: list[_Term] = []
    i = 0
    while i < len(clause):
        for read in READERS:
            got = read(clause, i, ctx)
            if got is not None:
                terms, i = got
                out.extend(terms)
                break
        else:
            i += 1
    return out


def _mentions(terms: list[_Term]) -> list[_Mention]:
    """Neighbouring terms describe one slot until a kind repeats."""
    out: list[_Mention] = []
    for term in terms:
        if not out or any(t.attr == term.attr for t in out[-1].terms):
            out.append(_Mention())
        out[-1].terms.append(term)
    return out


# --- the choice ----------------------------------------------------------------------------

def choose(text: str, offered: Sequence[datetime], tz: str, now: datetime) -> Choice:
    """Which of the `offered` slots (1-3, as listed in the offer) the lead's `text` picks,
    read in the lead's timezone `tz` ("tomorrow" counted from `now` there)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, not {text!r}")
    if not offered:
        raise ValueError("choose needs the offered slots (at least one)")
    zone = zone_of(tz)
    for value in (*offered, now):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"slots and now must be timezone-aware datetimes, not {value!r}")
    ctx = _Ctx(tuple(s.astimezone(zone) for s in offered), now.astimezone(zone).date())
    toks = words.tokens(text)
    hedge = _hedged(toks)
    positive: list[_Mention] = []
    negative: list[_Mention] = []
    refusal = affirm = ambiguous = False
    for raw in words.clauses(toks):
        clause = words.without(raw, NEUTRAL)
        correction = (clause[0] in ("no", "nope", "nah") and len(clause) > 1
                      and clause[1] not in SPANISH_NEGATED)
        body = clause[1:] if correction else clause
        mentions = _mentions(_terms(body, ctx))
        denied = any(t in NEGATIONS for t in body)
        if correction and not denied:
            if mentions and all(t.attr == "ordinal" for m in mentions for t in m.terms):
                denied = False  # "no the second one": a correction
            elif mentions:
                ambiguous = True  # "no sunday": not sunday, or no, sunday?
                continue
            else:
                denied = True  # "no thanks", "no puedo"
        if denied:
            negative.extend(mentions)
            refusal = refusal or not mentions
        else:
            positive.extend(mentions)
            if not mentions and _asks_other(body):
                refusal = True
            elif not mentions:
                affirm = affirm or any(t in AFFIRM_WORDS for t in body)
    fits = [m.fits(ctx) for m in positive]
    unmatched = [m for m, f in zip(positive, fits, strict=True) if not f]
    wanted_day = next((t.day for m in unmatched for t in m.terms if t.day), None)
    wanted_hour = next((t.hour for m in unmatched for t in m.terms if t.hour is not None), None)
    unclear = Choice("unclear", wanted_day=wanted_day, wanted_hour=wanted_hour)
    if hedge or ambiguous:
        return unclear
    excluded: frozenset[int] = frozenset().union(*(m.fits(ctx) for m in negative))
    everything = frozenset(range(ctx.n))
    if positive:
        if unmatched:
            return unclear
        both = frozenset.intersection(*fits)
        left = (both or frozenset().union(*fits)) - excluded
        return Choice("picked", next(iter(left))) if len(left) == 1 else unclear
    if affirm:
        if ctx.n == 1 and not refusal and not excluded:
            return Choice("picked", 0)
        return unclear
    if excluded == everything or (refusal and not excluded):
        return Choice("none")
    return unclear


def _hedged(toks: list[str]) -> bool:
    """"maybe", "not sure", "let me check", "no sé" (not "no se puede": a refusal)."""
    if any(t in HEDGE_WORDS for t in toks):
        return True
    bare = [t for t in toks if t not in (",", ".")]
    for phrase in HEDGES:
        i = words.find(bare, phrase)
        if i >= 0 and not (phrase == ("no", "se") and i + 2 < len(bare)
                           and bare[i + 2] in ("puede", "pueda", "va")):
            return True
    return False


def _asks_other(clause: list[str]) -> bool:
    """"any other times?", "anything else", "otro día": asks for different slots (not "the
    other one")."""
    for i, tok in enumerate(clause):
        if tok in OTHER_WORDS and not (i > 0 and clause[i - 1] in _ARTICLES):
            return True
        after = clause[i + 1] if i + 1 < len(clause) else ""
        if tok in ("anything", "something", "algo") and after in LATER_WORDS:
            return True
    return False
