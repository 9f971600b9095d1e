"""Token providers: static tokens from settings, and OAuth refresh against the fake GHL API,
with the rotated refresh tokens kept in a (fake) store: rotation, restarts, two replicas at
once, database blips, and what an operator is told when a location's grant is gone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client import REGISTRY

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import TOKEN_TTL_SECONDS, FakeGHLAPI
from tests.unit.outbound.conftest import ManualClock
from tests.unit.outbound.fake_token_store import FakeTokenStore
from workers.ghl.client import GHLClient, message_payload
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.token_store import StoredTokens
from workers.ghl.tokens import (
    NEWER_TOKEN_WAITS,
    LocationLocks,
    OAuthTokenProvider,
    StaticTokenProvider,
    TokenUnavailableError,
)
from workers.runtime.bounded import TENANT_STATE_MAX
from workers.secrets import SecretDecryptionError

LOC = "loc-a"
OAUTH = "/oauth/token"


async def test_static_tokens_each_for_its_own_location_only() -> None:
    tokens = StaticTokenProvider({"loc-a": "tok-a"})
    assert await tokens.get("loc-a") == "tok-a"
    with pytest.raises(TokenUnavailableError, match="loc-b"):  # never another's token
        await tokens.get("loc-b")
    with pytest.raises(TokenUnavailableError, match="cannot be refreshed"):
        await tokens.refresh("loc-a")


async def test_static_without_a_token_for_the_location() -> None:
    with pytest.raises(TokenUnavailableError, match="loc-z"):
        await StaticTokenProvider({"loc-a": "tok-a"}).get("loc-z")


@pytest.fixture
async def server() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={"cid": "secret"}) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def store(server: FakeGHLAPI) -> FakeTokenStore:
    """Location loc-a with refresh token rt-1 stored (and known to GHL)."""
    server.add_refresh_token("rt-1", LOC)
    fake = FakeTokenStore()
    fake.put(LOC, "rt-1")
    return fake


def provider(server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock,
             store: FakeTokenStore, *, seeds: dict[str, str] | None = None,
             secret: str = "secret", access: dict[str, str] | None = None,
             real_sleep: bool = False) -> OAuthTokenProvider:
    async def short_sleep(seconds: float) -> None:
        await asyncio.sleep(seconds / 20)

    return OAuthTokenProvider(http, base_url=server.base_url, client_id="cid",
                              client_secret=secret, store=store, seed_refresh_tokens=seeds,
                              access_tokens=access, clock=clock,
                              sleep=short_sleep if real_sleep else clock.sleep)


def refresh_forms(server: FakeGHLAPI) -> list[tuple[int | None, str]]:
    return [(r.status, r.body["refresh_token"]) for r in server.requests if r.path == OAUTH]


def outcome(name: str) -> float:
    return REGISTRY.get_sample_value(
        "leadmem_outbound_token_refreshes_total", {"outcome": name}) or 0.0


async def test_refresh_rotates_the_single_use_token_and_stores_it(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    tokens = provider(server, http, clock, store, access={LOC: "old"})
    assert await tokens.get(LOC) == "old"
    first = await tokens.refresh(LOC)
    row = store.rows[LOC]
    assert server.valid_tokens[first] == LOC
    assert row.version == 2 and row.access_token == first
    assert row.refresh_token != "rt-1" and server.refresh_tokens[row.refresh_token] == LOC
    assert row.access_expires_at == datetime.fromtimestamp(clock.now + TOKEN_TTL_SECONDS, UTC)
    second = await tokens.refresh(LOC)  # works only with the rotated refresh token
    assert second != first and await tokens.get(LOC) == second
    assert store.rows[LOC].version == 3
    assert refresh_forms(server) == [(200, "rt-1"), (200, row.refresh_token)]
    form = server.requests[0].body
    assert form["grant_type"] == "refresh_token" and form["client_id"] == "cid"


async def test_the_rotated_token_is_stored_before_the_new_access_token_is_used(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    server.add_token("old", LOC)
    server.expire_token("old")
    requests_at_write: list[int] = []
    store.before_rotate = lambda _loc: requests_at_write.append(len(server.requests))
    tokens = provider(server, http, clock, store, access={LOC: "old"})
    sender = Sender(GHLClient(http, server.base_url), tokens,
                    LocationLimiter(100, 10.0, clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    await sender.send(LOC, message_payload("sms", "c1", "Hi"))
    assert [(r.path, r.status) for r in server.requests] == [
        ("/conversations/messages", 401), (OAUTH, 200), ("/conversations/messages", 201)]
    assert requests_at_write == [2]  # written after GHL's answer, before the send
    assert server.requests[2].headers["authorization"] == f"Bearer {store.rows[LOC].access_token}"


async def test_a_new_provider_uses_the_stored_tokens_not_the_settings(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A restart: the settings still name the first refresh token, long spent."""
    server.add_refresh_token("rt-1", LOC)
    store = FakeTokenStore()
    first = provider(server, http, clock, store, seeds={LOC: "rt-1"})
    token = await first.get(LOC)  # nothing stored: seeded from the settings, then refreshed
    assert [w[1] for w in store.writes] == ["settings", "refresh"]
    rotated = store.rows[LOC].refresh_token

    restarted = provider(server, http, clock, store, seeds={LOC: "rt-1"})
    assert await restarted.get(LOC) == token  # the stored access token, no refresh
    assert len(refresh_forms(server)) == 1
    clock.now += TOKEN_TTL_SECONDS
    renewed = await restarted.get(LOC)
    assert refresh_forms(server) == [(200, "rt-1"), (200, rotated)]
    assert renewed != token and server.valid_tokens[renewed] == LOC


