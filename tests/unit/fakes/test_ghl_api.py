"""The fake GoHighLevel API over real HTTP (httpx): auth, validation, rate limits, faults, OAuth."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import API_VERSION, CRM_API_VERSION, FakeGHLAPI
from tests.support.clock import SetClock

TOKEN, LOCATION = "tok-a", "loc-A"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Version": API_VERSION}
SMS = {"type": "SMS", "contactId": "contact-1", "message": "Hi! Still looking in Austin?"}
CRM = {"Authorization": f"Bearer {TOKEN}", "Version": CRM_API_VERSION}


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
async def server(clock: SetClock) -> AsyncIterator[FakeGHLAPI]:
    fake = FakeGHLAPI(valid_tokens={TOKEN: LOCATION, "tok-b": "loc-B"}, clock=clock)
    async with fake:
        yield fake


@pytest.fixture
async def http(server: FakeGHLAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        yield client


async def send(
    http: httpx.AsyncClient, body: Any = SMS, headers: dict[str, str] = HEADERS
) -> httpx.Response:
    return await http.post("/conversations/messages", json=body, headers=headers)


async def test_happy_path_delivers_and_records(server: FakeGHLAPI, http: httpx.AsyncClient) -> None:
    first = await send(http)
    second = await send(http)

    assert first.status_code == 201
    data = first.json()
    assert data["msg"] == "Message queued successfully."
    assert data["conversationId"] == second.json()["conversationId"]  # same contact
    assert data["messageId"] != second.json()["messageId"]
    assert first.headers["X-RateLimit-Max"] == "100"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    assert first.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(first.headers["X-RateLimit-Daily-Remaining"]) == 200_000 - 1

    delivered = server.delivered[0]
    assert (delivered.location_id, delivered.contact_id, delivered.type) == (
        LOCATION,
        "contact-1",
        "SMS",
    )
    assert delivered.message == SMS["message"] and delivered.message_id == data["messageId"]
    assert len(server.requests) == 2 and server.requests[0].headers["version"] == API_VERSION


@pytest.mark.parametrize(
    "headers",
    [
        {"Version": API_VERSION},
        {"Authorization": "Bearer nope", "Version": API_VERSION},
        {"Authorization": TOKEN, "Version": API_VERSION},
    ],
)
async def test_missing_or_unknown_auth_is_401(
    server: FakeGHLAPI, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    resp = await send(http, headers=headers)
    assert resp.status_code == 401
    assert resp.json() == {"statusCode": 401, "message": "Invalid JWT"}
    assert server.delivered == []


@pytest.mark.parametrize("version", [None, "2021-07-28"])
async def test_bad_version_is_400(http: httpx.AsyncClient, version: str | None) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if version:
        headers["Version"] = version
    resp = await send(http, headers=headers)
    assert resp.status_code == 400 and resp.json()["statusCode"] == 400


@pytest.mark.parametrize(
    "body",
    [
        {"type": "Fax", "contactId": "c", "message": "m"},
        {"type": "SMS", "message": "m"},
        {"type": "SMS", "contactId": "c"},
        ["not", "an", "object"],
    ],
)
async def test_bad_body_is_422(server: FakeGHLAPI, http: httpx.AsyncClient, body: Any) -> None:
    resp = await send(http, body=body)
    assert resp.status_code == 422
    data = resp.json()
    assert data["statusCode"] == 422 and data["error"] == "Unprocessable Entity"
    assert isinstance(data["message"], list) and data["message"]
    assert server.delivered == []


async def test_rate_limit_429_after_burst_per_location(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: SetClock
) -> None:
    for _ in range(100):
        assert (await send(http)).status_code == 201

    limited = await send(http)
    assert limited.status_code == 429
    assert limited.json()["statusCode"] == 429
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Max"] == "100"
    assert limited.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert limited.headers["X-RateLimit-Daily-Remaining"] == str(200_000 - 100)

    other = {"Authorization": "Bearer tok-b", "Version": API_VERSION}
    assert (await send(http, headers=other)).status_code == 201  # separate location bucket

    clock.now += 10.0  # window slides past the burst
    assert (await send(http)).status_code == 201
    assert len(server.delivered) == 102


async def test_scripted_faults(server: FakeGHLAPI, http: httpx.AsyncClient) -> None:
    server.inject(Fault(status=500), Fault(status=502), Fault(status=429, retry_after=2))

    failed = await send(http)
    assert failed.status_code == 500 and failed.json()["statusCode"] == 500
    gateway = await send(http)
    assert gateway.status_code == 502 and gateway.headers["content-type"].startswith("text/html")
    limited = await send(http)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert (await send(http)).status_code == 201
    assert [r.status for r in server.requests] == [500, 502, 429, 201]
    assert len(server.delivered) == 1


async def test_a_504_that_did_send_and_a_reset_after_receiving(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    server.inject(Fault(status=504, after=True), Fault(reset=True, after=True),
                  Fault(reset=True))
    gateway = await send(http)  # delivered, but the answer says nothing of it
    assert gateway.status_code == 504 and gateway.headers["content-type"].startswith("text/html")
    assert gateway.headers["X-RateLimit-Remaining"] == "99"  # GHL counted it
    with pytest.raises(httpx.ReadError):  # delivered, then the connection was cut
        await send(http)
    with pytest.raises(httpx.ReadError):  # cut before it was handled: nothing delivered
        await send(http)
    assert [r.status for r in server.requests] == [504, None, None]
    assert len(server.delivered) == 2
    assert (await send(http)).status_code == 201  # the fake serves on
    assert len(server.delivered) == 3


async def test_every_answer_to_a_known_location_carries_ghls_count(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    ok = await send(http)
    bad_version = await send(http, headers={**HEADERS, "Version": "2020-01-01"})
    invalid = await send(http, body={"type": "SMS"})
    for answer, remaining in ((ok, "99"), (bad_version, "99"), (invalid, "98")):
        assert answer.headers["X-RateLimit-Remaining"] == remaining
        assert answer.headers["X-RateLimit-Max"] == "100"
        assert answer.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    unknown = await send(http, headers={**HEADERS, "Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and "X-RateLimit-Remaining" not in unknown.headers


async def test_the_daily_budget_is_enforced(clock: SetClock) -> None:
    async with FakeGHLAPI(valid_tokens={TOKEN: LOCATION}, clock=clock,
                          rate_limit_daily=3) as fake, \
            httpx.AsyncClient(base_url=fake.base_url) as http:
        answers = [await send(http) for _ in range(4)]
        assert [a.status_code for a in answers] == [201, 201, 201, 429]
        assert [a.headers["X-RateLimit-Daily-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        clock.now += 3600  # the burst window is long past; the day's budget is not
        assert (await send(http)).status_code == 429
        assert len(fake.delivered) == 3


@pytest.mark.parametrize(("data", "error"), [
    ({"after": True}, "a fault needs"),
    ({"delay": 1.0, "after": True}, "replaces the answer"),
    ({"reset": True, "bogus": 1}, "unknown fault keys"),
])
def test_fault_specs_are_checked(data: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Fault.from_json(data)
    assert Fault.from_json({"status": 504, "after": True}).to_json() == {
        "status": 504, "after": True, "times": 1}


async def test_delay_fault_triggers_client_timeout(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    server.inject(Fault(delay=5.0, path="/conversations"))
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/conversations/messages", json=SMS, headers=HEADERS, timeout=0.2)
    assert server.delivered == []


async def test_burst_mode_and_control_endpoint(server: FakeGHLAPI, http: httpx.AsyncClient) -> None:
    control: dict[str, Any] = {
        "tokens": {"tok-c": "loc-C"},
        "rate_limit": {"burst": 2},
        "burst": {"probability": 1.0, "fault": {"status": 500}},
    }
    assert (await http.post("/_control", json=control)).status_code == 200
    assert (await send(http)).status_code == 500

    await http.post("/_control", json={"burst": None})
    headers_c = {"Authorization": "Bearer tok-c", "Version": API_VERSION}
    assert [(await send(http, headers=headers_c)).status_code for _ in range(3)] == [201, 201, 429]

    state = (await http.post("/_control", json={"expire": ["tok-c"]})).json()
    assert len(state["delivered"]) == 2 and state["delivered"][0]["location_id"] == "loc-C"
    assert (await send(http, headers=headers_c)).status_code == 401

    state = (await http.post("/_control", json={"reset": True})).json()
    assert state["request_count"] == 0 and state["delivered"] == []


async def test_refresh_flow(server: FakeGHLAPI, http: httpx.AsyncClient) -> None:
    server.add_refresh_token("rt-1", LOCATION)
    server.expire_token(TOKEN)
    assert (await send(http)).status_code == 401

    form = {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "client",
        "client_secret": "secret",
    }
    resp = await http.post("/oauth/token", data=form)
    assert resp.status_code == 200
    grant = resp.json()
    assert grant["expires_in"] == 86399 and grant["locationId"] == LOCATION
    assert grant["refresh_token"] != "rt-1"

    fresh = {"Authorization": f"Bearer {grant['access_token']}", "Version": API_VERSION}
    assert (await send(http, headers=fresh)).status_code == 201
    assert server.delivered[-1].location_id == LOCATION

    reused = await http.post("/oauth/token", data=form)  # refresh tokens are single-use
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    server.oauth_clients = {"client": "secret"}
    wrong = {**form, "refresh_token": grant["refresh_token"], "client_secret": "bad"}
    assert (await http.post("/oauth/token", data=wrong)).status_code == 401


async def test_dnd_settings_are_set_per_channel_and_recorded(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    stop = {"status": "active", "message": "Opted out by reply: 2026-12-02"}
    resp = await http.put("/contacts/c1", headers=CRM,
                          json={"dndSettings": {"SMS": stop, "Call": stop}})
    assert resp.status_code == 200
    assert resp.json()["contact"]["dndSettings"] == {"SMS": stop, "Call": stop}
    again = {"Email": {"status": "permanent"}, "SMS": {"status": "inactive"}}
    assert (await http.put("/contacts/c1", headers=CRM,
                           json={"dndSettings": again})).status_code == 200
    assert (await http.put("/contacts/c1", headers=CRM, json={"dnd": True})).status_code == 200
    seen = server.contact(LOCATION, "c1")
    assert seen.dnd_updates == [{"SMS": stop, "Call": stop}, again]  # each call, in order
    assert seen.dnd_settings == {"SMS": {**stop, "status": "inactive"}, "Call": stop,
                                 "Email": {"status": "permanent"}}
    assert seen.dnd is True and seen.custom_fields == {}
    assert server.contact("loc-B", "c1").dnd_updates == []  # per location


@pytest.mark.parametrize(("body", "problem"), [
    ({"dndSettings": {"sms": {"status": "active"}}}, "dndSettings.sms should not exist"),
    ({"dndSettings": {"IG": {"status": "active"}}}, "dndSettings.IG should not exist"),
    ({"dndSettings": {"SMS": {"status": "on"}}}, "status must be one of"),
    ({"dndSettings": {"SMS": {"status": "Active"}}}, "status must be one of"),
    ({"dndSettings": {"SMS": {}}}, "status must be one of"),
    ({"dndSettings": {"SMS": "active"}}, "dndSettings.SMS must be an object"),
    ({"dndSettings": {"SMS": {"status": "active", "until": "x"}}}, "SMS.until should not"),
    ({"dndSettings": {"SMS": {"status": "active", "message": 1}}}, "message must be a string"),
    ({"dndSettings": {}}, "dndSettings must be a non-empty object"),
    ({"dndSettings": [{"SMS": "active"}]}, "dndSettings must be a non-empty object"),
    ({"dnd": "yes"}, "dnd must be a boolean"),
    ({"tags": ["opted-out"]}, "property tags should not exist"),
    ({}, "customFields, dndSettings or dnd must be given"),
    ({"customFields": [{"id": "f", "value": 1}]}, "items must be {id, field_value}"),
])
async def test_contact_updates_are_validated_strictly(
    server: FakeGHLAPI, http: httpx.AsyncClient, body: Any, problem: str
) -> None:
    resp = await http.put("/contacts/c1", headers=CRM, json=body)
    assert resp.status_code == 422
    assert any(problem in m for m in resp.json()["message"]), resp.json()
    seen = server.contact(LOCATION, "c1")
    assert seen.dnd_updates == [] and seen.dnd_settings == {} and seen.dnd is False


async def test_tags_are_added_and_removed_strictly(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    assert (await http.post("/contacts/c1/tags", headers=CRM,
                            json={"tags": ["cold-lead", "vip"]})).status_code == 201
    assert (await http.post("/contacts/c1/tags", headers=CRM,
                            json={"tags": ["opted-out", "vip"]})).status_code == 201
    resp = await http.request("DELETE", "/contacts/c1/tags", headers=CRM,
                              json={"tags": ["cold-lead"]})
    assert resp.status_code == 200 and resp.json()["tags"] == ["vip", "opted-out"]
    bodies: list[dict[str, Any]] = [{"tags": []}, {"tags": [""]}, {"tags": "opted-out"},
                                    {"tag": ["x"]}]
    for body in bodies:
        for method in ("POST", "DELETE"):
            bad = await http.request(method, "/contacts/c1/tags", headers=CRM, json=body)
            assert bad.status_code == 422, (method, body)
    assert server.contact(LOCATION, "c1").tags == ["vip", "opted-out"]


async def test_standalone_process_serves_requests() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "devtools.fakes.ghl_api", "--port", "0",
        "--token", f"{TOKEN}={LOCATION}",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        async with httpx.AsyncClient(base_url=base_url) as client:
            assert (await send(client)).status_code == 201
            state = (await client.get("/_control")).json()
        assert state["delivered"][0]["location_id"] == LOCATION
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
