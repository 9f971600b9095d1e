"""The shared limiter when Redis does not answer: each replica falls back to a conservative
share of the limit, says so once, and tries Redis again later. (With Redis: the
integration tests, tests/integration/test_ghl_shared_limit.py.)"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from tests.unit.outbound.conftest import ManualClock
from workers.ghl.limits import Limits, Report
from workers.ghl.shared_limit import RedisWindows, SharedLimiter


def fallbacks() -> float:
    return REGISTRY.get_sample_value("leadmem_ghl_rate_limit_fallback_total") or 0.0


@pytest.fixture
async def unreachable() -> AsyncIterator[aioredis.Redis]:
    """A Redis client whose server refuses connections (a port nothing listens on)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = aioredis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1.0)
    yield client
    await client.aclose()


async def test_without_redis_a_replica_keeps_to_its_share(
    unreachable: aioredis.Redis, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = SharedLimiter(RedisWindows(unreachable, Limits(8, 10.0, 1000)),
                            fallback_replicas=4, retry_after_s=5.0, redis_timeout_s=0.2,
                            clock=clock, sleep=clock.sleep)
    before = fallbacks()
    with caplog.at_level(logging.WARNING, logger="workers.ghl.shared_limit"):
        waits = [await limiter.acquire("loc-a") for _ in range(3)]
    assert waits == [0.0, 0.0, pytest.approx(10.0)]  # 8 / 4 replicas = 2 per window
    assert fallbacks() == before + 3
    assert len([r for r in caplog.records if "Redis did not answer" in r.message]) == 1

    await limiter.observe("loc-a", Report(pause_s=3.0))  # GHL's 429, heard locally
    assert await limiter.acquire("loc-a") == pytest.approx(3.0)


async def test_redis_is_tried_again_after_a_while(
    unreachable: aioredis.Redis, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = SharedLimiter(RedisWindows(unreachable, Limits(8, 10.0, 1000)),
                            retry_after_s=5.0, redis_timeout_s=0.2, clock=clock,
                            sleep=clock.sleep)
    with caplog.at_level(logging.WARNING, logger="workers.ghl.shared_limit"):
        await limiter.acquire("loc-a")
        clock.now += 1.0
        await limiter.acquire("loc-a")  # still within the 5 s: Redis not asked
        clock.now += 5.0
        await limiter.acquire("loc-a")  # asked again, still away: said again
    assert len([r for r in caplog.records if "Redis did not answer" in r.message]) == 2


def test_a_share_is_never_zero() -> None:
    client = aioredis.Redis()
    limiter = SharedLimiter(RedisWindows(client, Limits(3, 10.0, 10)), fallback_replicas=8)
    assert limiter.fallback.bucket("loc").capacity == 1
    with pytest.raises(ValueError):
        SharedLimiter(RedisWindows(client, Limits(3, 10.0, 10)), fallback_replicas=0)
