"""Financing: cash, pre-approved, or needs financing (pre-qualified / talking to a lender).

Pre-qualification is not pre-approval, and a negated approval ("haven't done the full
preapproval yet", "not approved yet") means financing is still needed.
"""

from __future__ import annotations

import re

from .context import MessageContext
from .model import Financing
from .questions import polarity

_CASH = re.compile(
    r"\b(?:all[\s-]cash|cash buyers?|pay(?:ing)? (?:in )?cash|cash offer|cash purchase"
    r"|cash from|in cash)\b|\bcash\b(?![\s-]?(?:flow|back|out|value|reserves))"
    # (but cash for the down payment or closing is no cash purchase)
    r"(?!\s+(?:for|towards?|para) (?:the |a |our |my |el )?(?:down|closing|enganche))"
    r"|\b(?:al|de) contado\b|\ben efectivo\b"
    # no loan at all: "no loan needed", "sin préstamo"
    r"|\bno (?:loan|mortgage|financing) (?:needed|necessary|required)\b"
    r"|\bsin (?:prestamo|credito|hipoteca|financiamiento)\b"
)
_PREAPPROVED = re.compile(
    r"\bpre[\s-]?ap?prov\w*|\bpreapproval\b|\bapproval letter\b|\bgot approved\b"
    r"|\bapproval (?:in hand|already|done)\b|\b(?:already|been|we'?re|we are|i'?m|im) approved\b"
    r"|\bapproved (?:for|up to|with|through|thru)\b"
    r"|\bpre[\s-]?aprob\w*|\bcarta de (?:pre[\s-]?)?aprobacion\b"
    # the lender's word or letter had: "lender said we're good up to 400, got the letter"
    r"|\b(?:lender|bank|loan officer|credit union|banco)\b[^.!?]{0,25}?\b(?:said|says|told us"
    r"|cleared|approved)\b[^.!?]{0,20}?\b(?:good|approved|cleared|ok|okay) (?:for|up to|to)\b"
    r"|\bgot (?:the|our|my) (?:approval |pre[\s-]?approval )?letter\b"
    # the lender's letter held (not one received: "just got a letter from the bank" may be a
    # foreclosure notice): "ya tenemos la carta del banco"
    r"|\b(?:tenemos|tengo) (?:ya )?(?:la|una) carta (?:del|de el|de mi|de nuestro|de la)"
    r" (?:banco|lender|prestamista|financiera)\b"
    r"|\baprobad[oa]s? (?:por|para|hasta|con)\b|\baprobacion (?:del banco|bancaria|de credito"
    r"|del prestamo|de(?:l)? (?:prestamo|credito) hipotecario)\b"
    # the lender as the subject: "me aprobaron hasta 420 mil", "nos preaprobaron"
    r"|\b(?:me|nos|le|les) (?:pre[\s-]?)?aprob(?:aron|o)\b"
    r"|\b(?:tenemos|tengo|estamos|estoy|ya estamos|ya tenemos) (?:pre[\s-]?)?aprobad[oa]s?\b"
)
_NOT_APPROVED_BEFORE = re.compile(
    r"(?:\bnot|\bhaven'?t|\bhavent|\bhave not|\bno|\bwithout|\byet to|\bneed to get|\bneed"
    r"|\bworking on|\bbefore|\bgetting|\bget|\bhasn'?t|\bisn'?t|\baren'?t|\bwill|\bcan"
    r"|\btodavia no|\baun no|\bsin|\bnecesit\w+|\btengo que|\btenemos que|\bvoy a|\bvamos a"
    # what is still missing: "nos falta la preaprobacion", "still missing the pre-approval"
    r"|\bfalta|\bmissing|\black\w*|\bstill need"
    # one being done now: "my credit union is doing our pre-approval this week"
    r"|\bdoing|\bstart\w*|\bbegin\w*|\bsubmit\w*|\bwaiting (?:on|for)"
    r"|\bsacar|\bobtener)\b(?:\s+[\w'-]+){0,3}\s*$"
)
_NOT_APPROVED_AFTER = re.compile(r"^\s*(?:yet\b|soon\b|next\b|todavia\b|aun\b|pronto\b)")
# A pre-approval that has run out, said after it in its sentence: "but it expired", "ya se vencio".
_LAPSED_AFTER = re.compile(r"[^.!?]{0,40}?\b(?:expired|expires|lapsed|ran out|run out|no longer"
                           r" valid|out of date|(?:se )?venci[oa]|caduc\w+)\b")
