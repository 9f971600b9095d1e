"""The RESO Web API client: OData queries of the `Property` resource over httpx.

Replication (RESO Web API Core 2.0.0; how replicators such as OpenReSync do it):
`GET {base}/Property?$filter=ModificationTimestamp ge <watermark> and (<tenant filter>)
&$orderby=ModificationTimestamp asc,ListingKey asc&$top=N&$expand=Media`, then each
`@odata.nextLink` until a page has none. `ge`, not `gt`: the watermark's instant may hold more
records than the page that committed it, so the sync re-reads that instant and skips the
keys it already applied (`replication.py`) — Web API Core requires `ge` on timestamps.
Reconciliation: `$select=ListingKey&$orderby=ListingKey asc&$expand=Media`, every key the
feed has now (and each first photo, which may change without a ModificationTimestamp bump).

Every request waits its turn under the vendor's rate (`Pacer`: requests per second, evenly
spaced, and per UTC day, counted from what the store says was used today); a 429 is waited
out as its `Retry-After` says (up to `max_wait_s`, else the sync stops as `rate_limited` and
resumes at the next one); 5xx answers and transport errors are retried with backoff. A bearer
token is sent as given; OAuth2 client credentials buy a token at the token URL, cached until it
expires (renewed once on a 401). A `nextLink` must stay on the service's own origin: the token
is never sent elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote, urljoin, urlsplit

import httpx

from workers.errors import PipelineError

log = logging.getLogger(__name__)

RESOURCE = "Property"
REPLICATION_ORDER = "ModificationTimestamp asc,ListingKey asc"
KEY_ORDER = "ListingKey asc"
EXPAND = "Media"
TOKEN_MARGIN_S = 60.0  # a cached token is renewed this long before it expires
_SAFE = "$,'():"

Sleep = Callable[[float], Awaitable[None]]

# Why a sync stopped (listing_feeds.last_sync_outcome), for the errors of this client.
AUTH_FAILED = "auth_failed"
BAD_REQUEST = "bad_request"
RATE_LIMITED = "rate_limited"
DAILY_LIMIT = "daily_limit"
HTTP_ERROR = "http_error"
MALFORMED = "malformed"
UNREACHABLE = "unreachable"


class FeedError(PipelineError):
    """The feed did not give us a page; `outcome` names why (the sync's outcome)."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


def odata_instant(at: datetime) -> str:
    """An OData DateTimeOffset literal in UTC, to the microsecond."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def query_string(params: list[tuple[str, str]]) -> str:
    """`$name=value&...` with values percent-encoded (spaces as %20, which every OData
    server reads; `+` is a literal plus to some)."""
    return "&".join(f"{name}={quote(value, safe=_SAFE)}" for name, value in params)


def resource_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{RESOURCE}"


def replication_url(base_url: str, odata_filter: str | None, top: int) -> str:
    """The first page of a replication from `odata_filter` (`replication.query_filter`)."""
    params = [("$filter", odata_filter)] if odata_filter else []
    params += [("$orderby", REPLICATION_ORDER), ("$top", str(top)), ("$expand", EXPAND)]
    return f"{resource_url(base_url)}?{query_string(params)}"


def keys_url(base_url: str, tenant_filter: str | None, top: int) -> str:
    """The first page of a key reconciliation: every key under the tenant's filter."""
    params = [("$filter", tenant_filter)] if tenant_filter else []
    params += [("$select", "ListingKey"), ("$orderby", KEY_ORDER), ("$top", str(top)),
               ("$expand", EXPAND)]
    return f"{resource_url(base_url)}?{query_string(params)}"


def retry_after_s(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait (`Retry-After`: seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_text(resp: httpx.Response) -> str:
    """The server's message: an OData error body (`{"error": {"message": ...}}`), else the
    start of the body, else the status."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return (err + (f": {body['error_description']}"
                           if body.get("error_description") else ""))[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    text = resp.text.strip()
    if text and "html" not in resp.headers.get("content-type", ""):
        return text[:300]
    return f"{resp.status_code} {resp.reason_phrase}"


class Pacer:
    """The vendor's rate limit, kept by the client: `per_s` requests a second (spaced evenly)
    and `per_day` a UTC day, starting from `used` requests already made on `day`."""

    def __init__(self, per_s: float, per_day: int, *, day: date | None = None, used: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], date] = lambda: datetime.now(UTC).date(),
                 sleep: Sleep = asyncio.sleep) -> None:
        self.interval = 1.0 / per_s
        self.per_day = per_day
        self.clock, self.today, self.sleep = clock, today, sleep
        self.day = day if day is not None else today()
        self.used = used if day is not None else 0
        self.made = 0  # requests made through this pacer
        self._next_at = 0.0

    async def take(self) -> None:
        """Wait for the next request's turn; FeedError(DAILY_LIMIT) when today's are spent."""
        today = self.today()
        if today != self.day:
            self.day, self.used = today, 0
        if self.used >= self.per_day:
            raise FeedError(DAILY_LIMIT, f"the vendor's {self.per_day} requests of {today} "
                                         "are spent; the sync resumes tomorrow (UTC)")
        wait = self._next_at - self.clock()
        if wait > 0:
            await self.sleep(wait)
        self._next_at = max(self.clock(), self._next_at) + self.interval
        self.used += 1
        self.made += 1


class TokenSource(Protocol):
    async def token(self, *, renew: bool = False) -> str:
        """The access token to send; `renew`: the last one was refused."""
        ...


class StaticToken:
    """A bearer token given by the vendor (MLS Grid, Bridge's server token)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self, *, renew: bool = False) -> str:
        if renew:
            raise FeedError(AUTH_FAILED, "the feed refused the bearer token (401): set a new "
                                         "one with `leadmem tenant config ID --reso-token-env`")
        return self._token


class ClientCredentials:
    """OAuth2 client credentials (RFC 6749 §4.4): a token bought at `token_url` with the
    client id and secret (form body), cached until `expires_in` runs out."""

    def __init__(self, http: httpx.AsyncClient, token_url: str, client_id: str,
                 client_secret: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.http, self.token_url = http, token_url
        self.client_id, self.client_secret = client_id, client_secret
        self.clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.bought = 0

    async def token(self, *, renew: bool = False) -> str:
        if renew or self._token is None or self.clock() >= self._expires_at:
            await self._buy()
        assert self._token is not None
        return self._token

    async def _buy(self) -> None:
        try:
            resp = await self.http.post(self.token_url, data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret}, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise FeedError(UNREACHABLE, f"token URL {self.token_url}: {exc!r}") from exc
        if resp.status_code in (400, 401, 403):
            raise FeedError(AUTH_FAILED, f"the token URL refused the client credentials "
                                         f"({resp.status_code}): {error_text(resp)}")
        if resp.status_code != 200:
            raise FeedError(HTTP_ERROR, f"token URL answered {resp.status_code}: "
                                        f"{error_text(resp)}")
        try:
            body = resp.json()
        except ValueError as exc:
            raise FeedError(MALFORMED, "the token URL's answer is not JSON") from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FeedError(MALFORMED, "the token URL's answer has no access_token")
        expires = body.get("expires_in")
        ttl = float(expires) if isinstance(expires, int | float) and expires > 0 else 3600.0
        self._token = token
        self._expires_at = self.clock() + max(0.0, ttl - min(TOKEN_MARGIN_S, ttl / 2))
        self.bought += 1


@dataclass(frozen=True)
class Page:
    url: str
    records: list[dict[str, Any]]
    next_url: str | None


class ResoClient:
    """Pages of one feed's `Property` resource (see the module)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, tokens: TokenSource,
                 pacer: Pacer, *, max_attempts: int = 5, max_wait_s: float = 120.0,
                 backoff_s: float = 0.5, sleep: Sleep = asyncio.sleep) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.pacer = pacer
        self.max_attempts = max_attempts
        self.max_wait_s = max_wait_s
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.rate_limited = 0  # 429 answers waited out
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc.lower())

    def next_url(self, current: str, link: Any) -> str | None:
        """A page's `@odata.nextLink` as an absolute URL on the service's origin."""
        if link is None:
            return None
        if not isinstance(link, str) or not link.strip():
            raise FeedError(MALFORMED, f"@odata.nextLink is not a URL: {link!r}")
        absolute = urljoin(current, link.strip())
        parts = urlsplit(absolute)
        if (parts.scheme, parts.netloc.lower()) != self._origin:
            raise FeedError(MALFORMED, f"@odata.nextLink leaves the service ({absolute}): "
                                       "the feed's token is not sent there")
        if absolute == current:
            raise FeedError(MALFORMED, "@odata.nextLink repeats the page it is on")
        return absolute

    async def page(self, url: str) -> Page:
        """One page, retried as the module says; FeedError when it cannot be had."""
        resp = await self._get(url)
        try:
            body = resp.json()
        except ValueError as exc:
            raise FeedError(MALFORMED, f"a page is not JSON ({url})") from exc
        records = body.get("value") if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise FeedError(MALFORMED, f"a page has no `value` list of records ({url})")
        return Page(url, records, self.next_url(url, body.get("@odata.nextLink")))

    async def pages(self, url: str) -> AsyncIterator[Page]:
        """The page at `url`, then each `@odata.nextLink`, until a page has none."""
        next_url: str | None = url
        while next_url is not None:
            page = await self.page(next_url)
            yield page
            next_url = page.next_url

    async def _get(self, url: str) -> httpx.Response:
        renewed = False
        failure, outcome = "", HTTP_ERROR
        for attempt in range(1, self.max_attempts + 1):
            token = await self.tokens.token()
            await self.pacer.take()
            try:
                resp = await self.http.get(url, headers={
                    "Authorization": f"Bearer {token}", "Accept": "application/json"})
            except httpx.HTTPError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                outcome = UNREACHABLE
            else:
                if resp.status_code == 200:
                    return resp
                if resp.status_code == 401 and not renewed:
                    renewed = True
                    await self.tokens.token(renew=True)  # StaticToken: raises AUTH_FAILED
                    continue
                if resp.status_code in (401, 403):
                    raise FeedError(AUTH_FAILED, f"the feed refused our token "
                                                 f"({resp.status_code}): {error_text(resp)}")
                if resp.status_code == 429:
                    wait = retry_after_s(resp.headers)
                    wait = self.backoff_s * 2 ** (attempt - 1) if wait is None else wait
                    if wait > self.max_wait_s:
                        raise FeedError(RATE_LIMITED, f"the feed asked us to wait {wait:.0f} s "
                                                      f"(429): {error_text(resp)}")
                    self.rate_limited += 1
                    log.info("listings: 429 from %s, waiting %.1f s", self.base_url, wait)
                    await self.sleep(wait)
                    failure, outcome = f"429: {error_text(resp)}", RATE_LIMITED
                    continue
                if resp.status_code < 500:
                    raise FeedError(BAD_REQUEST, f"the feed refused the query "
                                                 f"({resp.status_code}): {error_text(resp)}")
                failure, outcome = f"{resp.status_code}: {error_text(resp)}", HTTP_ERROR
            if attempt < self.max_attempts:
                await self.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise FeedError(outcome, f"no page after {self.max_attempts} attempts ({failure})")
