"""Home fields of the wanted home: bedrooms_min, bathrooms_min and property_type.

A seller describing the home they sell ("my 4 bed 3 bath") and a lead describing the home
they live in now ("our 2 bed rental", "we outgrew our townhouse") set none of them.
"""

from __future__ import annotations

import re

from .areas import wished
from .context import MessageContext
from .model import PropertyType
from .numbers import number_tokens, small_count, unit_after
from .questions import polarity

_COUNT = (r"\d+(?:\.5)?|one|two|three|four|five|six|seven|eight|una|uno|un|dos|tres|cuatro"
          r"|cinco|seis|siete|ocho")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
          "siete": 7, "ocho": 8}
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "segunda": 2,
             "tercera": 3, "cuarta": 4, "quinta": 5, "tercer": 3, "cuarto": 4, "quinto": 5}
_BED_WORD = (r"(?:bed|beds|bedroom|bedrooms|br|brs|bd|bds|bdrm|bdrms|bedrm|bedrms|bdrooms?"
             r"|recamaras?|habitacion(?:es)?|cuartos?|dormitorios?|alcobas?)\b")
_BED = re.compile(
    rf"(?<![\w.])(?P<n>{_COUNT})\s*(?:\+|plus|o mas|or more|or bigger|or so|o mas)?\s*"
    rf"(?:(?:-|to|or|a|o)\s*(?:{_COUNT})\s*)?\+?[\s-]*{_BED_WORD}(?! de (?:millon|hora))"
)
_ANY_BED_WORD = re.compile(rf"\b{_BED_WORD}")
# "need a third" in a message about bedrooms: the ordinal stands for the next bedroom.
_ORDINAL_ALONE = re.compile(
    rf"\b(?:need|needs|want|wants|add|adding|plus|necesitamos|necesito|queremos|quiero)\s+"
    rf"(?:a|an|another|una|un|otra|otro)\s+(?:(?P<digit>\d)(?:st|nd|rd|th)"
    rf"|(?P<word>{'|'.join(_ORDINALS)}))"
    rf"(?:\s+(?:one|room|uno|una|cuarto))?(?=\s*(?:$|[.,!?;)]|\b(?:for|para|so|and|y|because|porque"
    rf"|too|tambien|as well)\b))"
)
# "i think 3 is enough", "3 would do": a count settled on after another was said.
_ENOUGH = re.compile(
    rf"(?<![\w.])(?P<n>{_COUNT})\s+(?:is|would be|will be|are|should be|es|son|seria|serian)\s+"
    r"(?:enough|fine|plenty|ok|okay|good|sufficient|suficientes?|bastante|suficiente)\b"
    rf"|(?<![\w.])(?P<n2>{_COUNT})\s+(?:would|will|should)\s+(?:do|work|be fine)\b"
    # the fewest settled for: "but could do 3", "4 preferred, 3 minimum", "podríamos con 3"
    rf"|\b(?:could|can|would|'d)\s+(?:probably\s+|still\s+)?(?:do|live with|make do with|work with"
    rf"|settle for|go with|go down to)\s+(?P<n3>{_COUNT})\b(?![.,]?\d)"
    rf"|(?<![\w./])(?P<n4>{_COUNT})\s+(?:min\b|minimum|at (?:the )?(?:very )?least|minimo"
    rf"|como minimo"
    rf"|por lo menos|al menos)"
    rf"|\b(?:podriamos|podemos|nos conformamos) con\s+(?P<n5>{_COUNT})\b"
)
# A count said as a wish beside a firmer one: "yes, but 4 would be better", "5 if possible".
_HEDGED_COUNT = re.compile(
    r"\s*(?:would be|'d be|is|are|seria|serian)?\s*(?:even\s+|much\s+|way\s+)?(?:better|nicer|nice"
    r"|great|ideal|a bonus|a plus|a dream|preferred|preferable|mejor|ideal)\b"
    r"|\s*(?:if possible|ideally|preferably|de preferencia|si se puede|si es posible|even better)\b"
)
_MORE_AFTER = re.compile(r"\s+(?:more|extra|mas|adicional\w*|de mas)\b")
# "a 4th bedroom", "a third bedroom", "una cuarta recamara": the count the lead needs.
_BED_ORDINAL = re.compile(
    rf"\b(?:a|an|another|una|un|otra|otro)\s+(?:(?P<digit>\d)(?:st|nd|rd|th)"
    rf"|(?P<word>{'|'.join(_ORDINALS)}))\s+{_BED_WORD}"
)
_BATH = re.compile(
    rf"(?<![\w.])(?P<n>{_COUNT}|(?:one|two|three|four|[1-4]) and a half"
    rf"|(?:uno|dos|tres|cuatro|[1-4]) y medio)\s*(?:\+|plus|o mas)?\s*"
    rf"(?:(?:-|to|or|a|o)\s*(?:{_COUNT})\s*)?\+?[\s-]*"
    r"(?:full\s+)?(?:ba|bath|baths|bathroom|bathrooms|bth|bths|banos?(?:\s+completos)?)\b"
    r"(?P<half>\s+y\s+medio)?"
)
_CURRENT_HOME_BEFORE = re.compile(  # "make that 4 bedrooms" corrects; it describes nothing
    r"\b(?<!make )(?<!change )(?:my|our|its|it's|it has|their|his|her|the|this|that|current"
    r"|existing|mi|mis|su|sus|tu|nuestra|nuestro|nuestras|nuestros|tiene|el|la|esta|este|esa|ese)\s+"
    # "our next house", "nuestra primera casa" is the wanted one
    r"(?!(?:next|new|first|future|dream|forever|right|perfect|ideal|primera|primer|nueva|nuevo"
    r"|proxima|proximo|futura|futuro|siguiente|ideal)\b)"
    # a verb after the noun makes it a subject: "my wife wants 4 bedrooms"
    r"(?:(?!(?:for|of|in|on|at|to|a|an|with|and|or|is|are|was|wants?|needs?|likes?|get|buy"
    r"|prefers?|says|said|thinks|insists|would|will|requires?|must|quiere|quieren|necesita"
    r"|necesitan|busca|buscan|prefiere|dice)\b)[\w'@-]+\s+){0,3}$"
)
_CURRENT_HOME_AFTER = re.compile(
    r"^[\w\s/.+-]{0,30}?\b(?:we|i)\s+(?:currently\s+)?(?:rent|own|live|have|had|bought)\b"
    # the subject of a past-tense verb: "house had issues", "the condo went under contract"
    r"|^\s+(?:had|was|were|went|got|failed|sold|needed|didn'?t|wasn'?t|has been|tenia|estaba"
    r"|tuvo|se vendio|fallo)\b"
    # the subject of a present state: "house is way too big for 2 now", "la casa ya nos queda
    # chica" -- the home they have, as it is
    r"|^\s+(?:is|'s|es|ya es|esta|ya esta|(?:ya )?(?:nos|me) queda)\s+(?:[\w']+\s+){0,2}?"
    r"(?:too|so|way|really|muy|demasiado|chic[oa]|pequen[oa]|grande)\b"
)
_ANYTHING_BUT = re.compile(r"\b(?:anything|anywhere|whatever) (?:but|except|other than)\s+(?:a |an "
                           r"|the )?$|\bcualquier (?:cosa|\w+) (?:menos|excepto)\s+(?:un |una )?$")
