"""The RESO Web API client against the fake RESO Web API on loopback: the queries it sends,
paging, the vendor's rate kept client-side, 429 with Retry-After, retries, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.reso_api import FakeResoAPI, sample_listings
from workers.listings import odata
from workers.listings.odata import (
    AUTH_FAILED,
    BAD_REQUEST,
    DAILY_LIMIT,
    HTTP_ERROR,
    MALFORMED,
    RATE_LIMITED,
    ClientCredentials,
    FeedError,
    Pacer,
    ResoClient,
    StaticToken,
)

TOKEN = "tok-a"


class Time:
    """One clock for the fake server and the client: the client's sleeps move it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Time:
    return Time()


@pytest.fixture
async def api(clock: Time) -> AsyncIterator[FakeResoAPI]:
    fake = FakeResoAPI(tokens={TOKEN: "agency-a"}, clients={"cid": "csecret"}, clock=clock,
                       max_top=100, max_top_expand=25)
    fake.load(sample_listings(60, seed=5))
    async with fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def client(http: httpx.AsyncClient, api: FakeResoAPI, clock: Time, *, per_s: float = 100,
           per_day: int = 40_000, tokens: odata.TokenSource | None = None,
           attempts: int = 5) -> ResoClient:
    pacer = Pacer(per_s, per_day, clock=clock, sleep=clock.sleep)
    return ResoClient(http, api.base_url, tokens or StaticToken(TOKEN), pacer,
                      max_attempts=attempts, max_wait_s=30, backoff_s=0.25, sleep=clock.sleep)


def test_the_replication_query() -> None:
    url = odata.replication_url(
        "https://api.mlsgrid.com/v2/",
        "ModificationTimestamp ge 2026-03-01T10:00:00.250000Z and "
        "(OriginatingSystemName eq 'actris')", 1000)
    assert url == (
        "https://api.mlsgrid.com/v2/Property?$filter=ModificationTimestamp%20ge%20"
        "2026-03-01T10:00:00.250000Z%20and%20(OriginatingSystemName%20eq%20'actris')"
        "&$orderby=ModificationTimestamp%20asc,ListingKey%20asc&$top=1000&$expand=Media")
    assert odata.replication_url("https://x.test", None, 5) == (
        "https://x.test/Property?$orderby=ModificationTimestamp%20asc,ListingKey%20asc"
        "&$top=5&$expand=Media")
    assert odata.keys_url("https://x.test", "City eq 'Austin'", 5000) == (
        "https://x.test/Property?$filter=City%20eq%20'Austin'&$select=ListingKey"
        "&$orderby=ListingKey%20asc&$top=5000&$expand=Media")


@pytest.mark.parametrize(("value", "seconds"), [
    ("2", 2.0), ("0", 0.0), ("1.5", 1.5), ("Sun, 01 Mar 2026 10:00:30 GMT", 30.0),
    ("soon", None), (None, None),
])
def test_retry_after(value: str | None, seconds: float | None) -> None:
    headers = httpx.Headers({"Retry-After": value} if value is not None else {})
    assert odata.retry_after_s(headers, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)) == seconds


async def test_the_pacer_spaces_requests_and_counts_the_day(clock: Time) -> None:
    today = [date(2026, 3, 1)]
    pacer = Pacer(2, 3, day=date(2026, 3, 1), used=1, clock=clock, sleep=clock.sleep,
                  today=lambda: today[0])
    await pacer.take()
    await pacer.take()
    assert clock.slept == [0.5]  # 2 a second: half a second apart
    with pytest.raises(FeedError) as refused:
        await pacer.take()  # 1 used before + 2 = the day's 3
    assert refused.value.outcome == DAILY_LIMIT
    today[0] = date(2026, 3, 2)  # a new UTC day
    await pacer.take()
    assert (pacer.day, pacer.used, pacer.made) == (date(2026, 3, 2), 1, 3)
    assert Pacer(2, 3, day=None, used=7, clock=clock).used == 0  # no day: nothing used


async def test_pages_follow_next_links(http: httpx.AsyncClient, api: FakeResoAPI,
                                       clock: Time) -> None:
    c = client(http, api, clock)
    keys: list[str] = []
    pages = 0
    async for page in c.pages(odata.replication_url(api.base_url, None, 25)):
        keys += [r["ListingKey"] for r in page.records]
        pages += 1
    assert pages == 3 and len(keys) == len(set(keys)) == 60
    assert c.pacer.made == 3
    sent = [r for r in api.requests if r.path == "/Property"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in sent)


async def test_429_is_waited_out_as_retry_after_says(http: httpx.AsyncClient,
                                                     api: FakeResoAPI, clock: Time) -> None:
    api.rate_per_s = 2  # the vendor's limit; our feed says 100/s: the vendor answers 429
    c = client(http, api, clock, per_s=100)
    records = 0
    async for page in c.pages(odata.replication_url(api.base_url, None, 10)):
        records += len(page.records)
    assert records == 60
    statuses = [r.status for r in api.requests if r.path == "/Property"]
    assert statuses.count(429) == c.rate_limited >= 2
    assert 1.0 in clock.slept  # Retry-After: 1, honoured
    # after each 429 the next request came no sooner than Retry-After said
    assert statuses.count(200) == 6


