"""The money-expression reader: amounts said in words or idioms, rewritten as digits.

Phrasing classes (English and Spanish, normalised text):

* cardinals: "four hundred thousand", "four hundred and fifty k", "two million",
  "one point eight million", "cuatrocientos cincuenta mil", "dos millones";
* spoken hundreds: "3 fifty", "four twenty five", "tres cincuenta" are said of prices only
  (350k, 425k), except as a clock time ("call me at four thirty", "4 fifteen pm"), where
  they are left alone; "four hundred" alone stays a bare 400 for the money rule to judge;
* fractions of a million: "half a mil", "a quarter million", "a million and a half",
  "medio millon", "un millon y medio";
* price bands: "low 400s" (= 400k, SPEC), "mid 300s" (= 350k), "high 300s" (= 375k);
* "mil" by language: Spanish "400 mil" is 400,000; in English "1.5 mil" is 1.5 million. A
  figure of 50 or more before "mil" is thousands in either language (no one means 400 million).

Each expression is replaced by digits ("450k", "1.8m", "350") padded with spaces to the same
length, so every offset the other rules use stays valid. The number rules then read them as
if the lead had typed digits.
"""

from __future__ import annotations

import re

_UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9,
}
_TEENS: dict[str, int] = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20,
    "veintiuno": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29,
}
_TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "fiddy": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70,
    "ochenta": 80, "noventa": 90,
}
_HUNDREDS_ES: dict[str, int] = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500,
    "quinientas": 500, "seiscientos": 600, "seiscientas": 600, "setecientos": 700,
    "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
    "novecientas": 900,
}
_THOUSAND = frozenset(("thousand", "grand", "k"))
_MILLION = frozenset(("million", "millions", "millon", "millones", "m", "mm"))
# Spanish number words: a run holding one is Spanish, so its "mil" is a thousand.
_ENGLISH_WORDS = frozenset((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty", "thirty", "forty", "fourty", "fifty", "fiddy", "sixty", "seventy",
    "eighty",
    "ninety"))
_SPANISH_WORDS = frozenset((*(w for w in (*_UNITS, *_TEENS, *_TENS) if w not in _ENGLISH_WORDS),
                            *_HUNDREDS_ES, "millon", "millones"))
_NUMBER_WORD = "|".join(sorted(
    (*_UNITS, *_TEENS, *_TENS, *_HUNDREDS_ES, "hundred", *_THOUSAND, *_MILLION, "mil",
     "point", "punto", "and", "y", "a"), key=len, reverse=True))
# A run of number words (and digits) joined by spaces or hyphens.
_RUN = re.compile(
    rf"(?<![\w.])(?:\d+(?:\.\d+)?|(?:{_NUMBER_WORD}))(?:[\s-]+(?:{_NUMBER_WORD}|\d+(?:\.\d+)?))*"
    r"(?![\w])"
)
_FRACTIONS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern), value) for pattern, value in (
        (r"\b(?:a|one|1)\s+(?:million|mil|m)\s+and\s+a\s+half\b"
         r"|\b(?:one|1|a)\s+and\s+a\s+half\s+(?:million|mil)\b|\bun\s+millon\s+y\s+medio\b"
         r"|\bmillon\s+y\s+medio\b", 1_500_000),
        (r"\b(?:a\s+)?half\s+(?:of\s+)?(?:a\s+)?(?:million|mil)\b|\bmedio\s+millon\b", 500_000),
        (r"\bthree\s+quarters?\s+(?:of\s+)?(?:a\s+)?(?:million|mil)\b", 750_000),
        (r"\btres\s+cuartos\s+de\s+millon\b", 750_000),
        (r"\b(?:a\s+)?quarter\s+(?:of\s+)?(?:a\s+)?(?:million|mil)\b"
         r"|\bun\s+cuarto\s+de\s+millon\b", 250_000),
    )
)
# A lone unit joined to spoken hundreds is hundreds too: "three to three fifty", "between
# three fifty and four". It is rewritten as a digit; the range rule scales it (numbers.py).
_ONE_DIGIT = r"one|two|three|four|five|six|seven|eight|nine"
_TENS_OR_TEENS = "|".join((*_TENS, *(w for w in _TEENS if w.isascii() and w.endswith("teen")),
                           "ten", "eleven", "twelve"))
