"""The idempotency ledger's loop (`runtime.processed.once`) and the tenant check of a group
(`runtime.groups.of_tenant`), shared by every consumer, tested with a fake connection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.envelope import Envelope
from workers.errors import InvalidEventError
from workers.runtime.groups import of_tenant
from workers.runtime.processed import PostgresLedger, once

AT = datetime(2026, 12, 7, tzinfo=UTC)


def ev(event_id: str, tenant: str = "t1") -> Envelope:
    return Envelope(event_id=event_id, tenant_id=tenant, occurred_at=AT, received_at=AT)


class FakeConn:
    """`processed_events` as two statements see it: the read and the pipelined insert."""

    def __init__(self, stored: dict[str, dict[str, Any] | None]) -> None:
        self.stored = dict(stored)
        self.round_trips = 0

    async def fetch(self, _sql: str, tenant: str, consumer: str,
                    ids: list[str]) -> list[dict[str, Any]]:
        self.round_trips += 1
        return [{"event_id": i, "result": self.stored[i]} for i in ids if i in self.stored]

    async def executemany(self, _sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.round_trips += 1
        for _, _, event_id, result in rows:
            assert event_id not in self.stored, "recorded twice"
            self.stored[event_id] = result


async def test_applies_each_new_event_once_and_keeps_stored_results() -> None:
    conn = FakeConn({"e1": {"old": True}, "e3": None})
    applied: list[str] = []

    async def apply(e: Envelope) -> dict[str, Any] | None:
        applied.append(e.event_id)
        return {"new": e.event_id}

    events = [ev("e1"), ev("e2"), ev("e3"), ev("e2"), ev("e4")]
    got = await once(PostgresLedger(conn), "t1", "memory", events, apply)
    assert applied == ["e2", "e4"]  # e2 once, though it came twice
    assert got.results == [{"old": True}, {"new": "e2"}, None, {"new": "e2"}, {"new": "e4"}]
    assert [e.event_id for e in got.redelivered] == ["e1", "e3", "e2"]
    assert conn.stored["e4"] == {"new": "e4"} and conn.round_trips == 2


async def test_nothing_new_records_nothing() -> None:
    conn = FakeConn({"e1": None})

    async def apply(e: Envelope) -> dict[str, Any] | None:
        raise AssertionError("applied again")

    got = await once(PostgresLedger(conn), "t1", "learning", [ev("e1")], apply)
    assert got.results == [None] and conn.round_trips == 1


def test_a_group_holds_only_its_tenant_s_events() -> None:
    mine = [ev("e1"), ev("e2")]
    assert of_tenant("t1", mine) == mine
    with pytest.raises(InvalidEventError, match="key is not its event's tenant"):
        of_tenant("t1", [ev("e1"), ev("e2", tenant="t2")])
