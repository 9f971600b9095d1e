"""A redis-server of a test's own, so stopping it disturbs no other test."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess

import redis.asyncio as aioredis

from devtools.kafka import free_port


class RedisProcess:
    """A redis-server of the suite's own (stopping it disturbs no other test); restarts keep
    the port, and come back empty (no persistence), as after a real crash."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL)

    async def ready(self, timeout_s: float = 10.0) -> None:
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            while True:
                with contextlib.suppress(OSError, aioredis.ConnectionError):
                    if await client.ping():
                        return
                if loop.time() > deadline:
                    raise AssertionError("redis-server did not start")
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
