"""Budget (purchase price range), hoped-for sale price and pre-approval amounts.

A price is never a rent, HOA due, mortgage payment, tax, amount owed, past purchase price or
pre-qualification; a pre-approval amount is kept apart and only stands in for a budget when
no budget is stated. Direction words decide min vs max; a bare figure is a max.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from .context import MessageContext
from .numbers import NumberToken, money_amounts, number_tokens
from .text import last_words

Kind = Literal["budget", "sell", "preapproval"]
Direction = Literal["min", "max", "range", "single"]

_EXCLUDE_BEFORE = re.compile(
    r"\b(?:hoa|hoas|rent|rents|payments?|mortgage|owe|owed|owing|taxes|tax|insurance|utilities"
    r"|deposit|sold (?:it )?for|sold at|bought (?:it |this |the \w+ |our \w+ )?(?:for|at)|paid"
    r"|pre[\s-]?qual\w*|prequal\w*|comps?|saved|saving|savings|have about|have around"
    r"|down payment|income|salary|earn|cover|fees?|dues|each unit|per unit|rent for"
    r"|appraised|zestimate|assessed|net|clear|walk away with"
    r"|(?:said|says|told (?:us|me)|thinks|estimated?)(?: [\w']+){0,3} (?:go for|sell for|get|list"
    r" for|worth)|(?:zillow|redfin|realtor\.com|the estimate|estimate)"
    r"(?: \w+)? (?:says|said|shows|has it at|thinks)|(?:was|were) (?:listed|priced)(?: at| for)?"
    r"|renta|rentas|mensualidad|pago mensual|pagos|hipoteca|debo|debemos|ahorrad\w+|ahorros"
    r"|enganche|ingresos|sueldo|cuotas?|pre[\s-]?calificad\w*|precalificad\w*"
    r"|avaluo|tasacion|tasaron|valuaron|valuada en|valuado en)\b"
)
_EXCLUDE_AFTER = re.compile(r"^\s*(?:down\b|(?:de|del|para el|para) enganche\b|de ahorros?\b"
                            r"|in savings|saved|in equity|equity|on it|left on"
                            r"|for (?:a |the )?(?:down ?payment|closing costs?|reserves)"
                            r"|in (?:the bank|cash reserves)|(?:a|per) year\b|annually)")
# What the lead earns: "we make about 120k", "my husband brings in 90k".
_INCOME_BEFORE = re.compile(r"\b(?:we|i|he|she|they|husband|wife|hubby|both)\s+(?:both\s+|each\s+)?"
                            r"(?:make|makes|making|earn|earns|earning|bring (?:in|home)|brings"
                            r" (?:in|home)|gan\w+)\b")
_PREAPPROVAL = re.compile(
    r"(?:pre[\s-]?approv\w*(?:\s+(?:us|me))?|approved|pre[\s-]?approval|preapproval"
    r"|pre[\s-]?aprob\w*|aprobad[oa]s?|aprobacion del banco)(?:\s+letter)?"
    r"(?:\s+(?:for|up to|at|of|to|with|por|hasta|para|de))?(?:\s+(?:about|around|~|like"
    r"|unos|alrededor de))?\s*\$?\s*$"
)
# A seller's floor: "won't take less than 425", "not a penny less than", "no acepto menos de".
_FLOOR = re.compile(
    r"(?:(?:won'?t|wont|wouldn'?t|would not|will not|not going to|can'?t|cannot|not gonna)"
    r"\s+(?:take|accept|sell for|sell it for|go|let it go for)\s+(?:a (?:penny|dime|cent|dollar)"
    r"\s+|anything\s+)?(?:less|lower|under|below)(?:\s+than)?"
    r"|not (?:a (?:penny|dime|cent|dollar)|anything) (?:less|lower|under|below)(?:\s+than)?"
    r"|no (?:bajo|bajamos|bajaria|bajariamos|lo dejo|la dejo) (?:de|en|a)"
    r"|not (?:taking|accepting|selling(?: it)? for|going|letting it go for)\s+(?:anything\s+"
    r"|a (?:penny|dime|cent|dollar)\s+)?(?:less|lower|under|below)(?:\s+than)?"
    r"|bottom line(?: is)?|lowest (?:i'?d|we'?d|i would|we would|i'?ll|we'?ll) (?:go|take|accept)"
    r"(?: is)?|rock bottom(?: is)?|floor is|no (?:acepto|aceptamos|aceptaria|vendo|vendemos)"
    r" (?:en |por )?menos de|lo (?:minimo|menos) que (?:acepto|aceptaria|aceptamos)(?: es)?)"
    r"\s*\$?\s*$"
)
# What a seller would settle for, a floor beside the price hoped for: "we'd take 410",
# "aceptaríamos 380" (SPEC: the hoped-for price wins over a floor said with it).
_SETTLE = re.compile(
    r"(?:\b(?:would|'d|could|can|will|might)\s+(?:probably\s+|still\s+|even\s+)?(?:take|accept"
    r"|settle for|go (?:as low as|down to)|be (?:ok|okay|fine|good) with|let it go for)"
    r"|\b(?:aceptar\w*|acepto|aceptamos|aceptaria\w*|dejariamos|dejaria))"
    r"\s*(?:(?:as low as|like|about|around|unos|como|en|por)\s+)?\$?\s*$"
)
# A figure said as the price of a home: "thinking 525 for ours", "400 for the right house".
_FOR_HOME_AFTER = re.compile(
    r"^\s*(?:k\b)?\s*(?:for|por)\s+(?:it|ours|mine|(?:our|my|the|this|that|his|her|their|la|el"
    r"|mi|nuestra|nuestro)\s+(?:[\w@-]+\s+)?(?:house|home|place|condo|townhome|townhouse"
    r"|property|casa|depa|propiedad))\b"
)
# A floor said after the figure: "400 is my bottom dollar", "410 minimum", "300 lo mínimo".
_FLOOR_AFTER = re.compile(
    r"\s*(?:k\b)?\s*(?:is|would be|'s|es|seria)?\s*(?:my|our|the|mi|nuestro|el"
    r"|lo)?\s*(?:absolute\s+)?"
    r"(?:bottom (?:dollar|line)|rock bottom|floor|minimum|min\b|lowest|least we'?d take|minimo"
    r"|lo menos)"
)
_SELL_CUE = re.compile(
    r"\b(?:hop(?:e|es|ed|ing)|get|getting|list|listing|listed|sell|selling|asking|aim|aiming"
    r"|price|priced|pricing|goal|target|love|market|ideally|idealmente"
    r"|worth|wants?|wanted|like|need|go for|goes for|appraise|happy with|settle for|take|accept"
    r"|vender\w*|venta|sacar|obtener|pedir|espero"
    r"|esperamos|vale|quiero|queremos|quisiera|quisieramos|gustaria)\b"
)
# A hope said after the figure: "450 would be amazing", "ojala 320" is before.
_HOPE_AFTER = re.compile(r"^\s*(?:would be|would make (?:us|me)|is the dream|is the goal|ideally"
                         r"|seria|estaria)\b(?!\s+(?:fine|ok|okay|acceptable))")
_HOPE_CUE = re.compile(r"\b(?:hop(?:e|es|ed|ing)|ideally|idealmente|like to get|aim|aiming|want"
                       r"|espero|love"
                       r"|goal|dream"
                       r"|esperamos|ojala|quisiera|quisieramos|me gustaria|nos gustaria)\b")
_BUY_CUE = re.compile(
    r"\b(?:budget|afford|spend|buy\w*|purchase|up to|under|max|no more than|stretch|go up"
    r"|next|new place|tops|below|less than|the new|presupuesto|comprar|gastar|hasta|maximo)\b"
    r"|\b(?<!our )(?<!my )(?:condo|townhome)\b"
)
# Words that make a figure a purchase price even for a lead who is selling.
_PURCHASE_CUE = re.compile(r"\b(?:budget|afford|spend|buy\w*|purchase|next|new place|the new"
                           r"|presupuesto|comprar|gastar)\b")
_MAX_BEFORE = re.compile(
    r"(?:up to|upto|under|max|maximum|no more than|not more than|less than|below|stretch to"
    r"|go up to|go to|do up to|at most|top out at|cap(?:ped)? at|ceiling(?: of| is)?"
    r"|nothing over|nothing above|not over|stay under|stay below|within|no higher than"
    r"|keep it under|around or under|bump(?: the budget)? to|make it max|make it"
    r"|hasta|maximo|no mas de|menos de|que no pasen? de|no pasar de|como maximo|a lo mucho"
    r"|tope de|tope)"
    r"\s*(?:(?:of|is|are|es|son|about|around|like|unos|como)\b\s*|~\s*)?\$?\s*$"
)
_MIN_BEFORE = re.compile(
    r"(?:at least|over|above|minimum|min|starting at|more than|nothing below|nothing under"
    r"|north of|no less than|upwards of|from|por lo menos|al menos|minimo|mas de|desde"
    r"|arriba de|no menos de)\s*(?:(?:of|is)\b\s*)?\$?\s*$"
)
_MAX_AFTER = re.compile(
    r"^\s*(?:is\s+)?(?:our\s+|my\s+|the\s+)?(?:(?:absolute|abs|hard|total|firm)\s+)?"
    r"(?:max|maximum|tops|or less|or under|at most|ceiling"
    r"|cap|limit|top end|maximo|como maximo|a lo mucho|tope|o menos)\b"
)
_MIN_AFTER = re.compile(
    r"^\s*(?:\+|plus\b|and up|or more|minimum|min\b|and above|or higher|,?\s*probably more"
    r"|,?\s*(?:could|can|might) go higher|\+|o mas\b|para arriba\b|en adelante\b|minimo\b)"
)
_PRICE_CUE = re.compile(
    r"(?:up to|under|max|maximum|no more than|at least|over|around|about|~|budget(?:'?s| is| of)?"
    r"|stretch to|go up to|do up to|preapproved for|approved for|pre approved for|hoping for"
    r"|hoping to get|hoping|get|list at|aim for|like to get|stay around|stay under|said"
    r"|thinking|between|from|make it|bump it to|to|presupuesto(?: es| de)?|alrededor de|unos"
    # a correction of the figure just given: "sorry i meant 350", "perdon, quise decir 550"
    r"|i meant|meant|i mean|make that|quise decir|digo"
    r"|aproximadamente|entre|hasta)\s*\$?\s*$"
)

_STRONG_CUE = re.compile(
    r"(?:budget(?:'?s)?(?:\s+(?:is|was|of|around|about|at|maybe|like|~|probably|roughly))*"
    # "our budget for the next one is 450", "we can afford about 425"
    r"|budget(?:\s+[\w@'-]+){1,5}?\s+(?:is|of|around|about|at|would be|will be)"
    # the budget changed or kept, its predicate before the figure: "bumped our budget to 475",
    # "upped the budget a bit to 390", "budget's now 510", "presupuesto sigue siendo 300"
    r"|(?:budget|presupuesto|tope)(?:'?s)?(?:\s+(?:a bit|a little|again|now|still|just|went|goes"
    r"|is|was|moved|stays?|up|ahora|ya|sigue|siendo|todavia|quedo|queda|esta|es|paso|subio|bajo"
    r"|quedara))*\s+(?:to|at|is|now|up to|a|en|de|hasta|siendo)"
    r"|afford(?:\s+(?:up to|about|around|maybe|like|roughly|to spend|to pay))?"
    r"|stay (?:around|under|below|at or under|within|near)"
    r"|price range(?: is| of)?|pre[\s-]?approved (?:for|up to)"
    r"|approved for|spend(?: up to| about| around)?|list(?: it)? (?:at|for)|hoping to get"
    r"|sell (?:it )?for|presupuesto(?:\s+(?:es|de|como|alrededor de|unos|maximo))*"
    r"|pre[\s-]?aprobad\w* (?:por|hasta|para)|vender(?:la|lo)? (?:en|por))\s*\$?\s*$"
)


@dataclass(frozen=True)
class MoneyEvent:
    """A price statement found in a message."""

    pos: int
    kind: Kind
    low: int
    high: int | None
    direction: Direction
    hoped: bool = False


def _clause_after(ctx: MessageContext, pos: int) -> str:
    """The rest of the clause in ``masked`` (where spoken amounts are already digits)."""
    return ctx.masked[pos : ctx.segments.clause(pos)[1]]


# A pre-approval stated earlier in the sentence: "got pre-approved thru my VA loan, 410".
_APPROVED_EARLIER = re.compile(r"\bpre[\s-]?approv\w*|\bapproved\b|\bpre[\s-]?aprob\w*"
                               r"|\baprob(?:ad[oa]s?|aron|o)\b")
_NOT_BEFORE = re.compile(r"\b(?:not|no|never|haven'?t|havent|todavia no)\s+(?:\w+\s+)?$")
# Where a cue's scope ends: "60k saved for the down payment and want to stay under 400".
_SCOPE_BREAK = re.compile(r".*\b(?:and|but|so|then|y|pero)\b", re.DOTALL)


def _own_words(before: str) -> str:
    """The words before a figure since the last conjunction: the ones that govern it."""
    m = _SCOPE_BREAK.match(before)
    return before[m.end() :] if m else before


def _approval_before(ctx: MessageContext, pos: int) -> bool:
    """Is a pre-approval stated earlier in the sentence of ``pos`` (and not negated there)?"""
    start = ctx.segments.sentence(pos)[0]
    m = _APPROVED_EARLIER.search(ctx.masked, start, pos)
    return m is not None and not _NOT_BEFORE.search(ctx.masked, start, m.start())


def _is_price_context(ctx: MessageContext, tok: NumberToken, before: str, talk: bool) -> bool:
    """May a bare number (no k / $) be read as thousands of dollars here?"""
    asked = ctx.question.asks("budget") or ctx.question.asks("sell_price") or (
        ctx.direct and ctx.question.preapproval)  # "Are you pre-approved?" -> "yes, 525"
    if asked and not tok.explicit_money:
        return True
    if _STRONG_CUE.search(before) or _FLOOR.search(before):
        return True
    if 50 <= tok.value < 10_000 and not _BUY_CUE.search(before) and _approval_before(
            ctx, tok.start):
        return True  # "pre-approved thru my VA loan, 410": the amount of the pre-approval
    if tok.ish or tok.is_range:
        # "queremos comprar en cypress, algo de 350 a 380": a range of hundreds said with a
        # purchase is a price
        return talk or asked or (50 <= tok.value < 10_000 and tok.is_range and ctx.intent in (
            "buy", "buy_and_sell", "invest"))
    if 50 <= tok.value < 10_000 and _PRICE_NOUN_AFTER.match(ctx.masked, tok.end):
        return True  # "homes around the 350 mark", "the 400 range"
    if talk and _PRICE_CUE.search(before):
        return True
    after = _clause_after(ctx, tok.end)
    if 50 <= tok.value < 10_000 and (
        _FOR_HOME_AFTER.match(after)
        or (ctx.intent in ("sell", "buy_and_sell") and (
            _SELL_CUE.search(before) or _SETTLE.search(before) or _MIN_BEFORE.search(before)
            or _FLOOR_AFTER.match(after) or _HOPE_CUE.search(before) or _PRICE_CUE.search(before)))
    ):
        return True
    # "a 3 bed under 400": a direction word before a three-digit figure is a price in thousands.
    direction = _MAX_BEFORE.search(before) or _MAX_AFTER.match(after) or _NEGATED_OVER.search(
        before)
    return not ctx.renting and 50 <= tok.value < 1000 and bool(direction)


_PRICE_NOUN_AFTER = re.compile(r"\s*(?:k\b)?\s*(?:mark|range|price range|price point|ballpark)\b")


def _direction(tok: NumberToken, before: str, after: str) -> Direction:
    return "range" if tok.is_range else _direction_words(before, after)


# A negation whose scope reaches "over X" caps the price: "we don't want to go over 350",
# "I don't want anything over 350", "nada que pase de 400".
_NEGATED_OVER = re.compile(
    r"\b(?:not|don'?t|dont|do not|won'?t|wont|never|can'?t|cannot|rather not|no)\s+"
    r"(?:[\w']+\s+){0,4}?(?:over|above|more than|past|beyond|higher than|north of)\s*\$?\s*$"
)


_NEGATED_UNDER = re.compile(
    r"\b(?:no|not|nothing|never|nada|ni un \w+)\s+(?:a (?:penny|dime|cent|dollar)\s+)?"
    r"(?:less|lower|under|below|menos)(?:\s+(?:than|de))?\s*\$?\s*$")


def _direction_words(before: str, after: str) -> Direction:
    if _SETTLE.search(before) or _FLOOR_AFTER.match(after):
        return "min"  # "but we'd take 410", "410 minimum": what they would accept, a floor
    if re.search(r"\bnothing (?:below|under|less than)\s*\$?\s*$", before) or _NEGATED_UNDER.search(
            before):
        return "min"  # "no less than 310", "no menos de 310": a floor
    if _NEGATED_OVER.search(before):
        return "max"  # "we don't want to go over 350" caps the budget
    if _MAX_BEFORE.search(before) or _MAX_AFTER.match(after):
        return "max"
    if _MIN_BEFORE.search(before) or _MIN_AFTER.match(after):
        return "min"
    return "single"


def _kind(ctx: MessageContext, before: str, clause: str, pos: int) -> Kind | None:
    if _PREAPPROVAL.search(before) or _answers_preapproval(ctx, before):
        return "preapproval"
    if not _own_words(before).strip() and _approval_before(ctx, pos):
        return "preapproval"  # a figure standing alone after "got pre-approved ...,"
    if _FLOOR.search(before):
        return "sell"  # a seller's floor is a sale price, never a budget (SPEC)
    seller = ctx.intent in ("sell", "buy_and_sell")
    if re.search(r"\bworth\b", before) and not seller:
        return None  # the value of a home the lead is not selling
    if not seller:
        # answering "what are you hoping to list it for?" is a sale price, unless said as a
        # purchase ("we can spend 400")
        asked_sale = ctx.direct and ctx.question.asks("sell_price")
        return "sell" if asked_sale and not _PURCHASE_CUE.search(before) else "budget"
    # a seller only: "nothing below 450" is the sale price, not a budget -- unless the figure
    # caps the next home ("selling ours, then looking for a house up to 400k")
    if ctx.direct and ctx.question.asks("budget") and _PURCHASE_CUE.search(ctx.question.asked) and (
            not _SELL_CUE.search(_own_words(before))):
        return "budget"  # "What's your budget for the new place?" -> "..., around 400"
    next_cap = ctx.next_home(pos) and (_MAX_BEFORE.search(before) is not None
                                       or not _SELL_CUE.search(before))
    if ctx.intent == "sell" and not _PURCHASE_CUE.search(before) and not next_cap:
        return "sell"
    buy_cue = bool(_BUY_CUE.search(before))
    if buy_cue or ctx.question.asks("budget"):
        return "budget"
    if ctx.intent == "sell" or ctx.question.asks("sell_price") or _SELL_CUE.search(clause):
        return "sell"
    return "budget"


def _answers_preapproval(ctx: MessageContext, before: str) -> bool:
    """"Are you pre-approved?" -> "yes, for 425k": the amount is the pre-approval."""
    return ctx.direct and ctx.question.preapproval and bool(re.fullmatch(
        r"\W*(?:yes|yeah|yep|yup|ya|yea|sure|we are|i am)\W*(?:for|up to|at|to)?\s*"
        r"(?:about|around|~)?\s*\$?\s*", before
    ))


_MILLIONS = frozenset(("m", "mm", "million"))
# Someone else's figure (a sale, an estimate, comps) the lead may then take as their own.
_THEIR_FIGURE = re.compile(r"\b(?:comps?|sold (?:[\w']+ ){0,3}?for|sold at|went for|got|said|says"
                           r"|told (?:us|me)|thinks|estimated?|zestimate|appraised|zillow|redfin"
                           r"|(?:was|were) (?:listed|priced)|paid|bought (?:[\w']+ ){0,3}?for"
                           r"|avaluo|vendio|vendieron|vendimos|sacaron|saco|pagamos|pagaron)\b")
# The lead taking that figure as theirs: "so something like that", "hoping for about the same",
# "at least that", "algo asi". ``ref`` is the word standing for the figure.
_ADOPT = re.compile(
    r"\b(?:(?:something|somewhere|anything|right|just|roughly|ideally|hopefully)\s+(?:like|around"
    r"|about|near)|around|about|close to|near|at least|no less than|at most|up to|no more than)\s+"
    r"(?P<ref>that|there)\b(?!\s+(?:is|was|would|will|'?s|[a-z]+ing)\b)"
    r"|\b(?:about |around |roughly |at least )?(?P<same>the same)(?:\s+(?:number|price|amount"
    r"|figure|range|ballpark)\b|(?=\s*(?:$|[.,!?;]|\b(?:or|if|would|for|too)\b)))"
    r"|\b(?P<es>algo (?:asi|parecido|similar)|lo mismo|mas o menos (?:eso|lo mismo)|por ahi)\b"
)


def _adopted(ctx: MessageContext, borrowed: list[NumberToken]) -> list[MoneyEvent]:
    """Someone else's figure the lead then takes as their price ("my neighbor got 520 so
    something like that"): a price of the lead's, said where they take it."""
    text = ctx.masked
    asked = ctx.question.asks("budget") or ctx.question.asks("sell_price")
    out: list[MoneyEvent] = []
    for m in _ADOPT.finditer(text, borrowed[0].end):
        if ctx.others(m.start()):
            continue
        tok = max((t for t in borrowed if t.end <= m.start()), key=lambda t: t.end, default=None)
        amounts = money_amounts(tok, thousands=True) if tok is not None else None
        if tok is None or amounts is None:
            continue
        ref = m.start(m.lastgroup or 0)
        before = last_words(text[ctx.segments.clause(m.start())[0] : ref], 6)
        if not (asked or ctx.intent in ("sell", "buy_and_sell") or _HOPE_CUE.search(before)
                or _BUY_CUE.search(before)):
            continue
        kind = _kind(ctx, before, ctx.segments.clause_text(m.start()), m.start())
        if kind is None or kind == "preapproval" or (kind == "budget" and ctx.renting):
            continue
        out.append(MoneyEvent(pos=m.start(), kind=kind, low=amounts[0], high=amounts[1],
                              direction=_direction_words(before, ""),
                              hoped=bool(_HOPE_CUE.search(before))))
    return out