async def test_two_replicas_refreshing_at_once_keep_the_newer_token(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    a = provider(server, http, clock, store, real_sleep=True)
    b = provider(server, http, clock, store, real_sleep=True)
    token_a, token_b = await asyncio.gather(a.refresh(LOC), b.refresh(LOC))
    # Both spent rt-1; GHL took one, refused the other, which then used the stored token.
    assert refresh_forms(server) == [(200, "rt-1"), (400, "rt-1")]
    assert token_a == token_b and server.valid_tokens[token_a] == LOC
    row = store.rows[LOC]
    assert row.version == 2 and row.access_token == token_a
    assert server.refresh_tokens[row.refresh_token] == LOC  # the chain goes on
    clock.now += TOKEN_TTL_SECONDS
    assert server.valid_tokens[await b.get(LOC)] == LOC


@pytest.mark.parametrize("other_access", [None, "acc-other"])
async def test_a_write_that_finds_the_version_moved_on_overwrites_nothing(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore,
    other_access: str | None,
) -> None:
    """Another writer replaced the tokens between this refresh's read and its write (an
    operator's new token, or a replica's refresh): the stored ones are kept."""
    expires = datetime.fromtimestamp(clock.now + 3600, UTC) if other_access else None

    def another_writer(location: str) -> None:
        store.put(location, "rt-newer", other_access, expires)

    store.before_rotate = another_writer
    conflicts = outcome("conflict")
    token = await provider(server, http, clock, store).refresh(LOC)
    row = store.rows[LOC]
    assert (row.refresh_token, row.version, row.access_token) == ("rt-newer", 2, other_access)
    assert outcome("conflict") == conflicts + 1
    if other_access:
        assert token == other_access
    else:  # nothing fresh stored: this process uses the access token it bought
        assert server.valid_tokens[token] == LOC


async def test_a_database_blip_during_the_write_is_retried(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    store.fail_rotates = 2
    token = await provider(server, http, clock, store).refresh(LOC)
    assert clock.sleeps == [0.05, 0.25]
    assert store.rows[LOC].version == 2 and store.rows[LOC].access_token == token


async def test_a_token_the_store_cannot_take_is_kept_and_stored_when_it_can(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    store.fail_rotates = 4  # every attempt of the write fails
    unsaved = outcome("unsaved")
    tokens = provider(server, http, clock, store)
    token = await tokens.refresh(LOC)
    assert server.valid_tokens[token] == LOC and outcome("unsaved") == unsaved + 1
    assert store.rows[LOC] == StoredTokens("rt-1", 1)  # rt-1 is spent: only memory has the next

    # Postgres is back at the next use: the kept token is stored first, then used.
    await tokens.refresh(LOC)
    row = store.rows[LOC]
    assert row.version == 3 and server.refresh_tokens[row.refresh_token] == LOC
    assert [w[1] for w in store.writes] == ["operator", "refresh", "refresh"]
    assert refresh_forms(server)[1][0] == 200 and refresh_forms(server)[1][1] != "rt-1"


async def test_while_the_store_stays_away_the_kept_token_is_the_one_spent(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    store.fail_rotates = 4
    tokens = provider(server, http, clock, store)
    await tokens.get(LOC)
    store.fail_rotates = 1  # still away when the next use tries to store the kept token
    clock.now += TOKEN_TTL_SECONDS
    assert server.valid_tokens[await tokens.get(LOC)] == LOC
    forms = refresh_forms(server)
    assert [status for status, _ in forms] == [200, 200] and forms[1][1] != "rt-1"
    row = store.rows[LOC]
    assert row.version == 2 and server.refresh_tokens[row.refresh_token] == LOC


async def test_shutdown_stores_a_token_the_store_could_not_take(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    store.fail_rotates = 4
    tokens = provider(server, http, clock, store)
    token = await tokens.refresh(LOC)
    await tokens.close()
    assert store.rows[LOC].version == 2 and store.rows[LOC].access_token == token


async def test_a_refresh_cancelled_by_a_shutdown_still_stores_the_token(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    server.inject(Fault(delay=0.3, path=OAUTH))
    task = asyncio.create_task(provider(server, http, clock, store).refresh(LOC))
    await asyncio.sleep(0.1)  # the refresh is in flight at GHL
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if store.rows[LOC].version == 2:
            break
        await asyncio.sleep(0.02)
    assert store.rows[LOC].version == 2
    assert server.refresh_tokens[store.rows[LOC].refresh_token] == LOC


async def test_a_spent_token_is_reported_with_the_remedy(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    store.put(LOC, "rt-spent")
    with pytest.raises(TokenUnavailableError,
                       match=r"Invalid refresh token.*--ghl-refresh-token-stdin"):
        await provider(server, http, clock, store).refresh(LOC)
    assert clock.sleeps == list(NEWER_TOKEN_WAITS)  # waited for another replica's write


async def test_a_refused_client_waits_for_nothing(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    with pytest.raises(TokenUnavailableError, match="Invalid client"):
        await provider(server, http, clock, store, secret="wrong").refresh(LOC)
    assert clock.sleeps == [] and store.rows[LOC].refresh_token == "rt-1"


async def test_no_token_stored_or_configured(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    with pytest.raises(TokenUnavailableError, match=r"no GHL refresh token stored.*loc-a"):
        await provider(server, http, clock, FakeTokenStore()).get(LOC)


async def test_tokens_that_do_not_decrypt_are_reported(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def undecryptable(location: str) -> StoredTokens:
        raise SecretDecryptionError("stored secret does not decrypt with LEADMEM_MASTER_KEY")

    monkeypatch.setattr(store, "load", undecryptable)
    with pytest.raises(TokenUnavailableError, match="do not decrypt"):
        await provider(server, http, clock, store).get(LOC)


async def test_expired_access_token_is_refreshed_before_use(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    tokens = provider(server, http, clock, store)
    first = await tokens.get(LOC)  # no access token yet: refreshed on first use
    assert await tokens.get(LOC) == first
    clock.now += TOKEN_TTL_SECONDS
    assert await tokens.get(LOC) != first
    assert len(server.requests) == 2


async def test_sends_waiting_on_one_refresh_share_it(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore
) -> None:
    tokens = provider(server, http, clock, store, access={LOC: "old"})
    got = await asyncio.gather(*(tokens.refresh(LOC) for _ in range(5)))
    assert len(set(got)) == 1 and len(refresh_forms(server)) == 1


# --- bounded per-location state ----------------------------------------------------------------

async def test_a_location_lock_lives_only_while_held_or_awaited() -> None:
    locks = LocationLocks()
    order: list[str] = []
    entered = asyncio.Event()

    async def first() -> None:
        async with locks.hold(LOC):
            entered.set()
            await asyncio.sleep(0.01)
            order.append("first out")

    async def second() -> None:
        await entered.wait()
        async with locks.hold(LOC):
            order.append("second in")

    task = asyncio.ensure_future(first())
    waiter = asyncio.ensure_future(second())
    await entered.wait()
    await asyncio.sleep(0)
    assert len(locks) == 1  # held and awaited: one lock, shared
    await asyncio.gather(task, waiter)
    assert order == ["first out", "second in"]  # the waiter got the same lock, not a new one
    assert len(locks) == 0


async def test_a_failing_holder_leaves_no_lock_behind() -> None:
    locks = LocationLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold(LOC):
            raise RuntimeError("refresh failed")
    assert len(locks) == 0


async def test_thousands_of_locations_keep_the_provider_bounded(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock,
) -> None:
    """Each location's fresh access token is in the store; the provider caches a bounded
    number, keeps no idle lock, and reads an evicted one back from the store without a
    refresh (no call to GHL)."""
    store = FakeTokenStore()
    fresh = datetime.fromtimestamp(clock.now + 3600, UTC)
    count = TENANT_STATE_MAX + 500
    for i in range(count):
        store.put(f"loc-{i}", f"rt-{i}", f"acc-{i}", fresh)
    tokens = provider(server, http, clock, store)
    for i in range(count):
        assert await tokens.get(f"loc-{i}") == f"acc-{i}"
    assert len(tokens._access) == TENANT_STATE_MAX
    assert len(tokens._locks) == 0
    assert await tokens.get("loc-0") == "acc-0"  # evicted first, read back from the store
    assert not [r for r in server.requests if r.path == OAUTH]


async def test_a_configured_access_token_refused_by_ghl_is_not_used_again(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, store: FakeTokenStore,
) -> None:
    tokens = provider(server, http, clock, store, access={LOC: "acc-configured"})
    assert await tokens.get(LOC) == "acc-configured"
    renewed = await tokens.refresh(LOC)
    assert renewed != "acc-configured"
    entry = tokens._access[LOC]
    for i in range(TENANT_STATE_MAX):  # push the renewed token out of the cache
        tokens._access[f"other-{i}"] = entry
    assert LOC not in tokens._access
    assert await tokens.get(LOC) == renewed  # read back from the store, not the setting


async def test_a_refresh_that_answers_another_locations_token_is_refused(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    """The stored refresh token turns out to be loc-b's: GHL's answer is a token of loc-b,
    which is never used for loc-a nor stored as loc-a's."""
    server.add_refresh_token("rt-of-b", "loc-b")
    store = FakeTokenStore()
    store.put(LOC, "rt-of-b")
    with pytest.raises(TokenUnavailableError,
                       match=r"token of location loc-b for location loc-a: refused"):
        await provider(server, http, clock, store).get(LOC)
    assert store.rows[LOC] == StoredTokens("rt-of-b", 1)  # nothing of loc-b's stored
    assert clock.sleeps == []  # nothing to wait for: no other replica's doing
    assert [r.status for r in server.requests] == [200]  # GHL answered; nothing was sent
