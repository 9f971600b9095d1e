"""`/metrics` and `/health` for one worker, on its own port, and the routes a worker serves
beside them (`Routes`: the webhook receiver's `POST /webhooks/ghl`).

`/health` is ready (200) only when every dependency check answers; otherwise 503 with the
failing checks named, so orchestrators and `leadmem status` can tell what is down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

Check = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Routes:
    """What a worker serves on its port besides `/health` and `/metrics` (registered before
    them), with the app's limit on a request body and how long stopping waits for the
    requests under way (`Resources.serve`)."""

    routes: tuple[web.RouteDef, ...]
    summary: str  # for the log line once serving, e.g. "POST /webhooks/ghl"
    client_max_size: int
    shutdown_timeout: float


class HealthServer:
    def __init__(self, worker: str, host: str, port: int, checks: dict[str, Check],
                 routes: Routes | None = None) -> None:
        self.worker = worker
        self.host = host
        self.port = port
        self.checks = checks
        self.routes = routes
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
        extra = self.routes
        if extra is None:
            app = web.Application()
        else:
            app = web.Application(client_max_size=extra.client_max_size)
            app.add_routes(extra.routes)
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.metrics)
        if extra is None:
            self._runner = web.AppRunner(app, access_log=None)
        else:
            self._runner = web.AppRunner(app, access_log=None,
                                         shutdown_timeout=extra.shutdown_timeout)
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
