"""May this automated text reach the lead now? The one consent decision (pure).

The responder asks it when it drafts a reply, and the outbound connector asks it again
immediately before every POST to GHL, on the lead's state read from Postgres in the same
transaction as the claim: a reply drafted, held for quiet hours, retried after a 503 or
replayed from the DLQ days later goes out only if consent still holds at that moment.

Consent itself is the consent ledger's fold (`workers.consent_ledger`): recorded opt-outs,
unsure readings and GHL's DND, never re-read from message history, so retention, forgetting,
late webhooks and quoted words cannot lift it.

The order is the compliance order: a tenant that uninstalled the app (nothing at all is sent
for it, not even an opt-out's confirmation, however long ago the text was drafted), AI off
for the tenant or the channel, a human agent's
takeover, an opt-out, an unsure reading (no automated text: a person decides), DND (global or
this channel's), a newer message of the lead's (stored, or accepted and still on its way: a
STOP in flight), the lead's own pause ("not until after the holidays": no text of our own
initiative until it ends; an answer to the lead's own latest message still goes, since the
lead wrote to us), a draft gone stale (counted from the lead's message,
or from the end of the quiet hours it waited for), then quiet hours, the law's, the
tenant's and the lead's own ("no texts after 8pm"; hold until they end). The one exception
is the opt-out confirmation: one text, only in answer to the opt-out message itself and
within a few minutes of it, that goes out despite the DND GHL sets on a STOP and despite
quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from workers.consent.quiet import (
    QUIET_CHANNELS,
    LeadHours,
    QuietWindow,
    Whereabouts,
    daily_cap,
    send_window,
    whereabouts,
)
from workers.consent_ledger.entries import Consent, Source

Verdict = Literal["send", "hold", "block"]
# Where a tenant lets the AI answer when its settings say nothing (the column's default).
DEFAULT_REPLY_CHANNELS = frozenset({"sms", "email", "live_chat", "whatsapp", "fb", "ig", "gmb"})
# Why a text was not sent: each a terminal status reason (`replies.suppressed_reason`).
BLOCK_REASONS = ("uninstalled", "ai_disabled", "channel_disabled", "human_takeover",
                 "opted_out", "possible_opt_out", "dnd", "stale", "no_send_window",
                 "superseded", "not_opted_out", "confirmation_late", "not_the_opt_out",
                 "in_flight", "daily_cap", "paused")


@dataclass(frozen=True)
class Limits:
    """How old a text may be when it goes out (counted from when it became due: the lead's
    message it answers, or the end of the quiet hours it waited for), and how long after a
    STOP its one confirmation may follow."""

    max_age: timedelta = timedelta(minutes=60)
    confirmation_within: timedelta = timedelta(minutes=5)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class ConsentState:
    """What is known of the tenant and the lead at the moment of deciding."""

    ai_enabled: bool
    reply_channels: frozenset[str]
    human_takeover: bool
    ledger: Consent  # the lead's recorded consent (opt-outs, unsure, GHL's DND)
    where: Whereabouts  # every plausible (zone, state) of the lead
    tenant_quiet: QuietWindow | None = None  # the tenant's own quiet hours
    # The lead's messages after the one this text answers, oldest first (known at send time).
    later_messages: tuple[str, ...] = field(default_factory=tuple)
    # A newer inbound message of the lead's was accepted but is not stored yet.
    in_flight: bool = False
    texts_24h: int = 0  # automated texts sent to the lead in the last 24 hours
    uninstalled: bool = False  # the tenant removed the app: nothing is sent for it

    @property
    def lead_hours(self) -> LeadHours | None:
        """The lead's own hours in force (from its recorded words), if any."""
        return LeadHours.parse(self.ledger.hours) if self.ledger.hours else None

    @property
    def zone(self) -> ZoneInfo:
        """The lead's first plausible zone (for display; decisions use every one)."""
        return ZoneInfo(self.where.zones[0])


