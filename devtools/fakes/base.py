"""Shared plumbing for the fake servers: loopback lifecycle, request log, fault middleware,
the `/_control` endpoint (so another process can drive faults) and the standalone CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import web

from devtools.fakes.faults import Fault, FaultScript

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CONTROL_PATH = "/_control"
MALFORMED_BODY = '{"id": "truncated", "content": [{"type": '


@dataclass
class RecordedRequest:
    """One request attempt as the fake saw it; `headers` keys are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float
    fault: Fault | None = None
    status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "at": self.at,
            "fault": self.fault.to_json() if self.fault else None,
            "status": self.status,
        }


def cut_connection(request: web.Request) -> None:
    """Cut the request's connection with a TCP reset (SO_LINGER 0), as a crashed or
    restarted server does: the client reads a reset, not an answer."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(kw_only=True, eq=False)
class FakeServer:
    """Base class: subclasses add routes and render their own error bodies for faults."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    requests: list[RecordedRequest] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.faults = FaultScript(seed=self.seed)
        self._runner: web.AppRunner | None = None

    # --- subclass hooks -------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def fault_response(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    def apply_control(self, data: dict[str, Any]) -> None:
        """Apply a `/_control` payload; subclasses extend with their own keys."""
        if data.get("reset"):
            self.reset()
        self.faults.apply_control(data)

    def state(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "request_count": len(self.requests),
            "requests": [r.to_json() for r in self.requests],
            **self.faults.state(),
        }

    def reset(self) -> None:
        """Forget recorded requests and pending faults (between tests sharing one server)."""
        self.requests.clear()
        self.faults.clear()

    # --- fault API ------------------------------------------------------------------------
    def inject(self, *faults: Fault) -> None:
        self.faults.push(*faults)

    def burst(self, probability: float, fault: Fault, seed: int | None = None) -> None:
        self.faults.set_burst(probability, fault, seed)

    def clear_faults(self) -> None:
        self.faults.clear()

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> web.Application:
        @web.middleware
        async def record_and_fault(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.path == CONTROL_PATH:
                return await handler(request)
            raw = await request.read()
            rec = RecordedRequest(
                method=request.method,
                path=request.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=_parse_body(raw, request.content_type),
                at=time.time(),
            )
            self.requests.append(rec)
            rec.fault = fault = self.faults.next(request.path)
            try:
                if fault is not None and fault.delay > 0:
                    await asyncio.sleep(fault.delay)
                if fault is not None and fault.after:  # it takes effect; its answer is lost
                    await handler(request)
                if fault is not None and fault.reset:
                    cut_connection(request)
                    raise asyncio.CancelledError  # no answer: aiohttp drops the request
                if fault is not None and fault.malformed:
                    resp: web.StreamResponse = web.Response(
                        text=MALFORMED_BODY, content_type="application/json"
                    )
                elif fault is not None and fault.status is not None:
                    resp = self.fault_response(fault, request)
                else:
                    resp = await handler(request)
            except web.HTTPException as exc:
                rec.status = exc.status
                raise
            rec.status = resp.status
            return resp

        app = web.Application(middlewares=[record_and_fault])
        app.router.add_post(CONTROL_PATH, self._control)
        app.router.add_get(CONTROL_PATH, self._control_state)
        self.add_routes(app)
        return app

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        # handler_cancellation: a client that times out cancels the delayed handler, and a
        # short shutdown_timeout keeps stop() fast even with a long delay fault in flight.
        runner = web.AppRunner(
            self.build_app(), access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- control endpoint -----------------------------------------------------------------
    async def _control(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("control payload must be a JSON object")
            self.apply_control(data)
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.state())

    async def _control_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())


def run_cli(
    argv: Sequence[str] | None,
    description: str,
    factory: Callable[[argparse.Namespace], FakeServer],
    add_args: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """Run one fake in the foreground until SIGINT/SIGTERM; prints its base URL on stdout."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    if add_args is not None:
        add_args(parser)
    args = parser.parse_args(argv)

    async def serve() -> None:
        server = factory(args)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with server:
            print(server.base_url, flush=True)
            await stop.wait()

    asyncio.run(serve())
