"""The host's poll: records handed over as they arrive, no pause after an empty poll."""

from __future__ import annotations

import asyncio
from typing import Any

from workers.runtime.host import return_on_arrival


class FakeConsumer:
    def __init__(self, answers: list[dict[str, list[str]]]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[str, list[str]]:
        self.calls.append({"timeout_ms": timeout_ms, "max_records": max_records})
        return self.answers.pop(0)


class Subscriber:
    async def get_msg(self, consumer: Any) -> tuple[Any, ...]:
        await asyncio.sleep(10)  # FastStream's pause: must not run
        return ()


async def test_an_empty_poll_returns_at_once_and_records_come_flattened() -> None:
    sub = Subscriber()
    return_on_arrival(sub, wait_ms=500, max_records=50)
    consumer = FakeConsumer([{}, {"tp0": ["a", "b"], "tp1": ["c"]}])
    assert await asyncio.wait_for(sub.get_msg(consumer), 1) == ()
    assert await asyncio.wait_for(sub.get_msg(consumer), 1) == ("a", "b", "c")
    assert consumer.calls == [{"timeout_ms": 500, "max_records": 50}] * 2