def lead_state(*, ai_enabled: bool, reply_channels: frozenset[str], human_takeover: bool,
               ledger: Consent, contact_tz: str | None, phone: str | None,
               state: str | None, tenant_tz: str | None, tenant_quiet: QuietWindow | None,
               postal_code: str | None = None, later_messages: Sequence[str] = (),
               in_flight: bool = False, texts_24h: int = 0,
               uninstalled: bool = False) -> ConsentState:
    """The state from the stored facts as both callers have them: every zone and state the
    lead may be in (its own zone, state, postal code and phone's area code; the tenant's zone
    only when none is known), so that a text goes only when the law allows it in each."""
    return ConsentState(
        ai_enabled=ai_enabled, reply_channels=reply_channels, human_takeover=human_takeover,
        ledger=ledger,
        where=whereabouts(contact_tz=contact_tz, state=state, postal_code=postal_code,
                          phone=phone, tenant_tz=tenant_tz),
        tenant_quiet=tenant_quiet, later_messages=tuple(later_messages), in_flight=in_flight,
        texts_24h=texts_24h, uninstalled=uninstalled)


@dataclass(frozen=True)
class Outgoing:
    channel: str
    due_at: datetime  # the lead's message, or released from a hold: the age counts from here
    confirmation: bool = False  # the opt-out confirmation
    answers: str | None = None  # the id of the lead's message this text answers


@dataclass(frozen=True)
class ConsentDecision:
    verdict: Verdict
    reason: str
    until: datetime | None = None  # hold: when to decide again; paused: when the pause ends


def confirms(out_answers: str | None, ledger: Consent) -> bool:
    """Is the lead's message `out_answers` the opt-out in force, in the lead's own words?
    Only that message gets the one confirmation."""
    oo = ledger.opt_out
    return (oo is not None and oo.source is Source.LEAD_MESSAGE and out_answers is not None
            and oo.source_ref == out_answers)


def decide(out: Outgoing, state: ConsentState, now: datetime,
           limits: Limits = DEFAULT_LIMITS) -> ConsentDecision:
    if state.uninstalled:
        return ConsentDecision("block", "uninstalled")
    if not state.ai_enabled:
        return ConsentDecision("block", "ai_disabled")
    if out.channel not in state.reply_channels:
        return ConsentDecision("block", "channel_disabled")
    if state.human_takeover:
        return ConsentDecision("block", "human_takeover")
    ledger = state.ledger
    if out.confirmation:
        if not ledger.any_opt_out:
            return ConsentDecision("block", "not_opted_out")
        if not confirms(out.answers, ledger):
            return ConsentDecision("block", "not_the_opt_out")
        assert ledger.opt_out is not None
        if now - ledger.opt_out.occurred_at > limits.confirmation_within:
            return ConsentDecision("block", "confirmation_late")
        return ConsentDecision("send", "opt_out_confirmation")
    if ledger.opted_out_of(out.channel):
        return ConsentDecision("block", "opted_out")
    if ledger.unsure is not None:
        return ConsentDecision("block", "possible_opt_out")
    if ledger.dnd_on(out.channel):
        return ConsentDecision("block", "dnd")
    if state.later_messages:  # the lead wrote again: the reply to the latest answers both
        return ConsentDecision("block", "superseded")
    if state.in_flight:  # ...and that message (a STOP?) is still on its way to memory
        return ConsentDecision("block", "in_flight")
    paused = ledger.paused_until(now)
    if paused is not None and out.answers is None:  # a first touch, a follow-up
        return ConsentDecision("block", "paused", paused)
    if now - out.due_at > limits.max_age:
        return ConsentDecision("block", "stale")
    if out.channel in QUIET_CHANNELS:
        cap = daily_cap(state.where)
        if cap is not None and state.texts_24h >= cap:
            return ConsentDecision("block", "daily_cap")
        opens = send_window(now, state.where, state.tenant_quiet, state.lead_hours)
        if opens is None:
            return ConsentDecision("block", "no_send_window")
        if opens > now:
            return ConsentDecision("hold", "quiet_hours", opens)
    return ConsentDecision("send", "ok")
