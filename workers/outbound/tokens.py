"""Location access tokens for the GHL API: a static map, or OAuth refresh tokens.

`get` returns the token to use now; `refresh` is called once after a 401 and returns a new
one. A location with no usable token raises `TokenUnavailableError`, a retryable error: the
reply is not at fault, and once the deployment is fixed a retry or a DLQ replay sends it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, MutableMapping
from typing import Protocol

import httpx

from workers.errors import RetryableError
from workers.outbound.metrics import TOKEN_REFRESHES
from workers.outbound.ratelimit import Clock

EXPIRY_MARGIN_S = 60.0  # refresh a little before GHL's ~24 h expiry, not after a 401


class TokenUnavailableError(RetryableError):
    """No valid access token for a location (missing, rejected, or refresh refused)."""


class TokenProvider(Protocol):
    async def get(self, location: str) -> str: ...

    async def refresh(self, location: str) -> str: ...


class StaticTokenProvider:
    """Tokens from settings: per location (`LEADMEM_GHL_TOKENS`), else a default one."""

    def __init__(self, tokens: Mapping[str, str], default: str | None = None) -> None:
        self._tokens = dict(tokens)
        self._default = default

    async def get(self, location: str) -> str:
        token = self._tokens.get(location, self._default)
        if not token:
            raise TokenUnavailableError(f"no GHL access token configured for location {location}")
        return token

    async def refresh(self, location: str) -> str:
        raise TokenUnavailableError(
            f"GHL rejected the configured token of location {location} (401) and a static "
            "token cannot be refreshed: configure a new one"
        )


class OAuthTokenProvider:
    """Access tokens from OAuth refresh tokens (`POST {base}/oauth/token`).

    GHL refresh tokens are single-use: each refresh returns the next one, written back into
    `refresh_tokens`. Pass a persistent mapping there in production, or the rotated token
    is lost on restart; a per-location lock keeps two refreshes from spending one token.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        refresh_tokens: MutableMapping[str, str],
        access_tokens: Mapping[str, str] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/oauth/token"
        self._client = (client_id, client_secret)
        self._refresh_tokens = refresh_tokens
        self._clock = clock
        self._access: dict[str, tuple[str, float]] = {
            loc: (tok, float("inf")) for loc, tok in (access_tokens or {}).items()
        }
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, location: str) -> str:
        cached = self._access.get(location)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        return await self.refresh(location)

    async def refresh(self, location: str) -> str:
        lock = self._locks.setdefault(location, asyncio.Lock())
        async with lock:
            try:
                token = await self._refresh(location)
            except RetryableError:
                TOKEN_REFRESHES.labels("failed").inc()
                raise
            TOKEN_REFRESHES.labels("ok").inc()
            return token

    async def _refresh(self, location: str) -> str:
        refresh_token = self._refresh_tokens.get(location)
        if not refresh_token:
            raise TokenUnavailableError(f"no GHL refresh token configured for location {location}")
        form = {
            "client_id": self._client[0],
            "client_secret": self._client[1],
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "user_type": "Location",
        }
        try:
            resp = await self._http.post(self._url, data=form)
        except httpx.HTTPError as exc:
            raise RetryableError(f"GHL token refresh failed: {exc!r}") from exc
        if resp.status_code >= 500:
            raise RetryableError(f"GHL token refresh answered {resp.status_code}")
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code != 200 or not isinstance(data, dict) or not data.get("access_token"):
            why = data.get("error_description") or data.get("error") if isinstance(data, dict) \
                else None
            raise TokenUnavailableError(
                f"GHL refused to refresh the token of location {location}: "
                f"{resp.status_code} {why or resp.text[:200]}"
            )
        if data.get("refresh_token"):
            self._refresh_tokens[location] = str(data["refresh_token"])
        expires_in = float(data.get("expires_in") or 0) or float("inf")
        token = str(data["access_token"])
        self._access[location] = (token, self._clock() + expires_in - EXPIRY_MARGIN_S)
        return token
