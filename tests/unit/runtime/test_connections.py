"""The connection guard of a public port (`runtime.connections`) over real loopback sockets, on
a `HealthServer` serving one route: the header-read timeout (from a connection's opening, and
again from the first byte after a response), the idle timeout, and the cap (shed the longest
idle, else the slowest header sender; refuse with 429 when every connection is in a request).
A request being handled is never cut by the guard."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import REGISTRY

from workers.runtime.connections import ConnectionLimits
from workers.runtime.http import HealthServer, Routes

REQUEST = b"GET /slow?s=0 HTTP/1.1\r\nHost: x\r\n\r\n"


class App:
    """One route, `GET /slow?s=SECONDS`, answering after that long (or once `release` is set,
    with `s=wait`)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.in_handler = 0

    async def slow(self, request: web.Request) -> web.Response:
        self.in_handler += 1
        try:
            if request.query["s"] == "wait":
                await self.release.wait()
            else:
                await asyncio.sleep(float(request.query["s"]))
        finally:
            self.in_handler -= 1
        return web.Response(text="done")


@asynccontextmanager
async def serving(limits: ConnectionLimits) -> AsyncIterator[tuple[int, App]]:
    app = App()
    routes = Routes((web.get("/slow", app.slow),), "GET /slow", client_max_size=1000,
                    shutdown_timeout=1.0, connections=limits)
    server = HealthServer("test", "127.0.0.1", 0, {}, routes)
    await server.start()
    try:
        yield server.port, app
    finally:
        await server.stop()


def limits(*, cap: int = 100, header_s: float = 0.4, idle_s: float = 5.0) -> ConnectionLimits:
    return ConnectionLimits(max_connections=cap, header_timeout_s=header_s, idle_timeout_s=idle_s)


