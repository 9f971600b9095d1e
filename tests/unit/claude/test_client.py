"""`ClaudeClient` through the real anthropic SDK against the fake Messages API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.messages_api import FakeMessagesAPI
from workers.claude import BreakerRegistry, ClaudeClient, ClaudeConfig, ClaudeUnavailableError
from workers.claude.client import text_of

SYSTEM = [{"type": "text", "text": "framework " * 600, "cache_control": {"type": "ephemeral"}}]
USER = [{"role": "user", "content": "Hi, 3 beds in Round Rock please"}]


@pytest.fixture
async def fake() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def client(sleeps: list[float]) -> AsyncIterator[ClaudeClient]:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    c = ClaudeClient(BreakerRegistry(failure_threshold=2), sleep=sleep)
    yield c
    await c.aclose()


def config(fake: FakeMessagesAPI, **kw: Any) -> ClaudeConfig:
    base = ClaudeConfig(model="claude-sonnet-4-6", max_tokens=100, api_key="sk-test",
                        base_url=fake.base_url, timeout_s=5.0, max_attempts=3, backoff_s=0.05,
                        backoff_max_s=2.0, deadline_s=10.0)
    return replace(base, **kw)


async def call(client: ClaudeClient, cfg: ClaudeConfig, tenant: str = "t1") -> Any:
    return await client.create(tenant, cfg, system=SYSTEM, messages=USER)


async def test_success_reports_usage_cost_and_uses_the_key(
    client: ClaudeClient, fake: FakeMessagesAPI
) -> None:
    result = await call(client, config(fake))
    assert "Round Rock" in text_of(result.message)
    assert result.attempts == 1 and len(fake.requests) == 1
    assert result.usage.cache_write_tokens > 1000 and result.usage.output_tokens > 0
    assert result.cost_usd > 0 and result.latency_ms is not None
    assert fake.requests[0].headers["authorization"] == "Bearer sk-test"
    again = await call(client, config(fake))
    assert again.usage.cache_read_tokens == result.usage.cache_write_tokens
    assert again.cost_usd < result.cost_usd


async def test_529_then_429_are_retried_by_us_alone(
    client: ClaudeClient, fake: FakeMessagesAPI, sleeps: list[float]
) -> None:
    fake.inject(Fault(status=529), Fault(status=429, retry_after=0.3))
    result = await call(client, config(fake))
    assert result.attempts == 3
    assert len(fake.requests) == 3  # the SDK did not retry on its own (max_retries=0)
    assert sleeps == [0.05, 0.3]  # backoff, then the server's retry-after


async def test_persistent_5xx_exhausts_attempts(
    client: ClaudeClient, fake: FakeMessagesAPI
) -> None:
    fake.inject(Fault(status=500, times=5))
    with pytest.raises(ClaudeUnavailableError) as err:
        await call(client, config(fake))
    assert err.value.reason == "retries_exhausted" and len(fake.requests) == 3


@pytest.mark.parametrize(("fault", "reason"), [
    (Fault(malformed=True), "malformed"),
    (Fault(status=400), "rejected"),
    (Fault(status=401), "rejected"),
])
async def test_no_retry_for_malformed_or_rejected(
    client: ClaudeClient, fake: FakeMessagesAPI, fault: Fault, reason: str
) -> None:
    fake.inject(fault)
    with pytest.raises(ClaudeUnavailableError) as err:
        await call(client, config(fake))
    assert err.value.reason == reason and len(fake.requests) == 1


async def test_a_long_retry_after_gives_up_at_once(
    client: ClaudeClient, fake: FakeMessagesAPI, sleeps: list[float]
) -> None:
    fake.inject(Fault(status=429, retry_after=60))
    with pytest.raises(ClaudeUnavailableError, match="retries_exhausted"):
        await call(client, config(fake))
    assert len(fake.requests) == 1 and sleeps == []


async def test_slow_api_is_bounded_by_timeout_and_deadline(
    client: ClaudeClient, fake: FakeMessagesAPI
) -> None:
    fake.inject(Fault(delay=3.0, times=5))
    started = time.monotonic()
    with pytest.raises(ClaudeUnavailableError) as err:
        await call(client, config(fake, timeout_s=0.3, deadline_s=0.8))
    assert err.value.reason in ("deadline", "retries_exhausted")
    assert time.monotonic() - started < 2.0


async def test_not_configured_sends_nothing(client: ClaudeClient, fake: FakeMessagesAPI) -> None:
    with pytest.raises(ClaudeUnavailableError, match="not_configured"):
        await call(client, config(fake, api_key=None))
    with pytest.raises(ClaudeUnavailableError, match="key_error"):
        await call(client, config(fake, api_key=None, key_error="does not decrypt"))
    assert fake.requests == []


async def test_breaker_opens_per_tenant(client: ClaudeClient, fake: FakeMessagesAPI) -> None:
    fake.inject(Fault(status=500, times=6))
    for _ in range(2):
        with pytest.raises(ClaudeUnavailableError, match="retries_exhausted"):
            await call(client, config(fake), tenant="bad")
    sent = len(fake.requests)
    with pytest.raises(ClaudeUnavailableError, match="breaker_open"):
        await call(client, config(fake), tenant="bad")
    assert len(fake.requests) == sent
    assert (await call(client, config(fake), tenant="good")).attempts == 1


async def test_client_rebuilt_when_the_key_changes(
    client: ClaudeClient, fake: FakeMessagesAPI
) -> None:
    await call(client, config(fake))
    await call(client, config(fake, api_key="sk-rotated"))
    assert [r.headers["authorization"] for r in fake.requests] == [
        "Bearer sk-test", "Bearer sk-rotated"]
