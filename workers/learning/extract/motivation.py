"""Motivation: the main reason stated for moving now; the latest stated reason wins.

A baby or a growing family stays the reason even when "more room" is said too, so
``upsizing`` never replaces ``growing_family``.
"""

from __future__ import annotations

import re

from .context import MessageContext
from .model import Motivation
from .questions import polarity

_REASONS_RAW: tuple[tuple[Motivation, str], ...] = (
    ("relocation", r"\brelocat\w*|\btransferr?(?:ing|ed)\b|\bjob transfer\b|\bnew job\b"
                   r"|\b(?:got|accepted|took|starting|start) a (?:new )?job\b"
                   r"|\bfor (?:my|his|her|our) (?:[\w']+ )?(?:job|work)\b"
                   r"|\bmoving (?:down |up |over |out )?(?:here )?from\b"
                   r"|\bmoving (?:here )?for (?:work|a job|my job)\b"
                   r"|\b(?:job|company|employer|work) is (?:moving|relocating|transferring|sending)"
                   r" (?:me|us)\b"),
    ("growing_family", r"\bbab(?:y|ies)\b|\bexpecting\b|\bpregnan\w*|\btwins\b"
                       r"|\bgrowing family\b|\bfamily is growing\b|\bfamily'?s growing\b"
                       r"|\bnewborn\b|\b(?:kid|child|#\d|another|one|little one|number \w+)"
                       r" on the way\b"),
    ("downsizing", r"\bdownsiz\w*|\bempty[\s-]?nest\w*|\bsomething smaller\b"
                   r"|\bsmaller (?:place|home|house)\b"
                   r"|\btoo (?:big|much house|much space|much for us)\b"
                   r"|\bway too much (?:house|for us|space)\b"
                   r"|\bkids (?:are )?(?:all )?(?:grown|gone|off to college|out of the house)"
                   r"|\bjust the (?:2|two) of us\b"),
    ("upsizing", r"\bupsiz\w*|\bmore (?:space|room)\b|\bbigger\b|\boutgr(?:ew|own|owing)\b"
                 r"|\bcramped\b|\bout of (?:space|room)\b"
                 r"|\b(?:our|my|we)\b[^.,!?]*\btoo small\b"),
    ("first_time_buyer", r"\bfirst[\s-]?time (?:home ?)?buyers?\b|\bfirst[\s-]?time buying\b"
                         r"|\bfirst (?:home|house|place)\b|\bnever owned\b"),
    ("investment", r"\brent (?:it |them )?out\b|\bflip(?:s|ping|per)?\b|\bfix and flip\b"
                   r"|\bcash[\s-]?flow|\brental (?:income|propert\w*|investment)"
                   r"|\bas (?:a )?rentals?\b|\binvestment\b"),
    ("divorce", r"\bdivorc\w*|\bseparat(?:ed|ing|ion)\b|\bsplit(?:ting)? up\b"),
    ("financial_hardship", r"\blost (?:my|our|his|her) (?:jobs?|income)\b|\blaid off\b"
                           r"|\bhours (?:got )?cut\b|\bcan'?t afford (?:the|my|our|it|this"
                           r"|rent|payments?|mortgage)\b|\bcannot afford\b|\bforeclos\w*"
                           r"|\bcan'?t keep up\b|\bbehind on (?:the |my |our )?(?:mortgage"
                           r"|payments|rent|bills)\b|\bbankrupt\w*|\bmedical bills\b"
                           r"|\bfinancial(?:ly)? (?:hardship|trouble|struggl\w*)"),
    ("retirement", r"\bretir(?:e|ed|ing|ement)\b"),
)
_REASONS: tuple[tuple[Motivation, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern)) for key, pattern in _REASONS_RAW
)
_SIZE_REASONS = frozenset({"downsizing", "upsizing"})
_NOT_OURS = re.compile(r"\b(?:agent|realtor|broker|lender|he|she|they|boss)\s+(?:\w+\s+)?$")


def motivation_events(ctx: MessageContext) -> list[tuple[int, Motivation]]:
    """``(pos, motivation)`` reasons stated in an inbound message, in text order.

    Within one message a life event (a job move, a baby, a divorce, retirement ...) is the
    reason and "smaller" / "bigger" only its consequence, so size reasons then drop out.
    """
    out: list[tuple[int, Motivation]] = []
    text = ctx.masked
    for name, pattern in _REASONS:
        for m in pattern.finditer(text):
            if _NOT_OURS.search(text[max(0, m.start() - 30) : m.start()]):
                continue
            out.append((m.start(), name))
    if ctx.intent == "invest" and re.search(r"\brentals?\b", text):
        out.append((len(text), "investment"))
    if ctx.question.first_home and ctx.direct and polarity(ctx.text) == "yes":
        out.append((0, "first_time_buyer"))
    if any(name not in _SIZE_REASONS for _, name in out):
        out = [(pos, name) for pos, name in out if name not in _SIZE_REASONS]
    return sorted(out, key=lambda e: e[0])


def apply_motivation(current: Motivation | None, new: Motivation) -> Motivation:
    """Latest reason wins, except that "more room" never replaces a growing family."""
    if current == "growing_family" and new == "upsizing":
        return current
    return new
