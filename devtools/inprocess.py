"""Several workers in one process (the demo and the tests; production runs one per process,
`leadmem run NAME`): started in the order given, stopped in reverse. Tooling, so it lives
here: `workers.runtime` no longer imports the registry that imports it back."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
