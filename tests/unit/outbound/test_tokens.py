"""Token providers: static tokens from settings, and OAuth refresh against the fake GHL API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devtools.fakes.ghl_api import TOKEN_TTL_SECONDS, FakeGHLAPI
from tests.unit.outbound.conftest import ManualClock
from workers.outbound.tokens import OAuthTokenProvider, StaticTokenProvider, TokenUnavailableError


async def test_static_tokens_per_location_then_default() -> None:
    tokens = StaticTokenProvider({"loc-a": "tok-a"}, default="tok-any")
    assert await tokens.get("loc-a") == "tok-a"
    assert await tokens.get("loc-b") == "tok-any"
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


def provider(server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock,
             refresh: dict[str, str], secret: str = "secret") -> OAuthTokenProvider:
    return OAuthTokenProvider(http, base_url=server.base_url, client_id="cid",
                              client_secret=secret, refresh_tokens=refresh,
                              access_tokens={"loc-a": "old"}, clock=clock)


async def test_refresh_rotates_the_single_use_refresh_token(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.add_refresh_token("rt-1", "loc-a")
    refresh = {"loc-a": "rt-1"}
    tokens = provider(server, http, clock, refresh)
    assert await tokens.get("loc-a") == "old"
    first = await tokens.refresh("loc-a")
    assert server.valid_tokens[first] == "loc-a" and refresh["loc-a"] != "rt-1"
    second = await tokens.refresh("loc-a")  # works only with the rotated refresh token
    assert second != first and await tokens.get("loc-a") == second
    form = server.requests[0].body
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "rt-1"


async def test_expired_access_token_is_refreshed_before_use(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.add_refresh_token("rt-1", "loc-b")
    tokens = provider(server, http, clock, {"loc-b": "rt-1"})
    first = await tokens.get("loc-b")  # no access token yet: refreshed on first use
    assert await tokens.get("loc-b") == first
    clock.now += TOKEN_TTL_SECONDS
    assert await tokens.get("loc-b") != first
    assert len(server.requests) == 2


@pytest.mark.parametrize(("refresh", "secret", "why"), [
    ({"loc-a": "rt-unknown"}, "secret", "Invalid refresh token"),
    ({"loc-a": "rt-1"}, "wrong", "Invalid client"),
    ({}, "secret", "no GHL refresh token"),
])
async def test_refused_refresh_is_reported(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock,
    refresh: dict[str, str], secret: str, why: str,
) -> None:
    server.add_refresh_token("rt-1", "loc-a")
    with pytest.raises(TokenUnavailableError, match=why):
        await provider(server, http, clock, refresh, secret).refresh("loc-a")
