"""Locations an agency installed the app for: their access tokens are minted with the agency's
token, for each location alone, minted again when GHL refuses one; the agency's own tokens
rotate like a location's. Against the strict fake GHL API, with in-memory stores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from devtools.fakes.ghl_api import TOKEN_TTL_SECONDS, FakeGHLAPI
from tests.unit.outbound.conftest import ManualClock
from tests.unit.outbound.fake_token_store import FakeTokenStore
from workers.ghl.client import GHLClient, message_payload
from workers.ghl.company_tokens import EXPIRY_MARGIN_S, CompanyLocationTokens
from workers.ghl.oauth import OAuthClient
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.token_store import CompanyLink
from workers.ghl.tokens import OAuthTokenProvider, TokenUnavailableError

REDIRECT = "https://hooks.example.com/oauth/callback"
OAUTH, MINT = "/oauth/token", "/oauth/locationToken"


@dataclass
class FakeLinks:
    """`CompanyLinks` in memory: location -> its agency and last minted token."""

    links: dict[str, CompanyLink] = field(default_factory=dict)
    saved: list[tuple[str, str, str]] = field(default_factory=list)

    async def link(self, location: str) -> CompanyLink | None:
        return self.links.get(location)

    async def save_token(self, location: str, company: str, access_token: str,
                         access_expires_at: datetime | None) -> None:
        current = self.links.get(location)
        if current is not None and current.company_id == company:
            self.links[location] = CompanyLink(company, access_token, access_expires_at)
            self.saved.append((location, company, access_token))


@pytest.fixture
async def server() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={"cid": "secret"}) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@dataclass
class Setup:
    tokens: OAuthTokenProvider
    agency_store: FakeTokenStore
    links: FakeLinks


async def agency_install(server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock,
                         approved: list[str], linked: list[str] | None = None) -> Setup:
    """Agency coA installed the app approving `approved`; `linked` (default: the approved)
    are the locations the store links to it; only its refresh token is stored."""
    oauth = OAuthClient(http, base_url=server.base_url, client_id="cid", client_secret="secret")
    code = server.oauth.authorize_company("coA", approved, redirect_uri=REDIRECT)
    grant = await oauth.exchange(code, redirect_uri=REDIRECT)
    assert grant.refresh_token is not None
    agency_store = FakeTokenStore()
    agency_store.put("coA", grant.refresh_token)
    links = FakeLinks({loc: CompanyLink("coA") for loc in (linked or approved)})
    agencies = OAuthTokenProvider(http, base_url=server.base_url, client_id="cid",
                                  client_secret="secret", store=agency_store,
                                  user_type="Company", clock=clock, sleep=clock.sleep)
    company = CompanyLocationTokens(oauth, links, agencies, clock=clock)
    tokens = OAuthTokenProvider(http, base_url=server.base_url, client_id="cid",
                                client_secret="secret", store=FakeTokenStore(),
                                company=company, clock=clock, sleep=clock.sleep)
    server.requests.clear()
    return Setup(tokens, agency_store, links)


def paths(server: FakeGHLAPI) -> list[tuple[str, int | None]]:
    return [(r.path, r.status) for r in server.requests]


async def test_each_approved_location_gets_a_token_of_its_own(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA", "locB"])
    a = await setup.tokens.get("locA")
    b = await setup.tokens.get("locB")
    assert server.valid_tokens[a] == "locA" and server.valid_tokens[b] == "locB"
    # The agency's token was refreshed once (only its refresh token was stored), rotated,
    # and stored before use; then two mints, one per location.
    assert paths(server) == [(OAUTH, 200), (MINT, 200), (MINT, 200)]
    assert server.requests[0].body["user_type"] == "Company"
    assert setup.agency_store.rows["coA"].version == 2
    assert [(m.location_id, m.access_token) for m in server.oauth.minted] == [
        ("locA", a), ("locB", b)]
    # Kept for a restarted or second replica, with GHL's expiry.
    assert setup.links.links["locA"] == CompanyLink(
        "coA", a, datetime.fromtimestamp(clock.now + TOKEN_TTL_SECONDS, UTC))
    assert await setup.tokens.get("locA") == a and len(server.requests) == 3  # cached


async def test_a_location_nobody_installed_gets_no_token(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA"])
    with pytest.raises(TokenUnavailableError,
                       match=r"no GHL refresh token stored for location locZ, and no agency"):
        await setup.tokens.get("locZ")
    assert server.requests == []  # not even a mint attempt: never another location's token


async def test_a_minted_token_sends_for_its_location_and_is_minted_again_when_refused(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA"])
    sender = Sender(GHLClient(http, server.base_url), setup.tokens,
                    LocationLimiter(100, 10.0, clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    await sender.send("locA", message_payload("sms", "c1", "Hi"))
    first = setup.links.links["locA"].access_token
    assert first is not None and server.delivered[-1].location_id == "locA"

    server.expire_token(first)  # a day later
    await sender.send("locA", message_payload("sms", "c1", "Again"))
    second = setup.links.links["locA"].access_token
    assert second not in (None, first) and server.delivered[-1].location_id == "locA"
    assert [p for p in paths(server) if p[0] != OAUTH] == [
        (MINT, 200), ("/conversations/messages", 201), ("/conversations/messages", 401),
        (MINT, 200), ("/conversations/messages", 201)]


async def test_a_stored_minted_token_is_used_until_it_expires(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA"])
    token = await setup.tokens.get("locA")
    restarted = await agency_install(server, http, clock, ["locA"])
    restarted.links.links["locA"] = setup.links.links["locA"]  # as Postgres would keep it
    assert await restarted.tokens.get("locA") == token and server.requests == []
    clock.now += TOKEN_TTL_SECONDS - EXPIRY_MARGIN_S + 1  # about to expire: mint again
    again = await agency_install(server, http, clock, ["locA"])
    again.links.links["locA"] = setup.links.links["locA"]
    assert await again.tokens.get("locA") != token
    assert [p[0] for p in paths(server)] == [OAUTH, MINT]


async def test_a_refused_agency_token_is_refreshed_once_then_minted(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA", "locB"])
    await setup.tokens.get("locA")
    agency_token = setup.agency_store.rows["coA"].access_token
    assert agency_token is not None
    server.expire_token(agency_token)
    server.requests.clear()
    assert server.valid_tokens[await setup.tokens.get("locB")] == "locB"
    assert paths(server) == [(MINT, 401), (OAUTH, 200), (MINT, 200)]
    assert setup.agency_store.rows["coA"].version == 3


async def test_a_location_the_agency_did_not_approve_is_refused(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA"], linked=["locA", "locX"])
    with pytest.raises(TokenUnavailableError, match=r"refused to mint.*locX.*403"):
        await setup.tokens.get("locX")
    assert server.oauth.minted == []


async def test_sends_of_many_locations_of_one_agency_refresh_it_once(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    locations = [f"loc{i}" for i in range(5)]
    setup = await agency_install(server, http, clock, locations)
    tokens = await asyncio.gather(*(setup.tokens.get(loc) for loc in locations))
    assert [server.valid_tokens[t] for t in tokens] == locations
    assert [p for p in paths(server) if p[0] == OAUTH] == [(OAUTH, 200)]


async def test_an_agency_that_lost_its_grant_is_reported_with_the_remedy(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA"])
    setup.agency_store.put("coA", "spent-long-ago")
    with pytest.raises(TokenUnavailableError,
                       match=r"agency coA.*Invalid refresh token.*install-url"):
        await setup.tokens.get("locA")


async def test_a_link_to_an_agency_whose_tokens_are_gone(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    setup = await agency_install(server, http, clock, ["locA"])
    del setup.agency_store.rows["coA"]  # e.g. the agency uninstalled the app
    with pytest.raises(TokenUnavailableError,
                       match=r"no GHL tokens stored for agency coA: install the app"):
        await setup.tokens.get("locA")
    assert server.requests == []