# The type word naming something of such homes, not a home wanted: "condo fees are crazy",
# "townhouse HOAs", "house hunting".
_TYPE_AS_MODIFIER = re.compile(r"\s+(?:fees|fee|dues|hoas?|associations?|boards?|payments?"
                               r"|hunting|rules|prices|taxes|insurance|assessments?)\b")
_NEED_N = re.compile(
    r"\b(?:need|want|needs|wants|necesito|necesitamos|queremos|quiero)\s+(?:at least\s+"
    r"|por lo menos\s+|al menos\s+)?(?P<n>\d)\b(?!\s*(?:\.\d|%|k\b))"
)
# A bare count that can only be a minimum: "I need 3 min", "want 4 or more", "need 3, maybe 4".
_BARE_MIN = re.compile(r"\s*(?:min\b|minimum\b|at least\b|or more\b|\+|plus\b|minimo\b"
                       r"|o mas\b|[,.!?;]|$)")
# A count the lead withdraws: "stop sending me 2 bedrooms", "no more 2 beds", "ya no 2 recamaras".
_COUNT_NEGATION = re.compile(
    r"(?:\bstop sending(?: me| us)?|\bno more|\bnot|\bdon'?t want|\bdont want|\bdon'?t send"
    r"(?: me| us)?|\bdont send(?: me| us)?|\bno|\bnada de|\bya no(?: me| nos)?"
    r"(?: manden| envien| quiero| queremos)?)\s+(?:any\s+|more\s+|mas\s+)?$"
)
_TYPES_RAW: tuple[tuple[PropertyType, str], ...] = (
    ("single_family", r"\bsingle[\s-]?family\b|\bsingle[\s-]?fam\b|\bsfh\b"
                      r"|\bdetached\b(?! (?:garage|adu|studio|office|shop))"
                      r"|\b(?<!open )(?<!full )(?<!much )(?<!more )(?<!less )(?<!enough )"
                      r"houses?\b(?! (?:hunting|sale|payments?|rules))"
                      # Spanish "casa" is a house, not a home in general (SPEC); "en casa" (at
                      # home), "casa de mis padres" and a mobile "casa movil" are not.
                      r"|\b(?<!\ben )(?<!\bdesde )(?<!\ba )cas(?:as?|itas?)\b"
                      r"(?! (?:movil|moviles|rodante|de (?:mis?|mis|su|sus"
                      r"|nuestr\w+|la|el|los) ))|\bunifamiliar\b"),
    ("condo", r"\bcondos?\b|\bcondominiums?\b|\bapartments?\b|\bcondominios?\b"
              r"|\bdepartamentos?\b|\bdepas?\b|\bapartamentos?\b"),
    ("townhouse", r"\btown\s?homes?\b|\btown\s?houses?\b|\brow\s?homes?\b"
                  r"|\bcasas? adosadas?\b"),
    ("multi_family", r"\bduplex(?:es)?\b|\btriplex(?:es)?\b|\bfourplex(?:es)?\b"
                     r"|\bquadplex(?:es)?\b|\b[2-4]-?plex\b|\bmulti[\s-]?family\b"
                     r"|\bmulti[\s-]?unit\b|\b[2-4]\s?-\s?[2-4] units\b|\bmultifamiliar\b"),
    ("land", r"\bland\b|\bacreage\b|\bacres?\b|\bvacant lot\b|\bempty lot\b|\bbuildable lot"
             r"|\blots? (?:to build|for sale|in|on|near|around)\b|\bbuy(?:ing)? a lot\b"
             r"|\ba lot to build\b|\bterrenos?\b|\blotes?\b(?! de (?:casas|gente))"),
    ("mobile_home", r"\bmobile homes?\b|\bmobile-homes?\b|\bmanufactured\b"
                    r"|\b(?:double|single)[\s-]?wides?\b|\bcasas? (?:movil|moviles|rodantes?"
                    r"|prefabricadas?|manufacturadas?)\b|\btrailas?\b"),
)
_TYPES: tuple[tuple[PropertyType, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern)) for key, pattern in _TYPES_RAW
)
# "a house on 2 acres", "casa con terreno": land that comes with a home named before it.
_LAND_WITH = re.compile(
    r"\b(?:on|with|w/|plus|and|con|en)\s+(?:(?:some|a|an|its own|a little|a bit of|a few"
    r"|\d+(?:\.\d+)?|half an?|one|two|three|five|ten|un|una|unos|poco de)\s+)?(?:[\w-]+\s+)?$"
)
_TYPE_NEGATION = re.compile(
    r"(?:\bnot|\bno|\bnever|\bstop (?:send|show)\w*(?: me| us)?|\bdon'?t want|\bdont want"
    r"|\binstead of|\bdej\w+ de (?:mandar|enviar|mostrar)\w*"
    r"|\brather than|\bnothing but|\banything but|\banything except|\bother than|\bno more"
    r"|\bya no(?: me| nos)?(?: manden"
    r"| envien| quiero| queremos| busco| buscamos)?|\bno (?:quiero|queremos|busco|buscamos)"
    r"|\bnada de|\ben vez de|\ben lugar de)\s+(?:a |an |any |more |the |mas |un |una )?"
    r"(?P<modifier>[\w-]+\s+)?$"
)
# What a withdrawal names when it is a count or a size, not the type: "stop sending me
# two-story houses" and "ya no me manden casas de dos pisos" still want a house.
_MODIFIER = re.compile(r"\d|one|two|three|four|five|stor(?:y|ey|ies)|level|bed|br\b|big|small")
_MODIFIER_AFTER = re.compile(
    r"\s+(?:de|con|with)\s+(?:\d|un|una|dos|tres|cuatro|cinco|one|two|three|four)\w*\s+"
    r"(?:pisos?|plantas?|niveles?|recamaras?|habitacion\w*|cuartos?|stor\w+|levels?|bed\w*)\b"
    # "no quiero casa con alberca", "not a condo with an HOA": the negation is the feature's
    r"|\s+(?:con|with|w/)\s+(?:a |an |un |una |el |la )?[a-z]"
)
_TYPE_ANY = re.compile("|".join(f"(?:{pattern})" for _, pattern in _TYPES_RAW))


