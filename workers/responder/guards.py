"""What the responder may do for one inbound message (pure): reply, confirm an opt-out,
hand off, or stay silent — and when a text may be sent (quiet hours).

Order matters and is the compliance order: a tenant that has not enabled AI replies on this
channel gets nothing automated; a conversation a human agent has taken over gets no automated
text; an opted-out lead gets at most one confirmation and then silence (the confirmation goes
out even though GHL has already set DND for the STOP: it is the one message the rules allow);
a DND contact or channel gets nothing; a message the lead has already followed with another
gets no reply of its own (the reply to the latest answers both, instead of double-texting);
a lead asking for a person is handed off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workers.responder.areacodes import FLORIDA_AREA_CODES, area_code, timezone_for_phone

Action = Literal["reply", "opt_out_confirmation", "handoff", "suppress"]
BLOCKING_DND = frozenset({"active", "permanent"})
# Channels where quiet hours apply: automated texts (email and web chat answer at once).
QUIET_CHANNELS = frozenset({"sms", "whatsapp"})
DEFAULT_WINDOW = (time(8, 0), time(21, 0))
STATE_WINDOWS = {"FL": (time(8, 0), time(20, 0))}
FALLBACK_TZ = "America/New_York"
Window = tuple[time, time]


@dataclass(frozen=True)
class GuardInput:
    channel: str
    ai_enabled: bool
    reply_channels: frozenset[str]
    human_takeover: bool
    opted_out: bool
    opt_out_confirmed: bool
    dnd: bool
    dnd_channels: dict[str, str]
    wants_human: bool
    superseded: bool = False


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str


def decide(g: GuardInput) -> Verdict:
    if not g.ai_enabled:
        return Verdict("suppress", "ai_disabled")
    if g.channel not in g.reply_channels:
        return Verdict("suppress", "channel_disabled")
    if g.human_takeover:
        return Verdict("suppress", "human_takeover")
    if g.opted_out:
        if g.opt_out_confirmed:
            return Verdict("suppress", "opted_out")
        return Verdict("opt_out_confirmation", "opted_out")
    if dnd_blocks(g.dnd, g.dnd_channels, g.channel):
        return Verdict("suppress", "dnd")
    if g.superseded:  # the lead wrote again: one reply, to the latest message, answers both
        return Verdict("suppress", "superseded")
    if g.wants_human:
        return Verdict("handoff", "wants_human")
    return Verdict("reply", "ok")


def dnd_blocks(dnd: bool, dnd_channels: dict[str, str], channel: str) -> bool:
    """GHL's global DND, or this channel's DND status active / permanent."""
    status = dnd_channels.get(channel) or dnd_channels.get(channel.upper()) or ""
    return dnd or status.lower() in BLOCKING_DND


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def lead_timezone(contact_tz: str | None, phone: str | None, tenant_tz: str | None) -> ZoneInfo:
    """The contact's zone, else the phone's area code, else the tenant's, else Eastern."""
    for name in (contact_tz, timezone_for_phone(phone), tenant_tz):
        zone = _zone(name)
        if zone is not None:
            return zone
    return ZoneInfo(FALLBACK_TZ)


def _hhmm(value: Any) -> time | None:
    try:
        hour, minute = str(value).split(":")[:2]
        return time(int(hour), int(minute))
    except (ValueError, TypeError):
        return None


def send_window(state: str | None, phone: str | None, tenant_quiet: Any = None) -> Window:
    """The legal window (Florida by state or area code is stricter), narrowed by the tenant's
    `quiet_hours` `{"start": "HH:MM", "end": "HH:MM"}`: a tenant can be stricter, not looser."""
    start, end = DEFAULT_WINDOW
    st = (state or "").strip().upper()
    if st == "FLORIDA" or area_code(phone) in FLORIDA_AREA_CODES:
        st = "FL"  # Florida's act presumes a Florida area code reaches a Florida resident
    start, end = STATE_WINDOWS.get(st, (start, end))
    if isinstance(tenant_quiet, dict):
        own_start, own_end = _hhmm(tenant_quiet.get("start")), _hhmm(tenant_quiet.get("end"))
        if own_start and own_end and own_start < own_end:
            start, end = max(start, own_start), min(end, own_end)
    return start, end


def send_after(now: datetime, zone: ZoneInfo, window: Window) -> datetime | None:
    """None when `now` is inside the window in the lead's zone, else when it next opens."""
    local = now.astimezone(zone)
    start, end = window
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone)