def closed(reason: str) -> float:
    return REGISTRY.get_sample_value("leadmem_http_connections_closed_total",
                                     {"reason": reason}) or 0.0


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, timeout_s: float = 5.0) -> bytes:
        """One whole response (headers and a body of its Content-Length)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout_s)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return head + await asyncio.wait_for(self.reader.readexactly(length), timeout_s)

    async def closed_by_server(self, timeout_s: float = 5.0) -> bytes:
        """What the server sent before closing (b"" when nothing); fails if it stays open."""
        got = b""
        try:
            async with asyncio.timeout(timeout_s):
                while chunk := await self.reader.read(4096):
                    got += chunk
        except ConnectionResetError:
            pass
        return got

    def close(self) -> None:
        self.writer.close()


async def test_a_connection_that_sends_no_complete_headers_is_closed_after_the_timeout() -> None:
    async with serving(limits(header_s=0.4)) as (port, _):
        before = closed("header_timeout")
        silent = await Conn.open(port)
        dribbler = await Conn.open(port)
        started = time.monotonic()

        async def dribble() -> None:  # a byte every 50 ms: never done within 0.4 s
            for byte in b"GET /slow?s=0 HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa":
                await dribbler.send(bytes([byte]))
                await asyncio.sleep(0.05)

        task = asyncio.create_task(dribble())
        assert await silent.closed_by_server() == b""
        assert await dribbler.closed_by_server() == b""  # no answer, just closed
        elapsed = time.monotonic() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task
        assert 0.3 < elapsed < 2.0
        assert closed("header_timeout") == before + 2


async def test_a_prompt_request_is_served_and_a_slow_handler_is_not_cut() -> None:
    async with serving(limits(header_s=0.3)) as (port, _):
        conn = await Conn.open(port)
        await conn.send(b"GET /slow?s=0.8 HTTP/1.1\r\nHost: x\r\n\r\n")  # longer than 0.3 s
        assert (await conn.response()).startswith(b"HTTP/1.1 200")
        conn.close()


async def test_keep_alive_idle_then_closed_and_a_slow_next_request_is_timed_from_its_first_byte(
) -> None:
    async with serving(limits(header_s=0.4, idle_s=0.8)) as (port, _):
        before_idle, before_headers = closed("idle_timeout"), closed("header_timeout")
        idle = await Conn.open(port)
        await idle.send(REQUEST)
        assert (await idle.response()).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.5)  # idle, but longer than the header timeout: still open
        await idle.send(REQUEST)
        assert (await idle.response()).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert await idle.closed_by_server() == b""
        assert 0.6 < time.monotonic() - started < 2.0
        assert closed("idle_timeout") == before_idle + 1

        slow = await Conn.open(port)
        await slow.send(REQUEST)
        assert (await slow.response()).startswith(b"HTTP/1.1 200")
        await slow.send(b"GET /slow?s=0 HTTP/1.1\r\nHo")  # the next request begins, stalls
        started = time.monotonic()
        assert await slow.closed_by_server() == b""
        assert time.monotonic() - started < 0.75  # the header timeout, not the idle one
        assert closed("header_timeout") == before_headers + 1


async def test_over_the_cap_the_slowest_header_sender_is_shed_for_a_new_connection() -> None:
    async with serving(limits(cap=2, header_s=5.0)) as (port, _):
        before = closed("shed_slow")
        oldest = await Conn.open(port)
        await oldest.send(b"GET /slow?s=0 HTTP/1.1\r\n")
        await asyncio.sleep(0.05)
        younger = await Conn.open(port)
        await younger.send(b"GET /slow?s=0 HTTP/1.1\r\n")
        await asyncio.sleep(0.05)
        fresh = await Conn.open(port)
        await fresh.send(REQUEST)
        assert (await fresh.response()).startswith(b"HTTP/1.1 200")
        assert await oldest.closed_by_server(1.0) == b""
        assert closed("shed_slow") == before + 1
        await younger.send(b"Host: x\r\n\r\n")  # not shed: still served
        assert (await younger.response()).startswith(b"HTTP/1.1 200")


async def test_over_the_cap_an_idle_connection_is_shed_before_a_slow_one() -> None:
    async with serving(limits(cap=2, header_s=5.0)) as (port, _):
        before = closed("shed_idle")
        slow = await Conn.open(port)
        await slow.send(b"GET /slow?s=0 HTTP/1.1\r\n")
        idle = await Conn.open(port)
        await idle.send(REQUEST)
        assert (await idle.response()).startswith(b"HTTP/1.1 200")
        fresh = await Conn.open(port)
        await fresh.send(REQUEST)
        assert (await fresh.response()).startswith(b"HTTP/1.1 200")
        assert await idle.closed_by_server(1.0) == b""
        assert closed("shed_idle") == before + 1
        await slow.send(b"Host: x\r\n\r\n")
        assert (await slow.response()).startswith(b"HTTP/1.1 200")


async def test_over_the_cap_with_every_connection_in_a_request_a_new_one_gets_429() -> None:
    async with serving(limits(cap=2)) as (port, app):
        before = closed("refused")
        busy = [await Conn.open(port) for _ in range(2)]
        for conn in busy:
            await conn.send(b"GET /slow?s=wait HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in range(100):
            if app.in_handler == 2:
                break
            await asyncio.sleep(0.01)
        assert app.in_handler == 2
        refused = await Conn.open(port)
        await refused.send(REQUEST)
        answer = await refused.closed_by_server()
        assert answer.startswith(b"HTTP/1.1 429 Too Many Requests\r\n")
        assert b"Retry-After: 10\r\n" in answer and b"Connection: close" in answer
        assert answer.endswith(b'{"outcome": "too_many_connections"}')
        assert closed("refused") == before + 1
        app.release.set()
        for conn in busy:  # the requests under way were not disturbed
            assert (await conn.response()).startswith(b"HTTP/1.1 200")
        after = await Conn.open(port)  # room again: an idle one is shed for it
        await after.send(REQUEST)
        assert (await after.response()).startswith(b"HTTP/1.1 200")


async def test_the_open_connections_gauge_follows_opens_and_closes() -> None:
    def gauge() -> float:
        return REGISTRY.get_sample_value("leadmem_http_connections_open") or 0.0

    async with serving(limits()) as (port, _):
        conns = [await Conn.open(port) for _ in range(3)]
        for conn in conns:
            await conn.send(REQUEST)
            await conn.response()
        assert gauge() == 3
        for conn in conns:
            conn.close()
        for _ in range(100):
            if gauge() == 0:
                break
            await asyncio.sleep(0.01)
        assert gauge() == 0


async def test_stopping_the_server_closes_guarded_connections() -> None:
    async with serving(limits(cap=1)) as (port, _):
        conn = await Conn.open(port)
        await conn.send(REQUEST)
        await conn.response()
    assert await conn.closed_by_server(2.0) == b""


def test_routes_added_to_a_guarded_port_keep_its_guard() -> None:
    guarded = Routes((), "POST /a", client_max_size=10, shutdown_timeout=1.0,
                     connections=limits())
    plain = Routes((), "GET /b", client_max_size=20, shutdown_timeout=2.0)
    assert guarded.plus(plain).connections == limits()
    assert plain.plus(guarded).connections == limits()
    assert plain.plus(plain).connections is None
