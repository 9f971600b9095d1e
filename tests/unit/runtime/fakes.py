"""Fakes for the runtime unit tests: a publisher that records what the boundary sends, a sleep
that records the delays asked for, scripted handlers, records built directly."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from prometheus_client import REGISTRY

from workers.runtime.publisher import EventPublisher
from workers.runtime.record import Record


@dataclass(frozen=True)
class Published:
    topic: str
    value: bytes
    key: bytes | None
    headers: dict[str, str]

    def as_record(self, offset: int = 0) -> Record:
        """The record a consumer of `topic` would read back."""
        return Record(self.topic, 0, offset, self.value, key=self.key, headers=self.headers)


class FakePublisher(EventPublisher):
    """The two methods the boundary calls, recorded in order; either can be made to fail.

    A subclass, so mypy checks these overrides against `EventPublisher`'s signatures."""

    def __init__(self, *, fail_publish: Exception | None = None,
                 fail_flush: Exception | None = None) -> None:
        self.published: list[Published] = []
        self.calls: list[str] = []
        self.fail_publish = fail_publish
        self.fail_flush = fail_flush

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None:
        self.calls.append("publish_raw")
        if self.fail_publish is not None:
            raise self.fail_publish
        self.published.append(Published(topic, value, key, dict(headers)))

    async def flush(self) -> None:
        self.calls.append("flush")
        if self.fail_flush is not None:
            raise self.fail_flush


class RecordingSleep:
    """Stands in for `asyncio.sleep`: keeps the delays asked for, yields once, waits not."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


class Scripted:
    """A per-record handler that raises the scripted outcomes in turn, then succeeds."""

    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[Record] = []

    async def __call__(self, record: Record) -> None:
        self.calls.append(record)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome


def rec(tenant: str | None, value: bytes, offset: int, *, topic: str = "conversation.events",
        partition: int = 0, headers: dict[str, str] | None = None) -> Record:
    """A record keyed by `tenant` (unkeyed when None)."""
    return Record(topic, partition, offset, value,
                  key=tenant.encode() if tenant is not None else None,
                  headers=dict(headers or {}))


def worker_name() -> str:
    """A worker label of its own, so metric assertions see only this test's samples."""
    return f"w-{uuid.uuid4().hex[:8]}"


def sample(name: str, **labels: str) -> float:
    """A metric sample's current value (0 when never recorded)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0

