"""Running workers in the test process (`running` is the runtime's own, as the demo uses it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from devtools.inprocess import running

__all__ = ["eventually", "running"]


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
