"""Asides about the writing itself: what a lead says of the texting, not of the search.

"sorry typing w one hand, baby on my lap", "excuse the slow replies, twins keep me busy!",
"perdón por la ortografía, estoy con el bebé en brazos": an apology for the texting, and the
circumstance of the writing said beside it, state nothing about the move (a baby held while
typing is not a baby as the reason). A clause of that sentence that ties something to the move
("sorry for the late reply, we're expecting and need more room") is not part of the aside.
"""

from __future__ import annotations

import itertools
import re

from .text import Segments

# An apology for the texting: its typos, its slowness, the hand it is typed with.
_APOLOGY = re.compile(
    r"\b(?:sorry|excuse|pardon|apologies|perdon|perdona|perdonen|disculpa\w*)\b[^.!?]{0,30}?"
    r"\b(?:typ\w*|text\w*|spelling|autocorrect|repl\w*|respon\w*|late|slow|delay\w*"
    r"|one[\s-]hand\w*|ortografia|tardanza|mensaje\w*|escrib\w+|contest\w+|respond\w+)")
# The writing described: "typing with one hand", "one-handed", "con una mano".
_WRITING = re.compile(r"\b(?:typ|text)ing with one hand\b|\bone[\s-]handed\b|\bcon una mano\b")
# A clause that ties what it says to the move is no aside.
_TIED = re.compile(
    r"\b(?:need\w*|want\w*|room|space|mov(?:e|ing)|expecting|pregnant|due|on the way|looking"
    r"|necesit\w+|quer\w+|quier\w+|espacio|embarazad\w*|esperando|en camino|mudar\w*|busc\w+)\b")
_GATE = ("sorry", "excuse", "pardon", "apolog", "perdon", "disculp", "hand", "mano")


def aside_spans(text: str, segments: Segments) -> tuple[tuple[int, int], ...]:
    """The stretches of a normalised message that are asides about the writing: the clauses of a
    sentence that apologises for the texting or describes it, but not one tied to the move."""
    if not any(word in text for word in _GATE):
        return ()
    out: list[tuple[int, int]] = []
    for a, b in segments.sentences():
        sentence = text[a:b]
        if not (_APOLOGY.search(sentence) or _WRITING.search(sentence)):
            continue
        cuts = [a, *(c for c in segments.clause_breaks if a < c < b), b]
        out.extend((x, y) for x, y in itertools.pairwise(cuts) if not _TIED.search(text, x, y))
    return tuple(out)
