"""Everything a field rule may know about one inbound message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .areas import AreaMention, wished
from .model import Intent
from .questions import Question
from .text import Segments
from .whose import EVERYONE, Whose


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
    spanish: bool = False  # for the few words whose meaning depends on the language (lang.py)
    whose: Whose = EVERYONE  # whose search each clause is about (whose.py)

    def home_now(self, pos: int) -> bool:
        """Does ``pos`` describe the lead's home now, as a reply to "where do you live now?"
        (until the reply turns to a wish: "Pearland, but we want Katy")?"""
        return self.direct and self.question.now_home and not wished(
            self.segments.clause_before(pos))

    def others(self, pos: int) -> bool:
        """Is ``pos`` in a remark about someone else's life, which states nothing?"""
        return self.whose.other(pos)

    @property
    def seller_only(self) -> bool:
        """The lead is only selling, so home details describe the home being sold."""
        return self.intent == "sell"

    @property
    def renting(self) -> bool:
        """The lead wants to rent: monthly amounts are rent, never a purchase budget."""
        return self.intent == "rent"
