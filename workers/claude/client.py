"""`ClaudeClient.create`: one Messages API call for a tenant, with bounded retries.

Retries are ours alone: every `AsyncAnthropic` is built with `max_retries=0`, so an attempt
counted here is exactly one HTTP request (the SDK would otherwise retry 408/409/429/5xx up to
twice per call, multiplying ours). We retry 429, 529, 5xx, 408/409, timeouts and connection
errors up to `max_attempts` with exponential backoff, honouring `retry-after(-ms)` when it is
shorter than `backoff_max_s` (a longer one gives up: the caller's fallback answers now, not in
a minute). A malformed 200 is not retried: it was likely billed, and the upstream is broken.
Each attempt is bounded by `timeout_s` and the whole call by `deadline_s`, so a slow API
cannot stall a partition past the consumer's poll interval. The per-tenant breaker sees one
success or failure per call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anthropic
from anthropic.types import Message, TextBlock

from workers.claude.breaker import BreakerRegistry
from workers.claude.config import ClaudeConfig
from workers.claude.metrics import COST, DURATION, REQUESTS, TOKENS
from workers.claude.pricing import Usage, estimate_cost
from workers.errors import PipelineError
from workers.runtime.bounded import LRUMap

log = logging.getLogger(__name__)


class ClaudeUnavailableError(PipelineError):
    """No usable answer from Claude; `reason` says why (the caller falls back)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"claude unavailable: {reason}{': ' + detail if detail else ''}")
        self.reason = reason


@dataclass(frozen=True)
class ClaudeResult:
    message: Message
    model: str
    usage: Usage
    cost_usd: float
    latency_ms: float
    attempts: int


def classify(exc: BaseException) -> tuple[str, bool]:
    """(metric outcome, worth retrying) for an error raised by the SDK."""
    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout", True
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection_error", True
    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limited", True
    if isinstance(exc, anthropic.OverloadedError):
        return "overloaded", True
    if isinstance(exc, anthropic.APIStatusError):
        retry = exc.status_code >= 500 or exc.status_code in (408, 409)
        return ("server_error" if retry else "rejected"), retry
    return "malformed", False  # APIResponseValidationError, or a bare JSON ValueError


def retry_after(exc: BaseException) -> float | None:
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
    return None


def usage_of(message: Message) -> Usage:
    u = message.usage
    return Usage(
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cache_read_tokens=u.cache_read_input_tokens or 0,
        cache_write_tokens=u.cache_creation_input_tokens or 0,
    )


def text_of(message: Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock)).strip()


MAX_CLIENTS = 256  # distinct keys/endpoints with a client at once (each ~1 MB: TLS context)


class ClaudeClient:
    """Holds one `AsyncAnthropic` per key and endpoint (`ClaudeConfig.fingerprint`), shared by
    every tenant that uses it: the tenants on the deployment's key share one client (one TLS
    context, one connection pool), a tenant with its own key has its own, and a rotated key
    gets a new one. At most `max_clients` are kept, least recently used dropped first; a
    dropped client is closed by the SDK once the calls still using it let go of it."""

    def __init__(
        self,
        breakers: BreakerRegistry | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.perf_counter,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.breakers = breakers or BreakerRegistry()
        self._sleep = sleep
        self._clock = clock
        self._clients: LRUMap[str, anthropic.AsyncAnthropic] = LRUMap(max_clients)

    def _client(self, config: ClaudeConfig) -> anthropic.AsyncAnthropic:
        client = self._clients.get(config.fingerprint)
        if client is None:
            client = self._clients[config.fingerprint] = anthropic.AsyncAnthropic(
                api_key=config.api_key, base_url=config.base_url, max_retries=0,
                timeout=config.timeout_s,
            )
        return client

    async def aclose(self) -> None:
        clients = self._clients.values()
        self._clients.clear()
        for client in clients:
            await client.close()

    async def create(
        self, tenant: str, config: ClaudeConfig, *, system: Any, messages: Any, **params: Any
    ) -> ClaudeResult:
        """One call; raises `ClaudeUnavailableError` instead of any SDK error."""
        if not config.configured:
            REQUESTS.labels("not_configured").inc()
            raise ClaudeUnavailableError("key_error" if config.key_error else "not_configured")
        breaker = self.breakers.for_tenant(tenant)
        if not breaker.allow():
            REQUESTS.labels("breaker_open").inc()
            raise ClaudeUnavailableError("breaker_open")
        request = {"model": config.model, "max_tokens": config.max_tokens, "system": system,
                   "messages": messages, **params}
        client = self._client(config)
        started = self._clock()
        try:
            async with asyncio.timeout(config.deadline_s):
                message, attempts = await self._attempts(client, config, request, started)
        except TimeoutError as exc:
            breaker.record_failure()
            raise ClaudeUnavailableError("deadline", f"{config.deadline_s:g}s") from exc
        except ClaudeUnavailableError:
            breaker.record_failure()
            raise
        breaker.record_success()
        usage = usage_of(message)
        cost = estimate_cost(config.model, usage)
        for kind, value in (("input", usage.input_tokens), ("output", usage.output_tokens),
                            ("cache_read", usage.cache_read_tokens),
                            ("cache_write", usage.cache_write_tokens)):
            TOKENS.labels(kind).inc(value)
        COST.inc(cost)
        return ClaudeResult(message, config.model, usage, cost,
                            round((self._clock() - started) * 1000, 1), attempts)

    async def _attempts(
        self, client: anthropic.AsyncAnthropic, config: ClaudeConfig, request: dict[str, Any],
        started: float,
    ) -> tuple[Message, int]:
        for attempt in range(1, config.max_attempts + 1):
            t0 = self._clock()
            try:
                message = await client.messages.create(**request)
            except (anthropic.APIError, ValueError) as exc:
                outcome, retryable = classify(exc)
                REQUESTS.labels(outcome).inc()
                DURATION.observe(self._clock() - t0)
                log.warning("claude attempt %d/%d: %s (%s)", attempt, config.max_attempts,
                            outcome, type(exc).__name__)
                if not retryable:
                    reason = "malformed" if outcome == "malformed" else "rejected"
                    raise ClaudeUnavailableError(reason, type(exc).__name__) from exc
                delay = self._delay(config, attempt, retry_after(exc))
                spent = self._clock() - started
                if attempt == config.max_attempts or delay is None \
                        or spent + delay >= config.deadline_s:
                    raise ClaudeUnavailableError("retries_exhausted", outcome) from exc
                await self._sleep(delay)
                continue
            REQUESTS.labels("ok").inc()
            DURATION.observe(self._clock() - t0)
            return message, attempt
        raise ClaudeUnavailableError("retries_exhausted")  # max_attempts < 1

    @staticmethod
    def _delay(config: ClaudeConfig, attempt: int, hinted: float | None) -> float | None:
        """Seconds before the next attempt; None when the server asks for longer than we wait."""
        if hinted is not None:
            return hinted if hinted <= config.backoff_max_s else None
        return min(config.backoff_s * 2 ** (attempt - 1), config.backoff_max_s)
