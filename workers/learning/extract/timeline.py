"""Timeline: when the lead intends to move / transact, as a bucket counted from ``now``.

Time is counted in days (a month = 30 days, a week = 7, a year = 365). A named month or
season counts to its first day unless a day is given ("mid-August" = August 15). A boundary
falls in the lower bucket: exactly 90 days is ``1_3_months``.
"""

from __future__ import annotations

import re
from datetime import date

from .context import MessageContext
from .dates import DateMention, read_dates
from .model import Timeline

_ASAP = re.compile(
    r"\basap\b|\bas soon as possible\b|\bimmediately\b|\bright away\b"
    r"|\bready to (?:buy|move|go|close)"
    r"(?: \w+)? now\b|\b(?:buy|move|close|list) (?:right )?now\b|\burgent(?:ly|e|emente)?\b"
    r"|\bfew weeks\b|\bcouple (?:of )?weeks\b"
    r"|\blo (?:antes|mas pronto) posible\b|\bcuanto antes\b|\bde inmediato\b"
    r"|\binmediatamente\b|\bya mismo\b|\bunas (?:pocas )?semanas\b"
)
_NOUN_BEFORE = re.compile(r"\b(?:the|a|your|my|our)\s+$")  # "take us off the list now"
# Urgency denied in its clause: "not urgent", "don't need to move right away", "no es urgente".
_NOT_URGENT = re.compile(r"\b(?:not|no|don'?t|dont|doesn'?t|isn'?t|aren'?t|won'?t|never|nothing"
                         r"|no es|no hay|sin)\b")
_SOON = re.compile(r"\bthis month\b|\bend of (?:the |this )?month\b|\bthis week\b|\bnext week\b"
                   r"|\beste mes\b|\b(?:a )?fin(?:ales)? de(?:l)? mes\b|\besta semana\b"
                   r"|\bla (?:proxima semana|semana (?:que viene|proxima))\b")
_BROWSING = re.compile(
    r"\bjust (?:browsing|looking(?! for (?!now))|curious|starting to look|window shopping"
    r"|daydreaming|dreaming|looking around|poking around|checking things out)\b"
    r"|\bno (?:real |set |concrete |firm )?plans\b|\bnot sure (?:yet|when)\b|\bno timeline\b"
    r"|\bsomeday\b|\bnothing (?:set )?in stone\b|\bkeeping an eye on\b"
    r"|\b(?:just )?(?:seeing|see) what'?s out there\b"
    r"|\b(?:solo|nada mas|nomas|solamente) (?:estoy |estamos )?(?:viendo|mirando|curioseando"
    r"|echando un ojo)\b|\bsin planes\b|\bno (?:tenemos|tengo) planes\b"
    r"|\b(?:todavia|aun) no (?:lo )?(?:se|sabemos|decidimos|hemos decidido)\b"
)
_MOVE_CUE = re.compile(
    r"\b(?:by|before|until|till|til|move|moving|moved in|move in|buy|buying|sell|selling|list"
    r"|listing|listed|close|closing|settled|be in|in by|lease|relocat\w*|transferr?\w*"
    r"|timeline|want|wanna|need|hoping|hope|plan|planning|looking|ready|sometime|target|aim"
    r"|thinking|targeting|aiming|shooting for|goal"
    r"|asap|then|out by|ideally|pcs\w*|orders|deploy\w*|traslad\w*|transfer\w*|reubic\w*"
    r"|(?:we|i)(?:'ll|'re|'m)?\s+(?:\w+\s+)?(?:report|arriv)\w*|start date"
    r"|mudar\w*|mudo|mudamos|comprar|vender|cerrar|listos?|queremos|quiero|necesito"
    r"|necesitamos|para|antes|hasta|piensan|pensamos|planeamos|esperamos|como en|entrar"
    r"|tenemos que|tengo que)\b"
)
_MOVE_AFTER = re.compile(
    r"\b(?:move|moving|moved in|close|closing|list|listing|buy|buying|sell|selling|relocat\w*"
    r"|settled|by then|be in|mudar\w*|comprar|vender)\b"
)
# A birth is an event of its own: "expecting a baby in August", "gemelos para julio" date the
# birth, not the move -- unless the move is tied to it ("move after the baby comes in march",
# "before the baby comes in feb") or a moving verb follows ("baby in may, need to move by june").
_RELATION = re.compile(r"\b(?:before|after|once|when|until|till|til|by the time|antes de que"
                       r"|despues de que|cuando|hasta que|en cuanto)\b")
_BIRTH_CUE = re.compile(r"\b(?:due|expecting|baby|babies|newborn|twins|pregnan\w*|bebes?|gemel[oa]s"
                        r"|embarazada|nace|nacer|born|parto)\b")
