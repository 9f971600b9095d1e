"""A guard on the connections of a public HTTP port (the webhook receiver's): a header-read
timeout, an idle timeout and a cap on open connections, so slow clients cannot hold it
(slowloris: many connections, each sending its headers a byte at a time).

aiohttp's server has no header-read timeout of its own (its keep-alive timer closes a
connection only while no byte of a request has arrived, and its body read has no deadline but
the handler's), so `ConnectionGuard` wraps the protocol of every connection aiohttp serves:

- a connection is *awaiting headers* from its opening, and again from the first byte after a
  response; if the request's headers are not complete `header_timeout_s` later it is closed;
- it is *in a request* from the moment aiohttp hands the parsed request to the application
  (`middleware`) until the handler returned: no deadline here, the handler has its own (the
  receiver's body read timeout and produce deadline);
- it is *idle* after a response; closed after `idle_timeout_s` without a new byte;
- at most `max_connections` are open. A new connection over the cap sheds the longest idle
  one, else the one awaiting its headers the longest (a slow sender), and is served; when every
  open connection is in a request it is answered 429 (with `Retry-After`; GHL retries only
  429) and closed.

Closing is an abort (no flush): a slow reader cannot hold the socket either.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from prometheus_client import Counter, Gauge

State = Literal["headers", "request", "idle"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REFUSE_LINGER_S = 1.0  # a refused connection reads (and drops) its request this long at most

CLOSED = Counter(
    "leadmem_http_connections_closed",
    "Connections the guard of a public port closed, by reason: header_timeout (headers not "
    "complete in time), idle_timeout, shed_idle / shed_slow (closed to make room over the "
    "cap), refused (over the cap with every connection in a request: answered 429).",
    ["reason"],
)
OPEN = Gauge("leadmem_http_connections_open", "Connections open on a guarded public port.")


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    header_timeout_s: float
    idle_timeout_s: float
    retry_after_s: int = 10  # in the 429 of a refused connection


class ConnectionGuard:
    """The limits over one server's connections: `protocol_factory` wraps aiohttp's, and
    `middleware` (on the application) marks when a connection's request is being handled."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: dict[asyncio.BaseTransport, GuardedProtocol] = {}

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol],
                         ) -> Callable[[], asyncio.Protocol]:
        return lambda: GuardedProtocol(self, inner)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        conn = self.open.get(request.transport) if request.transport is not None else None
        if conn is None:
            return await handler(request)
        conn.enter("request")
        try:
            return await handler(request)
        finally:
            conn.enter("idle")

    def admit(self, conn: GuardedProtocol) -> bool:
        """Room for `conn` (shedding another if need be), or False: refuse it."""
        if len(self.open) >= self.limits.max_connections:
            victim = self._victim()
            if victim is None:
                return False
            victim.close("shed_idle" if victim.state == "idle" else "shed_slow")
        assert conn.transport is not None
        self.open[conn.transport] = conn
        OPEN.set(len(self.open))
        return True

    def _victim(self) -> GuardedProtocol | None:
        for state in ("idle", "headers"):
            waiting = [c for c in self.open.values() if c.state == state]
            if waiting:
                return min(waiting, key=lambda c: c.since)
        return None

    def forget(self, conn: GuardedProtocol) -> None:
        if conn.transport is not None and self.open.get(conn.transport) is conn:
            del self.open[conn.transport]
            OPEN.set(len(self.open))


def refusal(retry_after_s: int) -> bytes:
    body = json.dumps({"outcome": "too_many_connections"}).encode()
    return (f"HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after_s}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


class GuardedProtocol(asyncio.Protocol):
    """One connection: forwards everything to aiohttp's protocol (`inner`), and keeps the
    connection's state and deadline."""

    def __init__(self, guard: ConnectionGuard, inner: Callable[[], asyncio.Protocol]) -> None:
        self.guard = guard
        self._make_inner = inner
        self.inner: asyncio.Protocol | None = None  # None: refused (or not yet connected)
        self.transport: asyncio.Transport | None = None
        self.state: State = "headers"
        self.since = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._lost = False
        self._loop = asyncio.get_running_loop()

    # --- the state and its deadline --------------------------------------------------------

    def enter(self, state: State) -> None:
        self.state, self.since = state, self._loop.time()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._lost:  # a handler finishing after its connection was gone
            return
        limits = self.guard.limits
        if state == "headers":
            self._timer = self._loop.call_at(self.since + limits.header_timeout_s,
                                             self.close, "header_timeout")
        elif state == "idle":
            self._timer = self._loop.call_at(self.since + limits.idle_timeout_s,
                                             self.close, "idle_timeout")

    def close(self, reason: str) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        CLOSED.labels(reason).inc()
        self.guard.forget(self)
        self.transport.abort()

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.guard.admit(self):
            self._refuse(transport)
            return
        self.inner = self._make_inner()
        self.enter("headers")
        self.inner.connection_made(transport)

    def _refuse(self, transport: asyncio.Transport) -> None:
        """429 and close: after the answer, read (and drop) what the client sends until it
        closes or `REFUSE_LINGER_S` passed, so closing with its request unread does not reset
        the connection before it read the answer."""
        CLOSED.labels("refused").inc()
        transport.write(refusal(self.guard.limits.retry_after_s))
        if transport.can_write_eof():
            transport.write_eof()
            self._timer = self._loop.call_later(REFUSE_LINGER_S, transport.abort)
        else:
            transport.close()

    def data_received(self, data: bytes) -> None:
        if self.inner is None:
            return  # refused: dropped
        if self.state == "idle":
            self.enter("headers")  # the next request began
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self.inner is None:
            return False  # refused: the client is done, close
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.guard.forget(self)
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()
