"""The receiver is a worker of the host: registered as `receiver` (the spec `leadmem run`
loads), a `WorkerSpec` that consumes nothing, and hosted by `WorkerHost` with no broker
answering: it serves its webhook route, `/health` and `/metrics` on one port at once, answers
429 while its producer connects, and the host stops it (in process, and on SIGTERM for
`leadmem run receiver`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Iterator

import aiohttp
import pytest

from devtools.signing import PUBLIC_PEM, signed
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.service import SPEC, Receiver
from workers.registry import available, load_spec, runnable
from workers.runtime.background import Loop
from workers.runtime.clients import ProducerLink
from workers.runtime.host import WorkerHost, WorkerSpec
from workers.settings import Settings


@contextlib.contextmanager
def refused_bootstrap() -> Iterator[str]:
    """A broker address that refuses connections (bound, not listening)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{closed.getsockname()[1]}"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.text()


def test_the_receiver_is_a_worker_spec_that_consumes_nothing() -> None:
    spec = load_spec("receiver")
    assert spec is SPEC and isinstance(spec, WorkerSpec)
    assert spec.name == "receiver" and spec.topics == () and not spec.consumes
    assert not spec.needs_db and not spec.needs_redis
    assert "receiver" in runnable()
    assert "receiver" not in available()  # no consumer group: no lag probe, no demo consumer


async def test_hosted_it_serves_at_once_with_the_broker_away_then_stops() -> None:
    with refused_bootstrap() as bootstrap:
        settings = Settings(kafka_bootstrap=bootstrap, receiver_produce_timeout_s=0.2,
                            ghl_ed25519_public_key=PUBLIC_PEM)
        host = WorkerHost(SPEC, settings, http_port=0)
        await asyncio.wait_for(host.start(), 5)  # waits for no broker
        try:
            res = host.resources
            assert res is not None and host.http is not None
            assert (res.db, res.redis, res.producer) == (None, None, None)
            assert host.broker.subscribers == []  # no consumer
            (rerank,) = res.background
            assert isinstance(rerank, Loop) and rerank.name == "receiver-rerank"
            base = f"http://127.0.0.1:{host.http.port}"
            async with aiohttp.ClientSession() as http, http.post(
                    base + WEBHOOK_PATH, data=b"[]", headers=signed(b"[]")) as resp:
                # unkeyable: its dead letter cannot be written while the producer connects
                assert resp.status == 429 and await resp.json() == {"outcome": "unavailable"}
            status, body = await get(base + "/health")
            assert status == 503 and json.loads(body) == {
                "worker": "receiver", "ready": False, "checks": {"broker": False}}
            status, body = await get(base + "/metrics")
            assert status == 200 and "leadmem_receiver_requests_total" in body
        finally:
            await host.stop()
        assert host.resources is None
        with pytest.raises(OSError):  # the port is closed: the host stopped serving
            await asyncio.open_connection("127.0.0.1", host.http.port)


async def test_the_in_process_receiver_is_the_same_wiring_on_its_own_host() -> None:
    with refused_bootstrap() as bootstrap:
        receiver = Receiver(Settings(kafka_bootstrap=bootstrap), port=0)
        await receiver.start()
        try:
            assert receiver.port != 0
            assert isinstance(receiver.producer, ProducerLink)
            assert receiver.producer.current is None and not await receiver.broker_ok()
            status, _ = await get(f"http://127.0.0.1:{receiver.port}/health")
            assert status == 503
        finally:
            await receiver.stop()
        assert receiver.producer.current is None


async def test_leadmem_run_receiver_is_hosted_and_exits_0_on_sigterm() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with refused_bootstrap() as bootstrap:
        env = {**os.environ, "LEADMEM_KAFKA_BOOTSTRAP": bootstrap,
               "LEADMEM_HTTP_PORT": str(port), "LEADMEM_HTTP_HOST": "127.0.0.1"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workers.cli", "run", "receiver", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while True:  # serving while the broker is away: /health answers 503 at once
                with contextlib.suppress(aiohttp.ClientError):
                    status, body = await get(f"http://127.0.0.1:{port}/health")
                    break
                assert loop.time() < deadline and proc.returncode is None
                await asyncio.sleep(0.1)
            assert status == 503 and json.loads(body)["checks"] == {"broker": False}
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
