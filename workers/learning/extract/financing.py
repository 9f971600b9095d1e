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
)
_PREAPPROVED = re.compile(
    r"\bpre[\s-]?approv\w*|\bpreapproval\b|\bapproval letter\b|\bgot approved\b"
    r"|\bapproved (?:for|up to|with|through|thru)\b"
)
_NOT_APPROVED_BEFORE = re.compile(
    r"(?:\bnot|\bhaven'?t|\bhavent|\bhave not|\bno|\bwithout|\byet to|\bneed to get|\bneed"
    r"|\bworking on|\bbefore|\bgetting|\bget|\bhasn'?t|\bisn'?t|\baren'?t|\bwill|\bcan)\b"
    r"(?:\s+[\w'-]+){0,3}\s*$"
)
_NOT_APPROVED_AFTER = re.compile(r"^\s*(?:yet\b|soon\b|next\b)")
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
