"""Background loops: started and stopped by the host, a crash logged rather than silent."""

from __future__ import annotations

import asyncio
import logging

import pytest

from workers.runtime.background import Loop


async def test_a_loop_runs_until_stopped_and_stop_waits_for_it() -> None:
    ticks: list[int] = []
    stopped = asyncio.Event()

    async def run() -> None:
        try:
            while True:
                ticks.append(len(ticks))
                await asyncio.sleep(0)
        finally:
            stopped.set()

    loop = Loop("ticker", run)
    loop.start()
    await asyncio.sleep(0.01)
    await loop.stop()
    assert stopped.is_set() and len(ticks) > 1
    count = len(ticks)
    await asyncio.sleep(0.01)
    assert len(ticks) == count  # nothing runs after stop


async def test_stopping_a_loop_never_started_is_harmless() -> None:
    async def run() -> None:
        raise AssertionError("never run")

    await Loop("idle", run).stop()


async def test_a_crash_is_logged_with_the_loop_name(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> None:
        raise RuntimeError("scan failed for good")

    loop = Loop("outbound-held", run)
    with caplog.at_level(logging.ERROR, logger="workers.runtime.background"):
        loop.start()
        await asyncio.sleep(0.01)
    assert any(r.getMessage() == "outbound-held stopped" and r.exc_info
               for r in caplog.records)
    await loop.stop()
