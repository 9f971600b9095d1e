"""Everything a field rule may know about one inbound message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .areas import AreaMention, wished
from .dates import DateMention
from .given_up import GivenUp
from .model import Intent
from .questions import Question
from .text import Segments
from .whose import EVERYONE, Whose

# Words about the next home, which a lead only selling may still describe ("selling our
# townhouse, then we need something with 4 bedrooms") ...
_NEXT_HOME = re.compile(
    r"\b(?:need|needs|want|wants|wanna|looking for|look for|looking at|search\w*|next (?:one|place"
    r"|home|house)|new (?:place|home|house)|move (?:to|into)|moving (?:to|into)|buy|buying|purchase"
    r"|find|(?:upgrad|downsiz|upsiz)(?:e|ing) (?:to|into)|necesit\w+|queremos|quiero|buscamos|busco"
    r"|buscar|comprar"
    r"|mudarnos a)\b"
)
# ... after the words about the home they sell ("we need to sell our 4 bed" is that home).
_SOLD_HOME = re.compile(r"\b(?:sell|selling|sold|list|listing|listed|vender|vendemos|vendo"
                        r"|vendiendo"
                        r"|our|my|mi|mis|nuestr[oa]s?|it|it's|its|tiene)\b")


@dataclass(frozen=True)
class MessageContext:
    """One inbound message, normalised, with the question it answers and the running intent.

    ``masked`` is ``text`` with area names blanked out, so "Land Park" never reads as land
    and "12 South" never as a number.
    """

    index: int
    text: str
    masked: str
    segments: Segments
    question: Question
    direct: bool
    intent: Intent | None
    stated_intent: Intent | None
    money_talk: bool
    now: datetime
    areas: tuple[AreaMention, ...]
    recent_count: str | None = None  # bedrooms_min / bathrooms_min set by the lead's last message
    # the price the lead's last message stated, as ("budget" | "sell", dollars), for a bare
    # figure that restates it ("budget is 400k" ... "actually we can do 425", "perdón, 550")
    recent_price: tuple[str, int] | None = None
    spanish: bool = False  # for the few words whose meaning depends on the language (lang.py)
    whose: Whose = EVERYONE  # whose search each clause is about (whose.py)
    # the last day an earlier message of the lead named ("baby due in sept" ... "we want to
    # move before then"), for a "by then" with no date of its own
    prior_date: date | None = None
    dates: tuple[DateMention, ...] = ()  # the message's date expressions (dates.read_dates)
    given_up: tuple[GivenUp, ...] = ()  # plans given up (given_up.given_up_spans)
    # a fragment right after a seller's message that ended on the next home ("... and move into
    # something smaller" -> "a 2 bed condo in brentwood"): it describes that home
    continues_next_home: bool = False
    asides: tuple[tuple[int, int], ...] = ()  # asides about the writing (asides.aside_spans)

    def home_now(self, pos: int) -> bool:
        """Does ``pos`` describe the lead's home now, as a reply to "where do you live now?"
        (until the reply turns to a wish: "Pearland, but we want Katy")?"""
        return self.direct and self.question.now_home and not wished(
            self.segments.clause_before(pos))

    def aside(self, pos: int) -> bool:
        """Is ``pos`` in an aside about the writing ("sorry typing w one hand, baby on my lap")?"""
        return any(a <= pos < b for a, b in self.asides)

    def others(self, pos: int) -> bool:
        """Is ``pos`` in a remark about someone else's life, which states nothing?"""
        return self.whose.other(pos)

    def next_home(self, pos: int) -> bool:
        """Is ``pos`` in words about the home the lead wants next (for a lead only selling, whose
        other home words describe the home sold)? The wish must come after any word about the
        sold home in the sentence."""
        before = self.masked[self.segments.sentence(pos)[0] : pos]
        wish = [m.end() for m in _NEXT_HOME.finditer(before)]
        sold = [m.end() for m in _SOLD_HOME.finditer(before)]
        return bool(wish) and (not sold or wish[-1] > sold[-1])

    def describes_sold_home(self, pos: int) -> bool:
        """For a lead only selling: home details at ``pos`` describe the home sold (unless the
        message answers a question about the next home)."""
        return self.seller_only and not self.next_home(pos) and not self.answers_next_home and \
            not self.continues_next_home

    @property
    def may_name_next_home(self) -> bool:
        """Cheap gate: could this message name the home wanted next (not for a lead only
        selling whose message has no wish word)?"""
        return not self.seller_only or self.answers_next_home or self.continues_next_home or bool(
            _NEXT_HOME.search(self.masked))

    @property
    def answers_next_home(self) -> bool:
        """A reply to a question about the home wanted next ("what are you looking for in the
        new place?" -> "similar, 4 beds")."""
        return self.direct and self.question.next_home

    @property
    def seller_only(self) -> bool:
        """The lead is only selling, so home details describe the home being sold."""
        return self.intent == "sell"

    @property
    def renting(self) -> bool:
        """The lead wants to rent: monthly amounts are rent, never a purchase budget."""
        return self.intent == "rent"
