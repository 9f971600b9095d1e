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
    r"|\b(?:al|de) contado\b|\ben efectivo\b"
)
_PREAPPROVED = re.compile(
    r"\bpre[\s-]?approv\w*|\bpreapproval\b|\bapproval letter\b|\bgot approved\b"
    r"|\bapproved (?:for|up to|with|through|thru)\b"
    r"|\bpre[\s-]?aprobad[oa]s?\b|\bpre[\s-]?aprobacion\b|\bcarta de (?:pre[\s-]?)?aprobacion\b"
    r"|\baprobad[oa]s? (?:por|para|hasta|con)\b|\baprobacion (?:del banco|bancaria|de credito"
    r"|del prestamo|de(?:l)? (?:prestamo|credito) hipotecario)\b"
)
_NOT_APPROVED_BEFORE = re.compile(
    r"(?:\bnot|\bhaven'?t|\bhavent|\bhave not|\bno|\bwithout|\byet to|\bneed to get|\bneed"
    r"|\bworking on|\bbefore|\bgetting|\bget|\bhasn'?t|\bisn'?t|\baren'?t|\bwill|\bcan"
    r"|\btodavia no|\baun no|\bsin|\bnecesit\w+|\btengo que|\btenemos que|\bvoy a|\bvamos a"
    r"|\bsacar|\bobtener)\b(?:\s+[\w'-]+){0,3}\s*$"
)
_NOT_APPROVED_AFTER = re.compile(r"^\s*(?:yet\b|soon\b|next\b|todavia\b|aun\b|pronto\b)")
_NEEDS = re.compile(
    r"\bpre[\s-]?qual\w*|\bprequal\w*"
    r"|\b(?:talking|talk|spoke|speaking|working|chatting|meeting)\s+(?:to|with)\s+"
    r"(?:a\s+|our\s+|my\s+|the\s+)?"
    r"(?:lender|bank|loan officer|mortgage broker)"
    r"|\bneed (?:a |one |to find a |to talk to a |to get a |a good )?(?:lender|loan|mortgage)\b"
    r"|\blender rec|\bfind a lender|\brecommend (?:a lender|someone)"
    r"|\bneed (?:financing|to finance)|\b(?:will|we'll|i'll|gonna) need (?:a loan|financing"
    r"|to finance|a mortgage)|\b(?:va|fha|usda|conventional) loan"
    r"|\bhaven'?t (?:applied|talked to a (?:bank|lender))|\bhavent (?:applied|talked)"
    r"|\bnot (?:yet )?(?:pre[\s-]?)?approved\b|\bhaven'?t done the full|\bfha\b"
    r"|\b(?:with|through|get|getting) a (?:mortgage|loan)\b"
    r"|\bpre[\s-]?calificad\w*|\bprecalificad\w*|\bnecesit\w+ (?:un |una |el |la )?(?:prestamo"
    r"|financiamiento|financiacion|credito|hipoteca|prestamista)\b"
    r"|\bvoy a necesitar (?:un )?(?:prestamo|financiamiento|credito|hipoteca)\b"
    r"|\b(?:hablando|hable|hablamos|trabajando) con (?:un |el |nuestro |mi )?(?:prestamista|banco"
    r"|lender)\b|\b(?:prestamo|credito) (?:fha|va|convencional|hipotecario)\b"
    r"|\bcon (?:un )?(?:prestamo|credito|financiamiento)\b|\bfinanciar\b"
)


def financing_events(ctx: MessageContext) -> list[tuple[int, Financing]]:
    """``(pos, financing)`` statements in text order; a yes/no reply answers the question."""
    text = ctx.masked
    out: list[tuple[int, Financing]] = []
    answer = polarity(text) if ctx.direct else None
    if ctx.question.preapproval and answer == "yes":
        out.append((-1, "preapproved"))
    elif (ctx.question.preapproval or ctx.question.lender) and (
        answer == "no" or re.match(r"\W*(?:working on it|in progress|getting there|soon)\b", text)
    ):
        out.append((-1, "needs_financing"))
    if ctx.question.asks("financing") and ctx.direct and re.match(
        r"\W*(?:financ\w*|loan|mortgage)\b", text
    ):
        out.append((-1, "needs_financing"))
    out.extend((m.start(), "cash") for m in _CASH.finditer(text))
    for m in _PREAPPROVED.finditer(text):
        before = ctx.segments.clause_before(m.start())
        after = text[m.end() : m.end() + 12]
        if _NOT_APPROVED_BEFORE.search(before) or _NOT_APPROVED_AFTER.match(after):
            out.append((m.start(), "needs_financing"))
        else:
            out.append((m.start(), "preapproved"))
    out.extend((m.start(), "needs_financing") for m in _NEEDS.finditer(text))
    return sorted(out, key=lambda e: e[0])
