"""`/metrics` and `/health` for one worker, on its own port, and the routes a worker serves
beside them (`Routes`: the webhook receiver's `POST /webhooks/ghl`), with a guard on the
port's connections when the routes ask for one (`runtime.connections`: the receiver's public
port).

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

from workers.runtime.connections import ConnectionGuard, ConnectionLimits

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
    connections: ConnectionLimits | None = None  # a public port: guard its connections

    def plus(self, other: Routes) -> Routes:
        """Both sets of routes on one port (the larger body limit and stopping wait; the
        port is guarded if either asks for it)."""
        return Routes(self.routes + other.routes, f"{self.summary}, {other.summary}",
                      max(self.client_max_size, other.client_max_size),
                      max(self.shutdown_timeout, other.shutdown_timeout),
                      self.connections or other.connections)


class HealthServer:
    def __init__(self, worker: str, host: str, port: int, checks: dict[str, Check],
                 routes: Routes | None = None) -> None:
        self.worker = worker
        self.host = host
        self.port = port
        self.checks = checks
        self.routes = routes
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.AbstractServer | None = None

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
        limits = extra.connections if extra is not None else None
        guard = ConnectionGuard(limits) if limits is not None else None
        if extra is None:
            app = web.Application()
        else:
            app = web.Application(client_max_size=extra.client_max_size,
                                  middlewares=[guard.middleware] if guard else [])
            app.add_routes(extra.routes)
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.metrics)
        if extra is None:
            self._runner = web.AppRunner(app, access_log=None)
        elif limits is None:
            self._runner = web.AppRunner(app, access_log=None,
                                         shutdown_timeout=extra.shutdown_timeout)
        else:  # the guard's idle timeout closes idle connections, before aiohttp's own
            self._runner = web.AppRunner(app, access_log=None,
                                         shutdown_timeout=extra.shutdown_timeout,
                                         keepalive_timeout=limits.idle_timeout_s + 1)
        await self._runner.setup()
        if guard is None:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            sockets = getattr(site._server, "sockets", None) or ()
        else:  # aiohttp's protocol under the guard's (a TCPSite would serve aiohttp's bare)
            server = self._runner.server
            assert server is not None
            self._listener = await asyncio.get_running_loop().create_server(
                guard.protocol_factory(server), self.host, self.port, backlog=128)
            sockets = self._listener.sockets
        if self.port == 0 and sockets:  # tests ask for any free port
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._listener is not None:  # accept no more, then close the connections
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