# "actually make that 4", "wait no 3 is fine": a bare count correcting the count just given.
_CORRECTION = re.compile(
    rf"\b(?:make (?:that|it)|change (?:that|it) to|actually|sorry|i meant|meant|second thought"
    rf"|(?:wait|hmm|oh)\W+(?:no|nah)|scratch that|mejor|perdon|digo|let'?s say|lets say"
    rf"|let'?s (?:do|go with)|lets (?:do|go with)|call it|go with|settle on|pongale|digamos)\W+"
    rf"(?P<n>{_COUNT})\b(?![.,]?\d)(?!\s*(?:k\b|m\b|%|\$))"
    r"(?!\s+(?!(?:please|pls|instead|then|now|though|tho|is (?:fine|ok|okay|enough|plenty)"
    r"|works|would (?:work|do)|will do|esta bien|basta|alcanza|nada mas|no mas|nomas|only|tops"
    r"|max|solamente)\b)[a-z])"
)
# "a 3/2", "at least a 4/3", "3/2 or bigger": beds / baths in shorthand (not a date "7/31").
_SLASH = re.compile(
    r"(?:\b(?:a|an|at least|at least a|min(?:imum)?|need|want|una?|minimo)\s+)(?P<b>[1-6])"
    r"\s?/\s?(?P<ba>[1-4](?:\.5)?)(?![\d/])"
    r"|\b(?P<b2>[1-6])/(?P<ba2>[1-4](?:\.5)?)(?=\s*(?:\+|or (?:bigger|more|larger)|min\b"
    r"|minimum|house|home|condo|town\s?(?:home|house)))"
)


