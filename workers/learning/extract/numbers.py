"""Number tokens: money ("450k", "$1.2m", "1.5 mil", "300ish"), counts and their units.

Every digit group in a message becomes a :class:`NumberToken` that records what follows it
(bedrooms, months, "/mo", sqft ...). Field rules then decide what a token means; a token
with a unit is never read as a price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_NUM = re.compile(
    r"(?<![\w.#/:])(?P<dollar>\$\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<suf>k|m|mm|mil|million|thousand|grand|billion)(?![a-z]))?(?P<ish>ish)?"
)
_SCALE = {"k": 1_000, "thousand": 1_000, "grand": 1_000, "m": 1_000_000, "mm": 1_000_000,
          "mil": 1_000_000, "million": 1_000_000}
_UNITS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("monthly", r"^\s*\+?\s*(?:/\s?(?:mo|month|mth|m|mes)\b|a month|per month|a mo\b|monthly"
                    r"|p/?m\b|each month|every month|al mes|por mes|mensual\w*|cada mes)"),
        ("yearly", r"^\s*(?:/\s?(?:yr|year)\b|a year|per year|annually|yearly|al ano|por ano"
                   r"|anual\w*)"),
        ("bed", r"^\s*\+?[\s-]*(?:bed|beds|bedroom|bedrooms|br|brs|bd|bds|bdrms?|bedrms?|b/r"
                r"|recamaras?|habitacion(?:es)?|cuartos?|dormitorios?|alcobas?|recs?)\b"),
        ("bath", r"^\s*\+?[\s-]*(?:ba|bath|baths|bathroom|bathrooms|bth|bths|full bath\w*"
                 r"|banos?)\b"),
        ("car", r"^\s*-?\s*car\b"),
        ("acre", r"^\s*\+?\s*(?:acre|acres|ac)\b"),
        ("area", r"^\s*\+?\s*(?:sq\.?\s?f(?:ee)?t|sqft|sf|square\s+f(?:ee|oo)t|metros|m2"
                 r"|pies cuadrados)\b"),
        ("duration", r"^\s*\+?\s*(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|dias?|semanas?"
                     r"|mes|meses|anos?)\b"),
        ("percent", r"^\s*%|^\s*percent\b"),
        ("ordinal", r"^(?:st|nd|rd|th)\b"),
        ("time", r"^\s*(?:am|pm|a\.m|p\.m|o'?clock)\b|^:\d\d"),
        ("count", r"^\s*(?:kids?|children|dogs?|cats?|units?|people|of (?:us|my|our|them|the)"
                  # "min" alone is a minimum ("3 min"); minutes only with a distance after it
                  r"|times?|minutes?|mins|min(?=\s+(?:away|from|drive|walk|commute|to|of|out))"
                  r"|hours?|hrs?|miles?|stor(?:y|ies|ey)|floors?|levels?"
                  r"|cars?|homes?|houses?|condos?|properties|doors|points|x\b|-?year-?old"
                  r"|yo\b|grandkids|bedroom|sqft|hijos|ninos|personas|perros|gatos|pisos"
                  r"|plantas|niveles|casas|propiedades|unidades|veces|minutos|horas|millas)\b"),
    )
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|to|or|a|o)\s*$")  # "400-450k", "de 300 a 350 mil"
_BETWEEN_JOIN = re.compile(r"^\s*(?:and|y)\s*$")  # "between 380 and 430", "entre 300 y 350"


@dataclass(frozen=True)
class NumberToken:
    """A number in the text, possibly a range "A-B", with its suffix and following unit."""

    start: int
    end: int
    value: float
    high: float | None = None
    suffix: str = ""
    low_suffix: str = ""
    dollar: bool = False
    grouped: bool = False
    ish: bool = False
    unit: str | None = None

    @property
    def is_range(self) -> bool:
        """True for "400-450k", "500 to 550", "between 380 and 430k"."""
        return self.high is not None

    @property
    def explicit_money(self) -> bool:
        """Written as money on its own: "$", "k"/"m" suffix or thousands separators."""
        return bool(self.suffix or self.dollar or self.grouped)


def unit_after(text: str, end: int) -> str | None:
    """The unit a number ending at ``end`` is counted in ("kids", "months", "bed"), if any."""
    return _unit_after(text, end)


def _unit_after(text: str, end: int) -> str | None:
    tail = text[end : end + 24]
    for name, pattern in _UNITS:
        if pattern.search(tail):
            return name
    return None


def _raw_tokens(text: str) -> list[NumberToken]:
    tokens: list[NumberToken] = []
    for match in _NUM.finditer(text):
        raw = match.group("num")
        value = float(raw.replace(",", ""))
        suffix = (match.group("suf") or "").strip()
        unit = _unit_after(text, match.end())
        if suffix == "billion":
            unit = "big"
        elif (
            not suffix
            and not match.group("dollar")
            and re.fullmatch(r"(?:19|20)\d\d", raw)
        ):
            unit = unit or "year"
        tokens.append(NumberToken(
            start=match.start(), end=match.end(), value=value, suffix=suffix, low_suffix=suffix,
            dollar=bool(match.group("dollar")), grouped="," in raw,
            ish=bool(match.group("ish")), unit=unit,
        ))
    return tokens


def number_tokens(text: str) -> list[NumberToken]:
    """All number tokens of ``text``, with "A-B" / "A to B" / "between A and B" merged."""
    raw = _raw_tokens(text)
    merged: list[NumberToken] = []
    i = 0
    while i < len(raw):
        tok = raw[i]
        if i + 1 < len(raw):
            nxt = raw[i + 1]
            gap = text[tok.end : nxt.start]
            between = re.search(r"\b(?:between|entre)\s+\$?\s*$",
                                text[max(0, tok.start - 12) : tok.start])
            if tok.unit in (None, nxt.unit) and (
                _RANGE_JOIN.match(gap) or (between and _BETWEEN_JOIN.match(gap))
            ) and nxt.unit not in ("year", "time"):
                merged.append(replace(
                    tok, end=nxt.end, high=nxt.value, suffix=nxt.suffix or tok.suffix,
                    low_suffix=tok.suffix or nxt.suffix,
                    dollar=tok.dollar or nxt.dollar, grouped=tok.grouped or nxt.grouped,
                    unit=nxt.unit, ish=nxt.ish,
                ))
                i += 2
                continue
        merged.append(tok)
        i += 1
    return merged


def scale(value: float, suffix: str) -> float:
    """Apply a k / m / mil / million suffix."""
    return value * _SCALE.get(suffix, 1)


def money_amounts(tok: NumberToken, *, thousands: bool) -> tuple[int, int | None] | None:
    """USD amount(s) of a money token; bare numbers under 10,000 need ``thousands``.

    A range shares the suffix of its upper end ("450-500k"); in "900k-1.1m" each end keeps
    its own. Returns ``None`` when the token cannot be a purchase price.
    """
    if tok.unit is not None:
        return None
    low_value, high_value = tok.value, tok.high
    if high_value is not None and tok.low_suffix in ("", tok.suffix):
        # Spoken hundreds: "3 to 3 fifty" is 300-350 and "3 fifty to 4" is 350-400.
        if low_value < 10 and 100 <= high_value < 1000:
            low_value *= 100
        elif high_value < 10 and 100 <= low_value < 1000:
            high_value *= 100
    low = _amount(low_value, tok.low_suffix, tok, thousands)
    if low is None:
        return None
    if high_value is None:
        return low, None
    high = _amount(high_value, tok.suffix, tok, thousands)
    if high is None or high < low:
        return None
    return low, high


def _amount(value: float, suffix: str, tok: NumberToken, thousands: bool) -> int | None:
    if suffix:
        return round(scale(value, suffix))
    if value >= 10_000:
        return round(value) if (tok.dollar or tok.grouped or thousands) else None
    if thousands and value >= 20:
        return round(value * 1_000)
    return None


def small_count(tok: NumberToken) -> int | None:
    """A bare count such as a bedroom answer ("3"), or ``None`` if it is not one."""
    if tok.explicit_money or tok.ish or tok.value >= 20:
        return None
    if tok.unit not in (None, "bed", "bath"):
        return None
    return int(tok.value) if tok.value.is_integer() else None