_NEEDS = re.compile(
    r"\bpre[\s-]?qual\w*|\bprequal\w*"
    r"|\b(?:talking|talk|spoke|speaking|working|chatting|meeting)\s+(?:to|with)\s+"
    r"(?:a\s+|our\s+|my\s+|the\s+)?"
    r"(?:lender|bank|loan officer|mortgage broker|credit union)"
    # whoever it is, a talk about a loan: "talking to my credit union about a loan"
    r"|\b(?:talk\w*|spoke|speak\w*|meet\w*|chat\w*|call\w*)\s+(?:to|with)\s+[^.!?]{1,30}?\babout"
    r"\s+(?:a |the |our |my )?(?:loan|mortgage|financing|pre[\s-]?approval)"
    r"|\bneed (?:a |one |to find a |to talk to a |to get a |a good )?(?:lender|loan|mortgage)\b"
    r"|\blender rec|\bfind a lender|\brecommend (?:a lender|someone)"
    r"|\brecomend\w* (?:un |una |algun |alguna )?(?:buen |buena )?(?:lender|prestamista|banco"
    r"|loan officer|asesor hipotecario)\b"
    r"|\b(?:know|have|recommend|suggest) (?:a |any )?(?:good |great )?(?:lenders?|loan officers?"
    r"|mortgage (?:brokers?|lenders?))\b"
    r"|\bneed (?:financing|to finance)|\b(?:will|we'll|i'll|gonna) need (?:a loan|financing"
    r"|to finance|a mortgage)"
    r"|\bhaven'?t (?:applied|talked to a (?:bank|lender))|\bhavent (?:applied|talked)"
    # no lender spoken to yet: "we haven't talked to any banks yet", "not reached out to lenders"
    r"|\b(?:haven'?t|havent|have not|not yet|didn'?t|did not)\s+(?:yet\s+)?(?:talked|spoken|gone"
    r"|reached out|called|contacted|applied)\s+(?:to\s+|with\s+)?(?:a\s+|any\s+|the\s+|our\s+)?"
    r"(?:banks?|lenders?|loan officers?|mortgage (?:brokers?|lenders?)|credit unions?)\b"
    # a loan process begun or to begin: "vamos a empezar el proceso del préstamo"
    r"|\bproceso (?:del|de) (?:prestamo|credito|hipoteca|financiamiento|pre[\s-]?aprobacion)\b"
    r"|\b(?:todavia|aun) no (?:hemos )?(?:aplica\w*|solicita\w*|pedi\w*)\b"
    r"|\bnot (?:yet )?(?:pre[\s-]?)?approved\b|\bhaven'?t done the full"
    r"|\b(?:haven'?t|havent|have not|hasn'?t|has not|weren'?t|wasn'?t)\s+"
    r"(?:been\s+|gotten\s+|got\s+)?(?:pre[\s-]?)?approved\b"
    r"|\b(?:apply|applying) for (?:a |an |the )?(?:[\w-]+ )?(?:loan|mortgage)\b"
    r"|\b(?:shop\w*|compar\w*|looking (?:for|at)|interview\w*|choos\w*|pick\w*)\s+(?:for\s+)?"
    r"(?:a\s+|an\s+|some\s+|our\s+|different\s+)?(?:lenders?|loans?|mortgages?|mortgage (?:lenders?"
    r"|brokers?)|loan officers?)\b"
    r"|\b(?:buscar|busco|buscamos|conseguir|necesit\w+)\b[^.!?]{0,20}\bfinanci\w+"
    r"|\bpre[\s-]?calific\w*|\bprecalific\w*|\bnecesit\w+ (?:un |una |el |la )?(?:prestamo"
    r"|financiamiento|financiacion|credito|hipoteca|prestamista)\b"
    r"|\bvoy a necesitar (?:un )?(?:prestamo|financiamiento|credito|hipoteca)\b"
    r"|\b(?:hablar|hablando|hable|hablamos|hablaremos|trabajando|consultar\w*) con (?:un |una |el "
    r"|nuestro |mi )?(?:prestamista|banco|lender|asesor hipotecario)\b|\bfinanciar\b"
    # a loan still in the works: "haven't started the loan process", "mortgage application"
    r"|\b(?:loan|mortgage|financing) (?:process|application|paperwork)\b"
    r"|\bno (?:lender|loan officer|pre[\s-]?approval|preapproval|prestamista)(?: yet| todavia)?\b"
    # a loan being worked out: "está viendo lo del crédito con el banco", "tramitando el préstamo"
    r"|\b(?:viendo|tramitando|gestionando|arreglando|solicitando|sacando|checando|revisando)"
    r" (?:lo del |lo de |el |la |un |una |nuestro |nuestra |mi )?(?:credito|prestamo|hipoteca"
    r"|financiamiento)\b"
    # no lender had yet: "don't have a lender yet", "todavía no tenemos prestamista"
    r"|\b(?:don'?t|dont|do not|doesn'?t) have (?:a |an |any |our )?(?:lender|loan officer"
    r"|mortgage broker|pre[\s-]?approval|preapproval)\b"
    r"|\bno (?:tenemos|tengo|tiene|tienen) (?:un |una |el |la |ningun )?(?:prestamista|lender"
    r"|pre[\s-]?aprobacion|asesor hipotecario)\b|\bsin prestamista\b"
    r"|\b(?:be|are|will be|'ll be|'d be|gonna be|going to be) financing\b"
)
# A loan of some kind (FHA, VA, conventional): financing, but not its stage. It means a loan is
# still needed only when the message says nothing of the stage ("pre-approved with an FHA loan"
# is pre-approved; "we'd use an FHA loan" needs financing).
_LOAN_KIND = re.compile(
    r"\b(?:va|fha|usda|conventional|jumbo) (?:loan|mortgage)|\bfha\b"
    r"|\b(?:with|through|get|getting) a (?:mortgage|loan)\b"
    r"|\b(?:prestamo|credito) (?:fha|va|convencional|hipotecario)\b"
    r"|\bcon (?:un )?(?:prestamo|credito|financiamiento)\b"
)


