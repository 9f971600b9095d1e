"""One call to GHL's contacts API (tasks, notes, tags, custom fields), classified as the
send-message answer is (`ghl.client`, by `ghl.outcome`'s table): retry after a wait (429,
connection refused), refresh the token (401), give up (other 4xx), or stop because GHL may
already have it (a 5xx, no answer after the request went out); the caller says whether such
a call may be made again (`Sender.call(idempotent=...)`)."""

from __future__ import annotations

from typing import Any

import httpx

from workers.ghl.client import raise_for_status, request

CRM_API_VERSION = "2021-07-28"


def classify(resp: httpx.Response, what: str) -> dict[str, Any]:
    """GHL's answer as a dict (2xx), or the error it means (`raise_for_status`)."""
    raise_for_status(resp, what)
    try:
        data = resp.json()
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


class ContactsClient:
    """Makes one call per request; no retries here (the sender owns them)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def call(self, token: str, method: str, path: str,
                   body: dict[str, Any]) -> dict[str, Any]:
        what = f"{method} {path.split('/')[-1] if path.count('/') > 2 else 'contact'}"
        return classify(await request(
            self._http, method, self._base + path, token=token, version=CRM_API_VERSION,
            body=body, what=f"to {what}", effect="applied"), what)
