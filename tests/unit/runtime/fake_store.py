"""What the workers' shell tests share: a base for a fake store behind `runtime.ports.Scoped`,
the processed-events ledger in memory, and a publisher that notes its publishes in the same
journal, so a test sees reads, writes, commits and publishes in one order.

A worker's fake store subclasses `FakeTransactions` and implements that worker's statements
Protocol (`workers/<worker>/ports.py`); each test module assigns it to a variable annotated
with `Scoped[ThatProtocol]`, so mypy checks the fake against the Protocol. The fakes keep
rows and canned answers; every decision stays with the code under test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Self

from tests.unit.runtime.fakes import FakePublisher
from workers.runtime.processed import Result

Entry = tuple[Any, ...]


class FakeTransactions:
    """`transaction(tenant)` hands out the store itself. `journal` gets ("begin", tenant),
    each statement's own entry (`note`), then ("commit", tenant) or ("rollback", tenant). On a
    rollback (the block raised, or the commit failed: `fail_commit`) the attributes named in
    `KEPT` are restored as they were at the begin, as Postgres's rows would be."""

    KEPT: ClassVar[tuple[str, ...]] = ()

    def __init__(self, journal: list[Entry] | None = None) -> None:
        self.journal: list[Entry] = journal if journal is not None else []
        self.fail_commit: list[BaseException] = []  # raised by the next commits

    def note(self, *entry: Any) -> None:
        self.journal.append(entry)

    def entries(self, name: str) -> list[Entry]:
        """The journal's entries of one statement (or "begin", "commit", "publish"...)."""
        return [e for e in self.journal if e[0] == name]

    def names(self) -> list[str]:
        """The journal as the statement names alone, in order."""
        return [e[0] for e in self.journal]

    @asynccontextmanager
    async def transaction(self, tenant_id: str) -> AsyncIterator[Self]:
        kept = {name: copy.deepcopy(getattr(self, name)) for name in self.KEPT}
        self.note("begin", tenant_id)
        try:
            yield self
            if self.fail_commit:
                raise self.fail_commit.pop(0)
        except BaseException:
            for name, value in kept.items():
                setattr(self, name, value)
            self.note("rollback", tenant_id)
            raise
        self.note("commit", tenant_id)


class FakeLedger(FakeTransactions):
    """`runtime.processed.Ledger` over a dict: (tenant, consumer, event_id) -> result."""

    KEPT: ClassVar[tuple[str, ...]] = ("ledger",)

    def __init__(self, journal: list[Entry] | None = None) -> None:
        super().__init__(journal)
        self.ledger: dict[tuple[str, str, str], Result] = {}

    async def processed(self, tenant: str, consumer: str,
                        event_ids: Sequence[str]) -> dict[str, Result]:
        self.note("processed", tenant, consumer, tuple(event_ids))
        return {i: self.ledger[(tenant, consumer, i)] for i in event_ids
                if (tenant, consumer, i) in self.ledger}

    async def record_processed(self, tenant: str, consumer: str,
                               done: Sequence[tuple[str, Result]]) -> None:
        self.note("record_processed", tenant, consumer, tuple(i for i, _ in done))
        for event_id, result in done:
            assert (tenant, consumer, event_id) not in self.ledger, "recorded twice"
            self.ledger[(tenant, consumer, event_id)] = result


class JournalPublisher(FakePublisher):
    """`FakePublisher` (what the broker got: events and dead letters alike, in order) that
    also notes ("publish", topic) in `journal`."""

    def __init__(self, journal: list[Entry]) -> None:
        super().__init__()
        self.journal = journal

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None:
        await super().publish_raw(topic, value, key=key, headers=headers)
        self.journal.append(("publish", topic))

    def events(self, topic: str | None = None) -> list[dict[str, Any]]:
        """The published events (of `topic`), decoded."""
        return [json.loads(p.value) for p in self.published if topic in (None, p.topic)]

    def on(self, topic: str) -> list[bytes]:
        """The raw values published on `topic`."""
        return [p.value for p in self.published if p.topic == topic]
