"""A consumed Kafka record as plain data, so handlers and tests need no aiokafka types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timestamp_ms: int | None = None

    @classmethod
    def from_consumer(cls, rec: Any) -> Record:
        headers: dict[str, str] = {}
        for name, raw in rec.headers or ():
            headers[name.lower()] = raw.decode("utf-8", "replace") if raw is not None else ""
        value = rec.value if isinstance(rec.value, bytes) else bytes(rec.value or b"")
        return cls(
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            value=value,
            key=rec.key,
            headers=headers,
            timestamp_ms=rec.timestamp,
        )

    @property
    def tenant_hint(self) -> str | None:
        """The tenant this record belongs to, from its key or header, without decoding it."""
        if self.key:
            return self.key.decode("utf-8", "replace")
        return self.headers.get("tenant-id")
