"""The reply's status machine as data (pure, stdlib only): its statuses, the edges a worker
may move a row along (with who moves each and why), and the outbound's at-most-once decision
on a row found in a status. `workers.replies.store` declares the edges each write moves, and
the tests hold them to `EDGES`, so a new write cannot invent a transition unnoticed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """`replies.status` (text, default 'drafted': migrations 0001, 0005, 0007)."""

    DRAFTED = "drafted"  # to send (the responder's draft, or a held one now due)
    HELD = "held"  # to send at `send_after` (quiet hours); the scheduler re-queues it
    SENDING = "sending"  # claimed before the POST: maybe sent, never resent blindly
    SENT = "sent"  # GHL took it (its ids recorded)
    FAILED = "failed"  # GHL refused it for good (dead-lettered)
    SUPPRESSED = "suppressed"  # never sent: the guards, the reply check or consent said no


# How a row comes to exist: the responder inserts its decision (a draft, or a silence it
# records so a redelivery stays silent); the outbound inserts a draft from its event when the
# responder's row is missing (ON CONFLICT DO NOTHING: never over a stored one).
INITIAL: dict[Status, str] = {
    Status.DRAFTED: "responder's draft, or the outbound's upsert of a ReplyDrafted",
    Status.SUPPRESSED: "responder: a guard or the reply check kept it silent",
}

# Every move of a stored row: (from, to) -> who moves it, and why. sent, failed and suppressed
# are final: nothing leaves them (sent -> sent only records the same delivery again).
EDGES: dict[tuple[Status, Status], str] = {
    (Status.DRAFTED, Status.SENDING): "outbound claim: due and consent allows; committed "
                                      "before the POST",
    (Status.HELD, Status.SENDING): "outbound claim: a held reply redelivered once due",
    (Status.DRAFTED, Status.HELD): "outbound claim: send_after in the future, or consent "
                                   "holds it (quiet hours) until a time",
    (Status.HELD, Status.HELD): "outbound claim: due, but consent holds it again until later",
    (Status.HELD, Status.DRAFTED): "outbound scheduler: due; re-queued, then marked drafted",
    (Status.DRAFTED, Status.SUPPRESSED): "outbound claim: consent gone (or the draft stale) "
                                         "at the moment of sending",
    (Status.HELD, Status.SUPPRESSED): "outbound claim: consent gone while it was held",
    (Status.SENDING, Status.SENT): "outbound: GHL took it (message and conversation ids)",
    (Status.SENT, Status.SENT): "outbound retrying its 'sent' write, or memory recording the "
                                "delivery it was told of (idempotent)",
    (Status.SENDING, Status.FAILED): "outbound: GHL refused it for good",
    (Status.SENDING, Status.DRAFTED): "outbound: GHL provably did not take it; a retry may "
                                      "send it",
    (Status.SENDING, Status.SENDING): "outbound: in doubt (maybe delivered); the error is noted, "
                                      "the claim kept",
    (Status.SUPPRESSED, Status.DRAFTED): "console: a person releases a draft the reply check "
                                         "held (reply_check:*, not reviewed yet); the "
                                         "outbound's claim still decides consent",
}

# sent, failed and suppressed are final for the pipeline: only a person's release of a draft
# the reply check held (`RELEASED`, from the console) leaves one.
FINAL = frozenset({Status.SENT, Status.FAILED, Status.SUPPRESSED})
RELEASED: tuple[Status, Status] = (Status.SUPPRESSED, Status.DRAFTED)
HELD_FOR_REVIEW = "reply_check:"  # the prefix of suppressed_reason of a draft held for a person


def can_move(a: Status | str, b: Status | str) -> bool:
    """True when a row in status `a` may be moved to `b` (an edge of `EDGES`)."""
    try:
        return (Status(a), Status(b)) in EDGES
    except ValueError:  # not a status of this machine
        return False


class Action(StrEnum):
    SEND = "send"
    HOLD = "hold"
    WAIT = "wait"
    REPUBLISH = "republish"
    IN_DOUBT = "in_doubt"
    FAILED = "failed"
    BLOCKED = "blocked"  # consent gone (or the draft stale) at the moment of sending
    SKIP = "skip"


def decide(status: str, send_after: datetime | None, now: datetime) -> Action:
    """What to do with a reply found in `status` (pure: the heart of at-most-once)."""
    if status in ("drafted", "held"):
        if send_after is not None and send_after > now:
            return Action.HOLD if status == "drafted" else Action.WAIT
        return Action.SEND
    return {
        "sending": Action.IN_DOUBT,  # claimed before: maybe sent, never resend blindly
        "sent": Action.REPUBLISH,  # re-publish what it produced, as every stage does
        "failed": Action.FAILED,
    }.get(status, Action.SKIP)  # a status another stage owns (suppressed, cancelled, ...)
