"""Home fields of the wanted home: bedrooms_min, bathrooms_min and property_type.

A seller describing the home they sell ("my 4 bed 3 bath") and a lead describing the home
they live in now ("our 2 bed rental", "we outgrew our townhouse") set none of them.
"""

from __future__ import annotations

import re

from .context import MessageContext
from .model import PropertyType
from .numbers import number_tokens, small_count

_COUNT = r"\d+(?:\.5)?|one|two|three|four|five|six|seven|eight"
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_BED = re.compile(
    rf"(?<![\w.])(?P<n>{_COUNT})\s*(?:\+|plus)?\s*(?:(?:-|to|or)\s*(?:{_COUNT})\s*)?\+?[\s-]*"
    r"(?:bed|beds|bedroom|bedrooms|br|brs|bd|bds|bdrm|bdrms|bedrm|bedrms|bdrooms?)\b"
)
_BATH = re.compile(
    rf"(?<![\w.])(?P<n>{_COUNT}|(?:one|two|three|four|[1-4]) and a half)\s*(?:\+|plus)?\s*"
    rf"(?:(?:-|to|or)\s*(?:{_COUNT})\s*)?\+?[\s-]*"
    r"(?:full\s+)?(?:ba|bath|baths|bathroom|bathrooms|bth|bths)\b"
)
_CURRENT_HOME_BEFORE = re.compile(  # "make that 4 bedrooms" corrects; it describes nothing
    r"\b(?<!make )(?<!change )(?:my|our|its|it's|it has|their|his|her|the|this|that|current"
    r"|existing)\s+"
    r"(?:(?!(?:for|of|in|on|at|to|a|an|with|and|or|is|are|was|want|need|like|get|buy)\b)"
    r"[\w'@-]+\s+){0,3}$"
)
_CURRENT_HOME_AFTER = re.compile(
    r"^[\w\s/.+-]{0,30}?\b(?:we|i)\s+(?:currently\s+)?(?:rent|own|live|have|had|bought)\b"
)
_NEED_N = re.compile(
    r"\b(?:need|want|needs|wants)\s+(?:at least\s+)?(?P<n>\d)\b(?!\s*(?:\.\d|%|k\b))"
)
_TYPES_RAW: tuple[tuple[PropertyType, str], ...] = (
    ("single_family", r"\bsingle[\s-]?family\b|\bsfh\b"
                      r"|\bdetached\b(?! (?:garage|adu|studio|office|shop))"
                      r"|(?<!open )(?<!full )\bhouses?\b(?! (?:hunting|sale|payments?|rules))"),
    ("condo", r"\bcondos?\b|\bcondominiums?\b|\bapartments?\b"),
    ("townhouse", r"\btown\s?homes?\b|\btown\s?houses?\b|\brow\s?homes?\b"),
    ("multi_family", r"\bduplex(?:es)?\b|\btriplex(?:es)?\b|\bfourplex(?:es)?\b"
                     r"|\bquadplex(?:es)?\b|\b[2-4]-?plex\b|\bmulti[\s-]?family\b"
                     r"|\bmulti[\s-]?unit\b|\b[2-4]\s?-\s?[2-4] units\b"),
    ("land", r"\bland\b|\bacreage\b|\bacres?\b|\bvacant lot\b|\bempty lot\b|\bbuildable lot"
             r"|\blots? (?:to build|for sale|in|on|near|around)\b|\bbuy(?:ing)? a lot\b"
             r"|\ba lot to build\b"),
    ("mobile_home", r"\bmobile homes?\b|\bmobile-homes?\b|\bmanufactured\b"
                    r"|\b(?:double|single)[\s-]?wides?\b"),
)
_TYPES: tuple[tuple[PropertyType, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern)) for key, pattern in _TYPES_RAW
)
_TYPE_NEGATION = re.compile(
    r"(?:\bnot|\bno|\bnever|\bstop sending(?: me| us)?|\bdon'?t want|\bdont want|\binstead of"
    r"|\brather than|\bnothing but|\bother than|\bno more)\s+(?:a |an |any |more |the )?"
    r"(?:[\w-]+\s+)?$"
)


# "actually make that 4": a bare count correcting the count the lead just gave.
_CORRECTION = re.compile(
    rf"\b(?:make (?:that|it)|change (?:that|it) to|actually|sorry|i meant|meant)\s+"
    rf"(?P<n>{_COUNT})\b(?!\s*(?:k\b|m\b|%|\$))"
    r"(?!\s+(?!(?:please|pls|instead|then|now|though|tho)\b)[a-z])"
)


def _number(raw: str) -> float:
    if raw.endswith(" and a half"):
        whole = raw.split()[0]
        return float(_WORDS.get(whole, whole)) + 0.5
    return float(_WORDS.get(raw, raw) if raw in _WORDS else raw)