def money_events(ctx: MessageContext) -> list[MoneyEvent]:
    """Price statements of an inbound message, in text order."""
    events: list[MoneyEvent] = []
    borrowed: list[NumberToken] = []  # figures of someone else's, which the lead may adopt
    text = ctx.masked
    previous_end = 0
    scale_suffix = ""  # "1.1m ... 1.2": a bare decimal after a figure in millions is millions
    for tok in number_tokens(text):
        floor, previous_end = previous_end, tok.end
        if tok.unit is not None:
            continue
        if tok.suffix in _MILLIONS:
            scale_suffix = tok.suffix
        elif scale_suffix and not tok.explicit_money and tok.value < 10 and not (
                tok.is_range or tok.value.is_integer()):  # "1.2", never "need 3"
            tok = replace(tok, suffix=scale_suffix, low_suffix=scale_suffix)
        if ctx.others(tok.start):
            borrowed.append(tok)
            continue  # a price in someone else's life ("my neighbor sold for 500k")
        clause_start = ctx.segments.clause(tok.start)[0]
        before_full = text[max(clause_start, floor) : tok.start]
        before = last_words(before_full, 6)
        after = _clause_after(ctx, tok.end)
        restates = not events and _restates(ctx, tok, before)
        thousands = _is_price_context(ctx, tok, before, ctx.money_talk or bool(events)) or (
            _near_figure(tok, events)) or restates
        amounts = money_amounts(tok, thousands=thousands)
        if amounts is None or (not tok.explicit_money and not thousands):
            if _THEIR_FIGURE.search(before):
                borrowed.append(tok)  # "we sold our last house for 420 ... around the same"
            continue
        own = _own_words(before)  # "... for the down payment and want to stay under 400"
        if _EXCLUDE_BEFORE.search(own) or _EXCLUDE_AFTER.match(after) or _INCOME_BEFORE.search(
                own):
            if _THEIR_FIGURE.search(before):
                borrowed.append(tok)
            continue
        kind = _kind(ctx, before, before_full + after, tok.start)
        if restates and ctx.recent_price and not (
                _PURCHASE_CUE.search(before) or _SELL_CUE.search(before)
                or _BUY_CUE.search(before) or ctx.answers_next_home):
            kind = "sell" if ctx.recent_price[0] == "sell" else "budget"
        if kind is None or (kind == "budget" and ctx.renting):
            continue
        low, high = amounts
        events.append(MoneyEvent(
            pos=tok.start, kind=kind, low=low, high=high,
            direction=_direction(tok, before, after),
            hoped=bool(_HOPE_CUE.search(before) or _HOPE_AFTER.match(after)),
        ))
    if borrowed:
        events.extend(_adopted(ctx, borrowed))
    return sorted(events, key=lambda e: e.pos)


