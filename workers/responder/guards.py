"""What the responder does with one inbound message (pure): reply, confirm an opt-out, hand
off, or stay silent, and from when a text may go out.

Consent (whether an automated text may reach this lead at all, and when) is the one decision
of `workers.consent.decision`, which the outbound connector repeats before every send; this
adds what only the drafter decides: the one opt-out confirmation (the first text after an
opt-out), no reply of its own to a message the lead has already followed with another (the
reply to the latest answers both, instead of double-texting), and a hand-off when the lead
asks for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from workers.consent.decision import ConsentState, Outgoing, confirms
from workers.consent.decision import decide as consent

Action = Literal["reply", "opt_out_confirmation", "handoff", "suppress"]


@dataclass(frozen=True)
class GuardInput:
    channel: str
    consent: ConsentState
    opt_out_confirmed: bool  # the lead already got its one confirmation
    wants_human: bool
    asked_at: datetime  # when the lead wrote the message being answered
    superseded: bool = False
    answers: str | None = None  # the id of the message being answered


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str
    send_after: datetime | None = None  # held for quiet hours until then


def decide(g: GuardInput, now: datetime) -> Verdict:
    # The one confirmation answers the opt-out message itself (never a later message).
    confirm = confirms(g.answers, g.consent.ledger) and not g.opt_out_confirmed
    # Drafted now: the outbound's claim counts a draft's age from the lead's message.
    verdict = consent(Outgoing(g.channel, due_at=now, confirmation=confirm,
                               answers=g.answers), g.consent, now)
    if verdict.verdict == "block":
        return Verdict("suppress", verdict.reason)
    if confirm:
        return Verdict("opt_out_confirmation", "opted_out")
    if g.superseded:
        return Verdict("suppress", "superseded")
    held = verdict.until if verdict.verdict == "hold" else None
    if g.wants_human:
        return Verdict("handoff", "wants_human", held)
    return Verdict("reply", "ok", held)
