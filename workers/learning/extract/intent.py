"""Intent: buy / sell / buy_and_sell / rent / invest, only when the lead plainly says it.

A message yields positioned signals; :func:`merge_intent` folds a message's result into the
running intent (selling after buying makes ``buy_and_sell``, renting replaces buying).
"""

from __future__ import annotations

import re

from .model import Intent
from .questions import Question, polarity

_BUY = re.compile(
    r"\b(?:buy|buying|purchase|purchasing|homebuyers?)\b"
    r"|\b(?:cash|first[\s-]?time|we'?re|i'?m|im|are|serious|ready)\s+(?:home\s?)?buyers?\b"
    r"|\bbuyers? here\b|\bfirst (?:home|house)\b"
    r"|\b(?:house|home)[\s-]hunting\b|\bin the market for\b|\bmake an offer\b"
    r"|\bget (?:a|an)\s+(?:[\w-]+\s+){0,2}(?:condo|house|home|townhome|townhouse|place)\b"
    r"|\b(?:any|homes|houses|condos|townhomes|townhouses|lots|properties|land|listings|\w+ homes)"
    r"\s+(?:\w+\s+)?for sale\b"
    r"|\bclos(?:e|ing) on (?:a|an)\s+(?:[\w-]+\s+)?(?:house|home|condo|townhome|townhouse|place)\b"
)
_NOT_BUY = re.compile(r"(?:instead of|rather than|not)\s+(?:\w+\s+)?$")
_SELL = re.compile(
    r"\b(?:sell|selling)\b"
    r"|\b(?:thinking (?:of|about)|start|before|after|consider(?:ing)?|plan(?:ning)? (?:on|to))"
    r"\s+listing\b|\blisting (?:it|in|our|my|the house|the home|this)\b"
    r"|\b(?:we|i|we've|i've|already|just|have|is|been)\s+listed\b|\blisted (?:our|my|it)\b"
    r"|\b(?:we'?d|we|i|i'?d|to)\s+list (?:it |at |for |in |our |my )"
    r"|\bhow much (?:could|can|would|will) (?:i|we) get for\b"
    r"|\bhoping to get \S+ for (?:the|our|my|it)\b|\blist for\b"
    r"|\bput(?:ting)? (?:our|my|the|it)\b[^.!?]{0,40}?\bon the market\b"
)
_NOT_SELL_SUBJECT = re.compile(
    r"\b(?:landlord|owner|owners|seller|sellers|neighbors?|builder|they|he|she|they're)\b"
    r"(?:\s+\w+){0,2}\s*$"
)
_RENT = re.compile(
    r"\b(?:to|gonna|wanna|will|we'll|i'll|going to|plan to|rather|prefer to|could)\s+rent\b"
    r"(?!\s+(?:it\s+|them\s+)?out)(?!\s+for\s+\$?\d)"
    r"|\brent(?:ing)?\s+(?:a|an|something|somewhere|for now|in|first)\b(?!\s+\$?\d)"
    r"|\b(?:do|help with|have|handle|manage|any)\s+(?:\w+\s+)?rentals\b"
    r"|\b(?:look\w{0,3}|lookng|lokking|need|want)\s+(?:for\s+)?a rental\b"
    r"|\b(?:to|gonna|wanna|will)\s+lease\b(?!\s+(?:it\s+)?out)|\bleasing (?:a|an)\b"
)
_NOT_RENT = re.compile(r"\b(?:we|i|currently|we're|i'm|im|still)\s+(?:currently\s+)?$")
INVEST = re.compile(
    r"\binvest(?:or|ors|ment|ments|ing)?\b|\bflip(?:s|ping|per)?\b|\bfix and flip"
    r"|\brent (?:it |them )?out\b|\brental (?:income|propert\w*|investment|portfolio)"
    r"|\bcash[\s-]?flow|\bas (?:a )?rentals?\b|\bhold as rentals?\b"
)
_SELL_FIRST = re.compile(
    r"\bsell\w*\b[^.!?]{0,60}\b(?:first|before (?:we|i) (?:can )?buy)\b"
    r"|\b(?:downsize|downsizing|upsize|upsizing|move|moving)\s+from\s+(?:our|my)\b[^.!?]{0,60}"
    r"\bto\s+(?:a|an)\b"
)
_ANSWER_WORDS: dict[str, Intent] = {
    "buy": "buy", "buying": "buy", "purchase": "buy", "sell": "sell", "selling": "sell",
    "rent": "rent", "renting": "rent", "rental": "rent", "both": "buy_and_sell",
    "investment": "invest", "invest": "invest", "investing": "invest",
}
_PROPERTY_WORD = re.compile(r"^\W*(?:land|a lot|lot|house|home|condo|townhome|townhouse|duplex)\b")


def _signals(text: str) -> list[tuple[int, Intent]]:
    out: list[tuple[int, Intent]] = []
    for m in _BUY.finditer(text):
        if not _NOT_BUY.search(text[max(0, m.start() - 25) : m.start()]) and not re.match(
            r"buyer'?s'? agent", text[m.start() :]
        ):
            out.append((m.start(), "buy"))
    for m in _SELL.finditer(text):
        if not _NOT_SELL_SUBJECT.search(text[max(0, m.start() - 30) : m.start()]):
            out.append((m.start(), "sell"))
    for m in _RENT.finditer(text):
        if not _NOT_RENT.search(text[max(0, m.start() - 20) : m.start()]):
            out.append((m.start(), "rent"))
    out.extend((m.start(), "invest") for m in INVEST.finditer(text))
    out.extend((m.start(), "buy_and_sell") for m in _SELL_FIRST.finditer(text))
    return sorted(out)


def answer_intent(text: str, question: Question) -> Intent | None:
    """Intent given by a reply to a buy/sell/rent question ("rent", "both", "yes")."""
    if question.intent_choice:
        first = re.match(r"\W*([a-z]+)", text)
        if first and first.group(1) in _ANSWER_WORDS:
            return _ANSWER_WORDS[first.group(1)]
    substantive = polarity(text) != "no" and not text.rstrip().endswith("?")
    if question.yes_intents and (
        polarity(text) == "yes"
        or (_PROPERTY_WORD.match(text) and "buy" in question.yes_intents)
        or (question.wh_intent and substantive)
    ):
        if "buy_and_sell" in question.yes_intents:
            return "buy_and_sell"
        return question.yes_intents[0]  # type: ignore[return-value]
    if question.first_home and polarity(text) == "yes":
        return "buy"
    return None


def message_intent(text: str, question: Question) -> Intent | None:
    """The intent one inbound message states, or ``None``."""
    signals = _signals(text)
    kinds = {kind for _, kind in signals}
    answered = answer_intent(text, question)
    if answered:
        kinds.add(answered)
        signals.insert(0, (-1, answered))
    if not kinds:
        return None
    if "invest" in kinds:
        return "invest"
    if "buy_and_sell" in kinds or {"buy", "sell"} <= kinds:
        return "buy_and_sell"
    return signals[-1][1]


def merge_intent(current: Intent | None, new: Intent | None, text: str) -> Intent | None:
    """Fold a message's intent into the running one (latest wins, buy + sell combine)."""
    if new is None:
        return current
    exclusive = bool(re.search(r"instead of (?:buying|selling|renting)", text))
    if exclusive or current is None:
        return new
    if new == "buy" and current in ("sell", "buy_and_sell"):
        return "buy_and_sell"
    if new == "buy" and current == "invest":
        return "invest"
    if new == "sell" and current in ("buy", "buy_and_sell"):
        return "buy_and_sell"
    return new
