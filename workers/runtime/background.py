"""A loop a worker runs beside its consumer, started and stopped by the host
(`Resources.run_in_background`): started once the broker runs, so it may publish, and
cancelled before the broker stops, so it never publishes into a closed producer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def periodically(name: str, run_once: Callable[[], Awaitable[object]], *,
                       interval_s: float, first_after_s: float = 0.0,
                       outcome: Callable[[str], None] = lambda _: None) -> None:
    """`run_once()` `first_after_s` after the start, then every `interval_s`, for ever; a
    failed run is logged and reported (`outcome("failed")`, else `"ok"`) and never ends the
    loop: the next run retries."""
    await asyncio.sleep(first_after_s)
    while True:
        try:
            await run_once()
        except Exception as exc:
            outcome("failed")
            log.warning("%s: run failed, retrying in %.0f s: %r", name, interval_s, exc)
        else:
            outcome("ok")
        await asyncio.sleep(interval_s)


class Loop:
    """`run()` as a named task; a crash is logged (a silent dead loop would look healthy)."""

    def __init__(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        async def main() -> None:
            await self._run()

        self._task = asyncio.get_running_loop().create_task(main(), name=self.name)
        self._task.add_done_callback(self._report_crash)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # A crashed loop was logged when it died; stopping it is not a second failure.
            await asyncio.gather(task, return_exceptions=True)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped", self.name, exc_info=task.exception())
