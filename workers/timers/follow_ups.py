"""Follow-ups of a quiet lead, the pure part: the cadence, when each step is due, and when
they stop for good. No I/O.

A tenant's cadence is a list of ISO 8601 durations (`tenant config --follow-ups
"PT1H,P1D,P3D,P7D,P14D"`; `PT…S` so tests run fast), stored as seconds. When a text of ours
reaches the lead (a reply, a first touch, a follow-up: `replies.delivered`) and the lead has
no open follow-up, step n is scheduled `delay(cadence, n, timeline)` after it: step 0 after a
reply or a first touch, step n + 1 after follow-up n. The lead's message cancels the open one
(`core.changes_for`), so the cadence starts again at step 0 after our next text: every
inbound message resets it. A lead whose timeline is far off is not texted every other day:
each step waits at least its timeline's floor (a lead buying in a year or more: monthly).

Follow-ups stop for good (`stop_reason`, checked when a step is due, on what is recorded
then): the lead may not be texted (opted out or unsure, DND, a person took over: the consent
state), is not interested or done (already bought, works with another agent), has an
appointment booked, is lost in the GHL pipeline, or every step of the cadence was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from workers.timers.core import REPLY_PREFIX

DAY = 86_400
MAX_STEPS = 10  # GHL's Auto Follow-Up allows 5 per scenario; 10 is generous
MAX_DELAY_S = 366 * DAY
KIND = "follow_up"
# The least wait between follow-ups for a lead whose timeline is far off (SPEC's buckets).
TIMELINE_FLOOR_S: dict[str, int] = {
    "3_6_months": 7 * DAY,
    "6_12_months": 14 * DAY,
    "12_plus_months": 30 * DAY,
    "browsing": 14 * DAY,
}
_DURATION = re.compile(
    r"P(?!$)(?:(?P<Y>\d+)Y)?(?:(?P<Mo>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<H>\d+)H)?(?:(?P<Mi>\d+)M)?(?:(?P<S>\d+)S)?)?", re.IGNORECASE)
_UNIT_S = {"Y": 365 * DAY, "Mo": 30 * DAY, "W": 7 * DAY, "D": DAY, "H": 3600, "Mi": 60, "S": 1}


def parse_duration(text: str) -> int:
    """An ISO 8601 duration (`PT1H`, `P1D`, `P2W`, `PT30S`; a year is 365 days and a month
    30) as whole seconds; ValueError for anything else (`1 day`, `-PT1H`, `P`)."""
    m = _DURATION.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text.strip()!r} is not an ISO 8601 duration (e.g. PT1H, P1D, P2W)")
    return sum(int(v) * _UNIT_S[k] for k, v in m.groupdict().items() if v)


def iso(seconds: int) -> str:
    """Seconds as the shortest ISO 8601 duration (days, hours, minutes, seconds)."""
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "" if days else "T0S")


def parse_cadence(text: str) -> tuple[int, ...]:
    """`PT1H,P1D,P3D` -> the cadence in seconds; `off` or empty -> none. ValueError on a
    step that is not a duration, zero, longer than a year, or more than `MAX_STEPS`."""
    items = [i.strip() for i in text.split(",") if i.strip()]
    if [i.lower() for i in items] in ([], ["off"], ["none"]):
        return ()
    steps = tuple(parse_duration(i) for i in items)
    if len(steps) > MAX_STEPS:
        raise ValueError(f"at most {MAX_STEPS} follow-ups, not {len(steps)}")
    for item, s in zip(items, steps, strict=True):
        if not 0 < s <= MAX_DELAY_S:
            raise ValueError(f"{item}: a follow-up waits more than nothing and at most a year")
    return steps


def delay(cadence: Sequence[int], step: int, timeline: str | None) -> int | None:
    """Seconds from our last text to follow-up `step`: the cadence's, or the lead's
    timeline floor when that is longer; None when the cadence has no such step."""
    if not 0 <= step < len(cadence):
        return None
    return max(cadence[step], TIMELINE_FLOOR_S.get(timeline or "", 0))


def follow_up_id(contact_id: str, step: int, after: str) -> str:
    """Step `step` of the contact's follow-ups after our text `after` (the delivered reply's
    key): a redelivered `replies.delivered` finds the same timer."""
    return f"{KIND}:{step}:{contact_id}:{after}"


def step_of(idempotency_key: str) -> int | None:
    """The step of the follow-up a reply key belongs to (`timer:follow_up:<n>:<contact>:…`),
    None for any other reply (a reply to the lead, a first touch)."""
    prefix = REPLY_PREFIX + KIND + ":"
    if not idempotency_key.startswith(prefix):
        return None
    step = idempotency_key[len(prefix):].split(":", 1)[0]
    return int(step) if step.isdigit() else None


def next_step(idempotency_key: str) -> int:
    """The step scheduled after a delivered text: 0 after a reply or a first touch, n + 1
    after follow-up n."""
    step = step_of(idempotency_key)
    return 0 if step is None else step + 1


# Modes of a delivered text after which no follow-up is scheduled: the lead asked to stop,
# or a person has it now, or an appointment was just confirmed.
NO_FOLLOW_UP_AFTER = frozenset({"opt_out_confirmation", "handoff", "booking_confirmed"})

StopReason = Literal["consent", "not_interested", "done", "has_agent", "booked", "takeover",
                     "lost", "max_touches"]
# "Already bought", "found a place", "no longer looking", in English and Spanish: the search
# is over (a subject, a past or finished verb, the thing found).
_DONE = re.compile(
    r"\b(?:(?:we|i)(?:'ve| have)?|just|already)\s+(?:already\s+)?(?:bought|purchased|closed on|"
    r"found|signed (?:a|the) lease|rented|sold)\b(?!\s+(?:any|nothing|anything))"
    r"|\b(?:no longer|not)\s+(?:looking|searching|in the market)(?:\s+any\s*more)?\b"
    r"|\bstopped looking\b|\boff the market\b"
    r"|\bya\s+(?:compr(?:amos|é|e)|encontr(?:amos|é|e)|rent(?:amos|é|e)|vend(?:imos|í|i))\b"
    r"|\bya no\s+(?:estamos|estoy)\s+buscando\b|\bdejamos de buscar\b",
    re.IGNORECASE)
# "Not interested" in the search itself (not in one listing: "not interested in that one").
_NOT_INTERESTED = re.compile(
    r"\b(?:not|no longer|never was|wasn'?t) interested\b(?!\s+in\s+(?:that|this|the|those|"
    r"these|it|one|a|an)\b)|\bno (?:me|nos) interesa\b(?!\s+(?:esa|ese|esta|este|esas|esos)\b)"
    r"|\bchanged (?:my|our) minds?\b|\bcambiamos de (?:idea|opini[oó]n)\b",
    re.IGNORECASE)
_NOT_DONE = re.compile(r"\b(?:before|until|once|if|when|after|haven'?t|have not|not yet|"
                       r"never|didn'?t|antes de|hasta que|si|cuando|todav[ií]a no|a[uú]n no)\b",
                       re.IGNORECASE)


def closing(text: str) -> Literal["not_interested", "done"] | None:
    """Does the lead's message end its search: not interested (any more), or done (bought,
    found, rented, sold, no longer looking)? A plan or a condition ("once we've sold",
    "before we bought", "not yet") is not."""
    for sentence in re.split(r"[.!?\n;]+", text):
        for kind, rx in (("not_interested", _NOT_INTERESTED), ("done", _DONE)):
            m = rx.search(sentence)
            if m and not _NOT_DONE.search(sentence[:m.start()]):
                return "not_interested" if kind == "not_interested" else "done"
    return None


@dataclass(frozen=True)
class StopFacts:
    """What is recorded about a lead when a follow-up is due."""

    consent_block: str | None  # why it may not be texted (opted out, unsure, DND...), or None
    takeover: bool = False  # a person took over the conversation
    has_agent: bool = False  # works with another agent (the profile)
    booked: bool = False  # an appointment booked and not cancelled
    pipeline_lost: bool = False  # its GHL opportunity was marked lost
    lead_messages: Sequence[str] = ()  # the lead's latest messages, newest last
    step: int = 0
    steps: int = 0  # the tenant's cadence length


def stop_reason(f: StopFacts) -> StopReason | None:
    """Why follow-ups stop for good now, or None: they go on. In order of what an agent
    most needs to know."""
    if f.consent_block:
        return "consent"
    if f.takeover:
        return "takeover"
    if f.booked:
        return "booked"
    for text in reversed(f.lead_messages[-3:]):  # the latest that says so
        said = closing(text)
        if said:
            return said
    if f.has_agent:
        return "has_agent"
    if f.pipeline_lost:
        return "lost"
    if f.step >= f.steps:
        return "max_touches"
    return None


def next_due(cadence: Sequence[int], step: int, timeline: str | None,
             after: datetime) -> datetime | None:
    """When step `step` is due after our text at `after`, or None (no such step)."""
    d = delay(cadence, step, timeline)
    return None if d is None else after + timedelta(seconds=d)


def describe(due_at: datetime | None, step: int, steps: int,
             stopped: Iterable[str] = ()) -> str:
    """The living note's line: `Next follow-up: 2026-12-09 15:00 UTC (2 of 5)`."""
    reasons = list(stopped)
    if reasons:
        return "Follow-ups: stopped (" + ", ".join(reasons) + ")"
    if due_at is None:
        return "Follow-ups: none scheduled"
    return f"Next follow-up: {due_at:%Y-%m-%d %H:%M} UTC ({step + 1} of {steps})"


@dataclass(frozen=True)
class Next:
    """The follow-up a delivered text schedules."""

    step: int
    steps: int
    due_at: datetime


def after_delivery(cadence: Sequence[int], idempotency_key: str, mode: str | None,
                   timeline: str | None, delivered_at: datetime,
                   lead_wrote_at: datetime | None = None) -> Next | None:
    """The follow-up our text `idempotency_key` (of reply mode `mode`) schedules once it
    reached the lead at `delivered_at`; None: none (follow-ups off, a text after which the
    lead is not followed up, the cadence's last step was this one, or the lead has written
    since it reached them (`lead_wrote_at`, its latest message): a delivery reported after
    the lead's answer, whose own reply schedules the next follow-up)."""
    if not cadence or mode in NO_FOLLOW_UP_AFTER:
        return None
    if lead_wrote_at is not None and lead_wrote_at > delivered_at:
        return None
    step = next_step(idempotency_key)
    due = next_due(cadence, step, timeline, delivered_at)
    return None if due is None else Next(step, len(cadence), due)