_DESCRIBED_HOME_BEFORE = re.compile(
    r"\b(?:our|my)\s+(?:current\s+|old\s+|existing\s+|present\s+)?(?:house|home|place|condo"
    r"|apartment|townhouse|townhome|rental|unit)\b[^,.;!?]*\b(?:is|has|had|was|with)\s+"
    r"(?:a\s+|an\s+)?$"
)
_PAST_HOME_BEFORE = re.compile(
    r"\b(?:bought|sold|owned|had|lived in|rented|grew up in|closed on)\s+(?:a |an |the |our |my )?"
    r"(?:[\w'-]+\s+)?$"
)


def _is_current_home(ctx: MessageContext, start: int, end: int) -> bool:
    """Our / my / the home, the home we rent, or one bought already: not the wanted home."""
    before = ctx.segments.clause_before(start)
    after = ctx.segments.clause_after(end)
    return bool(
        _CURRENT_HOME_BEFORE.search(before)
        or _PAST_HOME_BEFORE.search(before)
        or _DESCRIBED_HOME_BEFORE.search(before)
        or _CURRENT_HOME_AFTER.match(after)
    )


def bedroom_events(ctx: MessageContext) -> list[tuple[int, int]]:
    """``(pos, bedrooms_min)`` statements of a buyer or renter, in text order."""
    if ctx.seller_only:
        return []
    text = ctx.masked
    out: list[tuple[int, int]] = []
    for m in _BED.finditer(text):
        if _is_current_home(ctx, m.start(), m.end()):
            continue
        out.append((m.start(), int(_number(m.group("n")))))
    for m in _NEED_N.finditer(text):
        sentence = ctx.segments.sentence_text(m.start())
        # "need 2 and a half baths" is a bathroom count even in a sentence about bedrooms.
        if re.search(r"\b(?:bed|beds|bedrooms?|br|bd)\b", sentence) and not (
            _BED.match(text, m.start("n")) or _BATH.match(text, m.start("n"))
        ):
            out.append((m.start(), int(m.group("n"))))
    answer = _answer_counts(ctx)
    if answer.get("bedrooms") is not None:
        out.append((0, answer["bedrooms"]))
    if ctx.recent_count == "bedrooms_min":
        out.extend((m.start(), int(_number(m.group("n")))) for m in _CORRECTION.finditer(text))
    return sorted(out)


def bathroom_events(ctx: MessageContext) -> list[tuple[int, float]]:
    """``(pos, bathrooms_min)`` statements of a buyer or renter, in text order."""
    if ctx.seller_only:
        return []
    out: list[tuple[int, float]] = []
    for m in _BATH.finditer(ctx.masked):
        if _is_current_home(ctx, m.start(), m.end()):
            continue
        out.append((m.start(), _number(m.group("n"))))
    answer = _answer_counts(ctx)
    if answer.get("bathrooms") is not None:
        out.append((0, float(answer["bathrooms"])))
    if ctx.recent_count == "bathrooms_min":
        out.extend((m.start(), _number(m.group("n"))) for m in _CORRECTION.finditer(ctx.masked))
    return sorted(out)


def _answer_counts(ctx: MessageContext) -> dict[str, int]:
    """Bare counts answering "How many beds (and baths)?": "3", "3 and 2", "4 ideally, 3 min"."""
    wanted = [t for t in ctx.question.topics if t in ("bedrooms", "bathrooms")]
    if not wanted or ctx.seller_only or not ctx.direct:
        return {}
    counts: list[tuple[int, int]] = []
    for tok in number_tokens(ctx.masked):
        if tok.unit is None and (value := small_count(tok)) is not None:
            counts.append((tok.start, value))
    for m in re.finditer(r"\b(?:one|two|three|four|five|six|seven|eight)\b(?![\s-]+(?:stor|level))",
                         ctx.masked):
        counts.append((m.start(), _WORDS[m.group(0)]))
    values = [value for _, value in sorted(counts)]
    if not values:
        return {}
    if len(wanted) == 1:
        return {wanted[0]: min(values)}
    return dict(zip(wanted, values, strict=False))


def property_type_events(ctx: MessageContext) -> list[tuple[int, PropertyType | None]]:
    """``(pos, type)`` statements; ``None`` withdraws the current type ("not a condo")."""
    if ctx.seller_only:
        return []
    out: list[tuple[int, PropertyType | None]] = []
    for name, pattern in _TYPES:
        for m in pattern.finditer(ctx.masked):
            if name == "condo" and ctx.renting and "apartment" in m.group(0):
                continue
            if _is_current_home(ctx, m.start(), m.end()):
                continue
            before = ctx.masked[max(0, m.start() - 40) : m.start()]
            if re.search(r"\bflip\w*\s+$", before):
                continue
            if _TYPE_NEGATION.search(ctx.segments.clause_before(m.start())):
                out.append((m.start(), None))
                continue
            out.append((m.start(), name))
    return sorted(out, key=lambda e: e[0])