_SPOKEN_HUNDREDS = rf"(?:{_ONE_DIGIT}|[1-9])[\s-]+(?:{_TENS_OR_TEENS})\b"
_LONE_BEFORE = re.compile(
    rf"\b(?P<unit>{_ONE_DIGIT})\s+(?:to|and|or|-)\s+(?={_SPOKEN_HUNDREDS})"
)
_LONE_AFTER = re.compile(
    rf"{_SPOKEN_HUNDREDS}(?:[\s-]+(?:{_ONE_DIGIT}))?\s+(?:to|and|or|-)\s+(?P<unit>{_ONE_DIGIT})\b"
    r"(?![\s-]*(?:\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
    r"|k|m|mil|million|bed|bath|br|ba|bd|months?|weeks?|years?|days?|kids|%))"
)
_DIGIT = {w: str(i) for i, w in enumerate(_ONE_DIGIT.split("|"), start=1)}
_BAND_RANGE = re.compile(
    r"\b(?P<a>low|lower|mid|middle|high|upper)\s*(?:to|-)\s*(?P<b>low|lower|mid|middle|high|upper)"
    r"[\s-]+(?P<n>[1-9]\d{2})(?:k)?'?s\b"
)
_BAND = re.compile(
    r"\b(?:(?P<part>low|lower|mid|middle|high|upper)[\s-]+|the\s+)(?P<n>[1-9]\d{2})(?:k)?'?s\b"
)
_BAND_PART = {"low": 0, "lower": 0, "mid": 50, "middle": 50, "high": 75, "upper": 75}


def spell_out_amounts(text: str, *, spanish: bool) -> str:
    """``text`` with money said in words rewritten as digits, offsets unchanged."""
    if not _HINT.search(text):
        return text  # most messages hold no spoken amount at all
    chars = list(text)
    done: list[tuple[int, int]] = []

    def put(start: int, end: int, digits: str) -> None:
        if len(digits) <= end - start and not any(a < end and start < b for a, b in done):
            chars[start:end] = list(digits.ljust(end - start))
            done.append((start, end))

    for pattern, value in _FRACTIONS:
        for m in pattern.finditer(text):
            put(m.start(), m.end(), _format(value))
    for m in _BAND_RANGE.finditer(text):  # "low to mid 400s": 400-450k
        base = int(m.group("n"))
        put(m.start(), m.end(),
            f"{base + _BAND_PART[m.group('a')]}-{base + _BAND_PART[m.group('b')]}k")
    for m in _BAND.finditer(text):
        base = int(m.group("n"))
        if m.group("part") or base >= 120:  # "the 100s" may be the weather
            put(m.start(), m.end(), f"{base + _BAND_PART.get(m.group('part') or '', 0)}k")
    for pattern in (_LONE_BEFORE, _LONE_AFTER):
        for m in pattern.finditer(text):
            put(m.start("unit"), m.end("unit"), _DIGIT[m.group("unit")])
    for m in _RUN.finditer(text):
        if _TIME_AFTER.match(text, m.end()) or _MEASURE_AFTER.match(text, m.end()):
            continue  # "four thirty tomorrow", "two fifty-pound dogs"
        clock = bool(_TIME_BEFORE.search(text, max(0, m.start() - 40), m.start()))
        for start, end, digits in _run_values(m.group(0), spanish=spanish, clock=clock):
            put(m.start() + start, m.start() + end, digits)
    return "".join(chars)


# Cheap gate: a word or shape every phrasing class above contains.
_HINT = re.compile(
    r"\b(?:hundred|thousand|grand|million|mil|millon|millones|half|quarter|medio|point|punto"
    r"|k|\w+ty|fiddy|\w+enta|cien|ciento|\w+cientos|\w+cientas|cuartos)\b|\d{3}k?'?s\b"
)
_TIME_AFTER = re.compile(r"\s*(?:am|pm|a\.m|p\.m|o'?clock|tonight|today|tomorrow|this (?:morning"
                         r"|afternoon|evening)|de la (?:manana|tarde|noche)|hrs|hours|minutes)\b")
_MEASURE_AFTER = re.compile(r"[\s-]*(?:pounds?|lbs?|years?|yrs?|minutes?|mins?|miles?|feet|foot"
                            r"|ft|inch\w*|gallons?|percent|%|sq|square|acres?|people|kids|anos"
                            r"|metros|millas|libras)\b")
# Before a clock time: "call me at four thirty", "showing at 2 fifteen".
_TIME_BEFORE = re.compile(r"\b(?:at|call|calling|meet|meeting|tour|showing|talk|arrive|pick up"
                          r"|a las|llam\w+)\b[^,.;!?]*$")
_CONNECTORS = frozenset(("and", "y", "point", "punto", "a"))


def _format(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}m"
    if value >= 1_000 and value % 1_000 == 0:
        return f"{round(value / 1_000)}k"
    return f"{value:g}"


