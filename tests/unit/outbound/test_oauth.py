"""GHL's OAuth answers read into a `Grant` (pure), bound to what was asked for, the authorize
URL and its scopes, and the client's errors against the strict fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from workers.ghl.oauth import (
    AUTHORIZE_URL,
    SCOPES,
    ForeignGrantError,
    Grant,
    MalformedGrantError,
    OAuthClient,
    OAuthRefusedError,
    OAuthUnavailableError,
    authorize_url,
    bound,
    bound_to_company,
    bound_to_location,
    parse_grant,
    refusal,
)

LOCATION_ANSWER: dict[str, Any] = {
    "access_token": "at-1", "token_type": "Bearer", "expires_in": 86399,
    "refresh_token": "rt-1", "scope": "conversations/message.write contacts.write",
    "userType": "Location", "locationId": "locA", "companyId": "coA", "userId": "u1",
}
COMPANY_ANSWER: dict[str, Any] = {
    "access_token": "cat-1", "token_type": "Bearer", "expires_in": 86399,
    "refresh_token": "crt-1", "scope": "oauth.write", "userType": "Company",
    "companyId": "coA", "approvedLocations": ["locA", "locB", "locA"], "userId": "u1",
}


def test_a_location_answer() -> None:
    grant = parse_grant(LOCATION_ANSWER)
    assert grant == Grant(access_token="at-1", user_type="Location", location_id="locA",
                          company_id="coA", refresh_token="rt-1", expires_in=86399.0,
                          scopes=("conversations/message.write", "contacts.write"),
                          user_id="u1")
    assert grant.expires_at(1000.0) == datetime.fromtimestamp(1000.0 + 86399, UTC)


def test_an_agency_answer_lists_its_approved_locations_once() -> None:
    grant = parse_grant(COMPANY_ANSWER)
    assert (grant.user_type, grant.company_id, grant.location_id) == ("Company", "coA", None)
    assert grant.approved_locations == ("locA", "locB")


def test_a_minted_location_token_has_no_user_type_or_refresh_token() -> None:
    minted = {"access_token": "at-2", "token_type": "Bearer", "expires_in": 86399,
              "scope": "contacts.write", "locationId": "locB", "userId": "u1"}
    grant = parse_grant(minted, default_user_type="Location")
    assert (grant.user_type, grant.location_id, grant.refresh_token) == ("Location", "locB", None)
    assert parse_grant({**minted, "expires_in": None}, default_user_type="Location"
                       ).expires_at(0.0) is None


@pytest.mark.parametrize(("change", "error"), [
    ({"access_token": ""}, "no access_token"),
    ({"access_token": 7}, "access_token is not a string"),
    ({"token_type": "MAC"}, "not Bearer"),
    ({"userType": "Agency"}, "userType 'Agency'"),
    ({"userType": None}, "userType None"),
    ({"locationId": None}, "names no locationId"),
    ({"locationId": "loc'; DROP TABLE tenants"}, "is not an id"),
    ({"expires_in": "soon"}, "expires_in"),
    ({"expires_in": -1}, "expires_in"),
    ({"expires_in": True}, "expires_in"),
    ({"approvedLocations": "locA"}, "approvedLocations"),
    ({"approvedLocations": ["ok", "not ok"]}, "approvedLocations"),
])
def test_unusable_answers_are_refused(change: dict[str, Any], error: str) -> None:
    with pytest.raises(MalformedGrantError, match=error):
        parse_grant({**LOCATION_ANSWER, **change})


@pytest.mark.parametrize("answer", [None, [], "token", 200])
def test_an_answer_that_is_no_object(answer: object) -> None:
    with pytest.raises(MalformedGrantError, match="not a JSON object"):
        parse_grant(answer)


def test_an_agency_answer_must_name_its_company() -> None:
    with pytest.raises(MalformedGrantError, match="names no companyId"):
        parse_grant({**COMPANY_ANSWER, "companyId": ""})


@pytest.mark.parametrize(("answer", "user_type", "key", "ok"), [
    (LOCATION_ANSWER, "Location", "locA", True),
    (LOCATION_ANSWER, "Location", "locB", False),   # another location's token
    (LOCATION_ANSWER, "Company", "coA", False),     # a location token for an agency
    (COMPANY_ANSWER, "Company", "coA", True),
    (COMPANY_ANSWER, "Company", "coB", False),      # another agency's token
    (COMPANY_ANSWER, "Location", "locA", False),    # an agency token for one of its locations
])
def test_a_grant_is_only_used_for_what_was_asked(answer: dict[str, Any], user_type: Any,
                                                 key: str, ok: bool) -> None:
    grant = parse_grant(answer)
    if ok:
        assert bound(grant, user_type, key) is grant
    else:
        with pytest.raises(ForeignGrantError, match="refused"):
            bound(grant, user_type, key)


def test_binding_names_what_came_back() -> None:
    with pytest.raises(ForeignGrantError, match="location locA for location locB"):
        bound_to_location(parse_grant(LOCATION_ANSWER), "locB")
    with pytest.raises(ForeignGrantError, match="company coA for company coB"):
        bound_to_company(parse_grant(COMPANY_ANSWER), "coB")


def test_the_authorize_url_asks_for_exactly_the_projects_scopes() -> None:
    url = authorize_url("app1-x", "https://hooks.example.com/oauth/callback")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE_URL
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {"response_type": ["code"], "client_id": ["app1-x"],
                     "redirect_uri": ["https://hooks.example.com/oauth/callback"],
                     "scope": [" ".join(s.name for s in SCOPES)]}
    names = [s.name for s in SCOPES]
    assert len(names) == len(set(names)) and all(s.why for s in SCOPES)
    # What the code calls: sending replies, CRM write-back, minting for agency installs.
    assert {"conversations/message.write", "contacts.write", "oauth.write"} <= set(names)


@pytest.mark.parametrize("redirect", [
    "", "/oauth/callback", "hooks.example.com/oauth/callback", "ftp://hooks.example.com/cb",
    "https://hooks.example.com/cb#frag", "https://hooks.example.com/c b",
])
def test_an_unusable_redirect_uri_is_refused(redirect: str) -> None:
    with pytest.raises(ValueError, match="redirect URI"):
        authorize_url("app1-x", redirect)


@pytest.mark.parametrize("client_id", ["", "app 1"])
def test_an_unusable_client_id_is_refused(client_id: str) -> None:
    with pytest.raises(ValueError, match="client id"):
        authorize_url(client_id, "https://hooks.example.com/oauth/callback")


@pytest.mark.parametrize(("status", "body", "error", "reason", "client"), [
    (400, {"error": "invalid_grant", "error_description": "Invalid refresh token"},
     "invalid_grant", "Invalid refresh token", False),
    (401, {"error": "invalid_client", "error_description": "Invalid client"},
     "invalid_client", "Invalid client", True),
    (422, {"statusCode": 422, "message": ["a must be", "b must be"]}, None,
     "a must be; b must be", False),
    (403, None, None, "refused", False),
])
def test_refusals(status: int, body: object, error: str | None, reason: str,
                  client: bool) -> None:
    refused = refusal(status, body)
    assert (refused.status, refused.error, refused.reason, refused.client_refused) == (
        status, error, reason, client)


# -- the client against the strict fake ------------------------------------------------------

REDIRECT = "https://hooks.example.com/oauth/callback"


@pytest.fixture
async def server() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={"app1-cid": "secret"}) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def client(server: FakeGHLAPI, http: httpx.AsyncClient, secret: str = "secret") -> OAuthClient:
    return OAuthClient(http, base_url=server.base_url, client_id="app1-cid",
                       client_secret=secret)


async def test_exchange_sends_the_form_ghl_documents(server: FakeGHLAPI,
                                                     http: httpx.AsyncClient) -> None:
    code = server.oauth.authorize_location("locA", redirect_uri=REDIRECT, company_id="coA")
    grant = await client(server, http).exchange(code, redirect_uri=REDIRECT)
    assert (grant.user_type, grant.location_id, grant.company_id) == ("Location", "locA", "coA")
    request = server.requests[-1]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.body == {"client_id": "app1-cid", "client_secret": "secret",
                            "grant_type": "authorization_code", "code": code,
                            "redirect_uri": REDIRECT}
    assert server.valid_tokens[grant.access_token] == "locA"


async def test_a_refused_code_and_a_refused_client(server: FakeGHLAPI,
                                                   http: httpx.AsyncClient) -> None:
    code = server.oauth.authorize_location("locA", redirect_uri=REDIRECT)
    with pytest.raises(OAuthRefusedError) as wrong:
        await client(server, http, secret="bad").exchange(code, redirect_uri=REDIRECT)
    assert wrong.value.client_refused and wrong.value.status == 401
    await client(server, http).exchange(code, redirect_uri=REDIRECT)  # not spent by the 401
    with pytest.raises(OAuthRefusedError) as used:
        await client(server, http).exchange(code, redirect_uri=REDIRECT)
    assert (used.value.status, used.value.error) == (400, "invalid_grant")
    assert not used.value.client_refused


@pytest.mark.parametrize("fault", [Fault(status=503), Fault(status=429),
                                   Fault(status=500, retry_after=2)])
async def test_no_decision_is_unavailable_not_refused(server: FakeGHLAPI,
                                                      http: httpx.AsyncClient,
                                                      fault: Fault) -> None:
    server.inject(fault)
    with pytest.raises(OAuthUnavailableError, match=str(fault.status)) as raised:
        await client(server, http).refresh("rt-x", user_type="Location")
    assert raised.value.retry_after == fault.retry_after


async def test_no_answer_at_all_is_unavailable(http: httpx.AsyncClient) -> None:
    oauth = OAuthClient(http, base_url="http://127.0.0.1:9", client_id="c", client_secret="s")
    with pytest.raises(OAuthUnavailableError, match="did not answer"):
        await oauth.refresh("rt", user_type="Location")