def _number(raw: str) -> float:
    if raw.endswith((" and a half", " y medio")):
        whole = raw.split()[0]
        return float(_WORDS.get(whole, whole)) + 0.5
    return float(_WORDS.get(raw, raw) if raw in _WORDS else raw)


_DESCRIBED_HOME_BEFORE = re.compile(
    r"\b(?:our|my)\s+(?:current\s+|old\s+|existing\s+|present\s+)?(?:house|home|place|condo"
    r"|apartment|townhouse|townhome|rental|unit)\b[^,.;!?]*\b(?:is|has|had|was|with)\s+"
    r"(?:a\s+|an\s+)?$"
)
_PAST_HOME_BEFORE = re.compile(
    r"\b(?:bought|sold|owned|had|lived in|rented|grew up in|closed on|found|purchased|saw|seen"
    r"|viewed|toured|looked at|compramos|compre|encontramos|vendimos|vi|vimos|visitamos)\s+"
    r"(?:a |an |the |our |my |una |un )?(?:[\w'-]+\s+)?$"
    # the object of a sale: "sell our house", "vender su casa" is the home sold
    r"|\b(?:sell|selling|sold|list|listing|unload\w*|vender|vendiendo|vendemos|vendo|venderla)\s+"
    r"(?:(?:our|my|his|her|their|the|su|sus|mi|mis|nuestr[oa]s?|la|el)\s+)(?:[\w'-]+\s+)?$"
)


