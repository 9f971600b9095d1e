"""Workers as separate processes: started, SIGKILLed, restarted, measured.

The pipeline benchmark and the fault suite both need what an operator has in production:
each worker in its own process (`python -m workers.cli run NAME`), configured only by
`LEADMEM_*` environment variables, with its own /health port, and peak memory readable from
/proc. Logs go to one file per process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from devtools.kafka import free_port
from workers.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a fresh process build exactly these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, dict):
            value = json.dumps({k: v.get_secret_value() if isinstance(v, SecretStr) else v
                                for k, v in value.items()})
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = ",".join(map(str, value))  # lists are comma-separated in the environment
        env[f"LEADMEM_{name.upper()}"] = str(value)
    return env


def fresh_dir(path: Path) -> None:
    """`path` exists and holds no earlier run's logs (ProcessGroup appends to them)."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.log"):
        old.unlink()


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the process's peak resident memory so far (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class WorkerProcess:
    name: str
    index: int
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    peak_mb: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.name}#{self.index}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sample_memory(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.peak_mb = max(self.peak_mb, peak_rss_mb(self.proc.pid) or 0.0)


@dataclass
class ProcessGroup:
    """Every worker process of one run."""

    settings: Settings
    log_dir: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def start(self, name: str, index: int = 0) -> WorkerProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        existing = [w for w in self.workers if (w.name, w.index) == (name, index)]
        worker = existing[0] if existing else WorkerProcess(
            name, index, free_port(), self.log_dir / f"{name}-{index}.log")
        if not existing:
            self.workers.append(worker)
        env = {**os.environ, **settings_env(self.settings),
               "LEADMEM_HTTP_PORT": str(worker.port), "PYTHONUNBUFFERED": "1"}
        with open(worker.log, "ab") as log:
            worker.proc = subprocess.Popen(
                [sys.executable, "-m", "workers.cli", "--log-level", "WARNING", "run", name],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        worker.starts += 1
        return worker

    def kill(self, worker: WorkerProcess, sig: int = signal.SIGKILL) -> None:
        """Kill without warning (SIGKILL: no cleanup, no commit) and reap."""
        if worker.alive:
            assert worker.proc is not None
            worker.sample_memory()
            worker.proc.send_signal(sig)
            worker.proc.wait()

    def restart(self, worker: WorkerProcess) -> None:
        self.kill(worker)
        self.start(worker.name, worker.index)

    def sample_memory(self) -> None:
        for worker in self.workers:
            worker.sample_memory()

    def stop_all(self, timeout_s: float = 10.0) -> None:
        for worker in self.workers:
            if worker.alive:
                assert worker.proc is not None
                worker.sample_memory()
                worker.proc.terminate()
        deadline = time.monotonic() + timeout_s
        for worker in self.workers:
            if worker.proc is not None:
                try:
                    worker.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    worker.proc.kill()
                    worker.proc.wait()

    def peaks(self) -> dict[str, float]:
        return {w.label: round(w.peak_mb, 1) for w in self.workers}
