"""The timers' pure core: no I/O.

A timer is `pending` until due, `firing` once a replica claimed it (its claim leases it for
`lease`: a replica that died mid-way leaves it due again), then `done`; a lead's event makes
it `cancelled` (or moves its `due_at`); too many attempts make it `failed`. Firing is
idempotent because a timer's effect is a reply keyed by `reply_key(timer)`, claimed once
through `workers.replies`.

What a lead's event does to its open timers (`changes_for`), as a table
(`tests/unit/timers/test_core.py`):

| event          | first_touch | follow_up                                                |
|----------------|-------------|----------------------------------------------------------|
| inbound        | cancel      | move to `at + reset_after_s` (its payload), else cancel |
| takeover       | cancel      | cancel                                                   |
| agent_message  | cancel      | cancel                                                   |
| booked         | cancel      | cancel                                                   |
| opted_out      | cancel      | cancel                                                   |
| not_interested | cancel      | cancel                                                   |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

Kind = Literal["first_touch", "follow_up"]
KINDS: tuple[Kind, ...] = get_args(Kind)
State = Literal["pending", "firing", "done", "cancelled", "failed"]
OPEN: tuple[State, ...] = ("pending", "firing")
EventKind = Literal["inbound", "takeover", "agent_message", "booked", "opted_out",
                    "not_interested"]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
MAX_ATTEMPTS = 5  # claims of one timer before it is failed (a draft that keeps crashing)
REPLY_PREFIX = "timer:"


@dataclass(frozen=True)
class Timer:
    tenant_id: str
    timer_id: str
    contact_id: str
    kind: Kind
    due_at: datetime
    state: State = "pending"
    attempt: int = 0
    claimed_at: datetime | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    causation_id: str | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN


@dataclass(frozen=True)
class LeadEvent:
    """Something that happened to a lead which may change its timers."""

    kind: EventKind
    at: datetime
    ref: str | None = None  # the message or event id (stored as the change's reason)


@dataclass(frozen=True)
class Change:
    timer_id: str
    action: Literal["cancel", "move"]
    reason: str
    due_at: datetime | None = None  # move: the new due time


def changes_for(timers: Iterable[Timer], event: LeadEvent) -> list[Change]:
    """What `event` does to the lead's open timers (closed ones are left alone)."""
    if event.kind not in EVENT_KINDS:
        raise ValueError(f"unknown lead event {event.kind!r}")
    out = []
    for t in timers:
        if not t.open:
            continue
        reset = t.payload.get("reset_after_s")
        if t.kind == "follow_up" and event.kind == "inbound" and isinstance(reset, int | float):
            out.append(Change(t.timer_id, "move", event.kind,
                              event.at + timedelta(seconds=float(reset))))
        else:
            out.append(Change(t.timer_id, "cancel", event.kind))
    return out


def wants_first_touch(live: bool, sources: Iterable[str], source: str | None) -> bool:
    """Does a new contact of a tenant get a first touch? Only for a live tenant, and only
    from a source the tenant listed (the lead's consent to be texted first), matched
    case-insensitively and ignoring extra spaces."""
    if not live or not source:
        return False
    wanted = " ".join(source.split()).casefold()
    return bool(wanted) and any(" ".join(s.split()).casefold() == wanted for s in sources)


def first_touch_id(contact_id: str) -> str:
    """A contact's one first-touch timer (a redelivered ContactCreate finds it)."""
    return f"first_touch:{contact_id}"


def reply_key(timer_id: str) -> str:
    """The idempotency key of the reply a timer fires: one reply per timer, however often
    it is fired."""
    return REPLY_PREFIX + timer_id


def claimable(t: Timer, now: datetime, lease: timedelta) -> bool:
    """May a replica claim `t` now? Pending and due, or firing with its lease run out."""
    if t.state == "pending":
        return t.due_at <= now
    return t.state == "firing" and t.claimed_at is not None and t.claimed_at + lease <= now


def after_claim(t: Timer) -> State:
    """The state a claim moves a claimable timer to: firing, or failed once it was claimed
    `MAX_ATTEMPTS` times without being done."""
    return "failed" if t.attempt >= MAX_ATTEMPTS else "firing"