async def test_our_own_rate_keeps_the_vendor_from_answering_429(
        http: httpx.AsyncClient, api: FakeResoAPI, clock: Time) -> None:
    api.rate_per_s = 2
    c = client(http, api, clock, per_s=2)
    async for _ in c.pages(odata.replication_url(api.base_url, None, 10)):
        pass
    assert c.rate_limited == 0 and c.pacer.made == 6


async def test_a_retry_after_longer_than_we_wait_stops_the_sync(
        http: httpx.AsyncClient, api: FakeResoAPI, clock: Time) -> None:
    api.inject(Fault(status=429, retry_after=3600, path="/Property"))
    with pytest.raises(FeedError) as stopped:
        await client(http, api, clock).page(odata.replication_url(api.base_url, None, 10))
    assert stopped.value.outcome == RATE_LIMITED and "3600 s" in str(stopped.value)


async def test_5xx_and_cut_connections_are_retried_with_backoff(
        http: httpx.AsyncClient, api: FakeResoAPI, clock: Time) -> None:
    api.inject(Fault(status=503, path="/Property"), Fault(reset=True, path="/Property"),
               Fault(status=500, path="/Property"))
    page = await client(http, api, clock).page(odata.replication_url(api.base_url, None, 10))
    assert len(page.records) == 10 and clock.slept == [0.25, 0.5, 1.0]
    api.inject(Fault(status=502, times=3, path="/Property"))
    with pytest.raises(FeedError) as failed:
        await client(http, api, clock, attempts=3).page(
            odata.replication_url(api.base_url, None, 10))
    assert failed.value.outcome == HTTP_ERROR and "after 3 attempts" in str(failed.value)


async def test_a_query_the_server_refuses(http: httpx.AsyncClient, api: FakeResoAPI,
                                          clock: Time) -> None:
    with pytest.raises(FeedError) as refused:
        await client(http, api, clock).page(odata.replication_url(api.base_url, None, 26))
    assert refused.value.outcome == BAD_REQUEST
    assert "exceeds the maximum of 25 with $expand" in str(refused.value)


async def test_a_refused_bearer_token(http: httpx.AsyncClient, api: FakeResoAPI,
                                      clock: Time) -> None:
    c = client(http, api, clock, tokens=StaticToken("wrong"))
    with pytest.raises(FeedError) as refused:
        await c.page(odata.replication_url(api.base_url, None, 10))
    assert refused.value.outcome == AUTH_FAILED and "--reso-token-env" in str(refused.value)


async def test_client_credentials_are_cached_and_renewed(http: httpx.AsyncClient,
                                                         api: FakeResoAPI, clock: Time) -> None:
    tokens = ClientCredentials(http, f"{api.base_url}/oauth2/token", "cid", "csecret",
                               clock=clock)
    c = client(http, api, clock, tokens=tokens)
    url = odata.replication_url(api.base_url, None, 10)
    for _ in range(3):
        await c.page(url)
    assert tokens.bought == 1  # cached
    clock.now += 3600 - 59  # within its last minute: renewed before it expires
    await c.page(url)
    assert tokens.bought == 2
    api.expire_tokens()  # the server drops it early: one 401, a new token, the page
    await c.page(url)
    assert tokens.bought == 3
    wrong = ClientCredentials(http, f"{api.base_url}/oauth2/token", "cid", "nope", clock=clock)
    with pytest.raises(FeedError) as refused:
        await client(http, api, clock, tokens=wrong).page(url)
    assert refused.value.outcome == AUTH_FAILED and "invalid_client" in str(refused.value)


async def test_next_links_stay_on_the_service(http: httpx.AsyncClient, api: FakeResoAPI,
                                              clock: Time) -> None:
    c = client(http, api, clock)
    here = f"{api.base_url}/Property?$top=1"
    assert c.next_url(here, "Property?$skiptoken=x") == f"{api.base_url}/Property?$skiptoken=x"
    assert c.next_url(here, None) is None
    for link in ("https://evil.example.com/Property?x=1", here, 42, ""):
        with pytest.raises(FeedError) as bad:
            c.next_url(here, link)
        assert bad.value.outcome == MALFORMED


async def test_a_page_that_is_not_odata(http: httpx.AsyncClient, api: FakeResoAPI,
                                        clock: Time) -> None:
    api.inject(Fault(malformed=True, path="/Property"))
    with pytest.raises(FeedError) as bad:
        await client(http, api, clock).page(odata.replication_url(api.base_url, None, 10))
    assert bad.value.outcome == MALFORMED


def test_instants() -> None:
    assert odata.odata_instant(datetime(2026, 3, 1, 4, 0, 0, 250000,
                                        tzinfo=UTC) - timedelta(hours=0)) == \
        "2026-03-01T04:00:00.250000Z"
