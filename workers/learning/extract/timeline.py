"""Timeline: when the lead intends to move / transact, as a bucket counted from ``now``.

Time is counted in days (a month = 30 days, a week = 7, a year = 365). A named month or
season counts to its first day unless a day is given ("mid-August" = August 15). A boundary
falls in the lower bucket: exactly 90 days is ``1_3_months``.
"""

from __future__ import annotations

import re
from datetime import date

from .context import MessageContext
from .dates import DateMention
from .model import Timeline
from .text import CORRECTION

_ASAP = re.compile(
    r"\basap\b|\bas soon as possible\b|\bimmediately\b|\bright away\b"
    r"|\bready to (?:buy|move|go|close)"
    r"(?: \w+)? now\b|\b(?:buy|move|close|list) (?:right )?now\b|\burgent(?:ly|e|emente)?\b"
    r"|\bfew weeks\b|\bcouple (?:of )?weeks\b"
    r"|\blo (?:antes|mas pronto) posible\b|\bcuanto antes\b|\bde inmediato\b"
    r"|\binmediatamente\b|\bya mismo\b|\bunas (?:pocas )?semanas\b"
    r"|\bthe sooner the better\b|\bsooner rather than later\b|\bentre mas pronto mejor\b"
    r"|\b(?:me|nos|le|les) urge\b"
    # a move wanted fast: "need to sell fast", "find something quick", "a quick close"
    r"|\b(?:sell|move|buy|close|rent|find|list|vender|mudar\w*|comprar|rentar)\w*\b"
    r"(?:\s+[\w@'-]+){0,5}?\s+(?:fast|quick|quickly|rapido)\b|\bquick (?:close|closing|sale)\b"
)
_NOUN_BEFORE = re.compile(r"\b(?:the|a|your|my|our)\s+$")  # "take us off the list now"
# Haste that is another's act in a condition: "we'd take 325 if they close fast" (the buyer's).
_THEIR_HASTE = re.compile(r"\b(?:if|when|unless|as long as|once|si)\s+(?:they|the (?:buyers?"
                          r"|sellers?)|buyers?|sellers?|someone|somebody|he|she|ellos|el comprador"
                          r"|los compradores)\b")
# Urgency denied in its clause: "not urgent", "don't need to move right away", "no es urgente".
_NOT_URGENT = re.compile(r"\b(?:not|no|don'?t|dont|doesn'?t|isn'?t|aren'?t|won'?t|never|nothing"
                         r"|no es|no hay|sin)\b")
_SOON = re.compile(r"\bthis month\b|\bend of (?:the |this )?month\b|\bthis week\b|\bnext week\b"
                   r"|\b(?:this|next) weekend\b|\beste fin de semana\b"
                   r"|\beste mes\b|\b(?:a )?fin(?:ales)? de(?:l)? mes\b|\besta semana\b"
                   r"|\bla (?:proxima semana|semana (?:que viene|proxima|que entra))\b")
