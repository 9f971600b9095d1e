"""The fake GHL API's OAuth endpoints over real HTTP, as strict as GHL documents them: clients,
grant types, single-use codes bound to their redirect URI and client, rotating refresh tokens,
agency tokens that mint location tokens only for approved locations, and tokens each accepted
for its own location only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devtools.fakes.ghl_api import API_VERSION, FakeGHLAPI
from devtools.fakes.ghl_oauth import OAUTH_API_VERSION
from tests.support.clock import SetClock

CLIENT, SECRET = "app1-cid", "secret"
REDIRECT = "https://hooks.example.com/oauth/callback"
SMS = {"type": "SMS", "contactId": "c1", "message": "Hi"}


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
async def server(clock: SetClock) -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={CLIENT: SECRET, "app2-other": "s2"},
                          clock=clock) as fake:
        yield fake


@pytest.fixture
async def http(server: FakeGHLAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        yield client


def form(**fields: str) -> dict[str, str]:
    return {"client_id": CLIENT, "client_secret": SECRET, **fields}


def redeem(code: str, **fields: str) -> dict[str, str]:
    return form(**{"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                   **fields})


async def token(http: httpx.AsyncClient, data: dict[str, str]) -> httpx.Response:
    return await http.post("/oauth/token", data=data)


async def send(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.post("/conversations/messages", json=SMS, headers={
        "Authorization": f"Bearer {access_token}", "Version": API_VERSION})


async def mint(http: httpx.AsyncClient, agency_token: str, company: str, location: str,
               version: str = OAUTH_API_VERSION) -> httpx.Response:
    return await http.post("/oauth/locationToken", data={"companyId": company,
                                                          "locationId": location},
                           headers={"Authorization": f"Bearer {agency_token}",
                                    "Version": version})


async def test_a_location_install_answers_what_ghl_documents(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    with pytest.raises(ValueError, match="client_id"):  # two clients: say which
        server.oauth.authorize_location("locA", redirect_uri=REDIRECT)
    code = server.oauth.authorize_location("locA", redirect_uri=REDIRECT, company_id="coA",
                                           client_id=CLIENT)
    resp = await token(http, redeem(code))
    assert resp.status_code == 200
    grant = resp.json()
    assert set(grant) >= {"access_token", "token_type", "expires_in", "refresh_token", "scope",
                          "userType", "locationId", "companyId", "userId"}
    assert (grant["userType"], grant["locationId"], grant["companyId"]) == (
        "Location", "locA", "coA")
    assert (await send(http, grant["access_token"])).status_code == 201
    assert server.delivered[-1].location_id == "locA"


@pytest.mark.parametrize(("data", "status", "error"), [
    (form(client_secret="wrong", grant_type="refresh_token", refresh_token="x"), 401,
     "invalid_client"),
    ({**form(grant_type="refresh_token", refresh_token="x"), "client_id": "nobody"}, 401,
     "invalid_client"),
    ({"grant_type": "refresh_token", "refresh_token": "x"}, 401, "invalid_client"),
    (form(grant_type="client_credentials"), 400, "unsupported_grant_type"),
    (form(grant_type="password"), 422, None),
    (form(), 422, None),
    (form(grant_type="authorization_code"), 400, "invalid_request"),
    (form(grant_type="refresh_token"), 400, "invalid_request"),
    (form(grant_type="refresh_token", refresh_token="unknown"), 400, "invalid_grant"),
    (form(grant_type="refresh_token", refresh_token="x", user_type="Agency"), 422, None),
])
async def test_strict_about_clients_and_grant_types(
    http: httpx.AsyncClient, data: dict[str, str], status: int, error: str | None
) -> None:
    resp = await token(http, data)
    assert resp.status_code == status
    assert resp.json().get("error") == (error or "Unprocessable Entity")


async def test_a_form_body_is_required(http: httpx.AsyncClient) -> None:
    resp = await http.post("/oauth/token", json=form(grant_type="refresh_token",
                                                     refresh_token="x"))
    assert (resp.status_code, resp.json()["error"]) == (400, "invalid_request")


async def test_a_code_is_single_use_and_bound_to_its_redirect_uri_and_client(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: SetClock
) -> None:
    code = server.oauth.authorize_location("locA", redirect_uri=REDIRECT, client_id=CLIENT)
    for bad in (redeem(code, redirect_uri="https://evil.example/cb"),
                {**redeem(code), "redirect_uri": ""},
                {**redeem(code), "client_id": "app2-other", "client_secret": "s2"},
                redeem(code, user_type="Company")):
        resp = await token(http, bad)
        assert resp.status_code == 400, bad
    assert (await token(http, redeem(code, user_type="Location"))).status_code == 200
    used = await token(http, redeem(code))
    assert (used.status_code, used.json()["error"]) == (400, "invalid_grant")

    late = server.oauth.authorize_location("locA", redirect_uri=REDIRECT, client_id=CLIENT)
    clock.now += server.oauth.code_ttl + 1
    expired = await token(http, redeem(late))
    assert (expired.status_code, expired.json()["error_description"]) == (
        400, "Authorization code expired")
    assert (await token(http, redeem("never-issued"))).status_code == 400


async def test_refresh_tokens_rotate_and_a_used_one_is_refused(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    code = server.oauth.authorize_location("locA", redirect_uri=REDIRECT, client_id=CLIENT)
    first = (await token(http, redeem(code))).json()
    spend = form(grant_type="refresh_token", refresh_token=first["refresh_token"],
                 user_type="Location")
    other_client = {**spend, "client_id": "app2-other", "client_secret": "s2"}
    assert (await token(http, other_client)).status_code == 400  # not its client's token
    assert (await token(http, {**spend, "user_type": "Company"})).status_code == 400
    second = await token(http, spend)
    assert second.status_code == 200 and second.json()["locationId"] == "locA"
    assert second.json()["refresh_token"] != first["refresh_token"]
    again = await token(http, spend)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_an_agency_install_mints_tokens_for_its_approved_locations_only(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    code = server.oauth.authorize_company("coA", ["locA", "locB"], redirect_uri=REDIRECT,
                                          client_id=CLIENT)
    grant = (await token(http, redeem(code))).json()
    assert (grant["userType"], grant["companyId"], grant["approvedLocations"]) == (
        "Company", "coA", ["locA", "locB"])
    agency = grant["access_token"]
    assert (await send(http, agency)).status_code == 401  # an agency token sends nothing

    minted = await mint(http, agency, "coA", "locB")
    assert minted.status_code == 200
    body = minted.json()
    assert body["locationId"] == "locB" and "refresh_token" not in body
    assert (await send(http, body["access_token"])).status_code == 201
    assert server.delivered[-1].location_id == "locB"  # for its own location only
    assert [(m.company_id, m.location_id) for m in server.oauth.minted] == [("coA", "locB")]

    assert (await mint(http, agency, "coA", "locC")).status_code == 403  # not approved
    assert (await mint(http, agency, "coB", "locA")).status_code == 403  # not its company
    assert (await mint(http, agency, "coA", "locA", version="2021-04-15")).status_code == 400
    assert (await mint(http, body["access_token"], "coA", "locA")).status_code == 401
    assert (await mint(http, "nonsense", "coA", "locA")).status_code == 401
    missing = await http.post("/oauth/locationToken", data={"companyId": "coA"}, headers={
        "Authorization": f"Bearer {agency}", "Version": OAUTH_API_VERSION})
    assert missing.status_code == 422
    assert len(server.oauth.minted) == 1


async def test_an_agency_refresh_rotates_and_needs_the_oauth_write_scope_to_mint(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    code = server.oauth.authorize_company("coA", ["locA"], redirect_uri=REDIRECT,
                                          client_id=CLIENT, scopes=["contacts.write"])
    grant = (await token(http, redeem(code))).json()
    refreshed = await token(http, form(grant_type="refresh_token",
                                       refresh_token=grant["refresh_token"]))
    assert refreshed.status_code == 200 and refreshed.json()["companyId"] == "coA"
    assert (await token(http, form(grant_type="refresh_token",
                                   refresh_token=grant["refresh_token"]))).status_code == 400
    resp = await mint(http, refreshed.json()["access_token"], "coA", "locA")
    assert resp.status_code == 401 and "scope" in resp.json()["message"]


async def test_installed_locations(server: FakeGHLAPI, http: httpx.AsyncClient) -> None:
    code = server.oauth.authorize_company("coA", ["locA", "locB"], redirect_uri=REDIRECT,
                                          client_id=CLIENT)
    agency = (await token(http, redeem(code))).json()["access_token"]
    headers = {"Authorization": f"Bearer {agency}", "Version": OAUTH_API_VERSION}

    async def installed(**params: str) -> httpx.Response:
        return await http.get("/oauth/installedLocations", params=params, headers=headers)

    resp = await installed(companyId="coA", appId="app1")
    assert resp.status_code == 200
    assert [loc["_id"] for loc in resp.json()["locations"]] == ["locA", "locB"]
    assert (await installed(companyId="coA")).status_code == 422
    assert (await installed(companyId="coB", appId="app1")).status_code == 403
    assert (await installed(companyId="coA", appId="app2")).status_code == 400


async def test_authorize_through_the_control_endpoint(server: FakeGHLAPI,
                                                      http: httpx.AsyncClient) -> None:
    control: dict[str, Any] = {"authorize": [
        {"location": "locA", "redirect_uri": REDIRECT, "client_id": CLIENT},
        {"company": "coA", "approved_locations": ["locB"], "redirect_uri": REDIRECT,
         "client_id": CLIENT}]}
    state = (await http.post("/_control", json=control)).json()
    codes = {c["user_type"]: c["code"] for c in state["oauth_codes"]}
    assert (await token(http, redeem(codes["Location"]))).json()["locationId"] == "locA"
    assert (await token(http, redeem(codes["Company"]))).json()["approvedLocations"] == ["locB"]
