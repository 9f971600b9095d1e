"""May this automated text reach the lead now? The one consent decision (pure).

The responder asks it when it drafts a reply, and the outbound connector asks it again
immediately before every POST to GHL, on the lead's state read from Postgres in the same
transaction as the claim: a reply drafted, held for quiet hours, retried after a 503 or
replayed from the DLQ days later goes out only if consent still holds at that moment.

The order is the compliance order: AI off for the tenant or the channel, a human agent's
takeover, an opt-out (from the profile, the contact, or any later message of the lead's,
read by `optout`), a message that may be an opt-out (no automated text: a person decides), DND
(global or this channel's), a draft gone stale, then quiet hours (hold until they end). The
one exception is the opt-out confirmation: one text, allowed only within a few minutes of the
request, that goes out despite the DND GHL sets on a STOP and despite quiet hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from workers.consent import optout
from workers.consent.quiet import (
    QUIET_CHANNELS,
    QuietWindow,
    lead_timezone,
    next_open,
    quiet_windows,
)

Verdict = Literal["send", "hold", "block"]
BLOCKING_DND = frozenset({"active", "permanent"})
# Where a tenant lets the AI answer when its settings say nothing (the column's default).
DEFAULT_REPLY_CHANNELS = frozenset({"sms", "email", "live_chat", "whatsapp", "fb", "ig", "gmb"})
# Why a text was not sent: each a terminal status reason (`replies.suppressed_reason`).
BLOCK_REASONS = ("ai_disabled", "channel_disabled", "human_takeover", "opted_out",
                 "possible_opt_out", "dnd", "stale", "no_send_window", "superseded",
                 "not_opted_out", "confirmation_late")


@dataclass(frozen=True)
class Limits:
    """How old a draft may be when it goes out (counted from when it became due: drafted,
    or the end of the quiet hours it waited for), and how long after a STOP its one
    confirmation may follow."""

    max_age: timedelta = timedelta(minutes=60)
    confirmation_within: timedelta = timedelta(minutes=5)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class ConsentState:
    """What is known of the tenant and the lead at the moment of deciding."""

    ai_enabled: bool
    reply_channels: frozenset[str]
    human_takeover: bool
    opted_out: bool  # the learned profile's flag (the lead's own words below may be newer)
    dnd: bool
    dnd_channels: Mapping[str, str]
    zone: ZoneInfo
    quiet: tuple[QuietWindow, ...]
    # The lead's latest messages up to the one this text answers, oldest first: the words
    # themselves decide an opt-out, whether or not the profile has learned them yet.
    history: tuple[str, ...] = ()
    # The lead's messages after that one, oldest first (known at send time).
    later_messages: tuple[str, ...] = field(default_factory=tuple)
    opted_out_by_crm: bool = False  # the contact marked opted out outside the conversation


def lead_state(*, ai_enabled: bool, reply_channels: frozenset[str], human_takeover: bool,
               opted_out: bool, dnd: bool, dnd_channels: Mapping[str, str],
               contact_tz: str | None, phone: str | None, state: str | None,
               tenant_tz: str | None, tenant_quiet: QuietWindow | None,
               history: Sequence[str] = (), later_messages: Sequence[str] = (),
               opted_out_by_crm: bool = False) -> ConsentState:
    """The state from the stored facts as both callers have them: the lead's zone (its own,
    else its phone's, else the tenant's) and every quiet window that applies to it."""
    return ConsentState(
        ai_enabled=ai_enabled, reply_channels=reply_channels, human_takeover=human_takeover,
        opted_out=opted_out, dnd=dnd, dnd_channels=dnd_channels,
        zone=lead_timezone(contact_tz, phone, tenant_tz),
        quiet=quiet_windows(state, phone, tenant_quiet), history=tuple(history),
        later_messages=tuple(later_messages), opted_out_by_crm=opted_out_by_crm)


@dataclass(frozen=True)
class Outgoing:
    channel: str
    due_at: datetime  # drafted, or released from a hold: the age is counted from here
    confirmation: bool = False  # the opt-out confirmation
    requested_at: datetime | None = None  # confirmation: when the lead asked to stop


@dataclass(frozen=True)
class ConsentDecision:
    verdict: Verdict
    reason: str
    until: datetime | None = None  # hold: when to decide again


def dnd_blocks(dnd: bool, dnd_channels: Mapping[str, str], channel: str) -> bool:
    """GHL's global DND, or this channel's DND status active / permanent."""
    status = dnd_channels.get(channel) or dnd_channels.get(channel.upper()) or ""
    return dnd or str(status).lower() in BLOCKING_DND


def opt_out_reading(state: ConsentState) -> tuple[bool, bool]:
    """(opted out, unsure): the lead's last clear word in its messages (an opt-out, or a
    START after one) decides, else the learned flag; a contact marked opted out in the CRM
    stays so. Unsure: the lead's latest message may ask to stop but does not clearly."""
    messages = [m for m in (*state.history, *state.later_messages) if m]
    signals = [optout.classify(m) for m in messages]
    clear = [s for s in signals if s in ("opt_out", "resubscribe")]
    opted_out = clear[-1] == "opt_out" if clear else state.opted_out
    unsure = bool(signals) and signals[-1] == "unsure"
    return opted_out or state.opted_out_by_crm, unsure and not opted_out


def decide(out: Outgoing, state: ConsentState, now: datetime,
           limits: Limits = DEFAULT_LIMITS) -> ConsentDecision:
    if not state.ai_enabled:
        return ConsentDecision("block", "ai_disabled")
    if out.channel not in state.reply_channels:
        return ConsentDecision("block", "channel_disabled")
    if state.human_takeover:
        return ConsentDecision("block", "human_takeover")
    opted_out, unsure = opt_out_reading(state)
    if out.confirmation:
        if not opted_out:
            return ConsentDecision("block", "not_opted_out")
        asked = out.requested_at or out.due_at
        if now - asked > limits.confirmation_within:
            return ConsentDecision("block", "confirmation_late")
        return ConsentDecision("send", "opt_out_confirmation")
    if opted_out:
        return ConsentDecision("block", "opted_out")
    if unsure:
        return ConsentDecision("block", "possible_opt_out")
    if dnd_blocks(state.dnd, state.dnd_channels, out.channel):
        return ConsentDecision("block", "dnd")
    if state.later_messages:  # the lead wrote again: the reply to the latest answers both
        return ConsentDecision("block", "superseded")
    if now - out.due_at > limits.max_age:
        return ConsentDecision("block", "stale")
    if out.channel in QUIET_CHANNELS:
        opens = next_open(now, state.zone, state.quiet)
        if opens is None:
            return ConsentDecision("block", "no_send_window")
        if opens > now:
            return ConsentDecision("hold", "quiet_hours", opens)
    return ConsentDecision("send", "ok")
