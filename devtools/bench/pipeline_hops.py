"""Where a reply's end-to-end latency goes: one figure per hop of the pipeline.

Every stage publishes a record whose broker timestamp is its send time, and each carries the
GHL message id it descends from (`message_id`, or `reply_to_message_id` on a draft). Joining
them per reply splits webhook -> delivery into the five hops: ingestion, memory, learning,
responder, outbound (a hop = the record's arrival on the stage's input topic -> the stage's own
record). That is the profile that tells which stage the latency sits in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.topics import (
    CONVERSATION_EVENTS,
    LEAD_PROFILE_UPDATED,
    MEMORY_UPDATED,
    REPLIES_OUTBOUND,
)
from workers.runtime.kafka_access import KafkaAccess

# Hop name -> the topic its stage publishes to, in pipeline order (ingestion reads ghl.events).
STAGES: tuple[tuple[str, str], ...] = (
    ("ingestion", CONVERSATION_EVENTS),
    ("memory", MEMORY_UPDATED),
    ("learning", LEAD_PROFILE_UPDATED),
    ("responder", REPLIES_OUTBOUND),
)
TRACE_TOPICS = tuple(topic for _, topic in STAGES)

Stamps = dict[str, dict[str, int]]  # topic -> message id -> first record timestamp (ms)


def message_key(topic: str, value: bytes) -> str | None:
    """The GHL message id a record descends from (None for records of other kinds)."""
    try:
        body = json.loads(value)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    key = body.get("reply_to_message_id" if topic == REPLIES_OUTBOUND else "message_id")
    return key if isinstance(key, str) else None


async def read_stamps(kafka: KafkaAccess, since: Mapping[TopicPartition, int],
                      ends: Mapping[TopicPartition, int]) -> Stamps:
    """First timestamp per message id on each trace topic, between `since` and `ends`."""
    stamps: Stamps = {t: {} for t in TRACE_TOPICS}
    wanted = {tp: end for tp, end in ends.items() if end > since.get(tp, 0)}
    if not wanted:
        return stamps
    c = AIOKafkaConsumer(**kafka.client_kwargs(), enable_auto_commit=False,
                         max_partition_fetch_bytes=8 * 1024 * 1024)
    await c.start()
    try:
        c.assign(list(wanted))
        for tp in wanted:
            c.seek(tp, since.get(tp, 0))
        left = dict(wanted)
        deadline = time.monotonic() + 60
        while left and time.monotonic() < deadline:
            for tp, recs in (await c.getmany(timeout_ms=500)).items():
                for r in recs:
                    key = message_key(tp.topic, r.value or b"")
                    if key is not None:
                        stamps[tp.topic].setdefault(key, r.timestamp)
                    if r.offset >= wanted[tp] - 1:
                        left.pop(tp, None)
    finally:
        await c.stop()
    return stamps


def hop_samples(received_ms: Mapping[str, int], delivered_ms: Mapping[str, float],
                stamps: Stamps, replies: Iterable[str]) -> dict[str, list[float]]:
    """Per hop, milliseconds for each reply (by the GHL message id it answers) whose every
    stage was seen; the hops of one reply add up to its end-to-end latency."""
    hops: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    hops["outbound"] = []
    for mid in replies:
        times = [received_ms.get(mid)] + [stamps[t].get(mid) for t in TRACE_TOPICS]
        end = delivered_ms.get(mid)
        if end is None or any(t is None for t in times):
            continue
        chain = [float(t) for t in times if t is not None] + [end]
        for (name, _), a, b in zip(STAGES, chain, chain[1:], strict=False):
            hops[name].append(b - a)
        hops["outbound"].append(chain[-1] - chain[-2])
    return hops