# The home the lead is in now, a present tense with its subject: "currently renting a 1br",
# "we live in a 2 bed", "rentamos un depa" (not the plan "looking to rent a 2br").
_NOW_HOME_BEFORE = re.compile(
    r"(?:\b(?:we|i|currently|still|now|right now|rn|we'?re|i'?m|im|we are|i am)\s+(?:currently\s+"
    r"|still\s+|now\s+|already\s+)?(?:rent|renting|lease|leasing|live in|living in|staying in"
    r"|in(?! the market)|own|have)"
    r"|\b(?:estamos en|vivimos en|rentamos|rentando|vivo en|rento|tengo|tenemos))\s+(?:a |an |the "
    r"|our |my |un "
    r"|una |el |la )?(?:[\w'-]+\s+){0,3}$"
)


# A question about a listed home's details: "does it have 4 beds?", "the listing on oak has 3?".
_ASKS_ABOUT_LISTING = re.compile(
    r"\b(?:it|the (?:listing|house|home|one|place|property|condo|townhome)|that (?:one|house"
    r"|listing)"
    r"|this (?:one|house|listing))\b[^?]{0,30}\b(?:has|have|with|got|tiene)\b"
)


def _lives_in(before: str) -> bool:
    """"we're in a 2 bed apartment": the home the lead is in now, unless a wish follows the
    verb ("vivimos en Hialeah rentando y queremos comprar casa")."""
    m = _NOW_HOME_BEFORE.search(before)
    return m is not None and not wished(before[m.start() :])


def _is_current_home(ctx: MessageContext, start: int, end: int) -> bool:
    """Our / my / the home, the home we rent, or one bought already: not the wanted home."""
    before = ctx.segments.clause_before(start)
    after = ctx.segments.clause_after(end)
    sentence = ctx.segments.sentence_text(start)
    # a reply to a question about the lead's own home ("¿Dónde está su casa?" -> "en kendall,
    # es de 4 cuartos") describes that home, until the reply turns to a wish
    answers_own_home = ctx.direct and ctx.question.own_home and not wished(before)
    return ctx.home_now(start) or ctx.others(start) or answers_own_home or bool(
        ("?" in sentence and _ASKS_ABOUT_LISTING.search(sentence))  # "the one on oak has 4 beds?"
        or _CURRENT_HOME_BEFORE.search(before)
        or _lives_in(before)
        or _PAST_HOME_BEFORE.search(before)
        or _DESCRIBED_HOME_BEFORE.search(before)
        or _CURRENT_HOME_AFTER.match(after)
    )


