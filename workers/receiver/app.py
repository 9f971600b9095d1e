"""The receiver's HTTP layer: `POST /webhooks/ghl` and, with a workflow webhook key,
`POST /webhooks/workflow/{tenant}/{token}`, served by the worker host beside its `/health` and
`/metrics` on one port (`routes`), behind the connection guard (`runtime.connections`: header
timeout, idle timeout, connection cap).

Why `aiohttp.web`: it is already a dependency and already serves every worker's `/health` and
`/metrics` (`runtime/http.py`, serving it too); it hands the handler the body as a stream,
so the bytes are read exactly as sent and never more than the limit + 1 is buffered; its C
HTTP parser handles keep-alive, chunking and `Expect: 100-continue`; and it runs on the same
event loop as aiokafka's producer with nothing in between. FastStream's ASGI routes would
need an ASGI server (none is a dependency) and would publish through FastStream's publisher
(its own headers, per-publish middleware), which the receiver does not want: it writes the
delivery's bytes, its signature headers and its receive time, nothing else.

The handler is thin: a slot under the in-flight cap, a bounded and timed read, then the pure
decision (`accept.decide`) and the sink's produce; `metrics.STATUS` maps outcomes to codes.
Every answer that is not 200 but may be retried is 429, the only code GHL retries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import ClientPayloadError, StreamReader, web

from workers.ingestion.signatures import SignatureVerifier
from workers.ingestion.workflow import WORKFLOW_ROUTE
from workers.receiver.accept import (
    Accept,
    Decision,
    Reject,
    TooLarge,
    decide,
    decide_workflow,
    too_large,
)
from workers.receiver.metrics import BODY_BYTES, IN_FLIGHT, STATUS, RequestCounter
from workers.runtime.connections import ConnectionLimits
from workers.runtime.http import Routes

WEBHOOK_PATH = "/webhooks/ghl"
WORKFLOW_PATH = WORKFLOW_ROUTE  # /webhooks/workflow/{tenant}/{token}
# GHL retries on its own schedule (about 10 minutes apart); the header is for other clients.
RETRY_AFTER_S = 10


class Sink(Protocol):
    """Where deliveries go (`service.Receiver`); each returns False when the broker did not
    acknowledge within the deadline, and the request is answered 429."""

    async def forward(self, body: bytes, accept: Accept, received_ms: int) -> bool: ...

    async def dead_letter(self, body: bytes, reject: Reject, received_ms: int) -> bool: ...


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    read_timeout_s: float
    max_in_flight: int
    connections: ConnectionLimits | None = None  # None: aiohttp's own (tests of the handler)


async def read_bounded(stream: StreamReader, limit: int) -> bytes:
    """The body, or its first `limit + 1` bytes: enough to tell it is over the limit, and
    never more held in memory."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class WebhookHandler:
    def __init__(
        self, sink: Sink, verifier: SignatureVerifier, limits: Limits, counter: RequestCounter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sink = sink
        self.verifier = verifier
        self.limits = limits
        self.counter = counter
        self.clock = clock
        self.in_flight = 0

    async def receive(self, request: web.Request) -> web.Response:
        """`POST /webhooks/ghl`: a delivery signed by GHL."""
        def decision(body: bytes) -> Decision:
            return decide(body, request.headers, max_bytes=self.limits.max_body_bytes,
                          verifier=self.verifier)

        return await self._receive(request, decision)

    async def receive_workflow(self, request: web.Request) -> web.Response:
        """`POST /webhooks/workflow/{tenant}/{token}`: a tenant's own workflow webhook (served
        only with a workflow key)."""
        key = self.verifier.workflow
        assert key is not None, "the workflow route is served only with a workflow key"
        tenant, token = request.match_info["tenant"], request.match_info["token"]

        def decision(body: bytes) -> Decision:
            return decide_workflow(body, tenant=tenant, token=token,
                                   max_bytes=self.limits.max_body_bytes, key=key)

        return await self._receive(request, decision)

    async def _receive(self, request: web.Request,
                       decision: Callable[[bytes], Decision]) -> web.Response:
        received_ms = int(self.clock() * 1000)
        if self.in_flight >= self.limits.max_in_flight:
            return self._answer("busy")  # before reading: a flood costs no memory
        self.in_flight += 1
        IN_FLIGHT.inc()
        try:
            return await self._handle(request, received_ms, decision)
        finally:
            self.in_flight -= 1
            IN_FLIGHT.dec()

    async def _handle(self, request: web.Request, received_ms: int,
                      decide_on: Callable[[bytes], Decision]) -> web.Response:
        limit = self.limits.max_body_bytes
        if declared := too_large(request.content_length, limit):
            return self._too_large(declared)
        try:
            async with asyncio.timeout(self.limits.read_timeout_s):
                body = await read_bounded(request.content, limit)
        except TimeoutError:
            return self._answer("slow_upload")
        except (ConnectionError, ClientPayloadError):
            return self._answer("aborted")
        BODY_BYTES.observe(len(body))
        decision = decide_on(body)
        if isinstance(decision, Accept):
            ok = await self.sink.forward(body, decision, received_ms)
            return self._answer("accepted" if ok else "unavailable", decision.location)
        if isinstance(decision, Reject):
            if not await self.sink.dead_letter(body, decision, received_ms):
                return self._answer("unavailable")
            return self._answer("invalid", error=decision.reason)
        if isinstance(decision, TooLarge):
            return self._too_large(decision)
        return self._answer("unauthorized", error=decision.reason)

    def _too_large(self, over: TooLarge) -> web.Response:
        return self._answer("too_large", error=f"body of {over.size} bytes or more is over "
                                               f"the limit of {over.limit}")

    def _answer(self, outcome: str, tenant: str | None = None, *,
                error: str | None = None) -> web.Response:
        self.counter.count(outcome, tenant)
        status = STATUS[outcome]
        body: dict[str, str] = {"outcome": outcome}
        if error:
            body["error"] = error
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 429 else None
        return web.json_response(body, status=status, headers=headers)


def routes(handler: WebhookHandler, *, shutdown_timeout: float) -> Routes:
    """The receiver's routes (the workflow one only with a workflow key), for the host to
    serve beside `/health` and `/metrics`. `client_max_size` also bounds any other body read;
    stopping waits `shutdown_timeout` for the requests under way."""
    served = [web.post(WEBHOOK_PATH, handler.receive)]
    if handler.verifier.workflow is not None:
        served.append(web.post(WORKFLOW_PATH, handler.receive_workflow))
    return Routes(tuple(served), ", ".join(f"POST {r.path}" for r in served),
                  client_max_size=handler.limits.max_body_bytes + 1,
                  shutdown_timeout=shutdown_timeout, connections=handler.limits.connections)
