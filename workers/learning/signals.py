"""Behavioral signals of a lead, computed from the conversation (pure).

How fast and how much a lead writes says as much about readiness as what they write: the
score uses reply latency, message length, questions asked, active hours and channel.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from statistics import median
from typing import Any


@dataclass(frozen=True)
class Turn:
    direction: str
    body: str
    at: datetime
    channel: str = "sms"


@dataclass(frozen=True)
class Signals:
    inbound_messages: int
    median_reply_latency_s: float | None
    avg_message_chars: float
    questions_asked: int
    active_hours_utc: list[int]
    main_channel: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(turns: list[Turn]) -> Signals:
    inbound = [t for t in turns if t.direction == "inbound"]
    latencies = []
    last_outbound: datetime | None = None
    for t in turns:
        if t.direction == "outbound":
            last_outbound = t.at
        elif last_outbound is not None:
            latencies.append((t.at - last_outbound).total_seconds())
            last_outbound = None
    hours = Counter(t.at.hour for t in inbound)
    channels = Counter(t.channel for t in inbound)
    return Signals(
        inbound_messages=len(inbound),
        median_reply_latency_s=median(latencies) if latencies else None,
        avg_message_chars=(sum(len(t.body) for t in inbound) / len(inbound)) if inbound else 0.0,
        questions_asked=sum(t.body.count("?") for t in inbound),
        active_hours_utc=[h for h, _ in hours.most_common(3)],
        main_channel=channels.most_common(1)[0][0] if channels else None,
    )