# Part cash, the rest borrowed: "half cash and finance the rest", "una parte cash y el resto con
# credito del banco" -- the loan's stage is the financing, not cash.
_REST_BORROWED = re.compile(
    r"\b(?:finance|financing|loan for|mortgage for|borrow(?:ing)? for)\s+the (?:rest|remainder"
    r"|balance)\b|\bthe (?:rest|remainder|balance)\s+(?:with|through|thru|on|by|in)\s+(?:a |an "
    r"|the )?(?:[\w-]+\s+)?(?:loan|mortgage|financing)\b"
    r"|\b(?:el resto|lo demas|lo que falta|la otra parte)\s+(?:con|por|en)\s+(?:un |una |el |la )?"
    r"(?:prestamo|credito|financiamiento|hipoteca)\b"
)


# Not done yet, in the lead's words: "oh we haven't done that yet", "no lo hemos hecho".
_NOT_DONE = re.compile(r"\W*(?:(?:oh|um+|well|honestly|haha|lol|hmm)\W+)*(?:we|i)\s+"
                       r"(?:haven'?t|havent|have not|didn'?t|did not)\s+(?:done|gotten|got"
                       r"|started|applied|had)\b"
                       r"|\W*(?:no|todavia no|aun no)\s+(?:lo\s+)?(?:hemos|he)\s+(?:hecho|sacado"
                       r"|empezado|aplicado)\b")


def financing_events(ctx: MessageContext, current: Financing | None = None
                     ) -> list[tuple[int, Financing]]:
    """``(pos, financing)`` statements in text order; a yes/no reply answers the question.
    ``current``: the stage known before the message, which a loan's kind alone never lowers."""
    text = ctx.masked
    out: list[tuple[int, Financing]] = []
    answer = polarity(text) if ctx.direct else None
    if ctx.question.preapproval and answer == "yes":
        out.append((-1, "preapproved"))
    elif (ctx.question.preapproval or (ctx.question.lender and not ctx.seller_only)) and (
        answer == "no" or re.match(r"\W*(?:working on it|in progress|getting there|soon)\b", text)
        or _NOT_DONE.match(text)
    ):
        out.append((-1, "needs_financing"))
    if ctx.question.asks("financing") and ctx.direct and current != "preapproved" and re.match(
        r"\W*(?:[\w-]+\s+){0,2}?(?:financ\w*|loan|mortgage|va|fha|usda|conventional|conv|jumbo"
        r"|credito|prestamo|hipoteca)\b", text
    ):
        out.append((-1, "needs_financing"))
    out.extend((m.start(), "cash") for m in _CASH.finditer(text))
    for m in _PREAPPROVED.finditer(text):
        before = ctx.segments.clause_before(m.start())
        after = text[m.end() : m.end() + 12]
        if _NOT_APPROVED_BEFORE.search(before) or _NOT_APPROVED_AFTER.match(after) or \
                _LAPSED_AFTER.match(text, m.end()):
            out.append((m.start(), "needs_financing"))
        else:
            out.append((m.start(), "preapproved"))
    out.extend((m.start(), "needs_financing") for m in _NEEDS.finditer(text))
    if not _PREAPPROVED.search(text):  # a loan for the rest, no pre-approval said: still needed
        borrowed = [m.start() for m in _REST_BORROWED.finditer(text)]
        if borrowed:
            out = [e for e in out if e[1] != "cash"] + [(borrowed[-1], "needs_financing")]
    if not out and current != "preapproved":
        # a pre-approval is one for a loan of some kind: "pre-approved" ... "FHA, came thru
        # last friday" says the kind, not that a loan is still needed
        out.extend((m.start(), "needs_financing") for m in _LOAN_KIND.finditer(text))
    return sorted((e for e in out if not ctx.others(e[0])), key=lambda e: e[0])