# The message ties its move to the birth: "we'd like to move before she delivers".
_TIED_TO_BIRTH = re.compile(
    r"\b(?:move|moving|be in|settled|close|closing|mudar\w*|estar)\b[^.!?]{0,30}?\b(?:before|after"
    r"|once|by the time|antes de que|despues de que|cuando)\b[^.!?]{0,20}?\b(?:baby|bebe|she"
    r" delivers|delivery|birth|due date|arrives|comes|nazca|llegue|nacimiento)"
)
_MOVE_VERB = re.compile(
    r"\b(?:move|moving|moved in|move in|buy|buying|sell|selling|list|listing|close|closing"
    r"|settled|be in|in by|lease|relocat\w*|want|wanna|need|plan|planning|looking|ready"
    r"|mudar\w*|mudo|mudamos|comprar|vender|cerrar|queremos|quiero|necesito|necesitamos"
    r"|pensamos|planeamos|entrar)\b"
)
_PAST_CUE = re.compile(
    r"\b(?:lost|got|had|was|were|did|started|(?<!be )moved(?! in(?:to)?\b)|bought|sold|closed|last"
    r"|ago|since|born|saw|seen|visited|toured|viewed|vimos|visitamos"
    r"|married|went|happened|laid|hace|pasado|pasada|fue|fuimos|compramos|vendimos|nacio"
    r"|perdi|perdimos)\b"
)


_BY_THEN = re.compile(r"\b(?:by|before|around|until|til|till) (?:then|that (?:date|day|time))\b"
                      r"|\b(?:para|antes de) (?:entonces|esa fecha|ese dia|eso)\b")


def reads_as_browsing(text: str) -> bool:
    """"just looking", "nothing set in stone", "solo estoy viendo": no plan yet."""
    return bool(_BROWSING.search(text))


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


def _days_until(target: date, today: date) -> int:
    return max(0, (target - today).days)


def _accepts(ctx: MessageContext, pos: int) -> bool:
    """A date reads as a timeline only in a moving context, never for a past event.

    The cue must come before the date in its clause ("want to move in august"), so "expecting
    a baby in july and need more space" is no timeline.
    """
    before = ctx.segments.clause_before(pos)
    clause = ctx.segments.clause_text(pos)
    past = [m.end() for m in _PAST_CUE.finditer(before)]
    moves = [m.end() for m in _MOVE_CUE.finditer(before)]
    # The nearest cue decides: "got a job so we're moving in the spring" moves; "we moved
    # in march" does not.
    if past and (not moves or past[-1] > moves[-1]):
        return False
    births = list(_BIRTH_CUE.finditer(before))
    if births and _TIED_TO_BIRTH.search(ctx.masked):
        return True  # "due in July, we'd like to move before she delivers"
    if births and not (_MOVE_VERB.search(before, births[-1].end())
                       or _MOVE_VERB.search(before, 0, births[0].start())
                       or _RELATION.search(before, 0, births[0].start())):
        return False
    if ctx.question.asks("timeline") or moves:
        return True
    if ctx.direct and ctx.question.yes_intents and ctx.question.echo:
        return True  # "Still thinking of selling?" -> "yes, probably in the fall"
    if _MOVE_AFTER.search(ctx.segments.clause_after(pos)):
        return True
    return len(re.findall(r"\w+", clause)) <= 3


def timeline_events(ctx: MessageContext) -> list[tuple[int, Timeline]]:
    """``(pos, bucket)`` timeline statements of an inbound message, in text order."""
    text = ctx.masked
    today = ctx.now.date()
    out: list[tuple[int, Timeline]] = []
    out.extend((m.start(), "asap") for m in _ASAP.finditer(text)
               if not _NOUN_BEFORE.search(text, max(0, m.start() - 6), m.start())
               and not _NOT_URGENT.search(ctx.segments.clause_before(m.start())))
    out.extend((m.start(), "asap") for m in _SOON.finditer(text) if _accepts(ctx, m.start()))
    out.extend((m.start(), "browsing") for m in _BROWSING.finditer(text))
    answering = ctx.question.asks("timeline") and ctx.direct
    mentions = read_dates(text, today)
    for mention in mentions:
        if _believed(ctx, mention, answering):
            out.append((mention.start, bucket(_days_until(mention.target, today))))
    then = _BY_THEN.search(text)
    if then:  # "I start on May 4, need a place by then": the move is tied to that date
        dated = [d for d in mentions if d.end <= then.start()
                 and not _PAST_CUE.search(ctx.segments.clause_before(d.start))]
        if dated:
            out.append((then.start(), bucket(_days_until(dated[-1].target, today))))
    return sorted((e for e in out if not ctx.others(e[0])), key=lambda e: e[0])


def _believed(ctx: MessageContext, mention: DateMention, answering: bool) -> bool:
    """Is this date the lead's moving timeline? (See :data:`dates.Check`.)"""
    check = mention.check
    if check == "duration":
        return mention.framed or answering
    if check == "numeric":
        return mention.framed or (answering and mention.start < 3)
    if check == "context":
        return _accepts(ctx, mention.start)
    if check == "next_year":
        return not _PAST_CUE.search(ctx.segments.clause_before(mention.start))
    return True