def _run_values(run: str, *, spanish: bool, clock: bool) -> list[tuple[int, int, str]]:
    """Read one run of number words: ``(start, end, digits)`` for each number in it.

    "and" / "y" join only inside a number ("four hundred and fifty", "cuarenta y cinco");
    elsewhere they separate two numbers ("between one point eight and two million").
    """
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[\w.]+", run)]
    parts: list[list[tuple[int, int, str]]] = [[]]
    for i, token in enumerate(tokens):
        word = token[2]
        if word == "a" and i:  # "a" starts a number ("a hundred"): "de 550 a 600 mil" is two
            parts.append([])
        elif word in ("and", "y"):
            prev = tokens[i - 1][2] if i else ""
            nxt = tokens[i + 1][2] if i + 1 < len(tokens) else ""
            joins = prev == "hundred" if word == "and" else prev in _TENS  # "cuarenta y cinco"
            if not joins or not (nxt in _UNITS or nxt in _TENS or nxt in _TEENS):
                parts.append([])
                continue
        parts[-1].append(token)
    out: list[tuple[int, int, str]] = []
    for part in parts:
        value = _part_value(part, spanish=spanish, clock=clock)
        if value is not None:
            out.append(value)
    return out


def _part_value(
    tokens: list[tuple[int, int, str]], *, spanish: bool, clock: bool
) -> tuple[int, int, str] | None:
    while tokens and tokens[0][2] in _CONNECTORS and not (
        tokens[0][2] == "a" and len(tokens) > 1 and tokens[1][2] in ("hundred", "thousand",
                                                                   "million", "mil", "grand")
    ):
        tokens = tokens[1:]
    while tokens and tokens[-1][2] in _CONNECTORS:
        tokens = tokens[:-1]
    words = [t[2] for t in tokens]
    if not words or all(_is_digits(w) for w in words):
        return None
    if all(w in _THOUSAND or w in _MILLION or w == "mil" for w in words):
        return None  # a scale word alone ("k thanks", "i'm")
    language_es = spanish or any(w in _SPANISH_WORDS for w in words)
    value, scaled, spoken = _evaluate(words, spanish=language_es)
    if value is None:
        return None
    if spoken and not scaled and not clock:
        value *= 1_000  # "2 fifty", "tres cincuenta": said only of prices (and clock times)
        scaled = True
    if scaled:
        if value < 10_000:
            return None  # "dos mil", "a thousand questions": no purchase price
    elif "point" not in words and "punto" not in words and (
        value < 100 or (len(words) < 2 and words[0] not in _HUNDREDS_ES)
    ):
        return None  # small counts ("three bedrooms") are the count rules' business
    return tokens[0][0], tokens[-1][1], _format(value)


def _is_digits(word: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", word))


def _evaluate(words: list[str], *, spanish: bool) -> tuple[float | None, bool, bool]:
    """Value of a run of number words, whether it carried a scale (thousand, million) and
    whether it was spoken hundreds.

    "3 fifty" and "four twenty five" are spoken hundreds (a unit then tens); "and" / "y" only
    join inside a number ("four hundred and fifty", "cuarenta y cinco"); "point" reads the
    digits after it ("one point eight").
    """
    total = 0.0
    current: float | None = None
    scaled = False
    spoken_hundreds = False
    i = 0
    while i < len(words):
        word = words[i]
        prev = words[i - 1] if i else ""
        if word in ("point", "punto"):
            decimals = ""
            j = i + 1
            while j < len(words) and words[j] in _UNITS:
                decimals += str(_UNITS[words[j]])
                j += 1
            if not decimals or current is None:
                return None, False, False
            current += float("0." + decimals)
            i = j
            continue
        if word in ("and", "y"):
            pass
        elif _is_digits(word):
            if current is not None:
                return None, False, False
            current = float(word)
        elif word == "a":
            if current is not None:
                return None, False, False
            current = 1.0
        elif word in _UNITS or word in _TEENS or word in _TENS:
            value = _UNITS.get(word, _TEENS.get(word, _TENS.get(word, 0)))
            if current is None:
                current = float(value)
            elif (word in _TENS or word in _TEENS) and 0 < current < 10 and not spoken_hundreds \
                    and prev not in ("and", "y"):
                current = current * 100 + value  # "3 fifty", "four twenty"
                spoken_hundreds = True
            elif (word in _UNITS and prev in _TENS) or prev in ("and", "y") or (
                prev in ("hundred", *_HUNDREDS_ES)
            ):
                current += value
            else:
                return None, False, False  # "two three": not one number
        elif word in _HUNDREDS_ES:
            if current is not None and current >= 1:
                return None, False, False
            current = float(_HUNDREDS_ES[word])
        elif word == "hundred":
            current = (current or 1.0) * 100
        elif word in _THOUSAND or (word == "mil" and (spanish or (current or 0) >= 50)):
            total += (current if current is not None else 1.0) * 1_000
            current = None
            scaled = True
        elif word in _MILLION or word == "mil":
            total = (total + (current if current is not None else 1.0)) * 1_000_000
            current = None
            scaled = True
        else:
            return None, False, False
        i += 1
    return total + (current or 0.0), scaled, spoken_hundreds
