"""Consumer lag of every worker's group, probed periodically into a gauge.

Lag per partition is the high watermark minus the group's committed offset
(`workers.runtime.kafka.consumer_lag`). A probe that fails (broker away or slow) is counted
and logged; the loop goes on, and the gauge keeps its last value until the next success.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from workers.metrics.families import CONSUMER_LAG, LAG_PROBE_FAILURES
from workers.registry import available, load_spec
from workers.runtime.kafka import consumer_lag
from workers.runtime.kafka_access import Kafka, KafkaAccessRefused
from workers.settings import Settings

log = logging.getLogger(__name__)


def worker_groups(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Each available worker's consumer group and the topics it consumes."""
    return {settings.group_id(name): load_spec(name).topics for name in available()}


async def probe_lag(kafka: Kafka, groups: dict[str, tuple[str, ...]], timeout_s: float) -> None:
    for group, topics in groups.items():
        try:
            lag = await asyncio.wait_for(consumer_lag(kafka, group, topics), timeout_s)
        except (KafkaError, KafkaAccessRefused, OSError, TimeoutError) as exc:
            LAG_PROBE_FAILURES.labels(group).inc()
            log.warning("consumer lag of %s: probe failed: %r", group, exc)
            continue
        for key, value in lag.items():
            topic, _, partition = key.rpartition(":")
            CONSUMER_LAG.labels(group, topic, partition).set(value)


