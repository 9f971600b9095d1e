"""Follow topics from a point in time: what this run produced, and nothing older."""

from __future__ import annotations

import json

from aiokafka import AIOKafkaConsumer

from workers.runtime.kafka import topic_partitions
from workers.runtime.record import Record


class TopicTail:
    """Reads every partition of some topics from the offsets they had at `start()`."""

    def __init__(self, bootstrap: str, topics: tuple[str, ...]) -> None:
        self._bootstrap = bootstrap
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                          enable_auto_commit=False)
        self._topics = topics
        self.records: dict[str, list[Record]] = {t: [] for t in topics}

    async def start(self) -> None:
        await self._consumer.start()
        parts = await topic_partitions(self._bootstrap, self._topics)
        self._consumer.assign(parts)
        ends = await self._consumer.end_offsets(parts)
        for tp in parts:
            self._consumer.seek(tp, ends[tp])

    async def poll(self) -> None:
        batch = await self._consumer.getmany(timeout_ms=100)
        for tp, recs in batch.items():
            self.records[tp.topic].extend(Record.from_consumer(r) for r in recs)

    async def stop(self) -> None:
        await self._consumer.stop()

    def count(self, topic: str) -> int:
        """Distinct events (a redelivered record re-publishes the same `event_id`)."""
        if topic == "pipeline.dlq":
            return len(self.records[topic])
        ids = set()
        for rec in self.records[topic]:
            try:
                ids.add(json.loads(rec.value).get("event_id") or rec.offset)
            except ValueError:
                ids.add(rec.offset)
        return len(ids)
