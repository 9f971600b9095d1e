"""The fake RESO Web API over real HTTP: as strict as a vendor (a query it does not understand
is a 400), paging by nextLink that survives changes between pages, auth, rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.reso_api import FakeResoAPI, FilterParser, ODataError, sample_listings
from tests.support.clock import SetClock

TOKEN = "tok-a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
async def api(clock: SetClock) -> AsyncIterator[FakeResoAPI]:
    fake = FakeResoAPI(tokens={TOKEN: "agency-a"}, clients={"cid": "csecret"}, clock=clock,
                       max_top=50, max_top_expand=20, per_instant=3)
    fake.load(sample_listings(40, seed=3))
    async with fake:
        yield fake


@pytest.fixture
async def http(api: FakeResoAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.base_url) as client:
        yield client


async def get(http: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None,
              ) -> httpx.Response:
    return await http.get(f"/Property?{query}" if query else "/Property",
                          headers=AUTH if headers is None else headers)


def odata_message(resp: httpx.Response) -> str:
    body: dict[str, Any] = resp.json()
    return str(body["error"]["message"])


@pytest.mark.parametrize(("query", "message"), [
    ("$filter=Foo eq 1", "Could not find a property named 'Foo'"),
    ("$filter=ListPrice eq 'x'", "incompatible types"),
    ("$filter=ModificationTimestamp gt 'yesterday'", "incompatible types"),
    ("$filter=contains(City,'Aus')", "Syntax error"),
    ("$filter=City eq 'Austin' and", "Unexpected end"),
    ("$filter=(City eq 'Austin'", "')' expected"),
    ("$filter=City has 'Austin'", "'has' at position 5 is not a supported operator"),
    ("$filter=Levels eq 'One'", "is a collection"),
    ("$filter=ListPrice gt null", "'gt null' is not a valid comparison"),
    ("$orderby=Nope asc", "sortable property named 'Nope'"),
    ("$orderby=ListingKey up", "Invalid $orderby"),
    ("$top=51", "exceeds the maximum of 50"),
    ("$top=21&$expand=Media", "exceeds the maximum of 20 with $expand"),
    ("$top=0", "Invalid $top"),
    ("$expand=Office", "Only the Media navigation property"),
    ("$expand=Media($select=Nope)", "named 'Nope' on type 'org.reso.metadata.Media'"),
    ("$select=ListingKey,Nope", "named 'Nope'"),
    ("$skip=10", "'$skip' is not supported"),
    ("top=10", "'top' is not supported"),
    ("$top=5&$top=6", "more than once"),
    ("$skiptoken=garbage!", "$skiptoken"),
])
async def test_what_it_does_not_understand_is_a_400(http: httpx.AsyncClient, query: str,
                                                    message: str) -> None:
    resp = await get(http, query)
    assert resp.status_code == 400, resp.text
    assert message in odata_message(resp)


async def test_auth(http: httpx.AsyncClient, api: FakeResoAPI, clock: SetClock) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
        resp = await get(http, "$top=1", headers)
        assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Bearer")
    refused = await http.post("/oauth2/token", data={"grant_type": "client_credentials",
                                                     "client_id": "cid", "client_secret": "x"})
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}
    wrong = await http.post("/oauth2/token", data={"grant_type": "password",
                                                   "client_id": "cid", "client_secret": "csecret"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "unsupported_grant_type"
    basic = await http.post("/oauth2/token", data={"grant_type": "client_credentials"},
                            auth=("cid", "csecret"))
    body = basic.json()
    assert basic.status_code == 200 and body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await get(http, "$top=1", bearer)).status_code == 200
    clock.now += 3601  # expired
    assert (await get(http, "$top=1", bearer)).status_code == 401


async def test_paging_follows_next_links_in_order(http: httpx.AsyncClient,
                                                  api: FakeResoAPI) -> None:
    url: str | None = (f"{api.base_url}/Property?$orderby=ModificationTimestamp%20asc,"
                       "ListingKey%20asc&$top=7&$expand=Media")
    seen: list[tuple[str, str]] = []
    pages = 0
    while url:
        resp = await http.get(url, headers=AUTH)
        assert resp.status_code == 200 and resp.headers["odata-version"] == "4.0"
        body = resp.json()
        seen += [(r["ModificationTimestamp"], r["ListingKey"]) for r in body["value"]]
        assert all("Media" in r for r in body["value"])
        url = body.get("@odata.nextLink")
        pages += 1
        if pages == 2:  # changes between pages: a record read already comes again at the
            # end; one not read yet moves to the end and is read once, never skipped
            unseen = sorted(set(api.records) - {k for _, k in seen})[0]
            api.modify(seen[0][1], ListPrice=1)
            api.modify(unseen, ListPrice=2)
    assert pages == 6  # 40 records + the one read again, 7 a page
    assert seen == sorted(seen) and len(seen) == 41
    assert len({k for _, k in seen}) == 40 and [k for _, k in seen].count(unseen) == 1


async def test_filter_select_count_and_both_status_forms(http: httpx.AsyncClient,
                                                         api: FakeResoAPI) -> None:
    statuses = {r["StandardStatus"] for r in api.records.values()}
    assert any(" " in s for s in statuses)  # display strings ("Active Under Contract") ...
    assert statuses & {"ActiveUnderContract", "ComingSoon"}  # ... and enum names
    first = sorted(api.records.values(), key=lambda r: r["ModificationTimestamp"])[20]
    resp = await get(http, "$filter=ModificationTimestamp%20ge%20"
                     f"{first['ModificationTimestamp']}%20and%20(OriginatingSystemName%20eq%20"
                     "'actris')&$select=ListingKey,StandardStatus&$count=true&$top=50")
    body = resp.json()
    assert resp.status_code == 200, resp.text
    assert body["@odata.count"] == len(body["value"]) >= 20
    assert all(set(r) == {"ListingKey", "StandardStatus"} for r in body["value"])


async def test_expand_with_select(http: httpx.AsyncClient) -> None:
    resp = await get(http, "$select=ListingKey&$expand=Media($select=MediaURL,Order)&$top=3")
    for r in resp.json()["value"]:
        assert set(r) == {"ListingKey", "Media"}
        assert all(set(m) == {"MediaURL", "Order"} for m in r["Media"])


async def test_rate_limit_answers_429_with_retry_after(http: httpx.AsyncClient, api: FakeResoAPI,
                                                       clock: SetClock) -> None:
    api.rate_per_s = 2
    assert [(await get(http, "$top=1")).status_code for _ in range(3)] == [200, 200, 429]
    limited = await get(http, "$top=1")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    clock.now += 1.0
    assert (await get(http, "$top=1")).status_code == 200
    api.daily_limit = 3
    daily = await get(http, "$top=1")
    assert daily.status_code == 429 and "Daily" in odata_message(daily)
    assert int(daily.headers["retry-after"]) > 1


async def test_a_page_that_fails_mid_sync(http: httpx.AsyncClient, api: FakeResoAPI) -> None:
    api.fail_page(2, Fault(status=503, times=2))
    codes = [(await get(http, "$top=1")).status_code for _ in range(5)]
    assert codes == [200, 200, 503, 503, 200]


async def test_removed_records_and_photos_without_a_bump(http: httpx.AsyncClient,
                                                         api: FakeResoAPI) -> None:
    key = next(iter(api.records))
    stamp = api.records[key]["ModificationTimestamp"]
    api.set_photos(key, ["https://photos.example-mls.com/new.jpg"])
    assert api.records[key]["ModificationTimestamp"] == stamp
    api.remove(key)
    resp = await get(http, "$select=ListingKey&$top=50")
    assert key not in {r["ListingKey"] for r in resp.json()["value"]}


@pytest.mark.parametrize("text", [
    "ModificationTimestamp ge 2026-01-05T08:00:00.250000Z",
    "ModificationTimestamp gt 2026-01-05T08:00:00.1234567Z and (City eq 'O''Fallon')",
    "not (ListPrice lt 100000) or MlgCanView eq false",
    "CloseDate ge 2025-06-01 and ModificationTimestamp le 2026-01-05",
    "PostalCode ne null",
])
def test_filters_it_reads(text: str) -> None:
    FilterParser(text).parse()({"ListPrice": 1, "ModificationTimestamp": "2026-01-05T08:00:01Z"})


def test_an_empty_filter_is_refused() -> None:
    with pytest.raises(ODataError):
        FilterParser("  ").parse()
