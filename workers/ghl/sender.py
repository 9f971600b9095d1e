"""Sending one message with bounded retries: rate limit, 429 waits, one refresh.

Only errors that prove GHL did not take the message are retried here (429, the request never
sent: connection refused, 401 once after a refresh), as `outcome` classifies GHL's answers;
anything else propagates at once, in doubt (a 5xx, a cut connection after sending) included,
unless the caller says the request is idempotent (a tag, a field, DND: made twice, no harm),
when an answer in doubt is retried too. When the attempts are spent, the last retryable error
propagates and the caller releases its claim. Every answer's `X-RateLimit-*` headers go to
the limiter (`Limiter.observe`), so GHL's own count corrects the shared one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from workers.errors import RetryableError
from workers.ghl.client import (
    Delivered,
    DeliveryInDoubtError,
    GHLUnavailableError,
    RateLimitedError,
    TokenRejectedError,
    collect_reports,
)
from workers.ghl.limits import Report
from workers.ghl.metrics import RATE_LIMIT_WAIT_SECONDS, RATE_LIMIT_WAITS
from workers.ghl.ratelimit import Limiter, Sleep
from workers.ghl.tokens import TokenProvider

T = TypeVar("T")


class MessageClient(Protocol):
    """Posts one message with a location's token (`GHLClient`; tests pass a fake GHL)."""

    async def send(self, token: str, payload: dict[str, Any]) -> Delivered: ...


class ClaimWindow(Protocol):
    """The caller's claim on the message (status 'sending'): a crash while it is held leaves
    the message in doubt, never resent. The sender gives it back before every wait between
    attempts and takes it again after, so a crash during a wait leaves the message unclaimed
    (sent by the redelivery) instead of in doubt."""

    async def release(self, reason: str) -> None: ...

    async def retake(self) -> bool:
        """Claim again; False when the message is no longer this caller's to send."""
        ...


class ClaimLostError(Exception):
    """Between two attempts the message was claimed or settled by someone else."""


class Sender:
    def __init__(
        self,
        client: MessageClient,
        tokens: TokenProvider,
        limiter: Limiter,
        *,
        max_attempts: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        max_wait_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client, self._tokens, self._limiter = client, tokens, limiter
        self._max_attempts = max(1, max_attempts)
        self._backoff_s, self._backoff_max_s = backoff_s, backoff_max_s
        self._max_wait_s = max_wait_s
        self._sleep = sleep

    def backoff(self, attempt: int) -> float:
        return min(self._backoff_s * (2 ** (attempt - 1)), self._backoff_max_s)

    async def turn(self, location: str) -> None:
        """Wait for a rate-limit token of `location` (before claiming, so that this wait is
        not spent holding a claim); pass `turn_taken=True` to the `send` that follows."""
        await self._acquire(location, server_paused=False)

    async def _acquire(self, location: str, *, server_paused: bool) -> None:
        waited = await self._limiter.acquire(location)
        if waited > 0:
            source = "server" if server_paused else "local"
            RATE_LIMIT_WAITS.labels(source).inc()
            RATE_LIMIT_WAIT_SECONDS.labels(source).observe(waited)

    async def send(self, location: str, payload: dict[str, Any], *,
                   claim: ClaimWindow | None = None, turn_taken: bool = False) -> Delivered:
        """Send one message (see `call`)."""
        client = self._client
        return await self.call(location, lambda token: client.send(token, payload),
                               claim=claim, turn_taken=turn_taken)

    async def call(self, location: str, request: Callable[[str], Awaitable[T]], *,
                   claim: ClaimWindow | None = None, turn_taken: bool = False,
                   idempotent: bool = False) -> T:
        """`request(token)` with the location's rate limit, token and bounded retries: the
        one way every call to GHL goes (messages and CRM write-backs share the limit). An
        answer in doubt is raised (`DeliveryInDoubtError`: never repeated) unless the
        request is `idempotent`, when it is repeated like one GHL did not take."""
        refreshed = server_paused = False
        last: RetryableError | None = None
        delay = 0.0
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1 and claim is not None:
                await claim.release(str(last))
            if delay > 0:
                await self._sleep(delay)
                delay = 0.0
            if attempt > 1 or not turn_taken:
                await self._acquire(location, server_paused=server_paused)
            if attempt > 1 and claim is not None and not await claim.retake():
                raise ClaimLostError(f"claimed by another sender after: {last}")
            server_paused = False
            token = await self._tokens.get(location)
            try:
                with collect_reports() as reports:
                    try:
                        return await request(token)
                    finally:
                        for report in reports:
                            await self._limiter.observe(location, report)
            except TokenRejectedError as exc:
                if refreshed:
                    raise TokenRejectedError(
                        f"GHL rejected the refreshed token of location {location}: {exc}"
                    ) from exc
                refreshed, last = True, exc
                await self._tokens.refresh(location)
            except RateLimitedError as exc:
                # No advice from GHL: wait out a whole window of our own limit. Its count in
                # the window (none left) is the pause; the rest of its report stands.
                wait = exc.retry_after if exc.retry_after is not None else self._limiter.interval_s
                await self._limiter.observe(location, replace(
                    exc.report or Report(), remaining=None, pause_s=min(wait, self._max_wait_s)))
                server_paused, last = True, exc
            except (GHLUnavailableError, DeliveryInDoubtError) as exc:
                if isinstance(exc, DeliveryInDoubtError):
                    if not idempotent:
                        raise  # GHL may have done it: never made twice
                    last = GHLUnavailableError(f"unconfirmed, made again (idempotent): {exc}",
                                               retry_after=exc.retry_after)
                else:
                    last = exc
                if attempt < self._max_attempts:
                    hint = exc.retry_after
                    delay = self.backoff(attempt) if hint is None else min(hint, self._max_wait_s)
        assert last is not None
        raise type(last)(
            f"gave up after {self._max_attempts} attempts: {last}", retry_after=last.retry_after
        ) from last
