"""One call to GHL's contacts API (tasks, notes, tags, custom fields), classified as the
send-message answer is (`outbound.ghl_client`): retry after a wait (429, 5xx, connection
refused), refresh the token (401), give up (other 4xx), or stop because GHL may already have
it (no answer after the request went out)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from workers.outbound.ghl_client import (
    DeliveryInDoubtError,
    GHLUnavailableError,
    RateLimitedError,
    ReplyRejectedError,
    TokenRejectedError,
    _error_text,
    retry_after_s,
)
from workers.outbound.metrics import HTTP_ATTEMPTS, REQUEST_SECONDS

CRM_API_VERSION = "2021-07-28"


def classify(resp: httpx.Response, what: str) -> dict[str, Any]:
    status = resp.status_code
    if 200 <= status < 300:
        try:
            data = resp.json()
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}
    if status == 401:
        raise TokenRejectedError(f"GHL answered 401 to {what}: {_error_text(resp)}")
    if status == 429:
        raise RateLimitedError(f"GHL answered 429 to {what}: {_error_text(resp)}",
                               retry_after=retry_after_s(resp.headers))
    if status >= 500 or status == 408 or status < 200 or 300 <= status < 400:
        raise GHLUnavailableError(f"GHL answered {status} to {what}: {_error_text(resp)}",
                                  retry_after=retry_after_s(resp.headers))
    raise ReplyRejectedError(f"GHL rejected {what}: {status} {_error_text(resp)}", status)


class ContactsClient:
    """Makes one call per request; no retries here (the sender owns them)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def call(self, token: str, method: str, path: str,
                   body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "Version": CRM_API_VERSION,
                   "Accept": "application/json"}
        what = f"{method} {path.split('/')[-1] if path.count('/') > 2 else 'contact'}"
        started = time.perf_counter()
        try:
            resp = await self._http.request(method, self._base + path, json=body,
                                            headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            HTTP_ATTEMPTS.labels("transport").inc()
            raise GHLUnavailableError(f"GHL unreachable: {exc!r}") from exc
        except httpx.HTTPError as exc:  # the request may have reached GHL
            HTTP_ATTEMPTS.labels("transport").inc()
            raise DeliveryInDoubtError(
                f"no answer from GHL to {what} ({exc!r}): it may have been applied") from exc
        finally:
            REQUEST_SECONDS.observe(time.perf_counter() - started)
        HTTP_ATTEMPTS.labels(f"{resp.status_code // 100}xx" if resp.status_code not in (401, 429)
                             else str(resp.status_code)).inc()
        return classify(resp, what)
