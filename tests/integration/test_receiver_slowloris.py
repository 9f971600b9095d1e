"""Slow clients cannot hold the webhook receiver (against the real broker): many connections
sending their headers a byte at a time are closed once the header timeout passes, and a normal
signed delivery sent in the middle of it, with the connection cap already full of them, is
answered 200 at once; over the cap with every connection in a request, a new one gets 429."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

import aiohttp
import pytest
from prometheus_client import REGISTRY

from devtools.demo.ghl_events import inbound_message
from devtools.signing import signed
from tests.conftest import new_tenant
from tests.support.kafka import keyed, read_until
from tests.support.workers import eventually
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.service import Receiver
from workers.settings import Settings

pytestmark = pytest.mark.integration

SLOW = 60  # slow connections, over a cap of CAP
CAP = 40
HEADER_TIMEOUT_S = 1.5


def closed(reason: str) -> float:
    return REGISTRY.get_sample_value("leadmem_http_connections_closed_total",
                                     {"reason": reason}) or 0.0


async def slowloris(port: int, stop: asyncio.Event) -> tuple[float, bytes]:
    """One connection sending a request's headers a byte every 100 ms, never finishing; how
    long until the receiver closed it, and anything it answered (nothing, expected)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = time.monotonic()
    head = f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\n".encode() + b"X-Padding: " + b"a" * 500

    async def dribble() -> None:
        for byte in head:
            if stop.is_set():
                return
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)

    sender = asyncio.create_task(dribble())
    got = b""
    try:
        async with asyncio.timeout(HEADER_TIMEOUT_S + 10):
            while chunk := await reader.read(4096):
                got += chunk
    except ConnectionResetError:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        writer.close()
    return time.monotonic() - opened, got


async def test_slowloris_connections_are_closed_and_a_delivery_is_answered_at_once(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    raw = json.dumps(inbound_message(tenant, "c1", "Still available?")).encode()
    settings = make_settings(receiver_header_timeout_s=HEADER_TIMEOUT_S,
                             receiver_max_connections=CAP)
    receiver = Receiver(settings)
    await receiver.start()
    stop = asyncio.Event()
    try:
        await eventually(receiver.broker_ok, timeout_s=30)
        timed_out, shed = closed("header_timeout"), closed("shed_slow")
        attack = [asyncio.create_task(slowloris(receiver.port, stop)) for _ in range(SLOW)]
        await asyncio.sleep(0.5)  # every slow connection open and dribbling: the cap is full
        started = time.monotonic()
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{receiver.port}{WEBHOOK_PATH}", data=raw,
                headers=signed(raw)) as resp:
            status, answer = resp.status, await resp.json()
        answered_in = time.monotonic() - started
        results = await asyncio.gather(*attack)
    finally:
        stop.set()
        await receiver.stop()
    assert (status, answer) == (200, {"outcome": "accepted"})
    assert answered_in < 1.0, f"answered in {answered_in:.2f} s"
    (record,) = await read_until(kafka, "ghl.events", lambda s: len(s) >= 1,
                                 where=keyed({tenant}), timeout_s=10)
    assert record.value == raw
    # every slow connection was closed without an answer: the SLOW - CAP + 1 over the cap at
    # once (shed for younger ones), the rest when their header timeout passed
    assert all(got == b"" for _, got in results)
    assert max(after for after, _ in results) < HEADER_TIMEOUT_S + 2.0
    assert closed("header_timeout") - timed_out + closed("shed_slow") - shed == SLOW
    assert closed("shed_slow") - shed >= SLOW - CAP + 1


async def test_over_the_cap_with_every_connection_in_a_request_a_new_one_gets_429(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    settings = make_settings(receiver_max_connections=2, receiver_read_timeout_s=1.0)
    receiver = Receiver(settings)
    await receiver.start()
    try:
        await eventually(receiver.broker_ok, timeout_s=30)
        stalled = []
        for _ in range(2):  # headers sent, the body stalls: both in a request
            reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
            writer.write(f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                         f"\r\n{{".encode())
            await writer.drain()
            stalled.append((reader, writer))
        await eventually(lambda: receiver.handler.in_flight == 2, timeout_s=5)
        tenant = new_tenant()
        raw = json.dumps(inbound_message(tenant, "c1", "hello")).encode()
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{receiver.port}{WEBHOOK_PATH}", data=raw,
                headers=signed(raw)) as resp:
            refused = resp.status, resp.headers.get("Retry-After"), await resp.json()
        for reader, writer in stalled:  # answered 429 slow_upload when their time was up
            head = await asyncio.wait_for(reader.read(4096), 5)
            assert head.startswith(b"HTTP/1.1 429") and b'"slow_upload"' in head
            writer.close()
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{receiver.port}{WEBHOOK_PATH}", data=raw,
                headers=signed(raw)) as resp:
            after = resp.status
    finally:
        await receiver.stop()
    assert refused == (429, "10", {"outcome": "too_many_connections"})
    assert after == 200
