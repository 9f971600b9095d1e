"""Plans given up: a plan in the past tense that the message then turns away from.

"we were gonna buy in Georgetown but my husband got transferred, so now we just need to sell",
"íbamos a comprar en Kyle pero ya no", "we were going to move for my job until it fell through":
the words of the plan given up state nothing now -- not its intent (when another plan follows),
not its areas (when dropped, or another area follows), not its reason (when dropped, or another
reason follows). A past plan with no turn after it ("we were planning to list in May, is that
still a good time?") is left to the other rules, and one the turn only adds to is kept ("we were
looking in Cary but now we're also looking in Apex").
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The plan in the past tense (normalised text: "gonna" is "going to").
_PAST_PLAN = re.compile(
    r"\b(?:were|was|had been)\s+(?:going to|planning (?:to|on)|supposed to|about to|set to"
    r"|looking to|hoping to|wanting to|thinking (?:of|about))\b"
    r"|\b(?:ibamos|iba|iban|pensabamos|planeabamos|queriamos|teniamos pensado|tenia pensado)"
    r"\s+(?:a\s+)?\w+"
)
# The turn away from it ...
_TURN = re.compile(r"\b(?:but|pero|however|sin embargo|though|aunque|until|till|hasta que)\b")
# ... which gives it up when what follows drops it ("fell through", "changed our minds") ...
_DROPPED = re.compile(
    r"\b(?:fell through|didn'?t (?:happen|work out|go through)|not happening|called off"
    r"|changed (?:our|my|their) minds?|decided|decidimos|cambiamos de (?:opinion|idea|planes)"
    r"|se cayo|no se dio|ya no|anymore|no longer|instead|en cambio)\b"
)
# ... or moves on from it ("so now we just need to sell"), unless it only adds to it ("but now
# we're also looking in Apex").
_MOVED_ON = re.compile(r"\b(?:now|ahora|so we|asi que)\b")
_ADDED = re.compile(r"\b(?:also|too|as well|tambien|ademas)\b")
_REACH = 120  # how far after the plan its turn may come
_GATE = ("was ", "were ", "had been", "iba", "pensabamos", "planeabamos", "queriamos",
         "teniamos", "tenia ")


class GivenUp(NamedTuple):
    """A plan given up: its words run from ``start`` to ``end`` (the turn). ``dropped`` when
    what follows drops the plan outright ("that fell through"), not only moves on from it."""

    start: int
    end: int
    dropped: bool


def given_up_spans(text: str) -> tuple[GivenUp, ...]:
    """The stretches of a normalised message that state a plan given up, each from the past-tense
    plan to the turn away from it."""
    if not any(word in text for word in _GATE):
        return ()
    spans: list[GivenUp] = []
    for m in _PAST_PLAN.finditer(text):
        turn = _TURN.search(text, m.end(), m.end() + _REACH)
        if turn is None:
            continue
        rest = text[turn.end() : turn.end() + _REACH]
        sentence = re.split(r"[.!?;\n]", rest, maxsplit=1)[0]
        if _DROPPED.search(rest):
            spans.append(GivenUp(m.start(), turn.start(), True))
        elif _MOVED_ON.search(rest) and not _ADDED.search(sentence):
            spans.append(GivenUp(m.start(), turn.start(), False))
    return tuple(spans)


def inside(spans: tuple[GivenUp, ...], pos: int) -> GivenUp | None:
    """The span of ``spans`` holding ``pos``, if any."""
    return next((span for span in spans if span.start <= pos < span.end), None)