# Words before a bare figure that leave it a figure of its own: a count, a size, a time.
_NOT_RESTATED = re.compile(r"\b(?:in|at|by|on|since|until|til|el|en|desde|#|no)\s*$")


def _restates(ctx: MessageContext, tok: NumberToken, before: str) -> bool:
    """A bare figure, first in its message, the size of the price the lead's last message
    stated restates that price: a correction or a stretch ("budget is 400k" -> "actually we
    talked it over, we can do 425"; "queremos 525" -> "perdón, 550")."""
    if ctx.direct and (ctx.question.asks("budget") or ctx.question.asks("sell_price")):
        return False  # the question says which price a reply gives
    if ctx.recent_price is None or tok.explicit_money or tok.is_range or tok.suffix or (
            not 50 <= tok.value < 10_000) or _NOT_RESTATED.search(before):
        return False
    return 2 / 3 <= tok.value * 1000 / ctx.recent_price[1] <= 3 / 2


def _near_figure(tok: NumberToken, events: list[MoneyEvent]) -> bool:
    """A bare figure beside a price of the same size said before it in the message: "275
    tops, maybe 285 if it's perfect" -- a second price, in thousands like the first."""
    if tok.explicit_money or tok.is_range or not 50 <= tok.value < 10_000:
        return False
    return any(2 / 3 <= tok.value * 1000 / event.low <= 3 / 2 for event in events if event.low)