def bedroom_events(ctx: MessageContext) -> list[tuple[int, int, bool]]:
    """``(pos, bedrooms_min, wanted)`` statements of a buyer or renter, in text order.

    ``wanted=False`` withdraws that count ("stop sending me 2 bedrooms"): it clears the field
    only if it is the current value, and never sets it.
    """
    if not ctx.may_name_next_home:
        return []
    text = ctx.masked
    out: list[tuple[int, int, bool]] = []
    for m in _BED.finditer(text):
        if _is_current_home(ctx, m.start(), m.end()) or _MORE_AFTER.match(text, m.end()):
            continue  # "una recamara mas" is one bedroom more, not a total
        wanted = not _COUNT_NEGATION.search(ctx.segments.clause_before(m.start()))
        out.append((m.start(), int(_number(m.group("n"))), wanted))
    for m in _BED_ORDINAL.finditer(text):
        digit = m.group("digit")
        out.append((m.start(), int(digit) if digit else _ORDINALS[m.group("word")], True))
    for m in _NEED_N.finditer(text):
        if _BED.match(text, m.start("n")) or _BATH.match(text, m.start("n")):
            continue  # "need 2 and a half baths" is a bathroom count
        # A bare count in a sentence about bedrooms, or one that can only be a minimum in a
        # message about bedrooms ("STOP sending me 2 bedrooms. I need 3 min").
        if _ANY_BED_WORD.search(ctx.segments.sentence_text(m.start())) or (
            _BARE_MIN.match(text, m.end()) and _ANY_BED_WORD.search(text)
        ) or (ctx.recent_count == "bedrooms_min" and not ctx.question.asks("bathrooms")):
            # ... or right after the lead's last message gave the bedroom count ("3 bed" ...
            # "we need 4 now, baby on the way")
            out.append((m.start(), int(m.group("n")), True))
    for b, _, pos in _slash_counts(ctx):
        out.append((pos, b, True))
    answer = _answer_counts(ctx)
    beds = answer.get("bedrooms")
    if beds is not None and float(beds).is_integer():
        out.append((0, int(beds), True))
    for m in _CORRECTION.finditer(text):
        # a correction of the count just given, in an earlier message or earlier in this one
        if ctx.recent_count == "bedrooms_min" or any(pos < m.start() for pos, _, _ in out):
            out.append((m.start(), int(_number(m.group("n"))), True))
    if _ANY_BED_WORD.search(text):
        for m in _ORDINAL_ALONE.finditer(text):  # its own verb states the wish
            if not (ctx.others(m.start()) or ctx.home_now(m.start())):
                digit = m.group("digit")
                out.append((m.start(), int(digit) if digit else _ORDINALS[m.group("word")], True))
    for m in _ENOUGH.finditer(text):
        # settling on a count after another: "wants 4 bedrooms but i think 3 is enough"
        raw = m.group("n") or m.group("n2") or m.group("n3") or m.group("n4") or m.group("n5")
        if (ctx.recent_count == "bedrooms_min" or any(pos < m.start() for pos, _, _ in out)) \
                and not _BATH.match(text, m.start()):
            value = _number(raw)
            if value.is_integer() and 0 < value < 10:
                out.append((m.start(), int(value), True))
    return sorted(e for e in out if not ctx.describes_sold_home(e[0]))


def bathroom_events(ctx: MessageContext) -> list[tuple[int, float]]:
    """``(pos, bathrooms_min)`` statements of a buyer or renter, in text order."""
    if not ctx.may_name_next_home:
        return []
    out: list[tuple[int, float]] = []
    for m in _BATH.finditer(ctx.masked):
        if _is_current_home(ctx, m.start(), m.end()):
            continue
        out.append((m.start(), _number(m.group("n")) + (0.5 if m.group("half") else 0.0)))
    out.extend((pos, ba) for _, ba, pos in _slash_counts(ctx))
    answer = _answer_counts(ctx)
    if answer.get("bathrooms") is not None:
        out.append((0, float(answer["bathrooms"])))
    if ctx.recent_count == "bathrooms_min":
        out.extend((m.start(), _number(m.group("n"))) for m in _CORRECTION.finditer(ctx.masked))
    return sorted(e for e in out if not ctx.describes_sold_home(e[0]))


def _slash_counts(ctx: MessageContext) -> list[tuple[int, float, int]]:
    """``(beds, baths, pos)`` of the wanted home said as "a 3/2"."""
    out: list[tuple[int, float, int]] = []
    for m in _SLASH.finditer(ctx.masked):
        b, ba = (m.group("b"), m.group("ba")) if m.group("b") else (m.group("b2"), m.group("ba2"))
        pos = m.start("b") if m.group("b") else m.start("b2")
        if not _is_current_home(ctx, pos, m.end()):
            out.append((int(b), float(ba), pos))
    if not out and (_TYPE_ANY.search(ctx.masked) or (ctx.direct and (
            ctx.question.asks("features") or ctx.question.asks("bedrooms")))):
        # an item of a list about the home wanted: "single fam, 4/2, big yard"
        for m in _SLASH_ITEM.finditer(ctx.masked):
            if not _is_current_home(ctx, m.start(), m.end()):
                out.append((int(m.group("b")), float(m.group("ba")), m.start()))
    return out


# "4/2" as one item of a list, between commas (or the message's ends).
_SLASH_ITEM = re.compile(r"(?:^|(?<=,)|(?<=, ))(?P<b>[1-6])/(?P<ba>[1-4](?:\.5)?)(?=\s*(?:,|$|\.))")


