"""Running workers in the test process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from workers.registry import load_spec
from workers.runtime.host import WorkerHost
from workers.settings import Settings


@asynccontextmanager
async def running(settings: Settings, *names: str) -> AsyncIterator[list[WorkerHost]]:
    async with AsyncExitStack() as stack:
        hosts = []
        for name in names:
            host = WorkerHost(load_spec(name), settings)
            await host.start()
            stack.push_async_callback(host.stop)
            hosts.append(host)
        yield hosts


async def eventually(check: Callable[[], object], timeout_s: float = 30.0) -> None:
    """Poll an async or sync check until it returns truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)
