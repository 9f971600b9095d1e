"""`/metrics` and `/health` for one worker, on its own port.

`/health` is ready (200) only when every dependency check answers; otherwise 503 with the
failing checks named, so orchestrators and `leadmem status` can tell what is down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

Check = Callable[[], Awaitable[bool]]


class HealthServer:
    def __init__(self, worker: str, host: str, port: int, checks: dict[str, Check]) -> None:
        self.worker = worker
        self.host = host
        self.port = port
        self.checks = checks
        self._runner: web.AppRunner | None = None

    async def health(self, _: web.Request) -> web.Response:
        names = list(self.checks)
        results = await asyncio.gather(
            *(asyncio.wait_for(self.checks[n](), 3) for n in names), return_exceptions=True
        )
        status = {n: r is True for n, r in zip(names, results, strict=True)}
        ok = all(status.values())
        body = json.dumps({"worker": self.worker, "ready": ok, "checks": status})
        return web.Response(
            text=body, status=200 if ok else 503, content_type="application/json"
        )

    async def metrics(self, _: web.Request) -> web.Response:
        resp = web.Response(body=generate_latest(REGISTRY))
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # tests ask for any free port
            sockets = getattr(site._server, "sockets", None) or ()
            if sockets:
                self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