def _answer_counts(ctx: MessageContext) -> dict[str, float]:
    """Bare counts answering "How many beds (and baths)?": "3", "3 and 2", "4 ideally, 3 min"."""
    wanted = [t for t in ctx.question.topics if t in ("bedrooms", "bathrooms")]
    if not wanted or ctx.seller_only or not ctx.direct or ctx.question.now_home:
        return {}
    counts: list[tuple[int, float]] = []
    for tok in number_tokens(ctx.masked):
        if tok.unit is None and (value := small_count(tok)) is not None:
            counts.append((tok.start, value))
        elif tok.unit is None and not tok.explicit_money and tok.value < 10 and (
                tok.value * 2).is_integer():
            counts.append((tok.start, tok.value))  # "4 and 2.5": a half bath
    for m in re.finditer(r"\b(?:one|two|three|four|five|six|seven|eight|dos|tres|cuatro|cinco"
                         r"|seis)\b(?![\s-]+(?:stor|level|pisos|plantas|niveles))", ctx.masked):
        if unit_after(ctx.masked, m.end()) in (None, "bed", "bath") and not re.match(
                r"\s+(?:for|of|per|each)\b", ctx.masked[m.end() :]):  # not "two kids", "one for us"
            counts.append((m.start(), _WORDS[m.group(0)]))
    firm = [(pos, value) for pos, value in counts
            if not _HEDGED_COUNT.match(ctx.masked, pos + len(_count_text(ctx.masked, pos)))]
    confirmed = polarity(ctx.text) == "yes" and bool(_ANY_BED_WORD.search(ctx.question.echo))
    if firm or confirmed:  # a wish beside a firmer count (or a count confirmed) is no count
        counts = firm
    values = [value for _, value in sorted(counts)]
    if not values:
        return {}
    if len(wanted) == 1:
        return {wanted[0]: min(values)}
    return dict(zip(wanted, values, strict=False))


def _count_text(text: str, pos: int) -> str:
    m = re.match(r"[\w.]+", text[pos:])
    return m.group(0) if m else ""


def property_type_events(ctx: MessageContext) -> list[tuple[int, PropertyType, bool]]:
    """``(pos, type, wanted)`` statements; ``wanted=False`` withdraws that type ("not a
    condo", "stop sending me condos"): it clears the field if it is the current type."""
    if not ctx.may_name_next_home:
        return []
    out: list[tuple[int, PropertyType, bool]] = []
    for name, pattern in _TYPES:
        for m in pattern.finditer(ctx.masked):
            if name == "condo" and ctx.renting and not m.group(0).startswith("condo"):
                # an apartment to rent is no condo; "apartment (to buy)" is (SPEC)
                continue
            if _is_current_home(ctx, m.start(), m.end()) or _TYPE_AS_MODIFIER.match(
                    ctx.masked, m.end()):
                continue
            before = ctx.masked[max(0, m.start() - 40) : m.start()]
            if re.search(r"\bflip\w*\s+$", before) or re.search(
                    r"\b(?:build|building|construir|construyendo)\s+(?:\w+\s+){0,2}$", before):
                continue  # the home flipped, or the one to be built (on the land bought)
            if name == "land" and _LAND_WITH.search(before) and any(
                    pat.search(ctx.masked, 0, m.start()) for key, pat in _TYPES if key != "land"):
                continue  # "a house on 2 acres": the land comes with the home named before
            if _ANYTHING_BUT.search(ctx.masked, max(0, m.start() - 30), m.start()):
                out.append((m.start(), name, False))  # "anything but a condo": ruled out
                continue
            negation = _TYPE_NEGATION.search(ctx.segments.clause_before(m.start()))
            modifier = negation.group("modifier") if negation else None
            if negation and not (
                (modifier and _MODIFIER.search(modifier))
                or _MODIFIER_AFTER.match(ctx.masked, m.end())
            ):
                out.append((m.start(), name, False))
                continue
            out.append((m.start(), name, True))
    return sorted((e for e in out if not ctx.describes_sold_home(e[0])), key=lambda e: e[0])