_BROWSING = re.compile(
    r"\bjust (?:browsing|looking(?! for (?!now))|curious|starting to look|window shopping"
    r"|daydreaming|dreaming|looking around|poking around|checking things out)\b"
    r"|\bno (?:real |set |concrete |firm )?plans\b|\bnot sure (?:yet|when)\b|\bno timeline\b"
    r"|\b(?:don'?t|dont|do not) know (?:yet|when)\b"
    # no date yet, as "no timeline": "todavía no tenemos fecha", "no set date yet"
    r"|\bno (?:set |firm |exact )?(?:date|timeframe) yet\b|\b(?:don'?t|dont|do not) have a (?:set "
    r"|firm |exact )?(?:date|timeline|timeframe)\b|\bno (?:tenemos|tengo|hay) (?:fecha|plazo)\b"
    r"|\bsomeday\b|\bnothing (?:set )?in stone\b|\bkeeping an eye on\b"
    r"|\bjust (?:exploring|researching|doing (?:some )?research)\b|\b(?:very "
    r"|still )?early stages?\b"
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
    r"|(?:send\w*|sent|ship\w*|post\w*|station\w*) (?:us|me|him|her)"
    r"|(?:kick\w*|forc\w*|push\w*|want\w*|need\w*) (?:us|me) out|be out(?! of town)|move out"
    r"|notice"
    r"|mudar\w*|mudo|mudamos|comprar|vender|cerrar|listos?|queremos|quiero|necesito"
    r"|contrato|vence|vencer|se acaba|se termina"
    # a revised date: "now it's more like august", "pushed back to september"
    r"|more like|pushed (?:it )?(?:back |out )?to|push(?:ing)? (?:it )?(?:back |out )?to|closer to"
    r"|changed (?:it )?to|instead|after|once"
    r"|necesitamos|para|antes|hasta|piensan|pensamos|planeamos|esperamos|como en|entrar"
    # Spanish "cambiarse" is moving house: "nos cambiamos a finales de junio"
    r"|(?:nos|me) cambi(?:amos|o|aremos|ariamos|amos de casa)|cambiarnos|cambiarme"
    r"|tenemos que|tengo que)\b"
)
_NEAR_CUES = frozenset(("by", "after", "once"))
_MOVE_AFTER = re.compile(
    r"\b(?:move|moving|moved in|close|closing|list|listing|buy|buying|sell|selling|relocat\w*"
    r"|settled|settle (?:in|down|into)|by then|be in|mudar\w*|comprar|vender"
    # Spanish present and future of the plan: "se retira en marzo y ahí vendemos"
    r"|vendemos|venderemos|vendere|compraremos|comprare|mudamos|mudaremos)\b"
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


# The date of something else than the move: a call, a showing, a listing's availability.
_OTHER_EVENT = re.compile(
    r"\b(?:talk|call|text|chat|follow up|check (?:back|in)|reach out|circle back|touch base|speak"
    r"|hear (?:back|from)|get back to|ping|remind|email|tour|see it|see the|showing|open house"
    r"|appointment|meeting|out of town|listing says|ad says|it says|says available|available"
    r"|llam\w+|hablamos|hablar|escrib\w+|cita|visita)\b"
)
# A move tied to a date said before it, after that date: "kids finish school june 5th, we'd move
# sometime after that", "se gradua en junio y despues de eso nos cambiamos", "the baby's due in
# july, we want to be in a bigger place right after".
_AFTER_THEN = re.compile(r"\b(?:sometime |some time |right |soon |shortly |not long )?after"
                         r" (?:that|then)\b|\bright after\s*(?:[.!?]|$)|\b(?:despues|luego) de"
                         r" (?:eso|esa fecha|ese dia)\b")
_BY_THEN = re.compile(r"\b(?:by|before|around|until|til|till) (?:then|that (?:date|day|time))\b"
                      r"|\b(?:para|antes de) (?:entonces|esa fecha|ese dia|eso)\b"
                      # "before" / "antes" closing a sentence after a date: "starts march 1,
                      # we need to rent something before", "necesitamos rentar algo antes"
                      r"|\b(?:before|antes)\s*(?:[.!?]|$)")


# The lead unsure, at the end of what they say: "might just keep renting, not sure".
_UNSURE_END = re.compile(r"\b(?:not (?:really |totally |100% )?sure|unsure|no (?:estoy|estamos)"
                         r" segur[oa]s?)(?:\s+(?:tbh|honestly|lol|yet|todavia|aun))?\W*$")


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


def _accepts(ctx: MessageContext, pos: int, end: int | None = None) -> bool:
    """A date reads as a timeline only in a moving context, never for a past event.

    The cue must come before the date in its clause ("want to move in august"), so "expecting
    a baby in july and need more space" is no timeline.
    """
    before = ctx.segments.clause_before(pos)
    clause = ctx.segments.clause_text(pos)
    # a past event, or a date of something else (a call, a showing): not the move
    past = sorted([m.end() for m in _PAST_CUE.finditer(before)]
                  + [m.end() for m in _OTHER_EVENT.finditer(before)])
    # a preposition is a cue only right before the date ("by june"), not "stop by the house"
    moves = [m.end() for m in _MOVE_CUE.finditer(before)
             if m.group(0) not in _NEAR_CUES or len(before[m.end() :].split()) <= 2]
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
    if end is not None:  # a date said alone ("a mediados de mayo"): at most a word beside it
        start_c, end_c = ctx.segments.clause(pos)
        beside = ctx.segments.text[start_c:pos] + " " + ctx.segments.text[end:end_c]
        if not re.findall(r"\w+", beside) or _only_times(ctx, start_c, end_c):
            return True
    return len(re.findall(r"\w+", clause)) <= 3


# Words that leave a clause of dates a time said alone: "probably next spring or summer", and
# the prepositions and articles that lead into a time ("maybe in the summer", "prob by the end
# of the year", "quizas por ahi de octubre", "mas o menos en diciembre").
_HEDGE_WORDS = frozenset(("probably", "maybe", "ideally", "hopefully", "likely", "possibly",
                          "perhaps", "like", "or", "and", "either", "i", "think", "guess",
                          "honestly", "tbh", "prob", "around", "about", "o", "y", "tal", "vez",
                          "quizas", "probablemente", "creo", "ojala", "como", "mas", "menos",
                          "in", "by", "the", "at", "sometime", "en", "el", "la", "para", "por",
                          "ahi", "alla", "de", "a"))


def _only_times(ctx: MessageContext, start: int, end: int) -> bool:
    """Is the clause ``start:end`` only dates and hedges ("probably next spring or summer")?"""
    chars = list(ctx.masked[start:end])
    for d in ctx.dates:
        for i in range(max(d.start, start), min(d.end, end)):
            chars[i - start] = " "
    return all(w in _HEDGE_WORDS for w in re.findall(r"\w+", "".join(chars)))


# A time ruled out, right before it: "Not this year. Probably next spring", "no en marzo" (but
# "not until 2028" gives the earliest time).
_NOT_THEN = re.compile(r"\b(?:not|no|never|nunca)\s+(?:in\s+|by\s+|en\s+|para\s+)?$")
_EARLIEST = re.compile(r"(?:until|till|til|before|after|hasta|antes|despues)\b")


# A listing or agreement running to a date: the date ends its term, it is no move.
_TERM_OF = re.compile(r"\b(?:listed|listing|listing agreement|contract with|agreement)\b"
                      r"[^.!?]{0,30}?\b(?:til|till|until|through|thru|expires?|expiring|ends?"
                      r"|runs? (?:out|through|until|til)|vence|termina|hasta)"
                      r"\s+(?:in\s+|on\s+|at\s+)?$")


def _corrects_to(ctx: MessageContext, mention: DateMention) -> bool:
    """A date right after a correction restates the time just given: "thinking spring" ...
    "oops i mean next spring", "perdón, quise decir junio"."""
    return any(0 <= mention.start - m.end() <= 6 and not re.search(
        r"\w+\s+\w+", ctx.masked[m.end() : mention.start])
        for m in CORRECTION.finditer(ctx.masked, 0, mention.start))


def timeline_events(ctx: MessageContext) -> list[tuple[int, Timeline]]:
    """``(pos, bucket)`` timeline statements of an inbound message, in text order."""
    text = ctx.masked
    today = ctx.now.date()
    out: list[tuple[int, Timeline]] = []
    out.extend((m.start(), "asap") for m in _ASAP.finditer(text)
               if not _NOUN_BEFORE.search(text, max(0, m.start() - 6), m.start())
               and not _NOT_URGENT.search(ctx.segments.clause_before(m.start()))
               and not _OTHER_EVENT.search(ctx.segments.clause_before(m.start()))
               and not _THEIR_HASTE.search(ctx.segments.clause_before(m.start())))
    out.extend((m.start(), "asap") for m in _SOON.finditer(text) if _accepts(ctx, m.start()))
    out.extend((m.start(), "browsing") for m in _BROWSING.finditer(text))
    unsure = _UNSURE_END.search(text) if "sure" in text or "segur" in text else None
    if unsure and not (ctx.direct and ctx.question.topics and not (
            ctx.question.asks("timeline") or ctx.question.yes_intents
            or ctx.question.intent_choice)):
        out.append((unsure.start(), "browsing"))  # "... might keep renting, not sure"
    answering = ctx.question.asks("timeline") and ctx.direct
    mentions = ctx.dates
    for mention in mentions:
        if _TERM_OF.search(ctx.segments.clause_before(mention.start)):
            continue  # "listed with redfin til june": the end of a listing's term, not a move
        if _NOT_THEN.search(text, max(0, mention.start - 12), mention.start) and not \
                _EARLIEST.match(text, mention.start):
            continue  # "not this year", "no en marzo": a time ruled out
        if _believed(ctx, mention, answering) or _corrects_to(ctx, mention):
            out.append((mention.start, bucket(_days_until(mention.target, today))))
    then = _BY_THEN.search(text)
    if then:  # "I start on May 4, need a place by then": the move is tied to that date
        dated = [d.target for d in mentions if d.end <= then.start()
                 and not _PAST_CUE.search(ctx.segments.clause_before(d.start))]
        if not dated and ctx.prior_date is not None and ctx.prior_date >= today:
            dated = [ctx.prior_date]  # "baby due in sept" ... "we want to buy before then"
        if dated:
            out.append((then.start(), bucket(_days_until(dated[-1], today))))
    after = _AFTER_THEN.search(text) if "after" in text or "de eso" in text or \
        "esa fecha" in text or "ese dia" in text else None
    if after:  # the move follows an event dated before it: counted to that event's date
        dated = [d.target for d in mentions if d.end <= after.start()
                 and not _PAST_CUE.search(ctx.segments.clause_before(d.start))
                 and not _OTHER_EVENT.search(ctx.segments.clause_before(d.start))]
        if dated and dated[-1] >= today:
            out.append((after.start(), bucket(_days_until(dated[-1], today))))
    return sorted((e for e in out if not ctx.others(e[0])), key=lambda e: e[0])


# A date said as the aim: "mid-june would be perfect", "next fall is the plan".
_GOAL_AFTER = re.compile(
    r"\W*(?:would be|'d be|would work|works|is|'s|sounds|seems|seria|es|estaria)\s+(?:\w+\s+)?"
    r"(?:perfect|ideal|great|best|good|better|the (?:goal|plan|target|hope|idea|dream)|our (?:goal"
    r"|plan|target)|my (?:goal|plan|target)|perfecto|ideal|lo ideal|el plan|la meta|bueno|mejor)\b"
)


# A date as the subject of the move's deadline: "end of march is our deadline to be moved",
# "july 15 is the day we have to be out", "finales de mayo es la fecha limite".
_DEADLINE_AFTER = re.compile(
    r"\W*(?:is|'s|es|sera|will be)\s+(?:(?:our|my|the|la|el|nuestra|nuestro|mi)\s+)?(?:\w+\s+)?"
    r"(?:deadline|cut-?off|move[\s-]?(?:in|out)? (?:date|day)|closing date|fecha (?:limite|tope)"
    r"|plazo|dia de (?:la )?mudanza)\b"
    r"|\W*(?:is|'s|es)\s+(?:the day|when|el dia|cuando)\b[^.!?,]{0,30}?\b(?:be out|be in|move\w*"
    r"|close|closing|mudar\w*|salir\w*|entregar\w*|cambiar\w*)")


def _believed(ctx: MessageContext, mention: DateMention, answering: bool) -> bool:
    """Is this date the lead's moving timeline? (See :data:`dates.Check`.)"""
    check = mention.check
    if check in ("context", "duration") and (
            _GOAL_AFTER.match(ctx.masked, mention.end)
            or _DEADLINE_AFTER.match(ctx.masked, mention.end)) and not \
            _PAST_CUE.search(ctx.segments.clause_before(mention.start)):
        return True
    if check == "duration":  # "talk in a few weeks?" dates a call, not the move
        return (mention.framed or answering) and not _OTHER_EVENT.search(
            ctx.segments.clause_before(mention.start))
    if check == "numeric":
        return mention.framed or (answering and mention.start < 3)
    if check == "context":
        return _accepts(ctx, mention.start, mention.end)
    if check == "next_year":
        return not _PAST_CUE.search(ctx.segments.clause_before(mention.start))
    return True
