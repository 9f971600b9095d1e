"""What a conversation message is to the memory, decided over plain data (no I/O): a new
message, the redelivery of a stored one, or the GHL echo of one of our own replies; and
whether it means a human took the conversation over. `store.record_message` reads what the
memory knows of the message's GHL id, asks `classify`, and writes what it says."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    """What the memory holds for an outbound message's GHL id."""

    stored: bool  # a message with this id is stored already
    stored_reply_key: str | None  # the reply that stored message is linked to, if any
    our_reply: str | None  # the reply of ours GHL delivered under this id, if any


@dataclass(frozen=True)
class Verdict:
    store: bool  # False: stored already (a redelivery, or the echo of a stored reply)
    sender: str  # "ai" for the echo of our reply, else the event's sender
    reply_key: str | None  # the reply this message is (linked to)
    takeover: bool  # a human user's outbound message: the AI stops for this lead


def classify(direction: str, sender: str, known: Known | None) -> Verdict:
    """`known` is None for messages that carry no GHL id or are inbound (nothing to look up)."""
    if known is not None and known.stored:
        return Verdict(False, sender, known.stored_reply_key, False)
    reply_key = known.our_reply if known is not None else None
    if reply_key:
        sender = "ai"
    return Verdict(True, sender, reply_key, direction == "outbound" and sender == "human")
