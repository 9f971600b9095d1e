"""The demo's way in: the webhook receiver (`workers/receiver`) running in this process, and
the sample stream POSTed to it over HTTP one delivery at a time, as GHL delivers webhooks.

The receiver is the same `Receiver` that `leadmem run receiver` serves; the demo only starts
it on a port of its own choosing (any free one by default) and waits until its producer is
connected, so no delivery is answered 429 for the broker merely not being connected yet.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from devtools.demo.stream import Delivery
from devtools.signing import signed
from workers.receiver.accept import Reject, location_of
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.service import Receiver
from workers.settings import Settings

# GHL retries a 429 about ten minutes later; the demo retries sooner, a few times.
RETRIES = 5
RETRY_DELAY_S = 1.0


@asynccontextmanager
async def receiver_running(settings: Settings, *, port: int = 0,
                           timeout_s: float = 30.0) -> AsyncIterator[Receiver]:
    """The receiver on `port` (0: any free port), its producer connected."""
    receiver = Receiver(settings, port=port)
    await receiver.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not await receiver.broker_ok():
            if loop.time() > deadline:
                raise TimeoutError(f"the receiver's producer did not connect to "
                                   f"{settings.bootstrap} in {timeout_s:g} s")
            await asyncio.sleep(0.1)
        yield receiver
    finally:
        await receiver.stop()


def webhook_url(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.port}{WEBHOOK_PATH}"


def expected_status(delivery: Delivery) -> int:
    """What the receiver should answer: 400 for a body it cannot key by `locationId` (it
    dead-letters those itself), else 200. Everything else about a body is ingestion's call."""
    keyed = location_of(delivery.value, company_for_app_events=True)
    return 400 if isinstance(keyed, Reject) else 200


@dataclass(frozen=True)
class Posted:
    """One delivery's HTTP exchange: the final status, its outcome, and the attempts made."""

    delivery: Delivery
    status: int
    outcome: str
    error: str | None
    attempts: int


async def post_stream(url: str, stream: list[Delivery],
                      on_answer: Callable[[Posted], None] | None = None) -> list[Posted]:
    """POST every delivery's bytes, in order, one at a time, signed as GHL signs them (with
    `devtools.signing`'s key, which the demo's receiver and ingestion are given); the receiver
    answers only after the broker's ack, so each tenant's deliveries keep their order on
    `ghl.events`."""
    out: list[Posted] = []
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for d in stream:
            for attempt in range(1, RETRIES + 1):
                async with http.post(url, data=d.value, headers={
                        "Content-Type": "application/json", **signed(d.value)}) as resp:
                    answer = await resp.json(content_type=None)
                    status = resp.status
                if status != 429 or attempt == RETRIES:
                    break
                await asyncio.sleep(RETRY_DELAY_S)
            posted = Posted(d, status, str(answer.get("outcome", "?")), answer.get("error"),
                            attempt)
            out.append(posted)
            if on_answer is not None:
                on_answer(posted)
    return out


def status_counts(posted: list[Posted]) -> str:
    """`200 ×22, 400 ×2`: the final answers by status."""
    counts = Counter(p.status for p in posted)
    return ", ".join(f"{status} ×{n}" for status, n in sorted(counts.items()))
