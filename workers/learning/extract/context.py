"""Everything a field rule may know about one inbound message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .areas import AreaMention
from .model import Intent
from .questions import Question
from .text import Segments


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

    @property
    def seller_only(self) -> bool:
        """The lead is only selling, so home details describe the home being sold."""
        return self.intent == "sell"

    @property
    def renting(self) -> bool:
        """The lead wants to rent: monthly amounts are rent, never a purchase budget."""
        return self.intent == "rent"
