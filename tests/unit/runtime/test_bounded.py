"""Bounded per-process state: the LRU set and map, and the workers' per-tenant structures
built on them, stay the same size (and memory) however many tenants pass through."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any, cast

import pytest

import workers.claude.client as claude_client
import workers.ingestion.worker as ingestion_worker
from workers.claude import BreakerRegistry, ClaudeClient, ClaudeConfig
from workers.ghl.ratelimit import LocationLimiter
from workers.ingestion.signatures import SignatureVerifier
from workers.ingestion.worker import IngestionHandler
from workers.runtime.bounded import TENANT_STATE_MAX, BoundedSet, LRUMap
from workers.settings import Settings

TENANTS = 100_000


def test_map_drops_the_least_recently_used() -> None:
    dropped: list[tuple[str, int]] = []
    m: LRUMap[str, int] = LRUMap(3, on_evict=lambda k, v: dropped.append((k, v)))
    for i, k in enumerate("abc"):
        m[k] = i
    assert m.get("a") == 0  # a is now the most recent; b the least
    m["d"] = 3
    assert dropped == [("b", 1)] and list(m) == ["c", "a", "d"] and len(m) == 3
    assert "b" not in m and m.get("b") is None and m.get("b", -1) == -1
    m["c"] = 30  # setting refreshes too
    m["e"] = 4
    assert dropped[-1] == ("a", 0) and m["c"] == 30
    assert m.pop("c") == 30 and "c" not in m
    assert m.items() == [("d", 3), ("e", 4)]
    m.clear()
    assert len(m) == 0 and len(dropped) == 2  # clearing is not evicting


def test_membership_does_not_refresh_a_map_but_does_a_set() -> None:
    m: LRUMap[str, int] = LRUMap(2)
    m["a"], m["b"] = 1, 2
    assert "a" in m
    m["c"] = 3
    assert "a" not in m  # `in` left it the least recent
    s: BoundedSet[str] = BoundedSet(2)
    s.add("a")
    s.add("b")
    assert "a" in s  # a hit refreshes: a known tenant stays known while it is busy
    s.add("c")
    assert "a" in s and "b" not in s and len(s) == 2
    s.discard("a")
    s.discard("never")
    assert list(s) == ["c"]


@pytest.mark.parametrize("maxsize", [0, -1])
def test_a_bound_must_hold_something(maxsize: int) -> None:
    with pytest.raises(ValueError, match="maxsize"):
        LRUMap(maxsize)
    with pytest.raises(ValueError, match="maxsize"):
        BoundedSet(maxsize)


def _traced(feed: Callable[[int], object], start: int, stop: int) -> int:
    """Feed tenants `start..stop`; returns the traced memory afterwards."""
    for i in range(start, stop):
        feed(i)
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def flat(feed: Callable[[int], object], size: Callable[[], int], bound: int,
         tenants: int = TENANTS) -> tuple[int, int, int]:
    """Feed `tenants` tenants: the structure fills up with the first `bound` and then stays
    at that size; its memory settles within the next `bound` (the hash table's last resize)
    and does not move again over the remaining ~80,000. Returns the bytes held when full,
    the bytes held at the end (both over the start), and the growth over the last 80,000."""
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        full = _traced(feed, 0, bound)
        assert size() == bound
        settled = _traced(feed, bound, 2 * bound)
        end = _traced(feed, 2 * bound, tenants)
    finally:
        tracemalloc.stop()
    assert size() == bound
    held, total, grown = full - before, end - before, end - settled
    # Generous bounds, not exact figures: an unbounded set held ~10x `held` here.
    assert total < 2 * held + 64 * 1024, (held, total)
    assert grown < 64 * 1024, (held, grown)
    return held, total, grown


def test_100k_tenants_through_a_bounded_set_keep_memory_flat() -> None:
    known: BoundedSet[str] = BoundedSet(TENANT_STATE_MAX)
    held, _, _ = flat(lambda i: known.add(f"loc{i:012d}"), lambda: len(known),
                      TENANT_STATE_MAX)
    assert held > 0


def test_100k_locations_through_ingestions_status_cache_and_log_marks_keep_memory_flat(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingestion remembers admitted tenants and when it last logged a kept-out location;
    neither grows with the locations seen (a flood of unknown locations included)."""
    monkeypatch.setattr(ingestion_worker.log, "disabled", True)  # one line per new location
    handler = IngestionHandler(cast(Any, None), cast(Any, None), Settings(),
                               SignatureVerifier(), clock=lambda: 0.0)
    flat(lambda i: handler._note_status(f"loc{i:012d}", "live"),
         lambda: len(handler._admitted), TENANT_STATE_MAX)
    flat(lambda i: handler._keep_out(f"loc{i:012d}", None, []),
         lambda: len(handler._logged), TENANT_STATE_MAX)


def test_100k_locations_through_the_rate_limiter_keep_memory_flat() -> None:
    limiter = LocationLimiter(100, 10.0, clock=lambda: 0.0)

    def send(i: int) -> None:
        assert limiter.bucket(f"loc{i:012d}").reserve() == 0.0  # a token spent: a busy bucket

    flat(send, lambda: len(limiter._buckets), TENANT_STATE_MAX)
    # The most recent locations keep their buckets (and the tokens they spent).
    assert limiter.bucket(f"loc{TENANTS - 1:012d}").available() == 99


def test_100k_tenants_through_the_breaker_registry_keep_memory_flat() -> None:
    reg = BreakerRegistry(failure_threshold=1)
    flat(lambda i: reg.for_tenant(f"loc{i:012d}").record_failure(),
         lambda: len(reg._breakers), TENANT_STATE_MAX)
    assert reg.for_tenant(f"loc{TENANTS - 1:012d}").state == "open"


class _FakeAnthropic:
    """Stands in for `anthropic.AsyncAnthropic` (a real one costs ~35 ms and ~1 MB)."""

    def __init__(self, **kwargs: Any) -> None:
        self.api_key = kwargs["api_key"]
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def _config(key: str) -> ClaudeConfig:
    return ClaudeConfig(model="claude-sonnet-4-6", max_tokens=100, api_key=key,
                        base_url="http://127.0.0.1:9", timeout_s=5.0, max_attempts=1,
                        backoff_s=0.0, backoff_max_s=0.0, deadline_s=5.0)


async def test_100k_tenants_with_their_own_keys_keep_the_claude_clients_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(claude_client.anthropic, "AsyncAnthropic", _FakeAnthropic)
    client = ClaudeClient()
    configs = [_config(f"sk-tenant-{i}") for i in range(TENANTS)]  # built before measuring
    flat(lambda i: client._client(configs[i]), lambda: len(client._clients),
         claude_client.MAX_CLIENTS)
    kept = client._clients.values()
    await client.aclose()
    assert len(client._clients) == 0 and all(cast(Any, c).closed for c in kept)


async def test_tenants_on_one_key_share_one_claude_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(claude_client.anthropic, "AsyncAnthropic", _FakeAnthropic)
    client = ClaudeClient()
    shared = _config("sk-deployment")
    assert len({id(client._client(shared)) for _ in range(TENANTS // 10)}) == 1
    own = client._client(_config("sk-own"))
    assert own is not client._client(shared) and len(client._clients) == 2
    await client.aclose()
